"""Documents for the IEP meeting, from a draft: an "About me" page in the student's
words, a Present Levels paragraph, goals, accommodations, open questions and the
transcript with times; and the student's meeting script. Markdown, JSON, PDF
(ReportLab) and DOCX (python-docx)."""

from __future__ import annotations

import io
import json
from xml.sax.saxutils import escape

from assistant.draft import IEPDraft, Item, build_draft, to_markdown
from assistant.store import Answer, Store, Student

FORMATS = {"md": "text/markdown; charset=utf-8", "json": "application/json",
           "pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def current_draft(store: Store, student: Student) -> tuple[IEPDraft, dict | None]:
    """The latest saved version of a student's draft, or one built from the latest session."""
    saved = store.latest_draft(student.id)
    if saved is not None:
        return IEPDraft(**saved["body"]), saved
    session = store.latest_session(student.id)
    return build_draft(student, store.answers(session.id) if session else []), None


def export(store: Store, student: Student, fmt: str) -> bytes:
    """The student's current draft as a document in ``fmt`` (md, json, pdf, docx)."""
    d, _ = current_draft(store, student)
    session = store.latest_session(student.id)
    answers = store.answers(session.id) if session else []
    return render(fmt, d, answers, store.reviews(session.id) if session else {})


def words(item: Item) -> str:
    """What to show for an item: the teacher's rewording if any, else the student's words."""
    return (item.edited or item.text).strip().rstrip(".")


def _join(items: list[Item]) -> str:
    texts = [words(i) for i in items]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " and " + texts[-1]


def present_levels(d: IEPDraft) -> str:
    name = d.student.name.split()[0]
    grade = "kindergarten" if d.student.grade == 0 else f"grade {d.student.grade}"
    parts = [f"{d.student.name} is a student in {grade} who shared the following in a student-led interview."]
    if d.strengths:
        parts.append(f"{name} describes these strengths: {_join(d.strengths)}.")
    if d.interests:
        parts.append(f"{name}'s interests include {_join(d.interests)}.")
    if d.challenges:
        parts.append(f"{name} reports that these are hard at school: {_join(d.challenges)}.")
    if d.learning_preferences:
        parts.append(f"About how {name} learns best: {_join(d.learning_preferences)}.")
    acc = d.accommodations
    if acc.helpful:
        parts.append(f"{name} finds these accommodations helpful: {', '.join(i.accommodation or words(i) for i in acc.helpful)}.")
    if acc.not_helpful:
        parts.append(f"{name} says these do not help: {', '.join(i.accommodation or words(i) for i in acc.not_helpful)}.")
    if acc.wanted:
        parts.append(f"{name} asked for support not yet in the IEP: {_join(acc.wanted)}.")
    return " ".join(parts)


def meeting_script(d: IEPDraft) -> list[str]:
    """Short sentences the student can read or hear to lead the meeting."""
    first = d.student.name.split()[0]
    lines = [f"Hello, my name is {first}. Thank you for coming to my IEP meeting."]
    if d.strengths:
        lines.append(f"My strengths: {_join(d.strengths)}.")
    if d.interests:
        lines.append(f"I am interested in: {_join(d.interests)}.")
    if d.challenges:
        lines.append(f"Some things are hard for me: {_join(d.challenges)}.")
    if d.learning_preferences:
        lines.append(f"I learn best like this: {_join(d.learning_preferences)}.")
    acc = d.accommodations
    if acc.helpful:
        lines.append(f"These supports help me: {', '.join(i.accommodation or words(i) for i in acc.helpful)}.")
    if acc.not_helpful:
        lines.append(f"These supports do not help me: {', '.join(i.accommodation or words(i) for i in acc.not_helpful)}.")
    if acc.wanted:
        lines.append(f"I would like to ask for: {_join(acc.wanted)}.")
    for g in d.goals:
        if g.statement:
            lines.append(f"One of my goals: {words(g.statement)}.")
    for m in d.message_to_team:
        lines.append(f"{words(m)}.")
    lines.append("Thank you for listening. Do you have questions for me?")
    return lines


def _sections(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> list[tuple[str, list[str]]]:
    """The document as (heading, paragraphs); both renderers use this."""
    acc = d.accommodations

    def bullets(items: list[Item]) -> list[str]:
        return [f"• {words(i)}" for i in items] or ["• (none)"]

    about = []
    for title, items in (("I am good at", d.strengths), ("I like", d.interests), ("Hard for me", d.challenges),
                         ("I learn best", d.learning_preferences)):
        about.append(f"{title}: " + (_join(items) or "(not said)"))
    about.append("What helps me: " + (", ".join(i.accommodation or words(i) for i in acc.helpful) or "(not said)"))
    about.append("What does not help me: " + (", ".join(i.accommodation or words(i) for i in acc.not_helpful) or "(not said)"))
    about.append("My goals: " + ("; ".join(words(g.statement) for g in d.goals if g.statement) or "(not said)"))
    goals = []
    for n, g in enumerate(d.goals, 1):
        goals.append(f"Goal {n}" + (f" ({g.area})" if g.area else "") + f": {words(g.statement) if g.statement else '(no statement)'}")
        for name, part in (("How we will know", g.measure), ("By when", g.timeframe), ("Support", g.support)):
            goals.append(f"    {name}: {words(part) if part else '(not said)'}")
    accommodations = []
    for title, items in (("Helpful", acc.helpful), ("Not helpful (discuss)", acc.not_helpful), ("Not sure", acc.not_sure),
                         ("Wanted, not in the IEP yet (discuss)", acc.wanted)):
        for i in items:
            accommodations.append(f"{title}: {i.accommodation or i.label or ''} — \u201c{words(i)}\u201d")
    if not accommodations:
        accommodations = ["(none)"]
    questions = [f"• {q.question}" for q in d.open_questions] or ["• (none)"]
    transcript = []
    for a in answers:
        if a.kind != "answer" and a.kind != "dont_know":
            continue
        review = reviews.get(a.id, {})
        when = a.created.replace("T", " ")
        line = f"[{when}] {a.prompt} — \u201c{a.text}\u201d"
        if review.get("correction"):
            line += f" (teacher's correction: \u201c{review['correction']}\u201d)"
        if not a.confirmed:
            line += " (not confirmed by the student)"
        if a.superseded:
            line += " (replaced later)"
        transcript.append(line)
    return [
        (f"About me: {d.student.name}", about),
        ("Present levels (student input)", [present_levels(d)]),
        ("My strengths", bullets(d.strengths)), ("My interests", bullets(d.interests)),
        ("Goals", goals or ["(none)"]),
        ("Accommodations", accommodations),
        ("Open questions", questions),
        ("Transcript", transcript or ["(no answers)"]),
    ]


def to_pdf(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, title=f"IEP input: {d.student.name}", author="iep-assistant")
    story = []
    for n, (heading, paragraphs) in enumerate(_sections(d, answers, reviews)):
        if n == 1:
            story.append(PageBreak())  # "About me" is a page of its own
        story.append(Paragraph(escape(heading), styles["Heading1"] if n == 0 else styles["Heading2"]))
        for p in paragraphs:
            story.append(Paragraph(escape(p).replace("    ", "&nbsp;&nbsp;&nbsp;&nbsp;"), styles["BodyText"]))
        story.append(Spacer(1, 8))
    doc.build(story)
    return buf.getvalue()


def to_docx(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = f"IEP input: {d.student.name}"
    for n, (heading, paragraphs) in enumerate(_sections(d, answers, reviews)):
        if n == 1:
            doc.add_page_break()
        doc.add_heading(heading, level=1 if n == 0 else 2)
        for p in paragraphs:
            doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render(fmt: str, d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> bytes:
    if fmt == "json":
        return (json.dumps(d.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "md":
        transcript = dict(_sections(d, answers, reviews))["Transcript"]
        return (to_markdown(d) + "\n## Transcript\n" + "\n".join(f"- {t}" for t in transcript) + "\n").encode()
    if fmt == "pdf":
        return to_pdf(d, answers, reviews)
    if fmt == "docx":
        return to_docx(d, answers, reviews)
    raise ValueError(fmt)
