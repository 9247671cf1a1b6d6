"""The planner: the steps of a dialogue for one student, as typed values, and
where each outcome of a step leads.

A step's ``key`` is stored in the database (``answers.step``, ``sessions.position``):
a session paused at a step resumes there, an answer is superseded by later
answers to the same step. The keys keep the forms every version has stored
(``strengths``, ``strengths+1``, ``goal_what@2``, ``goals:again@2``,
``accommodation_check:extended time``, ``again:17``, ``review:strengths``); they
are made here from a step's fields and only ever compared whole, never taken
apart. What a step is (its role, prompt, round, item) is in its fields, and each
answer stores its prompt's id in ``extra["prompt"]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from assistant.dialogue.schema import Dialogue, Kind, Prompt
from assistant.dialogue.voice import Listen
from assistant.draft import SECTION
from assistant.lexicon import EXPLAIN, accommodation_of
from assistant.messages import message
from assistant.roles import asks
from assistant.text import fill

REVIEW = "review"  # the position of a session in its final read-back


class Role(Enum):
    QUESTION = "question"  # a prompt of the dialogue (in each round of a repeated section)
    FOLLOW_UP = "follow up"  # "Anything else?" after a list question
    ITEM = "item"  # a per-item prompt: one accommodation in the IEP, or one of last year's goals
    GATE = "gate"  # "Do you want to draft another goal?", before a section's next round
    AGAIN = "again"  # a question a teacher marked "ask again next session"
    REVIEW = "review"  # "Okay, tell me again": a new answer that replaces a part of the draft, in the read-back


class Outcome(Enum):
    """How a step ended: where the session goes next."""

    NEXT = "next"  # answered, skipped or "I don't know": the next step
    END_LIST = "end list"  # no more for this list ("that's all", "no"): past its follow-ups
    END_ROUNDS = "end rounds"  # no more rounds of the section ("no" to "another goal?")
    BACK = "back"  # "go back"
    STOP = "stop"  # "stop", "take a break": save and pause


@dataclass(frozen=True)
class Step:
    key: str  # stable across runs: stored with answers and as the session's position
    role: Role
    section: int  # index in the dialogue's sections
    prompt: Prompt | None  # the dialogue's prompt it asks (None: a gate)
    text: str  # what is said
    help: str  # what "help" says: a simpler wording and an example
    field: str | None  # where its answers go in the draft (None: a gate, which stores nothing)
    # dataclasses.field spelled out: inside this class, ``field`` names the attribute above
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # stored with its answers
    round: int = 1
    follow_up_of: str | None = None  # the key of the step it follows up
    private: bool = False  # the text holds the student's IEP (an accommodation, a goal) or words

    @property
    def listen(self) -> Listen:
        # Only yes/no questions are recognised with a grammar; an answer about an
        # accommodation is free speech ("No, I never use it"), classified afterwards.
        if self.role is Role.GATE:
            return Listen.YES_NO
        return Listen.CHOICE if self.prompt is not None and self.prompt.kind == Kind.CHOICE else Listen.ANSWER

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.prompt.choices) if self.listen is Listen.CHOICE and self.prompt is not None else ()

    @property
    def in_list(self) -> bool:
        """A list question or its follow-up: "that's all" or a skip ends the list."""
        return self.role is Role.FOLLOW_UP or (self.prompt is not None and self.prompt.follow_up is not None)


def _help(language: str, simpler: str, example: str) -> str:
    return message(language, "session.help", simpler=simpler, example=example)


def _item_step(si: int, p: Prompt, item: str, language: str) -> Step:
    """The step that asks ``p`` about one accommodation or one of last year's goals."""
    if p.kind == Kind.ACCOMMODATIONS:
        # "help" explains what the accommodation is, when the catalog knows it (its
        # explanations are English: a student of another language hears the dialogue's own)
        meaning = EXPLAIN.get(accommodation_of(item) or "", "") if language == "en" else ""
        simpler = f"{meaning} {fill(p.simpler, accommodation=item)}".strip()
        return Step(f"{p.id}:{item.lower()}", Role.ITEM, si, p, fill(p.text, accommodation=item),
                    _help(language, simpler, p.example), p.field, {"accommodation": item, "prompt": p.id}, private=True)
    return Step(f"{p.id}:{item.lower()}", Role.ITEM, si, p, fill(p.text, goal=item),
                _help(language, fill(p.simpler, goal=item), p.example),
                p.field, {"goal": item, "prompt": p.id}, private=True)


def asked_prompts(dialogue: Dialogue, role: int | None) -> list[tuple[int, list[Prompt]]]:
    """Per section (by its index in the dialogue), the prompts a student with this
    role is asked; a section with none is left out. ``None``: every prompt (a role
    includes the parts below it, and a band's dialogue has only what its grades
    are asked, so the default role of a grade keeps its dialogue whole)."""
    out = []
    for si, section in enumerate(dialogue.sections):
        prompts = [p for p in section.prompts if role is None or asks(role, p.field)]
        if prompts:
            out.append((si, prompts))
    return out


