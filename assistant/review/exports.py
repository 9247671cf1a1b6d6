"""Documents for the IEP meeting, from a draft: an "About me" page in the student's
words, a Present Levels paragraph, every section of the draft (``draft.SECTIONS``)
and the transcript with times; and the student's meeting script. Markdown, JSON, PDF
(ReportLab) and DOCX (python-docx).

Two copies: the student's, in the draft's language (what the student or family reads
comes from ``dialogues/<language>/messages/documents.yaml``), and the teacher's, in
English with the student's words as they said them (``COPIES``). For a student who
speaks English they are the same document. The Present Levels paragraph is written
for the IEP team and stays English in both, quoting the student's words. JSON is data:
its keys are English, and ``language`` says what the words are in."""

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
    part_name,
    replaced_later,
    role_line,
    to_markdown,
    under,
    words_in,
)
from assistant.messages import Messages, message
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
# "student": in the draft's language; "teacher": in English, with the student's words
COPIES = ("student", "teacher")


def current_draft(store: Store, student: Student) -> tuple[IEPDraft, dict | None]:
    """The latest saved version of a student's draft (a finished session saves the
    one built from all the sessions of the IEP), or, before any is saved, one built
    from the IEP's sessions so far."""
    saved = store.draft_versions.latest(student.id)
    if saved is not None:
        d = IEPDraft(**saved["body"])
        if "language" not in saved["body"]:
            d.language = student.language  # saved before drafts said their language: the student's words are in theirs
        return d, saved
    return build_draft(student, store.transcripts.iep_answers(student.id)), None


def document_language(d: IEPDraft, copy: str = "student") -> str:
    """The language of a copy of ``d``: the student's copy in the draft's, the teacher's in English."""
    if copy not in COPIES:
        raise ValueError(copy)
    return d.language if copy == "student" else "en"


def export(store: Store, student: Student, fmt: str, copy: str = "student") -> bytes:
    """The student's current draft as a document in ``fmt`` (md, json, pdf, docx),
    with the transcript of every session of the IEP; ``copy``: the student's (in the
    draft's language) or the teacher's (English around the student's words)."""
    d, _ = current_draft(store, student)
    d.checkins = chart.checkins(store, student)  # the year's check-ins: exported, never stored in a version
    return render(fmt, d, store.transcripts.iep_answers(student.id), store.transcripts.iep_reviews(student.id),
                  document_language(d, copy))


def words(item: Item, mark: bool = True, language: str = "en") -> str:
    """What to show for an item: the teacher's rewording if any, else the student's
    words; an item a teacher added is marked (``mark``), never passed off as the student's."""
    text = (item.edited or item.text).strip().rstrip(".")
    return f"{text} {message(language, 'documents.added_by', name=item.added_by)}" if mark and item.added_by else text


def _join(items: list[Item], mark: bool = True, language: str = "en") -> str:
    return and_list([words(i, mark, language) for i in items], language)


def _names(items) -> str:
    """Accommodations by their IEP name (the student's words when there is none)."""
    return ", ".join(i.accommodation or words(i) for i in items)


def _points(d: IEPDraft, templates: dict[str, str], mark: bool = True, language: str = "en",
            quote: bool = False) -> list[str]:
    """One sentence per section of the draft the student spoke about, in the draft's
    order, from ``templates`` by section key ({name} is the student's first name, {x}
    the student's points; accommodations the IEP lists, by their names)."""
    return [line for _, line in _keyed_points(d, templates, mark, language, quote)]


def _keyed_points(d: IEPDraft, templates: dict[str, str], mark: bool = True, language: str = "en",
                  quote: bool = False) -> list[tuple[str, str]]:
    """``_points`` with each sentence's section key; ``quote``: each point in quotation
    marks (the student's words in another language than the sentence's)."""
    name = d.student.name.split()[0]
    by_name = {s.key for s in under("accommodations") if s.fill is Fill.NONE}

    def points(s: Section) -> str:
        if s.key in by_name:
            return _names(s.items(d))
        if quote:
            return and_list([f"\u201c{words(i, False)}\u201d" + (f" (added by {i.added_by})" if mark and i.added_by else "")
                             for i in s.items(d)], language)
        return _join(s.items(d), mark, language)

    parts = [(s.key, points(s)) for s in LISTS if s.key in templates]
    return [(key, fill(templates[key], name=name, x=x)) for key, x in parts if x]


