"""The teacher's students: the dashboard (the list, sortable and filterable by
GET parameters, so a view can be bookmarked), a student's page (role, lessons,
rehearsals), adding, editing, archiving, importing a class list (CSV, see
``roster_import``) and deleting a student's data (the name typed to confirm,
never while their session runs).

The roster is the same table the command line writes (``store.roster``): what
one adds, the other shows."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.exceptions import Conflict

from assistant.errors import UserError
from assistant.lessons import lesson_book
from assistant.recordings import StudentFiles
from assistant.review import exports, roster_import
from assistant.review.security import form_text
from assistant.review.transcript import language_name, session_language
from assistant.review.web import log, no_session_meanwhile, store, student_or_404
from assistant.roles import ROLE_NAMES, ROLES, default_role, parts_of
from assistant.screen.hub import DEFAULTS, FONTS, RANGES, THEMES
from assistant.store import Session, Student
from assistant.store.db import MAX_ID
from assistant.store.students import MAX_ITEM, MAX_NAME, check_language, check_name
from assistant.text import clean_input, name_key, one_line

bp = Blueprint("students", __name__)



def lesson_titles() -> dict[str, str]:
    """The lessons a student can do (``iep-assistant learn``) by the key their rows are
    stored under, as the shipped lessons name them. A row under a key no lesson has now
    is still listed on the student's page (by its own title), but not counted in "n of N"."""
    return {ls.key: ls.title for ls in lesson_book().lessons}


STATUSES = ("no session yet", "in progress", "ready for review", "approved")
SORTS = {"name": "Student", "grade": "Grade", "role": "Role", "session": "Last session", "checkin": "Last check-in",
         "attention": "Needs my attention"}
RELIABLY = 2  # a part of the meeting script covered in this many rehearsals in a row, up to the latest one


def _init(setup) -> None:
    # Signs the class list carried from the preview to the confirm (``roster_import``): a
    # key of this server process, so a preview made before a restart must be made again.
    setup.app.extensions["iep_import_key"] = secrets.token_bytes(32)


bp.record_once(_init)


def grade_name(grade: int) -> str:
    return "K" if grade == 0 else str(grade)


def _status(session: Session | None, saved: dict | None) -> str:
    if session is None or session.status != "finished":
        return "in progress" if session else "no session yet"
    return "approved" if saved and saved["status"] == "approved" else "ready for review"


def status_of(student: Student) -> str:
    return _status(store().transcripts.latest(student.id), store().draft_versions.latest(student.id))


# ---------------------------------------------------------------- the dashboard

@dataclass
class Row:
    """What the dashboard shows of one student."""

    s: Student
    status: str
    session: Session | None
    checkin: dict | None
    lessons: int
    rehearsals: int
    needs: dict[str, int] = field(default_factory=dict)  # what needs the teacher, by kind: how many

    @property
    def attention(self) -> int:
        return sum(self.needs.values())


def dashboard_row(s: Student) -> Row:
    """One student's row: a few queries, and their current draft built once."""
    st = store()
    session = st.transcripts.latest(s.id)
    draft, saved = exports.current_draft(st, s)
    passed = {r["lesson"] for r in st.lessons.of_student(s.id) if r["passed"]}
    needs = {"accommodations not helpful": len(draft.accommodations.not_helpful),
             "supports wished for": len(draft.accommodations.wanted), "open questions": len(draft.open_questions),
             # marked "ask again" by a teacher and not yet asked again in a later session
             "answers to ask again": len(st.transcripts.ask_again(s.id, MAX_ID))}
    return Row(s, _status(session, saved), session, st.checkins.latest(s.id), len(passed & lesson_titles().keys()),
               len(st.rehearsals.of_student(s.id)), needs)


def _arg(name: str, allowed) -> str:
    """A filter or sort from the address; anything else is ignored (an old bookmark still opens)."""
    value = request.args.get(name, "")
    return value if value in allowed else ""


