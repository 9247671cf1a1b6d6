"""The draft editor: items of every section and goals by part, added, reworded
(the student's words stay beside the teacher's), moved and removed; approving;
earlier versions. Every change is stored as a new version of the draft."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from assistant.draft import LISTS, SECTION, Goal, IEPDraft, Item
from assistant.draft import lists as draft_lists
from assistant.recordings import StudentFiles
from assistant.review import exports
from assistant.review.security import form_int, form_text
from assistant.review.transcript import language_name
from assistant.review.web import log, no_session_meanwhile, store, student_or_404
from assistant.store import Student

LIST_SECTIONS = {s.key: s.title for s in LISTS}  # declared once, in assistant.draft.SECTIONS
GOAL_PARTS = ("statement", "measure", "timeframe", "support")

bp = Blueprint("draft", __name__)


def lists(d: IEPDraft) -> dict[str, list]:
    """The draft's item lists by section key (the same list objects, for editing)."""
    return draft_lists(d)


def _save(s: Student, d: IEPDraft, status: str = "in_review") -> int:
    session = store().transcripts.latest(s.id)
    return store().draft_versions.add(s.id, session.id if session else None, d.model_dump(mode="json"), status, g.teacher)


@bp.get("/students/<id:sid>/draft")
def page(sid: int):
    s = student_or_404(sid)
    d, saved = exports.current_draft(store(), s)
    log("view", f"draft of {s.label}")
    return render_template("draft.html", s=s, d=d, saved=saved, sections=LIST_SECTIONS, lists=lists(d),
                           language_name=language_name(d.language))


def _edit_goal(d: IEPDraft) -> None:
    """Save one goal's area and parts; the index one past the last adds a goal."""
    n = form_int("index")
    if n == len(d.goals):
        d.goals.append(Goal())
    if not 0 <= n < len(d.goals):
        abort(400, "There is no such goal.")
    goal = d.goals[n]
    goal.area = form_text("area", 200) or None
    for part in GOAL_PARTS:
        value = form_text(part)
        old = getattr(goal, part)
        if old is not None:  # the student's words stay; the teacher's wording is stored beside them
            old.edited = value if value and value != old.text else None
        elif value:
            setattr(goal, part, Item(text=value, edited=None, added_by=g.teacher))


def _remove_goal(d: IEPDraft) -> None:
    n = form_int("index")
    if not 0 <= n < len(d.goals):
        abort(400, "There is no such goal.")
    d.goals.pop(n)


def _edit_list(d: IEPDraft, op: str) -> None:
    """Add, reword, remove or move (up, down) one item of a section."""
    section = request.form.get("section", "")
    if section not in LIST_SECTIONS:
        abort(400, "There is no such section.")
    items = lists(d)[section]
    n = form_int("index", -1)
    if op == "add":
        text = form_text("text")
        if not text:
            abort(400, "Type the text of the new item.")
        items.append(SECTION[section].item(text=text, label=form_text("label", 200) or None, added_by=g.teacher))
    elif op not in ("edit", "remove", "up", "down"):
        abort(400, "Unknown change.")
    elif not 0 <= n < len(items):
        abort(400, "There is no such item.")
    elif op == "edit":
        text = form_text("text")
        items[n].edited = text if text and text != items[n].text else None
        items[n].label = form_text("label", 200) or None
    elif op == "remove":
        items.pop(n)
    else:
        m = n - 1 if op == "up" else n + 1
        if 0 <= m < len(items):  # the first item moved up, or the last down, stays where it is
            items[n], items[m] = items[m], items[n]


@bp.post("/students/<id:sid>/draft")
def edit(sid: int):
    s = student_or_404(sid)
    d, _ = exports.current_draft(store(), s)
    op = request.form.get("op", "")
    if op == "goal":
        _edit_goal(d)
    elif op == "remove_goal":
        _remove_goal(d)
    else:
        _edit_list(d, op)
    version = _save(s, d)
    log("edit", f"draft of {s.label}: {op} (version {version})")
    return redirect(url_for("draft.page", sid=sid), code=303)


@bp.post("/students/<id:sid>/approve")
def approve(sid: int):
    s = student_or_404(sid)
    with no_session_meanwhile(s, "approving"):
        d, _ = exports.current_draft(store(), s)
        version = _save(s, d, "approved")
        files = StudentFiles(store().dir, s.id)
        files.delete_speech()  # speech made from the student's words: never kept past approval
        removed = 0
        if not store().settings.keep_audio:
            store().transcripts.forget_audio(s.id)
            removed = files.delete_recordings()
    log("approve", f"draft of {s.label} (version {version}; {removed} recordings deleted)")
    return redirect(url_for("students.student", sid=sid), code=303)


@bp.get("/students/<id:sid>/versions/<id:version>")
def version(sid: int, version: int):
    s = student_or_404(sid)
    v = store().draft_versions.get(s.id, version)
    if v is None:
        abort(404, "There is no such version of this draft.")
    d = IEPDraft(**v["body"])
    log("view", f"draft version {version} of {s.label}")
    return render_template("version.html", s=s, v=v, d=d, sections=LIST_SECTIONS, lists=lists(d))
