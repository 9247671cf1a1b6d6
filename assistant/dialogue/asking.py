"""Asking until settled: the one loop every question of a session goes through
(a step of the dialogue, "Is that right?", a part of the read-back, "tell me
again"), and the storage waits that every write and line of speech goes through.

The loop says the question, listens, and handles what means the same at every
question: "repeat", "slower", "faster", "help" (where the question has help) and
silence (a gentle re-prompt, then "take your time", never the end of the
session). Anything else is handed to the question's own ``settle``, which either
settles it (returns its outcome) or says why not (``Again``) and the loop
listens again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from assistant.dialogue.commands import Command, command_of
from assistant.dialogue.voice import Ears, Listen, Utterance, Voice
from assistant.store import StorageError, os_storage_error

T = TypeVar("T")

STORAGE_RETRY_SECONDS = 2.0  # how often a full or read-only disk is tried again
STORAGE_REMIND_SECONDS = 60.0
RATE_STEP, MIN_RATE, MAX_RATE = 25, 90, 280
STORAGE_PROBLEM = ("I can't save right now, because the computer's storage is full or locked. Please ask your teacher "
                   "for help. Nothing you said is lost, and we will go on as soon as it is fixed.")


class Saver:
    """Does writes to the data folder (the database, recordings, speech made from a
    student's words). A full disk or a folder that turned read-only does not end
    the session: the student is told, nothing is half-written (each write is one
    transaction, each recording written whole or not at all), and the write is
    tried again until it succeeds; what the student said waits in memory
    meanwhile. Anything else (a damaged database) ends the session with its
    message."""

    def __init__(self, folder: Path, voice: Voice, log: Callable[[str], None] | None = None):
        self.folder, self.voice = folder, voice
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))

    def __call__(self, write: Callable[[], T]) -> T:
        told = 0.0
        problem: StorageError | None
        while True:
            try:
                return write()
            except StorageError as e:
                problem = e
            except OSError as e:
                problem = os_storage_error(e, self.folder, "a recording")
                if problem is None:
                    raise
            if not problem.transient:
                raise problem
            if time.monotonic() - told > STORAGE_REMIND_SECONDS:
                self.log(f"iep-assistant: {problem}")
                self._announce(STORAGE_PROBLEM)
                told = time.monotonic()
            time.sleep(STORAGE_RETRY_SECONDS)

    def _announce(self, text: str) -> None:
        """Say a line about the storage itself: if even its speech cannot be made, it is shown."""
        try:
            self.voice.say(text, private=False)
        except StorageError:
            show = getattr(self.voice, "show", None)
            if show is not None:
                show(text)


@dataclass(frozen=True)
class Question:
    text: str  # said first, and again after "repeat" or a change of speed
    private: bool  # the text holds the student's words or IEP
    listen: Listen = Listen.ANSWER
    choices: tuple[str, ...] = ()
    help: str | None = None  # said on "help"; None: "help" goes to ``settle`` (a yes/no question asks for yes or no)


@dataclass(frozen=True)
class Again:
    """Not settled: say ``line`` (as private as the question), then listen again."""

    line: str


class Conversation:
    """Says lines and asks questions through a Voice and Ears."""

    def __init__(self, voice: Voice, ears: Ears, save: Saver, save_rate: Callable[[int], None],
                 silence_reprompts: int = 2):
        self.voice, self.ears, self.save = voice, ears, save
        self.save_rate = save_rate  # the student's speed, kept in their profile
        self.silence_reprompts = silence_reprompts

    def say(self, text: str, private: bool = False) -> None:
        """Say a line. Text is never a template here: a student's "{x}" is said as "{x}".
        Speech made from a student's words is saved in their folder: a full disk
        waits like any other write."""
        self.save(lambda: self.voice.say(text, private=private))

    def ask(self, q: Question, settle: Callable[[Utterance, Command | None], T | Again]) -> T:
        """Ask ``q`` until ``settle`` settles what was said: its outcome."""
        self.say(q.text, q.private)
        while True:
            u = self._hear(q)
            cmd = command_of(u.text)
            if cmd is Command.REPEAT:
                self.say(q.text, q.private)
            elif cmd in (Command.SLOWER, Command.FASTER):
                self._change_rate(-RATE_STEP if cmd is Command.SLOWER else RATE_STEP)
                self.say(q.text, q.private)
            elif cmd is Command.HELP and q.help is not None:
                self.say(q.help, q.private)
            else:
                outcome = settle(u, cmd)
                if not isinstance(outcome, Again):
                    return outcome
                self.say(outcome.line, q.private)

    def _hear(self, q: Question) -> Utterance:
        """The next utterance; silence gets a gentle re-prompt, then "take your time", and never ends the session."""
        quiet = 0
        while True:
            u = self.ears.hear(q.listen, list(q.choices) or None)
            if u is not None and u.text.strip():
                return u
            quiet += 1
            if quiet <= self.silence_reprompts:
                self.say(f"Take your time. {q.text}", q.private)
            else:
                self.say("Take your time. I am still here when you are ready.")

    def _change_rate(self, delta: int) -> None:
        rate = max(MIN_RATE, min(MAX_RATE, self.voice.rate + delta))
        self.voice.set_rate(rate)
        self.save(lambda: self.save_rate(rate))
        self.say("Okay, I will talk slower." if delta < 0 else "Okay, I will talk faster.")
