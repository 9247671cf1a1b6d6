"""The IEP draft: its schema, and the builder that turns confirmed answers into items.

The student's words are kept verbatim in ``text``; ``label`` is only a suggestion
(an IEP area, or a normalized accommodation name) from ``assistant.lexicon``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from assistant.lexicon import accommodation_of, area_of, verdict, yes_no
from assistant.roles import ROLE_NAMES, part_of_field, parts_of
from assistant.store import Answer, Student
from assistant.text import md_escape as md
from assistant.text import normalize


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
    wanted: list[AccommodationItem] = Field(default=[],
                                            description="needs the student raised; label is set when the catalog knows it")


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
    reason: str = Field(description="dont_know: the student said they did not know; unclear: a yes/no question got "
                                    "neither yes nor no three times (what they said is in said)")
    source: Source
    said: str | None = Field(default=None, description="unclear: the student's replies, as heard")


class StudentInfo(BaseModel):
    name: str
    grade: int


class CheckinGoal(BaseModel):
    goal: str = Field(description="the goal checked in on, as the IEP draft has it")
    rating: int | None = Field(default=None, ge=1, le=5, description="how it is going, from 1 (not well) to 5 (very well)")
    said: str | None = Field(default=None, description="the student's words when they gave the rating, verbatim")
    helped: str | None = Field(default=None, description="what helped, in the student's words")
    in_the_way: str | None = Field(default=None, description="what got in the way, in the student's words")


class CheckinAccommodation(BaseModel):
    accommodation: str = Field(description="as the IEP lists it")
    used: str | None = Field(default=None, description="yes, no or not sure")
    helped: str | None = Field(default=None, description="yes, no or not sure")
    said: str | None = Field(default=None, description="the student's words, verbatim")


class Checkin(BaseModel):
    """One goal check-in during the school year."""

    id: int
    date: str = Field(description="the day of the check-in, YYYY-MM-DD")
    status: str = Field(description="finished, or started (stopped part-way: what was said is kept)")
    goals: list[CheckinGoal] = []
    accommodations: list[CheckinAccommodation] = []


def checkins_of(rows: list[dict]) -> list[Checkin]:
    """Check-ins as the draft carries them, from ``store.checkins.of_student`` rows
    (each body {"goals": [...], "accommodations": [...]}, the shapes above)."""
    return [Checkin(id=r["id"], date=r["at"][:10], status=r["status"], goals=r["body"].get("goals", []),
                    accommodations=r["body"].get("accommodations", [])) for r in rows]


class IEPDraft(BaseModel):
    """A student's own input to their IEP, built from their voice sessions."""

    student: StudentInfo
    role: int | None = Field(default=None, ge=1, le=5, description="the student's role on the continuum when the draft "
                                                                       "was made (assistant.roles), 1 to 5")
    own_words: list[str] = Field(default=[], description="the parts of the IEP the student spoke to in their own words "
                                                          "(assistant.roles.PARTS keys)")
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
    checkins: list[Checkin] = Field(default=[], description="goal check-ins through the year, oldest first; filled "
                                                              "when exported, never stored with a draft version")


# ---------------------------------------------------------------- the sections

class Fill(Enum):
    """How a part of the draft is filled from a session's answers."""

    ITEMS = "items"  # one item per point of each answer ("drawing and soccer": two)
    BY_VERDICT = "by verdict"  # each accommodation in the IEP, sorted by what the student said: helpful, not helpful, not sure
    PAST_GOAL = "past goal"  # what the student says about one of last year's goals
    GOAL_PART = "goal part"  # one part of the goal of its round ("Do you want to draft another goal?")
    DONT_KNOW = "don't know"  # every "I don't know", whatever the question
    NONE = "none"  # not from answers directly: a heading, or a list BY_VERDICT sorts into


@dataclass(frozen=True)
class Section:
    """One part of the draft, declared once: the dialogues' fields, the builder, the
    Markdown draft, the session's read-back and the review app all derive from
    ``SECTIONS``."""

    path: tuple[str, ...]  # where it is in IEPDraft
    title: str  # for the teacher (the review app)
    mine: str  # in the student's words (their documents)
    fill: Fill
    is_list: bool = False  # a list of items: edited item by item, and read back at the end of a session when spoken
    # the label suggested for each item, from its text in the student's language (English labels whatever that is)
    labeler: Callable[[str, str], str | None] | None = None
    item: type[Item] = Item
    discuss: bool = False  # for discussion at the meeting (highlighted)
    under: str | None = None  # the key of the section it is listed under

    @property
    def key(self) -> str:
        """The section's name in dialogue files, answers (their field) and forms."""
        return ".".join(self.path)

    @property
    def answered(self) -> bool:
        """Answers are stored for it, with its key as their field (a dialogue prompt's ``field``)."""
        return self.fill in (Fill.ITEMS, Fill.BY_VERDICT, Fill.PAST_GOAL, Fill.GOAL_PART)

    @property
    def read_back(self) -> bool:
        """Read back at the end of a session, where the student may replace it."""
        return self.is_list and self.fill is Fill.ITEMS

    def items(self, d: IEPDraft) -> list:
        """The section's object in ``d`` (for a list: the list itself, for editing). A goal
        part is in each of ``d.goals``, not here."""
        obj: Any = d
        for name in self.path:
            obj = getattr(obj, name)
        return obj


