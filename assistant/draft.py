"""The IEP draft: its schema, and the builder that turns confirmed answers into items.

The student's words are kept verbatim in ``text``; ``label`` is only a suggestion
(an IEP area, or a normalized accommodation name) from ``assistant.lexicon``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from assistant.lexicon import accommodation_of, area_of, verdict, yes_no
from assistant.store import Answer, Student
from assistant.text import md_escape as md


class Source(BaseModel):
    answer_id: int
    session_id: int
    step: str
    prompt: str = Field(description="the question as it was asked")
    start: float | None = Field(default=None, description="seconds into the answer's recording where the item begins")
    end: float | None = None
    audio_path: str | None = None


class Item(BaseModel):
    text: str = Field(description="the student's own words, verbatim")
    label: str | None = Field(default=None, description="suggested IEP area or normalized accommodation name")
    source: Source | None = Field(default=None, description="the answer it came from; none for items a teacher added")
    edited: str | None = Field(default=None, description="a teacher's rewording; text keeps the student's words")
    added_by: str | None = Field(default=None, description="the teacher who added the item: not the student's words")


class AccommodationItem(Item):
    accommodation: str | None = Field(default=None, description="the accommodation as the IEP lists it (asked one by one)")


class Accommodations(BaseModel):
    helpful: list[AccommodationItem] = []
    not_helpful: list[AccommodationItem] = []
    not_sure: list[AccommodationItem] = []
    wanted: list[AccommodationItem] = Field(default=[], description="needs the student raised; label is set when the catalog knows it")


class Goal(BaseModel):
    area: str | None = None
    statement: Item | None = None
    measure: Item | None = None
    timeframe: Item | None = None
    support: Item | None = None


class PastGoal(Item):
    goal: str = Field(description="last year's goal as the teacher entered it")


class Transition(BaseModel):
    education: list[Item] = []
    employment: list[Item] = []
    independent_living: list[Item] = []


class OpenQuestion(BaseModel):
    question: str
    reason: str = Field(description="dont_know: the student said they did not know")
    source: Source


class StudentInfo(BaseModel):
    name: str
    grade: int


class IEPDraft(BaseModel):
    """A student's own input to their IEP, built from a voice session."""

    student: StudentInfo
    strengths: list[Item] = []
    interests: list[Item] = []
    challenges: list[Item] = []
    learning_preferences: list[Item] = []
    accommodations: Accommodations = Accommodations()
    goals: list[Goal] = []
    past_goals: list[PastGoal] = []
    transition: Transition = Transition()
    message_to_team: list[Item] = []
    open_questions: list[OpenQuestion] = []


# ---------------------------------------------------------------- splitting

_SPLIT = re.compile(r"\s*[,;]\s*|\s+(?:and also|and|also|but|plus)\s+", re.IGNORECASE)
_LEAD = re.compile(r"^(?:and|also|but|plus|or)\s+", re.IGNORECASE)


