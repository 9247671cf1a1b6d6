"""Documents for the IEP meeting, from a draft: an "About me" page in the student's
words, a Present Levels paragraph, every section of the draft (``draft.SECTIONS``)
and the transcript with times; and the student's meeting script. Markdown, JSON, PDF
(ReportLab) and DOCX (python-docx)."""

from __future__ import annotations

import io
import json
import re
from xml.sax.saxutils import escape

from assistant.draft import (
    LISTS,
    SECTIONS,
    Fill,
    IEPDraft,
    Item,
    Section,
    build_draft,
    replaced_later,
    role_line,
    to_markdown,
    under,
)
from assistant.review import chart
from assistant.roles import PARTS, asks
from assistant.store import Answer, Store, Student
from assistant.text import and_list, fill, md_escape, xml_safe

# ReportLab's cost grows with the square of a word too long for a line and of a
# paragraph too long for a page (a 40,000-character answer took 22 s, a 20 MiB one
# would take days). The PDF gets words of at most 30 characters (30 of the widest
# letter fit a line) in paragraphs of at most 1,500 characters (well within a page).
LONGEST_WORD = 30
LONGEST_PARAGRAPH = 1500

FORMATS = {"md": "text/markdown; charset=utf-8", "json": "application/json",
           "pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def current_draft(store: Store, student: Student) -> tuple[IEPDraft, dict | None]:
    """The latest saved version of a student's draft (a finished session saves the
    one built from all the sessions of the IEP), or, before any is saved, one built
    from the IEP's sessions so far."""
    saved = store.draft_versions.latest(student.id)
    if saved is not None:
        return IEPDraft(**saved["body"]), saved
    return build_draft(student, store.transcripts.iep_answers(student.id)), None


def export(store: Store, student: Student, fmt: str) -> bytes:
    """The student's current draft as a document in ``fmt`` (md, json, pdf, docx),
    with the transcript of every session of the IEP."""
    d, _ = current_draft(store, student)
    d.checkins = chart.checkins(store, student)  # the year's check-ins: exported, never stored in a version
    return render(fmt, d, store.transcripts.iep_answers(student.id), store.transcripts.iep_reviews(student.id))


def words(item: Item, mark: bool = True) -> str:
    """What to show for an item: the teacher's rewording if any, else the student's
    words; an item a teacher added is marked (``mark``), never passed off as the student's."""
    text = (item.edited or item.text).strip().rstrip(".")
    return f"{text} (added by {item.added_by})" if mark and item.added_by else text


def _join(items: list[Item], mark: bool = True) -> str:
    return and_list([words(i, mark) for i in items])


def _names(items) -> str:
    """Accommodations by their IEP name (the student's words when there is none)."""
    return ", ".join(i.accommodation or words(i) for i in items)


def _points(d: IEPDraft, templates: dict[str, str], mark: bool = True) -> list[str]:
    """One sentence per section of the draft the student spoke about, in the draft's
    order, from ``templates`` by section key ({name} is the student's first name, {x}
    the student's points; accommodations the IEP lists, by their names)."""
    return [line for _, line in _keyed_points(d, templates, mark)]


def _keyed_points(d: IEPDraft, templates: dict[str, str], mark: bool = True) -> list[tuple[str, str]]:
    """``_points`` with each sentence's section key."""
    name = d.student.name.split()[0]
    by_name = {s.key for s in under("accommodations") if s.fill is Fill.NONE}
    parts = [(s.key, _names(s.items(d)) if s.key in by_name else _join(s.items(d), mark)) for s in LISTS if s.key in templates]
    return [(key, fill(templates[key], name=name, x=x)) for key, x in parts if x]


def present_levels(d: IEPDraft) -> str:
    grade = "kindergarten" if d.student.grade == 0 else f"grade {d.student.grade}"
    return " ".join([f"{d.student.name} is a student in {grade} who shared the following in a student-led interview."]
                    + _points(d, {
                        "strengths": "{name} describes these strengths: {x}.",
                        "interests": "{name}'s interests include {x}.",
                        "challenges": "{name} reports that these are hard at school: {x}.",
                        "learning_preferences": "About how {name} learns best: {x}.",
                        "accommodations.helpful": "{name} finds these accommodations helpful: {x}.",
                        "accommodations.not_helpful": "{name} says these do not help: {x}.",
                        "accommodations.wanted": "{name} asked for support not yet in the IEP: {x}.",
                    }))


def meeting_script(d: IEPDraft) -> list[str]:
    """The lines of ``meeting_script_parts``."""
    return [line for _, _, line in meeting_script_parts(d)]


# The short name of each part of the meeting script (the rehearsal shows, says and stores it).
SCRIPT_TITLES = {"hello": "Hello", "strengths": "Strengths", "interests": "Interests", "challenges": "What is hard",
                 "learning_preferences": "How I learn", "accommodations.helpful": "What helps me",
                 "accommodations.not_helpful": "What does not help", "accommodations.wanted": "What I ask for",
                 "team": "What my team will talk about", "thanks": "Closing"}


def meeting_script_parts(d: IEPDraft) -> list[tuple[str, str, str]]:
    """Short sentences the student can read or hear to lead the meeting, as (key,
    title, line): the parts of their role in their words; the parts outside it are
    named as the team's to talk about, never said as the student's. A student who
    leads the meeting (role 5) opens by saying so. Parts with nothing to say are left
    out, so a part's place in the script changes with the draft: its key ("hello",
    a section key, "goal-1" by the goal's number, "message-1", "team", "thanks")
    does not, and is what rehearsals are counted by."""
    first = d.student.name.split()[0]
    role = d.role

    def mine(key: str) -> bool:  # a draft from before roles: every part
        return role is None or asks(role, key)

    lines = [("hello", f"Hello, my name is {first}. "
              + ("I am leading my IEP meeting today. Thank you for coming." if (d.role or 0) >= 5
                 else "Thank you for coming to my IEP meeting."))]
    templates = {
        "strengths": "My strengths: {x}.",
        "interests": "I am interested in: {x}.",
        "challenges": "Some things are hard for me: {x}.",
        "learning_preferences": "I learn best like this: {x}.",
        "accommodations.helpful": "These supports help me: {x}.",
        "accommodations.not_helpful": "These supports do not help me: {x}.",
        "accommodations.wanted": "I would like to ask for: {x}.",
    }
    lines += _keyed_points(d, {k: v for k, v in templates.items() if mine(k)}, mark=False)
    if mine("goals"):
        lines += [(f"goal-{n}", f"One of my goals: {words(g.statement, mark=False)}.")
                  for n, g in enumerate(d.goals, 1) if g.statement]
    lines += [(f"message-{n}", f"{words(m, mark=False)}.") for n, m in enumerate(d.message_to_team, 1)]
    # what the draft has of parts outside the role (a teacher's items, or what the
    # student said before a teacher changed the role) is the team's to present
    theirs = [p.title[0].lower() + p.title[1:] for p in PARTS
              if d.role is not None and p.number > d.role and any(_has(d, f) for f in p.fields)]
    if theirs:
        lines.append(("team", "My team will talk about " + "; ".join(theirs) + "."))
    lines.append(("thanks", "Thank you for listening. Do you have questions for me?"))
    return [(key, _script_title(key), line) for key, line in lines]


def _script_title(key: str) -> str:
    kind, _, n = key.partition("-")
    if kind == "goal":
        return f"Goal {n}"
    if kind == "message":
        return "My message to the team" + (f" ({n})" if n != "1" else "")
    return SCRIPT_TITLES[key]


def _has(d: IEPDraft, key: str) -> bool:
    """Whether the draft has anything in the section ``key`` (or those under it)."""
    s = next(s for s in SECTIONS if s.key == key)
    if key == "goals":
        return bool(d.goals)
    return bool(s.items(d)) if s.is_list or s.fill is Fill.PAST_GOAL else any(sub.items(d) for sub in under(key))


def _section(d: IEPDraft, s: Section) -> list[str]:
    """The paragraphs of one section of ``SECTIONS`` (and those listed under it), as
    the Markdown draft has them; an empty list leaves the section out."""
    if s.is_list:
        return [f"• {words(i)}" for i in s.items(d)] or ["• (none)"]
    if s.fill is Fill.BY_VERDICT:
        lines = [f"{sub.mine}: {i.accommodation or i.label or ''} — \u201c{words(i)}\u201d"
                 for sub in under(s.key) for i in sub.items(d)]
        return lines or ["(none)"]
    if s.fill is Fill.PAST_GOAL:
        return [f"• {g.goal}: \u201c{words(g)}\u201d" for g in d.past_goals]
    if s.fill is Fill.DONT_KNOW:
        return [f"• {q.question}" + (f" \u2014 \u201c{q.said}\u201d" if q.said else "") for q in d.open_questions] or ["• (none)"]
    parts = under(s.key)
    if parts and parts[0].fill is Fill.GOAL_PART:
        lines = []
        for n, g in enumerate(d.goals, 1):
            lines.append(f"Goal {n}" + (f" ({g.area})" if g.area else "")
                         + f": {words(g.statement) if g.statement else '(no statement)'}")
            for part in parts[1:]:  # the statement is the line itself
                value = getattr(g, part.path[-1])
                lines.append(f"    {part.mine}: {words(value) if value else '(not said)'}")
        return lines or ["(none)"]
    if any(sub.items(d) for sub in parts):
        return [f"{sub.mine}: {_join(sub.items(d)) or '(not said)'}" for sub in parts]
    return []


def _sections(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> list[tuple[str, list[str]]]:
    """The document as (heading, paragraphs); both renderers use this. A one-page
    "About me", the Present Levels paragraph, then every section of the draft as
    ``SECTIONS`` declares them, then the transcript."""
    acc = d.accommodations
    about = []
    for title, items in (("I am good at", d.strengths), ("I like", d.interests), ("Hard for me", d.challenges),
                         ("I learn best", d.learning_preferences)):
        about.append(f"{title}: " + (_join(items) or "(not said)"))
    about.append("What helps me: " + (_names(acc.helpful) or "(not said)"))
    about.append("What does not help me: " + (_names(acc.not_helpful) or "(not said)"))
    about.append("My goals: " + ("; ".join(words(g.statement) for g in d.goals if g.statement) or "(not said)"))
    transcript = []
    replaced = replaced_later(answers)
    for a in answers:
        if a.kind not in ("answer", "dont_know", "unclear"):
            continue
        review = reviews.get(a.id, {})
        when = a.created.replace("T", " ")
        line = f"[{when}] {a.prompt} — \u201c{a.text}\u201d"
        if review.get("correction"):
            line += f" (teacher's correction: \u201c{review['correction']}\u201d)"
        if not a.confirmed:
            line += " (not confirmed by the student)"
        if a.superseded or a.id in replaced:
            line += " (replaced later)"
        transcript.append(line)
    body = [(s.mine, paragraphs) for s in SECTIONS if s.under is None and (paragraphs := _section(d, s))]
    role = role_line(d)
    if role is not None:
        about.insert(0, role)
    return [(f"About me: {d.student.name}", about), ("Present levels (student input)", [present_levels(d)]), *body,
            ("Transcript", transcript or ["(no answers)"])]


def pdf_text(text: str) -> str:
    """Text for a ReportLab paragraph: characters XML cannot hold replaced, markup
    escaped, and words longer than a line broken into pieces (see LONGEST_WORD)."""
    return escape(re.sub(rf"\S{{{LONGEST_WORD + 1},}}", lambda m: _cut(m.group(0)), xml_safe(text)))


def _cut(word: str) -> str:
    """``word`` in pieces of LONGEST_WORD characters. (The word is taken from its match
    once: ``m.group(0)`` makes a new copy at each call, and a call per piece would
    copy a 200,000-character word 6,667 times.)"""
    return " ".join(word[i:i + LONGEST_WORD] for i in range(0, len(word), LONGEST_WORD))


def pdf_paragraphs(text: str) -> list[str]:
    """``pdf_text`` in pieces of at most LONGEST_PARAGRAPH characters, cut between words."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for word in pdf_text(text).split(" "):
        if current and size + len(word) + 1 > LONGEST_PARAGRAPH:
            out.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += len(word) + 1
    out.append(" ".join(current))
    return out


def to_pdf(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, title=xml_safe(f"IEP input: {d.student.name}"), author="iep-assistant")
    story = []
    for n, (heading, paragraphs) in enumerate(_sections(d, answers, reviews)):
        if n == 1:
            story.append(PageBreak())  # "About me" is a page of its own
        story.append(Paragraph(pdf_text(heading), styles["Heading1"] if n == 0 else styles["Heading2"]))
        for p in paragraphs:
            indent = "&nbsp;&nbsp;&nbsp;&nbsp;" if p.startswith("    ") else ""
            for n, piece in enumerate(pdf_paragraphs(p.strip() if indent else p)):
                story.append(Paragraph((indent if n == 0 else "") + piece, styles["BodyText"]))
        story.append(Spacer(1, 8))
    story += chart.pdf_story(d.checkins)  # per goal: the chart (an image) and its table
    doc.build(story)
    return buf.getvalue()


def to_docx(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = xml_safe(f"IEP input: {d.student.name}")
    for n, (heading, paragraphs) in enumerate(_sections(d, answers, reviews)):
        if n == 1:
            doc.add_page_break()
        doc.add_heading(xml_safe(heading), level=1 if n == 0 else 2)
        for p in paragraphs:
            doc.add_paragraph(xml_safe(p))
    chart.docx_section(doc, d.checkins)  # per goal: the chart (a picture) and its table
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _xml_safe_all(value):
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {k: _xml_safe_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_xml_safe_all(v) for v in value]
    return value


def render(fmt: str, d: IEPDraft, answers: list[Answer], reviews: dict[int, dict]) -> bytes:
    if fmt == "json":
        # JSON can carry any character escaped, but the systems it goes to are often
        # XML inside: the same characters are replaced as in every other export
        return (json.dumps(_xml_safe_all(d.model_dump(mode="json")), indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "md":
        transcript = dict(_sections(d, answers, reviews))["Transcript"]
        return (to_markdown(d) + chart.markdown(d.checkins)
                + "\n## Transcript\n" + "\n".join(f"- {md_escape(t)}" for t in transcript) + "\n").encode()
    if fmt == "pdf":
        return to_pdf(d, answers, reviews)
    if fmt == "docx":
        return to_docx(d, answers, reviews)
    raise ValueError(fmt)