@bp.get("/")
def index():
    grades = [str(g) for g in range(13)]
    view = {"grade": _arg("grade", grades), "role": _arg("role", [str(r) for r in ROLES]),
            "status": _arg("status", STATUSES), "attention": _arg("attention", ["1"]),
            "archived": _arg("archived", ["1"]), "q": one_line(request.args.get("q", ""))[:MAX_NAME],
            "sort": _arg("sort", SORTS) or "name", "dir": _arg("dir", ["asc", "desc"]) or "asc"}
    students = store().roster.all(archived=bool(view["archived"]))
    total = len(students)
    hidden = 0 if view["archived"] else store().roster.count() - total  # archived, not shown
    if view["grade"]:
        students = [s for s in students if s.grade == int(view["grade"])]
    if view["role"]:
        students = [s for s in students if s.role == int(view["role"])]
    if view["q"]:
        students = [s for s in students if name_key(view["q"]) in name_key(s.name)]
    rows = [dashboard_row(s) for s in students]
    if view["status"]:
        rows = [r for r in rows if r.status == view["status"]]
    if view["attention"]:
        rows = [r for r in rows if r.attention]
    keys = {"name": lambda r: (name_key(r.s.name), r.s.id), "grade": lambda r: (r.s.grade, name_key(r.s.name)),
            "role": lambda r: (r.s.role, name_key(r.s.name)),
            "session": lambda r: (r.session.started if r.session else "", name_key(r.s.name)),
            "checkin": lambda r: (r.checkin["at"] if r.checkin else "", name_key(r.s.name)),
            "attention": lambda r: (r.attention, name_key(r.s.name))}
    rows.sort(key=keys[view["sort"]], reverse=view["dir"] == "desc")
    filters = {k: v for k, v in view.items() if v and k not in ("sort", "dir")}

    def sort_link(key: str) -> str:
        again = view["sort"] == key and view["dir"] == "asc"
        return url_for("students.index", **filters, sort=key, dir="desc" if again else "asc")

    log("view", "student list" + (f" ({', '.join(f'{k}={v}' for k, v in filters.items())})" if filters else ""))
    return render_template("students.html", rows=rows, total=total, hidden=hidden, view=view, filters=filters, sorts=SORTS,
                           sort_link=sort_link, statuses=STATUSES, role_names=ROLE_NAMES, lessons=len(lesson_titles()),
                           grade_name=grade_name, language_name=language_name)


# ---------------------------------------------------------------- a student's page

def lessons_of(sid: int) -> list[dict]:
    """Each lesson: passed or not yet, when (the first pass, else the latest try), what the student said."""
    by_key: dict[str, dict] = {k: {"title": t, "passed": None, "tried": None, "said": ""} for k, t in lesson_titles().items()}
    for r in store().lessons.of_student(sid):
        entry = by_key.setdefault(r["lesson"], {"title": r["body"].get("title") or r["lesson"], "passed": None,
                                                "tried": None, "said": ""})
        if entry["passed"]:
            continue  # the first pass is the one that counts
        entry["tried"] = r["at"][:10]
        entry["said"] = r["body"].get("said", "")
        if r["passed"]:
            entry["passed"] = r["at"][:10]
    return list(by_key.values())


def rehearsal_parts(rows: list[dict]) -> list[dict]:
    """For each part of the meeting script (by its key), in how many rehearsals that had
    it the student covered it, and whether it is covered reliably: in each of the last
    ``RELIABLY`` or more rehearsals that had it. In the script's order (the latest
    rehearsal's, then parts it no longer has).

    Rehearsals stored before parts had keys numbered them by their place in the script,
    which moves as the draft changes: those parts are counted by their stored title
    (the same part's title then and now), and the titles several parts shared ("A goal",
    "My message to the team") are a row of their own, said to be from earlier rehearsals."""
    by_title = {title: key for key, title in exports.SCRIPT_TITLES.items()}
    parts: dict[str, dict] = {}
    for r in rows:
        seen: dict[str, bool] = {}
        for p in r["body"].get("parts", []):
            key, title = str(p.get("key", "")), p.get("title") or ""
            if key.isdigit():  # an earlier rehearsal's place in the script: its title says which part
                key = by_title.get(title, f"title:{title}")
                if title in ("A goal", "My message to the team"):  # what several parts were called then
                    title += " (earlier rehearsals)"
            part = parts.setdefault(key, {"title": title, "covered": 0, "rehearsed": 0, "streak": 0})
            part["title"] = title or part["title"]  # the latest title
            seen[key] = seen.get(key, True) and bool(p.get("covered"))  # a shared title: covered if all were
        for key, covered in seen.items():
            part = parts[key]
            part["rehearsed"] += 1
            part["covered"] += covered
            part["streak"] = part["streak"] + 1 if covered else 0
    latest = [str(p.get("key", "")) for p in rows[-1]["body"].get("parts", [])] if rows else []
    order = {key: n for n, key in enumerate(latest + [k for k in parts if k not in latest])}
    return [{**p, "reliably": p["streak"] >= RELIABLY} for _, p in sorted(parts.items(), key=lambda kv: order[kv[0]])]