def present_levels(d: IEPDraft) -> str:
    """For the IEP team, in English in every copy; the words of a student who spoke
    another language are quoted as they said them, and the paragraph says which language."""
    grade = "kindergarten" if d.student.grade == 0 else f"grade {d.student.grade}"
    other = d.language != "en"
    spoke = f" (in {message(d.language, 'common.language_in_english')}; their words are quoted)" if other else ""
    return " ".join([f"{d.student.name} is a student in {grade} who shared the following in a student-led interview"
                     f"{spoke}."]
                    + _points(d, {
                        "strengths": "{name} describes these strengths: {x}.",
                        "interests": "{name}'s interests include {x}.",
                        "challenges": "{name} reports that these are hard at school: {x}.",
                        "learning_preferences": "About how {name} learns best: {x}.",
                        "accommodations.helpful": "{name} finds these accommodations helpful: {x}.",
                        "accommodations.not_helpful": "{name} says these do not help: {x}.",
                        "accommodations.wanted": "{name} asked for support not yet in the IEP: {x}.",
                    }, quote=other))


def meeting_script(d: IEPDraft, language: str = "en") -> list[str]:
    """The lines of ``meeting_script_parts``."""
    return [line for _, _, line in meeting_script_parts(d, language)]


# The short name of each part of the meeting script (the rehearsal shows, says and stores it).
SCRIPT_TITLES = {"hello": "Hello", "strengths": "Strengths", "interests": "Interests", "challenges": "What is hard",
                 "learning_preferences": "How I learn", "accommodations.helpful": "What helps me",
                 "accommodations.not_helpful": "What does not help", "accommodations.wanted": "What I ask for",
                 "team": "What my team will talk about", "thanks": "Closing"}


def meeting_script_parts(d: IEPDraft, language: str = "en") -> list[tuple[str, str, str]]:
    """Short sentences the student can read or hear to lead the meeting, as (key,
    title, line): the parts of their role in their words; the parts outside it are
    named as the team's to talk about, never said as the student's. A student who
    leads the meeting (role 5) opens by saying so. Parts with nothing to say are left
    out, so a part's place in the script changes with the draft: its key ("hello",
    a section key, "goal-1" by the goal's number, "message-1", "team", "thanks")
    does not, and is what rehearsals are counted by. ``language``: the student's (the
    lines and titles are said and shown to them), the student's words as they said them."""
    say = Messages(language)
    first = d.student.name.split()[0]
    role = d.role

    def mine(key: str) -> bool:  # a draft from before roles: every part
        return role is None or asks(role, key)

    lines = [("hello", say("documents.script_hello_leader", name=first) if (d.role or 0) >= 5
              else say("documents.script_hello", name=first))]
    templates = {
        "strengths": say("documents.script_strengths"),
        "interests": say("documents.script_interests"),
        "challenges": say("documents.script_challenges"),
        "learning_preferences": say("documents.script_learning_preferences"),
        "accommodations.helpful": say("documents.script_accommodations_helpful"),
        "accommodations.not_helpful": say("documents.script_accommodations_not_helpful"),
        "accommodations.wanted": say("documents.script_accommodations_wanted"),
    }
    lines += _keyed_points(d, {k: v for k, v in templates.items() if mine(k)}, mark=False, language=language)
    if mine("goals"):
        lines += [(f"goal-{n}", say("documents.script_goal", x=words(g.statement, mark=False)))
                  for n, g in enumerate(d.goals, 1) if g.statement]
    lines += [(f"message-{n}", f"{words(m, mark=False)}.") for n, m in enumerate(d.message_to_team, 1)]
    # what the draft has of parts outside the role (a teacher's items, or what the
    # student said before a teacher changed the role) is the team's to present
    theirs = [part_name(p.key, language) for p in PARTS
              if d.role is not None and p.number > d.role and any(_has(d, f) for f in p.fields)]
    if theirs:
        lines.append(("team", say("documents.script_team", parts="; ".join(theirs))))
    lines.append(("thanks", say("documents.script_thanks")))
    return [(key, _script_title(key, language), line) for key, line in lines]