SECTIONS: tuple[Section, ...] = (
    Section(("strengths",), "Strengths", "My strengths", Fill.ITEMS, True, area_of),
    Section(("interests",), "Interests", "My interests", Fill.ITEMS, True, area_of),
    Section(("challenges",), "What is hard", "What is hard for me", Fill.ITEMS, True, area_of),
    Section(("learning_preferences",), "How I learn best", "How I learn best", Fill.ITEMS, True, area_of),
    Section(("accommodations",), "Accommodations", "Accommodations", Fill.BY_VERDICT),
    Section(("accommodations", "helpful"), "Accommodations that help", "Help me", Fill.NONE, True,
            item=AccommodationItem, under="accommodations"),
    Section(("accommodations", "not_helpful"), "Accommodations that do not help (discuss)", "Do not help me (discuss)",
            Fill.NONE, True, item=AccommodationItem, discuss=True, under="accommodations"),
    Section(("accommodations", "not_sure"), "Accommodations: not sure", "Not sure", Fill.NONE, True,
            item=AccommodationItem, under="accommodations"),
    Section(("accommodations", "wanted"), "Needs the IEP does not cover yet (discuss)", "I wish I had (not in my IEP yet)",
            Fill.ITEMS, True, accommodation_of, item=AccommodationItem, discuss=True, under="accommodations"),
    Section(("past_goals",), "Last year's goals", "Last year's goals", Fill.PAST_GOAL, labeler=area_of),
    Section(("goals",), "Goals", "My goals", Fill.NONE),
    Section(("goals", "statement"), "Goal", "Goal", Fill.GOAL_PART, labeler=area_of, under="goals"),
    Section(("goals", "measure"), "How we will know", "How we will know", Fill.GOAL_PART, under="goals"),
    Section(("goals", "timeframe"), "By when", "By when", Fill.GOAL_PART, under="goals"),
    Section(("goals", "support"), "Support needed", "Help I need", Fill.GOAL_PART, under="goals"),
    Section(("transition",), "After high school", "After high school", Fill.NONE),
    Section(("transition", "education"), "After school: education", "Education or training", Fill.ITEMS, True, area_of,
            under="transition"),
    Section(("transition", "employment"), "After school: work", "Work", Fill.ITEMS, True, area_of, under="transition"),
    Section(("transition", "independent_living"), "After school: living on my own", "Living on my own", Fill.ITEMS, True,
            area_of, under="transition"),
    Section(("message_to_team",), "Message to the IEP team", "My message to my IEP team", Fill.ITEMS, True),
    Section(("open_questions",), "Open questions", "Open questions for the teacher", Fill.DONT_KNOW),
)
SECTION = {s.key: s for s in SECTIONS}
FIELDS = tuple(s.key for s in SECTIONS if s.answered)  # where a dialogue's answers can go
LISTS = tuple(s for s in SECTIONS if s.is_list)


def lists(d: IEPDraft) -> dict[str, list]:
    """The draft's item lists by section key: the same list objects, for editing."""
    return {s.key: s.items(d) for s in LISTS}


def under(key: str) -> list[Section]:
    return [s for s in SECTIONS if s.under == key]



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


def _items(a: Answer, section: Section, language: str = "en") -> list[Item]:
    label = section.labeler or (lambda t, language: None)
    return [section.item(text=t, label=label(t, language), source=_source(a, off, len(t)))
            for t, off in split_items(a.text)]


# ---------------------------------------------------------------- the builder

def _question_key(a: Answer) -> tuple:
    """What question an answer is to, whatever session asked it: its prompt (or
    step), the IEP item it is about, and the goal it drafts."""
    return (a.extra.get("prompt") or a.step, _item_key(a), a.extra.get("goal_number"))


