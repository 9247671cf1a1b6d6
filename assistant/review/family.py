"""The family summary: one page, in plain words, that a parent reads in two
minutes: what the student said (strengths, interests, what is hard, what
helps), the student's part in the meeting (their role), their goals and their
check-ins through the year. The student's words are quoted as they said them
(``Item.text``, never a teacher's rewording; items a teacher added are left out:
they are not the student's words).

One page is a promise, so it is measured, not hoped for: the PDF is laid out
with the most it can hold and, while it runs over a page, again with fewer
items, shorter quotes and a smaller type (``FITS``); the DOCX uses what the PDF
needed. A quote cut short ends in "…" inside its quotation marks.

The page is in the student's language (``dialogues/<language>/messages/family.yaml``:
plain words, and in Spanish "usted" to the family); ``language="en"`` gives a teacher
an English copy of it, with the student's words as they said them.

PDF (ReportLab) and DOCX (python-docx), from ``export --format family-pdf|family-docx``
and the review app's ``/students/<id>/family.pdf`` and ``.docx``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, Response, abort

from assistant.draft import PART_MINE, ROLE_MINE, IEPDraft, Item, checkins_of, grade_name
from assistant.messages import Messages
from assistant.review.exports import COPIES, current_draft, document_language, pdf_text
from assistant.roles import PARTS, parts_of
from assistant.store import Store, Student
from assistant.text import and_list, content_disposition, xml_safe

MIMETYPES = {"pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
# the months by number, for the key written out whole (assistant.messages)
MONTHS = ("family.month_1", "family.month_2", "family.month_3", "family.month_4", "family.month_5", "family.month_6",
          "family.month_7", "family.month_8", "family.month_9", "family.month_10", "family.month_11", "family.month_12")


# the parts the student spoke to, as a sentence about the student names them (keys written out whole)
OWN = {"strengths_needs": "family.part_strengths_needs", "learning": "family.part_learning", "goals": "family.part_goals",
       "after_school": "family.part_after_school", "meeting": "family.part_meeting"}


@dataclass(frozen=True)
class Fit:
    items: int  # the most items of a list quoted
    chars: int  # the longest quote, in characters
    size: float  # type size, points (body)


# Tried in order until the PDF is one page. The first is what nearly every student's
# summary uses (six items of 240 characters, 11 pt); the last always fits: one short
# quote per list in 9 pt.
FITS = (Fit(6, 240, 11), Fit(4, 160, 10.5), Fit(3, 110, 10), Fit(2, 70, 9.5), Fit(1, 40, 9))


def _quote(text: str, chars: int) -> str:
    text = " ".join(text.split()).rstrip(".")
    if len(text) > chars:
        text = text[:chars].rsplit(" ", 1)[0] + " …"
    return f"\u201c{text}\u201d"


def _quotes(items: Sequence[Item], fit: Fit, say: Messages) -> str:
    """The student's own items, quoted: "“a”, “b” and “c”" (and "and 2 more")."""
    own = [i for i in items if not i.added_by and i.text.strip()]
    quoted = [_quote(i.text, fit.chars) for i in own[:fit.items]]
    if len(own) > fit.items:
        quoted.append(say("family.more", n=len(own) - fit.items))
    return and_list(quoted, say.language)


def _date(at: str, say: Messages) -> str:
    year, month, day = at[:10].split("-")
    return say("family.date", month=say(MONTHS[int(month) - 1]), day=int(day), year=year)


def summary(d: IEPDraft, student: Student, checkins: list[dict], fit: Fit,
            language: str = "en") -> tuple[str, list[tuple[str, list[str]]]]:
    """The page: its title and (heading, short paragraphs), in ``language``."""
    say = Messages(language)
    first = student.name.split()[0]
    grade = grade_name(student.grade, language)
    said: list[str] = []
    acc = d.accommodations
    lists: list[tuple[str, Sequence[Item], bool]] = [  # (label, items, by the IEP's name)
        (say("family.good_at", first=first), d.strengths, False), (say("family.likes", first=first), d.interests, False),
        (say("family.hard"), d.challenges, False), (say("family.learns", first=first), d.learning_preferences, False),
        (say("family.helps"), acc.helpful, True), (say("family.not_help"), acc.not_helpful, True),
        (say("family.ask_for", first=first), acc.wanted, False)]
    for label, items, by_name in lists:
        if by_name:  # an accommodation by its IEP name, then the student's words about it
            named = [f"{getattr(i, 'accommodation', None) or i.label or say('family.a_support')} ({_quote(i.text, fit.chars)})"
                     for i in items if not i.added_by][:fit.items]
            quoted = and_list(named, language) if named else ""
        else:
            quoted = _quotes(items, fit, say)
        if quoted:
            said.append(f"{label}: {quoted}.")
    if not said:
        said.append(say("family.not_yet", first=first))

    role = student.role
    parts = parts_of(role)
    # the parts by the names the student knows them by
    about = [f"\u201c{say(PART_MINE[p.key])}\u201d" for p in parts if p.key != "meeting"]
    role_name = say(ROLE_MINE[role])
    lines = [say("family.role", first=first, role=role, parts=and_list(about, language)) if role_name.startswith("+")
             else say("family.role_named", first=first, role=role, name=role_name, parts=and_list(about, language))]
    if any(p.key == "meeting" for p in parts):
        lines.append(say("family.leads", first=first))
    own = [say(OWN[p.key]) for p in PARTS if p.key in d.own_words]
    if own:
        lines.append(say("family.own_words", first=first, parts=and_list(own, language)))

    goals = []
    for n, g in enumerate((g for g in d.goals if g.statement and not g.statement.added_by), 1):
        if n > fit.items:
            break
        assert g.statement is not None
        goal = _quote(g.statement.text, fit.chars)
        if g.timeframe and not g.timeframe.added_by:
            goals.append(say("family.goal_by", n=n, goal=goal, when=_quote(g.timeframe.text, fit.chars)))
        else:
            goals.append(say("family.goal", n=n, goal=goal))
    if not goals:
        goals.append(say("family.no_goals"))

    latest: dict[str, tuple[str, int, str | None, int]] = {}  # goal -> (date, rating, helped, count)
    for c in checkins_of(checkins):
        for cg in c.goals:
            count = latest.get(cg.goal, ("", 0, None, 0))[3] + 1
            if cg.rating is not None:
                latest[cg.goal] = (c.date, cg.rating, cg.helped, count)
            elif cg.goal in latest:
                latest[cg.goal] = (*latest[cg.goal][:3], count)
    progress = []
    for goal, (date, rating, helped, count) in list(latest.items())[:fit.items]:
        fields = {"goal": _quote(goal, fit.chars), "rating": rating, "date": _date(date, say)}
        line = say("family.progress_many", count=count, **fields) if count > 1 else say("family.progress", **fields)
        if helped:
            line += " " + say("family.progress_helped", helped=_quote(helped, fit.chars))
        progress.append(line)
    if not progress:
        progress.append(say("family.no_checkins", first=first))

    intro = say("family.intro", name=student.name, grade=grade, first=first)
    return (say("family.title", first=first),
            [("", [intro]), (say("family.said_title", first=first), said), (say("family.part_title", first=first), lines),
             (say("family.goals_title", first=first), goals), (say("family.progress_title"), progress),
             ("", [say("family.questions", first=first)])])