def plan_steps(dialogue: Dialogue, accommodations: Sequence[str] = (), past_goals: Sequence[str] = (),
               role: int | None = None) -> list[Step]:
    """Every step of the dialogue, in order, for a student with these accommodations,
    past goals and role (``None``: every part): per-item prompts once per item,
    follow-ups after list questions, and the rounds of a repeated section each after
    its gate. The sections of parts outside the role are left out; steps keep the
    section's index in the dialogue, so their keys and stored positions are the same
    whatever the role."""
    steps: list[Step] = []
    language = dialogue.language  # what the steps say (help, "say yes or no") is in the dialogue's language
    for si, prompts in asked_prompts(dialogue, role):
        section = dialogue.sections[si]
        for rnd in range(1, (section.repeat_limit + 1 if section.repeat else 1) + 1):
            suffix = "" if rnd == 1 else f"@{rnd}"
            if rnd > 1:
                assert section.repeat is not None  # a section has rounds after the first only when it repeats
                steps.append(Step(f"{section.id}:again{suffix}", Role.GATE, si, None, section.repeat,
                                  message(language, "asking.say_yes_or_no", question=section.repeat), None, round=rnd))
            for p in prompts:
                if p.kind == Kind.ACCOMMODATIONS:
                    steps += [_item_step(si, p, acc, language) for acc in accommodations]
                elif p.kind == Kind.PAST_GOALS:
                    steps += [_item_step(si, p, goal, language) for goal in past_goals]
                else:
                    extra = {"prompt": p.id, **({"goal_number": rnd} if p.field.startswith("goals.") else {})}
                    base = f"{p.id}{suffix}"
                    steps.append(Step(base, Role.QUESTION, si, p, p.text, _help(language, p.simpler, p.example), p.field, extra,
                                      round=rnd))
                    if p.follow_up:
                        for n in range(1, p.follow_up.limit + 1):
                            steps.append(Step(f"{base}+{n}", Role.FOLLOW_UP, si, p, p.follow_up.text,
                                              _help(language, p.follow_up.text, p.example), p.field, extra, round=rnd,
                                              follow_up_of=base))
    return steps


def build_steps(dialogue: Dialogue, student) -> list[Step]:
    """The steps of the dialogue for ``student`` (a ``Student``): the parts of their role."""
    return plan_steps(dialogue, student.accommodations, student.past_goals, student.role)


def _section_of(dialogue: Dialogue, prompt: Prompt) -> int:
    return next(i for i, s in enumerate(dialogue.sections) if prompt in s.prompts)


def read_back_prompts(dialogue: Dialogue, role: int | None = None) -> list[tuple[int, list[Prompt]]]:
    """Per section, the prompts whose answers are read back at the end (lists of the
    student's points): of the parts of ``role`` (``None``: every part)."""
    return [(si, [p for p in prompts if SECTION[p.field].read_back]) for si, prompts in asked_prompts(dialogue, role)]


def review_step(dialogue: Dialogue, prompt: Prompt) -> Step:
    """In the read-back: a new answer for a part of the draft, which replaces it."""
    return Step(f"review:{prompt.id}", Role.REVIEW, _section_of(dialogue, prompt), prompt,
                message(dialogue.language, "session.tell_again", question=prompt.text),
                _help(dialogue.language, prompt.simpler, prompt.example), prompt.field,
                {"prompt": prompt.id})


def again_step(dialogue: Dialogue, prompt: Prompt, answer_id: int, question: str, answer_field: str,
               answer_extra: dict[str, Any]) -> Step:
    """A question a teacher marked "ask again" on answer ``answer_id`` (which was
    asked ``question`` and stored with ``answer_extra``): asked first, with the
    same field and item, so the new answer takes the old one's place in the draft."""
    si = _section_of(dialogue, prompt)
    item = answer_extra.get("accommodation") or answer_extra.get("goal")
    if prompt.kind in (Kind.ACCOMMODATIONS, Kind.PAST_GOALS) and isinstance(item, str):
        help_line = _item_step(si, prompt, item, dialogue.language).help
    else:
        help_line = _help(dialogue.language, prompt.simpler, prompt.example)
    asked = message(dialogue.language, "session.asked_again", question=question)
    return Step(f"again:{answer_id}", Role.AGAIN, si, prompt, asked, help_line, answer_field,
                {**answer_extra, "asked_again_for": answer_id, "prompt": prompt.id}, private=True)


def again_key(answer_id: int) -> str:
    return f"again:{answer_id}"


def prompt_of_key(dialogue: Dialogue, key: str, accommodations: Sequence[str] = (),
                  past_goals: Sequence[str] = ()) -> Prompt | None:
    """The prompt of the step ``key`` names, for answers stored before their prompt's
    id was: the key is matched whole against the keys of the steps planned for these
    items, and of the read-back."""
    planned = plan_steps(dialogue, accommodations, past_goals)
    planned += [review_step(dialogue, p) for _, prompts in read_back_prompts(dialogue) for p in prompts]
    return next((s.prompt for s in planned if s.key == key), None)


@dataclass(frozen=True)
class Plan:
    """The steps of one session (questions asked again first, then the dialogue's),
    and where each outcome of a step leads."""

    steps: tuple[Step, ...]

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def index(self, key: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.key == key), None)

    def key_at(self, i: int) -> str:
        """The position stored for step ``i``: past the last step, the read-back."""
        return self.steps[i].key if i < len(self.steps) else REVIEW

    def after(self, i: int, outcome: Outcome) -> int:
        """The step that follows step ``i`` when it ended with ``outcome``."""
        j = i + 1
        if outcome is Outcome.END_LIST:  # past the follow-ups of the list
            base = self.steps[i].follow_up_of or self.steps[i].key
            while j < len(self.steps) and self.steps[j].follow_up_of == base:
                j += 1
        elif outcome is Outcome.END_ROUNDS:  # past the remaining rounds of the section
            while j < len(self.steps) and self.steps[j].section == self.steps[i].section:
                j += 1
        elif outcome is not Outcome.NEXT:
            raise ValueError(f"{outcome} does not lead forward")
        return j

    def back(self, i: int) -> int:
        """Where "go back" leads from step ``i`` when nothing was asked before it in
        this run (a resumed session): the main question before it."""
        i = max(0, i - 1)
        while i > 0 and (self.steps[i].role in (Role.FOLLOW_UP, Role.GATE) or self.steps[i].round > 1):
            i -= 1
        return i