def _student_page(s: Student, message: str | None = None) -> str:
    st = store()
    rehearsals = st.rehearsals.of_student(s.id)
    return render_template("student.html", s=s, status=status_of(s), sessions=st.transcripts.of_student(s.id),
                           versions=st.draft_versions.of_student(s.id), formats=list(exports.FORMATS), message=message,
                           role_name=ROLE_NAMES[s.role], parts=parts_of(s.role), default_role=s.role_set is None,
                           lessons=lessons_of(s.id), rehearsals=rehearsals, rehearsal_parts=rehearsal_parts(rehearsals),
                           reliably=RELIABLY, grade_name=grade_name, language_name=language_name,
                           session_language=lambda sess: session_language(sess, s))


@bp.get("/students/<id:sid>")
def student(sid: int):
    s = student_or_404(sid)
    log("view", f"student {s.label}")
    return _student_page(s)


@bp.post("/students/<id:sid>/delete")
def delete(sid: int):
    s = student_or_404(sid)
    if name_key(form_text("confirm", 400)) != name_key(s.name):
        log("delete refused", f"{s.label}: the name typed did not match")
        return _student_page(s, "Not deleted: type the student's name exactly to confirm."), 400
    with no_session_meanwhile(s, "deleting"):
        store().remove_student(s.id)
        StudentFiles(store().dir, s.id).delete_all()
    log("delete", f"all data of {s.label}")
    return redirect(url_for("students.index"), code=303)


@bp.post("/students/<id:sid>/archive")
def archive(sid: int):
    with no_session_meanwhile(student_or_404(sid), "archiving"):
        s = store().roster.set_archived(sid, True)
    log("archive", f"student {s.label} (kept with all their data; off the list, no new sessions)")
    return redirect(url_for("students.student", sid=sid), code=303)


@bp.post("/students/<id:sid>/unarchive")
def unarchive(sid: int):
    with no_session_meanwhile(student_or_404(sid), "unarchiving"):
        s = store().roster.set_archived(sid, False)
    log("unarchive", f"student {s.label}")
    return redirect(url_for("students.student", sid=sid), code=303)


# ---------------------------------------------------------------- adding and editing

LABELS = {"name": "Name", "grade": "Grade", "language": "Language", "role": "Role", "accommodations": "Accommodations",
          "past_goals": "Last year's goals", "rate": "Speech rate", "voice": "Voice", "text_size": "Text size",
          "font": "Font", "theme": "Theme"}
# What the student also changes themselves (by voice: "slower"; on their screen). The form
# carries the values it was loaded with ("rate_loaded", ...) and writes only those the
# teacher changed, so a field left as it was never overwrites the student's own change.
THEIRS = ("rate", "voice", "text_size", "font", "theme")


def _values_of(s: Student | None) -> dict[str, str]:
    """The form's fields as text: the student's, or a new student's defaults."""
    if s is None:
        return {"name": "", "grade": "", "language": "en", "role": "", "accommodations": "", "past_goals": ""}
    shown = {**DEFAULTS, **s.display}
    return {"name": s.name, "grade": str(s.grade), "language": s.language, "role": str(s.role_set or ""),
            "accommodations": "\n".join(s.accommodations), "past_goals": "\n".join(s.past_goals),
            "rate": str(s.rate or ""), "voice": s.voice or "", "text_size": str(shown["text_size"]),
            "font": str(shown["font"]), "theme": str(shown["theme"])}


def _number(text: str, key: str, errors: dict[str, str], what: str) -> int | None:
    low, high = RANGES[key]
    if not re.fullmatch(r"\d{1,4}", text) or not low <= int(text) <= high:
        errors[key] = f"{what} must be a whole number from {low} to {high}."
        return None
    return int(text)