def split_items(text: str) -> list[tuple[str, int]]:
    """Split an answer into items: (verbatim text, character offset).

    "I'm good at drawing and building with Lego, and I like math" gives three.
    Pieces are cut at commas, semicolons and joining words; each keeps the
    student's exact words (only the joining word and trailing punctuation go).
    """
    items: list[tuple[str, int]] = []
    pos = 0
    for m in [*_SPLIT.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        lead = _LEAD.match(piece.strip())
        start = pos + (len(piece) - len(piece.lstrip())) + (lead.end() if lead else 0)
        clean = text[start:end].strip().rstrip(".!?")
        if clean:
            items.append((clean, start))
        if m:
            pos = m.end()
    return items


def _words_span(answer: Answer, offset: int, length: int) -> tuple[float | None, float | None]:
    """The recording time of the words from character ``offset`` for ``length`` characters."""
    if not answer.words:
        return None, None
    first = len(answer.text[:offset].split())
    count = max(1, len(answer.text[offset : offset + length].split()))
    span = answer.words[first : first + count]
    if not span:
        return None, None
    return span[0].start, span[-1].end


def _source(a: Answer, offset: int = 0, length: int | None = None) -> Source:
    start, end = _words_span(a, offset, len(a.text) if length is None else length)
    return Source(answer_id=a.id, session_id=a.session_id, step=a.step, prompt=a.prompt, start=start, end=end,
                  audio_path=a.audio_path)


def _items(a: Answer, labeler) -> list[Item]:
    return [Item(text=t, label=labeler(t), source=_source(a, off, len(t))) for t, off in split_items(a.text)]


def _acc_label(text: str) -> str | None:
    return accommodation_of(text)


# ---------------------------------------------------------------- the builder

def build_draft(student: Student, answers: list[Answer]) -> IEPDraft:
    """The draft from a session's answers: confirmed, not superseded ones count;
    "I don't know" becomes an open question."""
    d = IEPDraft(student=StudentInfo(name=student.name, grade=student.grade))
    goal: Goal | None = None
    for a in answers:
        if a.superseded:
            continue
        if a.kind == "dont_know":
            d.open_questions.append(OpenQuestion(question=a.prompt, reason="dont_know", source=_source(a)))
            continue
        if a.kind != "answer" or not a.confirmed:
            continue
        f = a.field
        if f != "accommodations" and yes_no(a.text) == "no" and len(a.text.split()) <= 3:
            continue  # "Is there something that would help you?" "No." : nothing to add
        if f in ("strengths", "interests", "challenges", "learning_preferences", "message_to_team"):
            labeler = None if f == "message_to_team" else area_of
            getattr(d, f).extend(_items(a, labeler or (lambda t: None)))
        elif f == "accommodations":
            listed = a.extra.get("accommodation", "")
            said = verdict(a.text) or "not sure"
            item = AccommodationItem(text=a.text, label=accommodation_of(listed) or listed.lower() or None,
                                     accommodation=listed, source=_source(a))
            {"yes": d.accommodations.helpful, "no": d.accommodations.not_helpful}.get(said, d.accommodations.not_sure).append(item)
        elif f == "accommodations.wanted":
            d.accommodations.wanted.extend(AccommodationItem(**i.model_dump()) for i in _items(a, _acc_label))
        elif f == "past_goals":
            d.past_goals.append(PastGoal(text=a.text, label=area_of(a.extra.get("goal", "")), goal=a.extra.get("goal", ""),
                                         source=_source(a)))
        elif f.startswith("goals."):
            part = f.split(".", 1)[1]
            number = a.extra.get("goal_number", 1)
            while len(d.goals) < number:
                d.goals.append(Goal())
            goal = d.goals[number - 1]
            text = a.text.strip()
            setattr(goal, part, Item(text=text, label=area_of(text) if part == "statement" else None, source=_source(a)))
            if part == "statement":
                goal.area = area_of(text)
        elif f.startswith("transition."):
            getattr(d.transition, f.split(".", 1)[1]).extend(_items(a, lambda t: area_of(t)))
    d.goals = [g for g in d.goals if any((g.statement, g.measure, g.timeframe, g.support))]
    return d


# ---------------------------------------------------------------- Markdown

def _md_text(i: Item) -> str:
    """An item as the document shows it: a teacher's rewording (with the student's
    words beside it), and a teacher's own item marked as such."""
    if i.added_by:
        return f"{md(i.edited or i.text)} _(added by {md(i.added_by)})_"
    if i.edited:
        return f"{md(i.edited)} _(the student said: \"{md(i.text)}\")_"
    return md(i.text)


def _md_items(items: list[Item]) -> list[str]:
    if not items:
        return ["- (nothing yet)"]
    return [f"- {_md_text(i)}" + (f"  _[{md(i.label)}]_" if i.label else "") for i in items]


def to_markdown(d: IEPDraft) -> str:
    """The draft as Markdown. Every word from a student or teacher goes through
    ``md_escape``: an answer "<script>" or "[x](javascript:...)" is shown as text."""
    grade = "kindergarten" if d.student.grade == 0 else f"grade {d.student.grade}"
    out = [f"# My IEP input: {md(d.student.name)} ({grade})", "",
           "_The student's own words; labels in brackets are suggestions for the IEP team._", ""]
    for title, items in (("My strengths", d.strengths), ("My interests", d.interests),
                         ("What is hard for me", d.challenges), ("How I learn best", d.learning_preferences)):
        out += [f"## {title}", *_md_items(items), ""]
    acc = d.accommodations
    out += ["## Accommodations", ""]
    for title, items in (("Help me", acc.helpful), ("Do not help me (discuss)", acc.not_helpful),
                         ("Not sure", acc.not_sure), ("I wish I had (not in my IEP yet)", acc.wanted)):
        out.append(f"### {title}")
        if not items:
            out.append("- (none)")
        for i in items:
            name = i.accommodation or i.label
            out.append(f"- {md(name) + ': ' if name and i.accommodation else ''}\"{_md_text(i)}\"" + (f"  _[{md(i.label)}]_" if i.label and not i.accommodation else ""))
        out.append("")
    if d.past_goals:
        out += ["## Last year's goals", *[f"- {md(g.goal)}: \"{md(g.text)}\"" for g in d.past_goals], ""]
    out.append("## My goals")
    if not d.goals:
        out.append("- (none yet)")
    for n, g in enumerate(d.goals, 1):
        out.append(f"{n}. **{_md_text(g.statement) if g.statement else '(no goal statement)'}**" + (f"  _[{md(g.area)}]_" if g.area else ""))
        for name, part in (("How we will know", g.measure), ("By when", g.timeframe), ("Help I need", g.support)):
            if part:
                out.append(f"   - {name}: {_md_text(part)}")
    out.append("")
    t = d.transition
    if t.education or t.employment or t.independent_living:
        out += ["## After high school"]
        for title, items in (("Education or training", t.education), ("Work", t.employment), ("Living on my own", t.independent_living)):
            out += [f"### {title}", *_md_items(items)]
        out.append("")
    out += ["## My message to my IEP team", *_md_items(d.message_to_team), ""]
    out += ["## Open questions for the teacher"]
    out += [f"- {md(q.question)} (the student said they did not know)" for q in d.open_questions] or ["- (none)"]
    return "\n".join(out) + "\n"