# each part's short name, by its key (for the key written out whole; see assistant.messages)
_TITLE_KEYS = {"hello": "documents.script_title_hello", "strengths": "documents.script_title_strengths",
               "interests": "documents.script_title_interests", "challenges": "documents.script_title_challenges",
               "learning_preferences": "documents.script_title_learning_preferences",
               "accommodations.helpful": "documents.script_title_accommodations_helpful",
               "accommodations.not_helpful": "documents.script_title_accommodations_not_helpful",
               "accommodations.wanted": "documents.script_title_accommodations_wanted",
               "team": "documents.script_title_team", "thanks": "documents.script_title_thanks"}


def _script_title(key: str, language: str = "en") -> str:
    kind, _, n = key.partition("-")
    if kind == "goal":
        return message(language, "documents.script_title_goal", n=n)
    if kind == "message":
        return message(language, "documents.script_title_message_n", n=n) if n != "1" else \
            message(language, "documents.script_title_message")
    return message(language, _TITLE_KEYS[key])


def _has(d: IEPDraft, key: str) -> bool:
    """Whether the draft has anything in the section ``key`` (or those under it)."""
    s = next(s for s in SECTIONS if s.key == key)
    if key == "goals":
        return bool(d.goals)
    return bool(s.items(d)) if s.is_list or s.fill is Fill.PAST_GOAL else any(sub.items(d) for sub in under(key))


def _section(d: IEPDraft, s: Section, language: str = "en") -> list[str]:
    """The paragraphs of one section of ``SECTIONS`` (and those listed under it), as
    the Markdown draft has them; an empty list leaves the section out."""
    say = Messages(language)

    def title(sub: Section) -> str:
        return say("sections." + sub.key.replace(".", "_"))

    def said(i: Item) -> str:
        return words(i, language=language)

    # the teacher's copy of a draft in another language: the accommodation's English name beside the IEP's
    teacher = language == "en" and d.language != "en"
    if s.is_list:
        return [f"• {said(i)}" for i in s.items(d)] or [f"• {say('documents.none')}"]
    if s.fill is Fill.BY_VERDICT:
        lines = [f"{title(sub)}: {i.accommodation or i.label or ''}"
                 + (f" [{i.label}]" if teacher and i.accommodation and i.label and i.label != i.accommodation else "")
                 + f" — \u201c{said(i)}\u201d"
                 for sub in under(s.key) for i in sub.items(d)]
        return lines or [say("documents.none")]
    if s.fill is Fill.PAST_GOAL:
        return [f"• {g.goal}: \u201c{said(g)}\u201d" for g in d.past_goals]
    if s.fill is Fill.DONT_KNOW:
        return [f"• {q.question}" + (f" \u2014 \u201c{q.said}\u201d" if q.said else "") for q in d.open_questions] \
            or [f"• {say('documents.none')}"]
    parts = under(s.key)
    if parts and parts[0].fill is Fill.GOAL_PART:
        lines = []
        for n, g in enumerate(d.goals, 1):
            # the area is an English label: for the team, so in the English copy
            lines.append(say("documents.goal_n", n=n) + (f" ({g.area})" if g.area and language == "en" else "")
                         + f": {said(g.statement) if g.statement else say('documents.no_statement')}")
            for part in parts[1:]:  # the statement is the line itself
                value = getattr(g, part.path[-1])
                lines.append(f"    {title(part)}: {said(value) if value else say('documents.not_said')}")
        return lines or [say("documents.none")]
    if any(sub.items(d) for sub in parts):
        return [f"{title(sub)}: {_join(sub.items(d), language=language) or say('documents.not_said')}" for sub in parts]
    return []


def transcript_lines(answers: list[Answer], reviews: dict[int, dict], language: str = "en") -> list[str]:
    """Each answer of the IEP's sessions with its time, question and words, and what became of it."""
    say = Messages(language)
    transcript = []
    replaced = replaced_later(answers)
    for a in answers:
        if a.kind not in ("answer", "dont_know", "unclear"):
            continue
        review = reviews.get(a.id, {})
        when = a.created.replace("T", " ")
        line = f"[{when}] {a.prompt} — \u201c{a.text}\u201d"
        if review.get("correction"):
            line += " " + say("documents.correction", words=review["correction"])
        if not a.confirmed:
            line += " " + say("documents.not_confirmed")
        if a.superseded or a.id in replaced:
            line += " " + say("documents.replaced")
        transcript.append(line)
    return transcript or [say("documents.no_answers")]