def _read_form(s: Student | None) -> tuple[dict[str, str], dict[str, str], dict]:
    """(the fields as typed, a message per bad field, the checked values). Nothing is
    cut or dropped silently: a field too long is a message beside it, with its text kept."""
    keys = _values_of(s).keys()
    typed = {k: clean_input(request.form.get(k, "")) for k in keys}  # (a request is at most 1 MiB)
    errors: dict[str, str] = {}
    out: dict = {}
    try:
        out["name"] = check_name(typed["name"])
    except UserError as e:
        errors["name"] = str(e)[0].upper() + str(e)[1:] + "."
    if re.fullmatch(r"\d{1,2}", typed["grade"]) and 0 <= int(typed["grade"]) <= 12:
        out["grade"] = int(typed["grade"])
    else:
        errors["grade"] = "Choose a grade: K or 1 to 12."
    try:
        out["language"] = check_language(typed["language"] or "en")
    except UserError as e:
        errors["language"] = str(e) + "."
    if typed["role"] in ("", *map(str, ROLES)):
        out["role"] = int(typed["role"]) if typed["role"] else None
    else:
        errors["role"] = "Choose a role from 1 to 5, or the default for the grade."
    for key in ("accommodations", "past_goals"):
        items = [one_line(x) for x in typed[key].splitlines()]
        out[key] = [x for x in items if x]
        long = [i for i, x in enumerate(out[key], 1) if len(x) > MAX_ITEM]
        if long:
            errors[key] = f"Line {long[0]} is too long: at most {MAX_ITEM} characters a line."
    if s is not None:
        out["rate"] = _number(typed["rate"], "rate", errors, "The speech rate") if typed["rate"].strip() else None
        voice = one_line(typed["voice"])
        if len(voice) > 100:
            errors["voice"] = "A voice's name has at most 100 characters, e.g. piper:en_US-amy-medium or espeak:en-us."
        out["voice"] = voice or None
        out["text_size"] = _number(typed["text_size"], "text_size", errors, "The text size")
        for key, allowed in (("font", FONTS), ("theme", THEMES)):
            if typed[key] in allowed:
                out[key] = typed[key]
            else:
                errors[key] = f"Choose one of: {', '.join(allowed)}."
    if "name" in out and "grade" in out:
        same = [o for o in store().roster.all() if (s is None or o.id != s.id)
                and name_key(o.name) == name_key(out["name"]) and o.grade == out["grade"]]
        if same:
            errors["name"] = (f"{same[0].label} is already a student in grade {grade_name(out['grade'])}"
                              + (" (archived)" if same[0].archived else "") + ". If this is another student, add "
                              "their last name or an initial.")
    return typed, errors, out


def _loaded(s: Student) -> dict[str, str]:
    """The student's own settings as the form showed them when it was loaded (the current
    ones for a form without them)."""
    now = _values_of(s)
    return {k: one_line(request.form.get(f"{k}_loaded", now[k])) for k in THEIRS}


def _form_page(s: Student | None, values: dict[str, str], errors: dict[str, str], status: int = 200,
               loaded: dict[str, str] | None = None, message: str = ""):
    if s is not None and loaded is None:
        loaded = {k: values[k] for k in THEIRS}
    return render_template("student_form.html", s=s, v=values, errors=errors, labels=LABELS, role_names=ROLE_NAMES,
                           loaded=loaded, theirs=THEIRS, message=message,
                           fonts=FONTS, themes=THEMES, ranges=RANGES, grade_name=grade_name,
                           default_role=default_role), status


