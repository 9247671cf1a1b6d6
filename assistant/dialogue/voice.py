"""The dialogue engine's two interfaces, and what passes through them.

The engine never touches audio devices or engines. It talks to a ``Voice`` that
says (shows and speaks) a line, and ``Ears`` that return the next ``Utterance``
(or None when the student said nothing for a while). The live audio loop, the
typed ``--text`` front end, the demo's simulated student and the tests are all a
Voice and Ears; a front end that must know what was said (the demo's student)
receives each line as a ``Said`` event, as a student hears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from pydantic import BaseModel, Field

from assistant.words import Word


class Listen(str, Enum):
    """What the ears listen for: a recognizer may use a grammar for yes or no."""

    ANSWER = "answer"  # free speech (an answer about an accommodation too: "No, I never use it")
    YES_NO = "yes_no"
    CHOICE = "choice"  # one of the spoken choices (younger students), or something else


class Utterance(BaseModel):
    text: str
    words: list[Word] = []
    engine: str | None = None
    model: str | None = None
    pcm: Any = Field(default=None, exclude=True)  # the recording (16 kHz int16), saved only if kept as an answer
    capped: bool = False


@dataclass(frozen=True)
class Said:
    """A line the program said: shown and spoken. ``private`` lines hold a student's
    words or IEP (name, accommodations, read-backs)."""

    text: str
    private: bool


class Voice(Protocol):
    rate: int

    def say(self, text: str, private: bool = True) -> None:
        """Show the text and speak it; return when it has been spoken. ``private``
        lines hold a student's words or IEP (name, accommodations, read-backs):
        whatever is made from them stays in the student's private folder."""

    def set_rate(self, rate: int) -> None: ...


class Ears(Protocol):
    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        """The next utterance. ``expect`` is a ``Listen`` ("answer", "yes_no" or
        "choice"); None means nothing was said for a while."""


class Stopped(Exception):
    """The front end has no more input (end of typed input): save and pause."""
