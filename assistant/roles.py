"""The continuum of student involvement: the five roles a teacher can give a
student, and which parts of the IEP each role has the student speak to.

A role includes every part below it: role 3 is "my strengths and needs, how I
learn and my accommodations, and my goals". Parts are named by the draft's
section keys (``draft.SECTIONS``), so the dialogue, the draft and the documents
agree on what a part is without each keeping its own list.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.errors import UserError


@dataclass(frozen=True)
class Part:
    number: int  # the lowest role that includes it
    key: str  # stable name (stored, in JSON exports)
    title: str  # for the teacher
    mine: str  # in the student's words
    fields: tuple[str, ...]  # the draft's section keys whose answers belong to this part (prefixes)


PARTS: tuple[Part, ...] = (
    # the message to the team is every student's: it is how a student with the
    # smallest role still says what they want the adults to hear
    Part(1, "strengths_needs", "Strengths and needs", "What I am good at and what is hard for me",
         ("strengths", "interests", "challenges", "message_to_team")),
    Part(2, "learning", "How I learn and my accommodations", "How I learn and what helps me",
         ("learning_preferences", "accommodations")),
    Part(3, "goals", "Goals", "My goals", ("past_goals", "goals")),
    Part(4, "after_school", "Plans after school", "My plans after school", ("transition",)),
    Part(5, "meeting", "Leading the meeting", "I lead my IEP meeting", ()),
)
ROLES = tuple(range(1, len(PARTS) + 1))
ROLE_NAMES = {
    1: "My strengths and needs",
    2: "+ how I learn and my accommodations",
    3: "+ my goals",
    4: "+ my plans after school",
    5: "I lead my meeting",
}


def default_role(grade: int) -> int:
    """The role a student of this grade has until a teacher picks one: what the
    grade band's dialogue has always asked (every band drafts goals; plans after
    school from 9th grade). Leading the meeting is always the teacher's choice."""
    return 4 if grade >= 9 else 3


def check_role(role: int | str) -> int:
    """A role typed or sent by someone: a whole number from 1 to 5."""
    s = str(role).strip()
    if not s.isdigit() or int(s) not in ROLES:
        raise UserError(f"'{s[:20]}' is not a role: use 1 to 5 ("
                        + "; ".join(f"{n} {ROLE_NAMES[n]}" for n in ROLES) + ")")
    return int(s)


def parts_of(role: int) -> tuple[Part, ...]:
    """The parts a student with this role speaks to, in order."""
    return tuple(p for p in PARTS if p.number <= role)


def part_of_field(field: str) -> Part | None:
    """The part a draft section key (an answer's field) belongs to; None for
    what belongs to no part (open questions)."""
    for p in PARTS:
        if any(field == f or field.startswith(f + ".") for f in p.fields):
            return p
    return None


def asks(role: int, field: str) -> bool:
    """Whether a student with this role is asked for answers that go to ``field``."""
    part = part_of_field(field)
    return part is None or part.number <= role