def _item_key(a: Answer) -> tuple[str, str] | None:
    """An answer about one accommodation of the IEP or one of last year's goals: (field, the item)."""
    item = a.extra.get("accommodation") if a.field == "accommodations" else (
        a.extra.get("goal") if a.field == "past_goals" else None)
    return (a.field, normalize(item)) if isinstance(item, str) else None


def replaced_later(answers: list[Answer]) -> set[int]:
    """The answers of ``answers`` (several sessions of one IEP) that a later one
    replaces, though each session left them standing: the answer a teacher had
    asked again (the new answer takes its place), an earlier session's verdict on
    an accommodation or last year's goal that a later session asked again (latest
    wins), and an "I don't know" or unclear note a later session answered. They stay
    in the transcript, marked; the draft leaves them out. Within one session the
    session itself marks what replaces what (``answers.superseded``)."""
    kept = [a for a in answers if a.kind == "answer" and a.confirmed and not a.superseded]
    out = {a.extra["asked_again_for"] for a in kept if isinstance(a.extra.get("asked_again_for"), int)}
    latest: dict[tuple, Answer] = {}
    for a in sorted(kept, key=lambda a: a.id):
        key = _item_key(a)
        if key is None:
            continue
        if key in latest and latest[key].session_id < a.session_id:
            out.add(latest[key].id)
        latest[key] = a
    answered: dict[tuple, int] = {}  # question -> the last session that answered it
    for a in kept:
        answered[_question_key(a)] = max(answered.get(_question_key(a), 0), a.session_id)
    out |= {a.id for a in answers if a.kind in ("dont_know", "unclear") and not a.superseded
            and answered.get(_question_key(a), 0) > a.session_id}
    return out


def _goal_of(a: Answer, by_id: dict[int, Answer]) -> tuple[int, int]:
    """The goal a goal part belongs to: (session, round). A part asked again in a
    later session belongs to the goal of the answer it was asked again for."""
    origin, seen = a, {a.id}
    while isinstance(origin.extra.get("asked_again_for"), int) and origin.extra["asked_again_for"] in by_id \
            and origin.extra["asked_again_for"] not in seen:
        origin = by_id[origin.extra["asked_again_for"]]
        seen.add(origin.id)
    return origin.session_id, a.extra.get("goal_number", origin.extra.get("goal_number", 1))


def _goal_words(g: Goal) -> tuple:
    return tuple(normalize(i.text) if i else "" for i in (g.statement, g.measure, g.timeframe, g.support))


def _merge_repeats(d: IEPDraft) -> None:
    """A point said again in a later session of the IEP (the same words, once
    normalized, about the same accommodation or past goal) is kept once, where it
    was first said; repeats within a session stay as the student said them.
    Identical goals are kept once. "yes" to extended time and "yes" to a quiet
    room are two verdicts, not a repeat: what they are about is in the key."""
    for items in lists(d).values():
        first: dict[tuple[str, str], int | None] = {}
        keep = []
        for i in items:
            about = getattr(i, "accommodation", None) or getattr(i, "goal", None) or ""
            key, session = (normalize(about), normalize(i.text)), i.source.session_id if i.source else None
            if key in first and session is not None and first[key] not in (None, session):
                continue
            first.setdefault(key, session)
            keep.append(i)
        items[:] = keep
    seen: set[tuple] = set()
    goals = []
    for g in d.goals:
        if _goal_words(g) not in seen:
            seen.add(_goal_words(g))
            goals.append(g)
    d.goals = goals