def to_pdf(title: str, sections: list[tuple[str, list[str]]], fit: Fit, language: str = "en") -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    body = ParagraphStyle("family", parent=styles["BodyText"], fontSize=fit.size, leading=fit.size * 1.35,
                          spaceAfter=3)
    heading = ParagraphStyle("family-h", parent=styles["Heading2"], fontSize=fit.size + 2.5,
                             leading=(fit.size + 2.5) * 1.25, spaceBefore=6, spaceAfter=3)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, title=xml_safe(title), author="iep-assistant",
                            leftMargin=0.8 * inch, rightMargin=0.8 * inch, topMargin=0.7 * inch, bottomMargin=0.7 * inch,
                            lang=language)
    story = [Paragraph(pdf_text(title), ParagraphStyle("family-t", parent=styles["Title"], fontSize=fit.size + 7,
                                                       leading=(fit.size + 7) * 1.2))]
    for head, paragraphs in sections:
        if head:
            story.append(Paragraph(pdf_text(head), heading))
        for p in paragraphs:
            story.append(Paragraph(pdf_text(p), body))
        story.append(Spacer(1, 2))
    doc.build(story)
    return buf.getvalue(), doc.page


def to_docx(title: str, sections: list[tuple[str, list[str]]], fit: Fit, language: str = "en") -> bytes:
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    doc.core_properties.title = xml_safe(title)
    doc.core_properties.language = language
    for s in doc.sections:
        s.left_margin = s.right_margin = Inches(0.8)
        s.top_margin = s.bottom_margin = Inches(0.7)
    doc.styles["Normal"].font.size = Pt(fit.size)
    doc.add_heading(xml_safe(title), level=1)
    for head, paragraphs in sections:
        if head:
            doc.add_heading(xml_safe(head), level=2)
        for p in paragraphs:
            doc.add_paragraph(xml_safe(p))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def family_summary(store: Store, student: Student, fmt: str, copy: str = "student") -> bytes:
    """The one-page family summary of ``student`` as "pdf" or "docx": in the student's
    language (``copy="student"``, what the family gets), or a teacher's copy in English."""
    if fmt not in MIMETYPES:
        raise ValueError(fmt)
    d, _ = current_draft(store, student)
    language = document_language(d, copy)
    checkins = store.checkins.of_student(student.id)
    for fit in FITS:
        title, sections = summary(d, student, checkins, fit, language)
        pdf, pages = to_pdf(title, sections, fit, language)
        if pages == 1:
            break
    return pdf if fmt == "pdf" else to_docx(title, sections, fit, language)


# ---------------------------------------------------------------- the review app

bp = Blueprint("family", __name__)


@bp.get("/students/<id:sid>/family.<fmt>")
def download(sid: int, fmt: str):
    from flask import request

    from assistant.review.web import log, store, student_or_404

    if fmt not in MIMETYPES:
        abort(404, "The family summary comes as family.pdf or family.docx.")
    copy = request.args.get("copy", "student")
    if copy not in COPIES:
        abort(404, "The copy is the student's (copy=student) or the teacher's (copy=teacher).")
    s = student_or_404(sid)
    what = f"family summary {fmt}" + (" (teacher's copy)" if copy == "teacher" else "")
    try:
        body = family_summary(store(), s, fmt, copy)
    except Exception as e:
        log("export failed", f"{what} of {s.label}: {type(e).__name__}")
        raise
    log("export", f"{what} of {s.label}")
    return Response(body, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": content_disposition(f"family-summary-{s.name}.{fmt}")})