def _sections(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict],
              language: str = "en") -> list[tuple[str, list[str]]]:
    """The document as (heading, paragraphs); both renderers use this. A one-page
    "About me", the Present Levels paragraph, then every section of the draft as
    ``SECTIONS`` declares them, then the transcript. ``language``: the copy's (the
    student's words stay as they said them)."""
    say = Messages(language)
    acc = d.accommodations
    not_said = say("documents.not_said")
    about = []
    for title, items in ((say("documents.about_good_at"), d.strengths), (say("documents.about_like"), d.interests),
                         (say("documents.about_hard"), d.challenges), (say("documents.about_learn"), d.learning_preferences)):
        about.append(f"{title}: " + (_join(items, language=language) or not_said))
    about.append(f"{say('documents.about_helps')}: " + (_names(acc.helpful) or not_said))
    about.append(f"{say('documents.about_not_help')}: " + (_names(acc.not_helpful) or not_said))
    about.append(f"{say('documents.about_goals')}: "
                 + ("; ".join(words(g.statement, language=language) for g in d.goals if g.statement) or not_said))
    body = [(say("sections." + s.key.replace(".", "_")), paragraphs) for s in SECTIONS
            if s.under is None and (paragraphs := _section(d, s, language))]
    role = role_line(d, language=language)
    if role is not None:
        about.insert(0, role)
    if language != d.language and (note := words_in(d)):
        about.insert(0, note)
    return [(say("documents.about", name=d.student.name), about), (say("documents.present_levels"), [present_levels(d)]),
            *body, (say("documents.transcript"), transcript_lines(answers, reviews, language))]


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


def to_pdf(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict], language: str = "en") -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=letter, title=xml_safe(message(language, "documents.title", name=d.student.name)),
                            author="iep-assistant", lang=language)
    story = []
    for n, (heading, paragraphs) in enumerate(_sections(d, answers, reviews, language)):
        if n == 1:
            story.append(PageBreak())  # "About me" is a page of its own
        story.append(Paragraph(pdf_text(heading), styles["Heading1"] if n == 0 else styles["Heading2"]))
        for p in paragraphs:
            indent = "&nbsp;&nbsp;&nbsp;&nbsp;" if p.startswith("    ") else ""
            for n, piece in enumerate(pdf_paragraphs(p.strip() if indent else p)):
                story.append(Paragraph((indent if n == 0 else "") + piece, styles["BodyText"]))
        story.append(Spacer(1, 8))
    story += chart.pdf_story(d.checkins, language)  # per goal: the chart (an image) and its table
    doc.build(story)
    return buf.getvalue()


def to_docx(d: IEPDraft, answers: list[Answer], reviews: dict[int, dict], language: str = "en") -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = xml_safe(message(language, "documents.title", name=d.student.name))
    doc.core_properties.language = language
    for n, (heading, paragraphs) in enumerate(_sections(d, answers, reviews, language)):
        if n == 1:
            doc.add_page_break()
        doc.add_heading(xml_safe(heading), level=1 if n == 0 else 2)
        for p in paragraphs:
            doc.add_paragraph(xml_safe(p))
    chart.docx_section(doc, d.checkins, language)  # per goal: the chart (a picture) and its table
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


def render(fmt: str, d: IEPDraft, answers: list[Answer], reviews: dict[int, dict], language: str | None = None) -> bytes:
    """``d`` as a document in ``fmt``, in ``language`` (by default the draft's)."""
    language = language or d.language
    if fmt == "json":
        # JSON can carry any character escaped, but the systems it goes to are often
        # XML inside: the same characters are replaced as in every other export
        return (json.dumps(_xml_safe_all(d.model_dump(mode="json")), indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "md":
        transcript = transcript_lines(answers, reviews, language)
        return (to_markdown(d, language) + chart.markdown(d.checkins, language)
                + f"\n## {message(language, 'documents.transcript')}\n" + "\n".join(f"- {md_escape(t)}" for t in transcript)
                + "\n").encode()
    if fmt == "pdf":
        return to_pdf(d, answers, reviews, language)
    if fmt == "docx":
        return to_docx(d, answers, reviews, language)
    raise ValueError(fmt)