def build_draft(student: Student, answers: list[Answer]) -> IEPDraft:
    """The draft from the answers of a student's sessions for one IEP (one session,
    or all of them, oldest first): confirmed ones count, unless superseded in their
    session or replaced by a later session (``replaced_later``); "I don't know"
    becomes an open question. Goals of different sessions stay separate goals;
    points said again in a later session are kept once. ``role`` is the student's,
    ``own_words`` the parts of it the student answered."""
    d = IEPDraft(student=StudentInfo(name=student.name, grade=student.grade), role=student.role)
    replaced = replaced_later(answers)
    by_id = {a.id: a for a in answers}
    goals: dict[tuple[int, int], Goal] = {}
    spoke: set[str] = set()  # the parts the student's answers went to
    language = student.language  # the sessions' language: yes/no and labels read the answers in it
    for a in answers:
        if a.superseded or a.id in replaced:
            continue
        if a.kind == "dont_know":
            d.open_questions.append(OpenQuestion(question=a.prompt, reason="dont_know", source=_source(a)))
            continue
        if a.kind == "unclear":  # a note the session kept for the teacher (dialogue.engine._note)
            d.open_questions.append(OpenQuestion(question=a.prompt, reason="unclear", source=_source(a), said=a.text))
            continue
        section = SECTION.get(a.field)
        if a.kind != "answer" or not a.confirmed or section is None or not section.answered:
            continue
        if section.fill is not Fill.BY_VERDICT and yes_no(a.text, language) == "no" and len(a.text.split()) <= 3:
            continue  # "Is there something that would help you?" "No." : nothing to add
        part = part_of_field(a.field)
        if part is not None:
            spoke.add(part.key)
        if section.fill is Fill.ITEMS:
            section.items(d).extend(_items(a, section, language))
        elif section.fill is Fill.BY_VERDICT:
            listed = a.extra.get("accommodation", "")
            said = verdict(a.text, language) or "not sure"
            item = AccommodationItem(text=a.text, label=accommodation_of(listed, language) or listed.lower() or None,
                                     accommodation=listed, source=_source(a))
            acc = d.accommodations
            {"yes": acc.helpful, "no": acc.not_helpful}.get(said, acc.not_sure).append(item)
        elif section.fill is Fill.PAST_GOAL:
            goal = a.extra.get("goal", "")
            label = section.labeler(goal, language) if section.labeler else None
            d.past_goals.append(PastGoal(text=a.text, label=label, goal=goal, source=_source(a)))
        elif section.fill is Fill.GOAL_PART:
            # goals are numbered per session (its rounds): the goals of each session
            # follow those of the sessions before, in the order they were begun
            key = _goal_of(a, by_id)
            if key not in goals:
                goals.update({(key[0], n): Goal() for n in range(1, key[1] + 1) if (key[0], n) not in goals})
            goal = goals[key]
            text = a.text.strip()
            part_name = section.path[-1]
            setattr(goal, part_name, Item(text=text, label=section.labeler(text, language) if section.labeler else None,
                                          source=_source(a)))
            if part_name == "statement":
                goal.area = area_of(text, language)
    d.goals = [goals[k] for k in sorted(goals) if any((goals[k].statement, goals[k].measure, goals[k].timeframe,
                                                       goals[k].support))]
    _merge_repeats(d)
    d.own_words = [p.key for p in parts_of(student.role) if p.key in spoke]
    return d


# ---------------------------------------------------------------- the teacher's work

def _said(i: Item | None) -> tuple[int, str] | None:
    """What a student's item is: the answer it came from and its words (one answer
    gives several items: "drawing and soccer"). None for a teacher's own item."""
    return (i.source.answer_id, i.text) if i is not None and i.source is not None and not i.added_by else None


def _carry_item(built: Item, saved: Item) -> Item:
    """The item as built, with the teacher's rewording and label of it."""
    return built.model_copy(update={"edited": saved.edited, "label": saved.label})


def _carry_goal(built: Goal, saved: Goal) -> Goal:
    out = built.model_copy()
    for part in ("statement", "measure", "timeframe", "support"):
        b, s = getattr(built, part), getattr(saved, part)
        if b is not None and s is not None and _said(b) == _said(s):
            setattr(out, part, _carry_item(b, s))
        elif b is None and s is not None and s.added_by:
            setattr(out, part, s)  # a part the teacher wrote where the student said none
    if built.statement is None or _said(built.statement) == _said(saved.statement):
        out.area = saved.area  # the teacher's area, unless the student has since said a new goal statement
    return out


def _goal_said(g: Goal) -> set[tuple[int, str]]:
    return {k for k in map(_said, (g.statement, g.measure, g.timeframe, g.support)) if k is not None}


def carry_teacher_work(built: IEPDraft, saved: IEPDraft, settled: set[int]) -> IEPDraft:
    """``built`` (the draft rebuilt from the answers when a session finishes) with the
    teacher's work on ``saved`` (the latest saved version of the same IEP) carried
    over, so a new session never undoes it: their rewordings and labels (matched by
    answer and words), the items, goal parts and goals they added (where they put
    them), their order, and their removals: a student's item or goal of sessions in
    ``settled`` (sessions already in a draft the teacher could edit) that ``saved``
    lacks was removed by the teacher and stays removed. What ``saved`` has that the
    answers no longer give (an answer the student has since replaced) goes; what a
    new session gives is added after, as a session adds it."""
    out = built.model_copy(deep=True)
    for key, items in lists(out).items():
        by_said: dict[tuple[int, str] | None, list] = {}
        for i in items:  # a list each: "soccer, soccer" is one answer's two items with the same words
            by_said.setdefault(_said(i), []).append(i)
        kept: list = []
        for s in lists(saved)[key]:
            if _said(s) is None:
                kept.append(s)  # the teacher's own item
            elif by_said.get(_said(s)):
                kept.append(_carry_item(by_said[_said(s)].pop(0), s))
        unmatched = {id(i) for rest in by_said.values() for i in rest}
        kept += [i for i in items if id(i) in unmatched and not (i.source and i.source.session_id in settled)]
        items[:] = kept
    left = list(out.goals)
    goals: list[Goal] = []
    for s_goal in saved.goals:
        said = _goal_said(s_goal)
        if not said:
            goals.append(s_goal)  # a goal the teacher added
            continue
        n = next((n for n, g in enumerate(left) if _goal_said(g) & said), None)
        if n is not None:
            goals.append(_carry_goal(left.pop(n), s_goal))
    # a goal no saved one matches is new, unless all of it was in the teacher's draft already
    out.goals = goals + [g for g in left if not _sessions_of(g) <= settled]
    return out