@bp.route("/students/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _form_page(None, _values_of(None), {})
    typed, errors, out = _read_form(None)
    if errors:
        return _form_page(None, typed, errors, 400)
    s = store().roster.add(out["name"], out["grade"], out["language"], out["accommodations"], out["past_goals"],
                           out["role"])
    log("edit", f"new student {s.label} (grade {grade_name(s.grade)}, {s.language}, role {s.role}"
                f"{'' if s.role_set else ' by default'}; {len(s.accommodations)} accommodations, "
                f"{len(s.past_goals)} past goals)")
    return redirect(url_for("students.student", sid=s.id), code=303)


@bp.route("/students/<id:sid>/edit", methods=["GET", "POST"])
def edit(sid: int):
    s = student_or_404(sid)
    if request.method == "GET":
        log("view", f"student {s.label} (edit form)")
        return _form_page(s, _values_of(s), {})
    typed, errors, out = _read_form(s)
    loaded = _loaded(s)
    if errors:
        return _form_page(s, typed, errors, 400, loaded)
    st = store()
    try:
        lock = no_session_meanwhile(s, "editing")
    except Conflict as e:  # the form again, with what the teacher typed, to save when the session ends
        log("edit refused", f"student {s.label}: in a session")
        return _form_page(s, typed, {}, 409, loaded, f"Not saved: {e.description} Everything you typed is still here.")
    with lock:
        s = student_or_404(sid)  # as it is now, under the lock
        before = _values_of(s)
        changed_by_teacher = {k for k in THEIRS if one_line(typed[k]) != loaded[k]}
        with st.transaction():
            st.roster.edit(s.id, name=out["name"], grade=out["grade"], language=out["language"],
                           accommodations=out["accommodations"], past_goals=out["past_goals"], role=out["role"],
                           default_role=out["role"] is None)
            # An emptied rate or voice keeps what the student has (the store cannot clear them).
            st.roster.set_voice(s.id, rate=out["rate"] if "rate" in changed_by_teacher else None,
                                voice=out["voice"] if "voice" in changed_by_teacher else None)
            display = {k: out[k] for k in ("text_size", "font", "theme") if k in changed_by_teacher}
            if display:
                st.roster.set_display(s.id, display)
        after = _values_of(st.roster.get(s.id))
    changed = [LABELS[k].lower() for k in before if before[k] != after[k]]
    log("edit", f"student {after['name']}#{s.id}: " + (", ".join(changed) + " changed" if changed else "nothing changed"))
    return redirect(url_for("students.student", sid=s.id), code=303)


# ---------------------------------------------------------------- a class list from CSV

def _import_page(stage: str, message: str = "", text: str = "", rows=(), added=(), status: int = 200):
    rows = list(rows)
    encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode() if stage == "preview" else ""
    signature = roster_import.sign(current_app.extensions["iep_import_key"], g.session["csrf"], text) if encoded else ""
    return render_template("import.html", stage=stage, message=message, text=text if stage == "form" else "",
                           rows=rows, good=[r for r in rows if r.ok], bad=[r for r in rows if not r.ok], added=added,
                           encoded=encoded, signature=signature, columns=roster_import.COLUMNS,
                           expected=roster_import.EXPECTED, max_rows=roster_import.MAX_ROWS,
                           max_kib=roster_import.MAX_BYTES // 1024, grade_name=grade_name), status


@bp.route("/students/import", methods=["GET", "POST"])
def import_list():
    if request.method == "GET":
        return _import_page("form")
    if request.form.get("step") == "confirm":
        return _confirm()
    pasted = clean_input(request.form.get("text", ""))
    try:
        upload = request.files.get("file")
        data = upload.read(roster_import.MAX_BYTES + 1) if upload and upload.filename else b""
        text = roster_import.decode(data) if data else pasted
        rows = roster_import.read(store(), text)
    except UserError as e:
        return _import_page("form", str(e), pasted, status=400)
    log("view", f"class list import preview ({len(rows)} rows, {sum(r.ok for r in rows)} to add; nothing stored)")
    return _import_page("preview", text=text, rows=rows)


def _confirm():
    try:
        text = base64.urlsafe_b64decode(request.form.get("list", "").encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        text = None
    if text is None or not roster_import.signed(current_app.extensions["iep_import_key"], g.session["csrf"], text,
                                                request.form.get("signature", "")):
        abort(400, "This preview has expired (the app was restarted, or you signed in again) or was changed. "
                   "Upload the class list again to see a new preview.")
    try:
        rows = roster_import.read(store(), text)  # checked again: a student may have been added since the preview
    except UserError as e:
        return _import_page("form", str(e), status=400)
    added = roster_import.add(store(), rows)
    if added:
        log("edit", f"{len(added)} new students from a class list (CSV): " + ", ".join(s.label for s in added))
    return _import_page("done", rows=rows, added=added)
