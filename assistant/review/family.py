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

PDF (ReportLab) and DOCX (python-docx), from ``export --format family-pdf|family-docx``
and the review app's ``/students/<id>/family.pdf`` and ``.docx``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, Response, abort

from assistant.draft import IEPDraft, Item, checkins_of
from assistant.review.exports import current_draft, pdf_text
from assistant.roles import PARTS, ROLE_NAMES, parts_of
from assistant.store import Store, Student
from assistant.text import and_list, content_disposition, xml_safe

MIMETYPES = {"pdf": "application/pdf",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


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


def _quotes(items: Sequence[Item], fit: Fit) -> str:
    """The student's own items, quoted: "“a”, “b” and “c”" (and "and 2 more")."""
    own = [i for i in items if not i.added_by and i.text.strip()]
    quoted = [_quote(i.text, fit.chars) for i in own[:fit.items]]
    if len(own) > fit.items:
        quoted.append(f"{len(own) - fit.items} more")
    return and_list(quoted)


def _date(at: str) -> str:
    year, month, day = at[:10].split("-")
    return f"{MONTHS[int(month) - 1]} {int(day)}, {year}"


def _lower(text: str) -> str:
    """The first letter small ("My goals" inside a sentence), "I" kept."""
    return text if text.startswith("I ") else text[:1].lower() + text[1:]




def summary(d: IEPDraft, student: Student, checkins: list[dict], fit: Fit) -> tuple[str, list[tuple[str, list[str]]]]:
    """The page: its title and (heading, short paragraphs)."""
    first = student.name.split()[0]
    grade = "kindergarten" if student.grade == 0 else f"grade {student.grade}"
    said: list[str] = []
    acc = d.accommodations
    lists: list[tuple[str, Sequence[Item], bool]] = [  # (label, items, by the IEP's name)
        (f"{first} is good at", d.strengths, False), (f"{first} likes", d.interests, False),
        ("Hard at school", d.challenges, False), (f"{first} learns best with", d.learning_preferences, False),
        ("Supports that help", acc.helpful, True), ("Supports that do not help", acc.not_helpful, True),
        (f"{first} would like to ask for", acc.wanted, False)]
    for label, items, by_name in lists:
        if by_name:  # an accommodation by its IEP name, then the student's words about it
            named = [f"{getattr(i, 'accommodation', None) or i.label or 'a support'} ({_quote(i.text, fit.chars)})"
                     for i in items if not i.added_by][:fit.items]
            quoted = and_list(named) if named else ""
        else:
            quoted = _quotes(items, fit)
        if quoted:
            said.append(f"{label}: {quoted}.")
    if not said:
        said.append(f"{first} has not talked about this yet.")

    role = student.role
    parts = parts_of(role)
    # the parts by the names the student knows them by
    about = [f"\u201c{p.mine}\u201d" for p in parts if p.key != "meeting"]
    name = "" if ROLE_NAMES[role].startswith("+") else f": \u201c{ROLE_NAMES[role]}\u201d"
    lines = [f"{first}'s role is {role} of 5{name}. {first} speaks for these parts: {and_list(about)}."]
    if any(p.key == "meeting" for p in parts):
        lines.append(f"{first} leads the meeting.")
    own = [_lower(p.mine) for p in PARTS if p.key in d.own_words]
    if own:
        lines.append(f"In {first}'s own words: {and_list(own)}.")

    goals = []
    for n, g in enumerate((g for g in d.goals if g.statement and not g.statement.added_by), 1):
        if n > fit.items:
            break
        assert g.statement is not None
        when = f" By: {_quote(g.timeframe.text, fit.chars)}." if g.timeframe and not g.timeframe.added_by else ""
        goals.append(f"Goal {n}: {_quote(g.statement.text, fit.chars)}.{when}")
    if not goals:
        goals.append("No goals yet: they come from the next session.")

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
        line = f"{_quote(goal, fit.chars)}: {rating} out of 5 on {_date(date)}"
        line += f" ({count} check-ins)." if count > 1 else "."
        if helped:
            line += f" What helped: {_quote(helped, fit.chars)}."
        progress.append(line)
    if not progress:
        progress.append("No check-ins yet. During the year, " + first + " tells how each goal is going, from 1 to 5.")

    intro = (f"{student.name} ({grade}) is getting ready for the IEP meeting. This page tells you what {first} said, "
             f"in {first}'s own words (in quotation marks). 5 out of 5 means it is going very well.")
    return (f"{first}'s IEP: a summary for the family",
            [("", [intro]), (f"What {first} said", said), (f"{first}'s part in the meeting", lines),
             (f"{first}'s goals", goals), ("How the goals are going", progress),
             ("", [f"Questions? Please talk with {first}'s teacher. We are glad to hear from you."])])


def to_pdf(title: str, sections: list[tuple[str, list[str]]], fit: Fit) -> tuple[bytes, int]:
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
                            leftMargin=0.8 * inch, rightMargin=0.8 * inch, topMargin=0.7 * inch, bottomMargin=0.7 * inch)
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


def to_docx(title: str, sections: list[tuple[str, list[str]]], fit: Fit) -> bytes:
    from docx import Document
    from docx.shared import Inches, Pt

    doc = Document()
    doc.core_properties.title = xml_safe(title)
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


def family_summary(store: Store, student: Student, fmt: str) -> bytes:
    """The one-page family summary of ``student`` as "pdf" or "docx"."""
    if fmt not in MIMETYPES:
        raise ValueError(fmt)
    d, _ = current_draft(store, student)
    checkins = store.checkins.of_student(student.id)
    for fit in FITS:
        title, sections = summary(d, student, checkins, fit)
        pdf, pages = to_pdf(title, sections, fit)
        if pages == 1:
            break
    return pdf if fmt == "pdf" else to_docx(title, sections, fit)


# ---------------------------------------------------------------- the review app

bp = Blueprint("family", __name__)


@bp.get("/students/<id:sid>/family.<fmt>")
def download(sid: int, fmt: str):
    from assistant.review.web import log, store, student_or_404

    if fmt not in MIMETYPES:
        abort(404, "The family summary comes as family.pdf or family.docx.")
    s = student_or_404(sid)
    try:
        body = family_summary(store(), s, fmt)
    except Exception as e:
        log("export failed", f"family summary {fmt} of {s.label}: {type(e).__name__}")
        raise
    log("export", f"family summary {fmt} of {s.label}")
    return Response(body, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": content_disposition(f"family-summary-{s.name}.{fmt}")})