def _sessions_of(g: Goal) -> set[int]:
    return {i.source.session_id for i in (g.statement, g.measure, g.timeframe, g.support) if i and i.source}


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


def _md_accommodation(i: AccommodationItem) -> str:
    name = i.accommodation or i.label
    return (f"- {md(name) + ': ' if name and i.accommodation else ''}\"{_md_text(i)}\""
            + (f"  _[{md(i.label)}]_" if i.label and not i.accommodation else ""))


def _md_section(d: IEPDraft, s: Section) -> list[str]:
    """One section of the student's document, with the sections listed under it."""
    if s.is_list:
        return [f"## {s.mine}", *_md_items(s.items(d)), ""]
    if s.fill is Fill.BY_VERDICT:
        out = [f"## {s.mine}", ""]
        for sub in under(s.key):
            out += [f"### {sub.mine}", *([_md_accommodation(i) for i in sub.items(d)] or ["- (none)"]), ""]
        return out
    if s.fill is Fill.PAST_GOAL:
        return [f"## {s.mine}", *[f"- {md(g.goal)}: \"{md(g.text)}\"" for g in d.past_goals], ""] if d.past_goals else []
    if s.fill is Fill.DONT_KNOW:
        return [f"## {s.mine}",
                *([f"- {md(q.question)} " + (f"(the student said neither yes nor no: \"{md(q.said or '')}\")"
                                              if q.reason == "unclear" else "(the student said they did not know)")
                   for q in d.open_questions] or ["- (none)"])]
    parts = under(s.key)
    if parts and parts[0].fill is Fill.GOAL_PART:
        out = [f"## {s.mine}"]
        if not d.goals:
            out.append("- (none yet)")
        for n, g in enumerate(d.goals, 1):
            out.append(f"{n}. **{_md_text(g.statement) if g.statement else '(no goal statement)'}**"
                       + (f"  _[{md(g.area)}]_" if g.area else ""))
            for part in parts[1:]:  # the statement is the line itself
                if getattr(g, part.path[-1]):
                    out.append(f"   - {part.mine}: {_md_text(getattr(g, part.path[-1]))}")
        return out + [""]
    if any(sub.items(d) for sub in parts):
        out = [f"## {s.mine}"]
        for sub in parts:
            out += [f"### {sub.mine}", *_md_items(sub.items(d))]
        return out + [""]
    return []


def role_line(d: IEPDraft, escape: Callable[[str], str] = lambda t: t) -> str | None:
    """ "Role: 3, + my goals. In Sam's own words: strengths and needs; goals." : the
    student's role and the parts of it they spoke to (None for a draft made before
    roles, which does not know them). ``escape``: for the student's name, the one
    part not ours (Markdown escapes it; the rest has nothing to escape)."""
    if d.role is None:
        return None
    parts = [p for p in parts_of(d.role) if p.key in d.own_words]
    said = "; ".join(p.title[0].lower() + p.title[1:] for p in parts) or "nothing yet"
    name = ROLE_NAMES[d.role]
    return f"Role: {d.role}, {name[0].lower() + name[1:]}. In {escape(d.student.name.split()[0])}'s own words: {said}."


def to_markdown(d: IEPDraft) -> str:
    """The draft as Markdown, section by section as ``SECTIONS`` declares them. Every
    word from a student or teacher goes through ``md_escape``: an answer "<script>"
    or "[x](javascript:...)" is shown as text."""
    grade = "kindergarten" if d.student.grade == 0 else f"grade {d.student.grade}"
    out = [f"# My IEP input: {md(d.student.name)} ({grade})", "",
           "_The student's own words; labels in brackets are suggestions for the IEP team._", ""]
    if (line := role_line(d, md)) is not None:
        out[1:1] = ["", line]
    for s in SECTIONS:
        if s.under is None:
            out += _md_section(d, s)
    return "\n".join(out) + "\n"
