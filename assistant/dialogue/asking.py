"""Asking until settled: the one loop every question of a session goes through
(a step of the dialogue, "Is that right?", a part of the read-back, "tell me
again"), and the storage waits that every write and line of speech goes through.

The loop says the question, listens, and handles what means the same at every
question: "repeat", "slower", "faster", "help" (where the question has help) and
silence (a gentle re-prompt, then "take your time", never the end of the
session). A short answer that nearly is a command ("next all") is checked
first: "Did you mean 'that's all'?"; a yes runs the command, a no keeps it as an
answer. Anything else is handed to the question's own ``settle``, which either
settles it (returns its outcome) or says why not (``Again``) and the loop
listens again; a question asked with ``tries`` gives up after that many
unsettled replies (a yes/no question answered three times with neither) and
hands them to ``give_up``.

"What does accommodation mean?" (or "what is an IEP", "what does that mean"
with an IEP word in the question) is answered before anything is settled: the
glossary's plain explanation (``lessons.glossary``), then the question again; it
is never an answer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from assistant.dialogue.commands import Command, as_command, command_of
from assistant.dialogue.vocabulary import DEFAULT_LANGUAGE, asked_meaning, canonical, near_command
from assistant.dialogue.voice import Ears, Listen, Utterance, Voice
from assistant.lexicon import yes_no
from assistant.messages import REFERENCE, Messages, message
from assistant.store import StorageError, os_storage_error

T = TypeVar("T")

STORAGE_RETRY_SECONDS = 2.0  # how often a full or read-only disk is tried again
STORAGE_REMIND_SECONDS = 60.0
RATE_STEP, MIN_RATE, MAX_RATE = 25, 90, 280
YES_NO_TRIES = 3  # replies with neither yes nor no before a yes/no question moves on
# What is said, in English (the tests' and the other front ends' names for them); a
# conversation says them in its own language (dialogues/LANG/messages/asking.yaml).
UNKNOWN_WORD = message(REFERENCE, "asking.unknown_word")
STORAGE_PROBLEM = message(REFERENCE, "asking.storage_problem")


class Saver:
    """Does writes to the data folder (the database, recordings, speech made from a
    student's words). A full disk or a folder that turned read-only does not end
    the session: the student is told, nothing is half-written (each write is one
    transaction, each recording written whole or not at all), and the write is
    tried again until it succeeds; what the student said waits in memory
    meanwhile. Anything else (a damaged database) ends the session with its
    message."""

    def __init__(self, folder: Path, voice: Voice, log: Callable[[str], None] | None = None,
                 language: str = DEFAULT_LANGUAGE):
        self.folder, self.voice = folder, voice
        self.m = Messages(language)  # the student hears why the session waits in their language
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
                self._announce(self.m("asking.storage_problem"))
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
                 silence_reprompts: int = 2, language: str = DEFAULT_LANGUAGE):
        self.voice, self.ears, self.save = voice, ears, save
        self.language = language
        self.m = Messages(language)
        self.save_rate = save_rate  # the student's speed, kept in their profile
        self.silence_reprompts = silence_reprompts

    def say(self, text: str, private: bool = False, prompt: bool = False) -> None:
        """Say a line. Text is never a template here: a student's "{x}" is said as "{x}".
        Speech made from a student's words is saved in their folder: a full disk
        waits like any other write. A ``prompt`` is a line the student answers: a
        voice with a screen that shows it as such has ``say_prompt``."""
        say = getattr(self.voice, "say_prompt", None) if prompt else None
        self.save(lambda: (say or self.voice.say)(text, private=private))

    def ask(self, q: Question, settle: Callable[[Utterance, Command | None], T | Again], tries: int | None = None,
            give_up: Callable[[list[Utterance]], T] | None = None) -> T:
        """Ask ``q`` until ``settle`` settles what was said: its outcome. With
        ``tries``, after that many replies ``settle`` did not settle, the outcome
        is ``give_up(those replies)``."""
        self.say(q.text, q.private, prompt=True)
        unsettled: list[Utterance] = []
        while True:
            u = self._hear(q)
            explained = self._explain(u, q)
            if explained is not None:
                self.say(explained)
                self.say(q.text, q.private, prompt=True)
                continue
            cmd = command_of(u.text, self.language)
            if cmd is None and asked_meaning(u.text, self.language) == ("", False):
                cmd = Command.HELP  # "what does it mean?" with no IEP word in the question: as "what does that mean"
            if cmd is None and q.listen is not Listen.YES_NO:
                cmd = self._did_you_mean(u)  # what would be stored as an answer: a near-command is asked about
            if cmd is Command.REPEAT:
                self.say(q.text, q.private, prompt=True)
            elif cmd in (Command.SLOWER, Command.FASTER):
                self._change_rate(-RATE_STEP if cmd is Command.SLOWER else RATE_STEP)
                self.say(q.text, q.private, prompt=True)
            elif cmd is Command.HELP and q.help is not None:
                self.say(q.help, q.private, prompt=True)
            else:
                outcome = settle(u, cmd)
                if not isinstance(outcome, Again):
                    return outcome
                unsettled.append(u)
                if tries is not None and give_up is not None and len(unsettled) >= tries:
                    return give_up(unsettled)
                self.say(outcome.line, q.private, prompt=True)

    def _explain(self, u: Utterance, q: Question) -> str | None:
        """What to say when the student asked what a word means, else None.
        "What does that mean?" explains the IEP words of the question; with none
        there it is what it always was ("help": the question's simpler wording). A
        word the glossary does not know is said to be unknown, except after "what
        is": "what's hard is reading" is an answer."""
        asked = asked_meaning(u.text, self.language)
        if asked is None:
            return None
        from assistant.lessons import glossary  # here: pydantic and YAML only when asked

        words = glossary(self.language)
        phrase, only_if_known = asked
        if not phrase:
            meanings = words.in_question(q.text)
            return " ".join(meanings) if meanings else None
        meaning = words.meaning(phrase)
        if meaning is not None:
            return meaning
        return None if only_if_known else self.m("asking.unknown_word")

    def _did_you_mean(self, u: Utterance) -> Command | None:
        """The command a short answer nearly is ("next all"), when the student says
        so: "Did you mean 'that's all'?" Yes runs it; no (or three replies with
        neither) keeps what was said as an answer, which is then read back as any
        answer is; another command said now is that command."""
        near = near_command(u.text, self.language)
        if near is None:
            return None
        command = as_command(near)
        question = self.m("asking.did_you_mean", command=canonical(near, self.language))

        def settle(reply: Utterance, cmd: Command | None) -> Command | None | Again:
            v = yes_no(reply.text, self.language)
            if v == "yes":
                return command
            if v == "no":
                return None
            if cmd is not None:
                return cmd
            return Again(self.m("asking.say_yes_or_no", question=question))

        return self.ask(Question(question, False, Listen.YES_NO), settle, YES_NO_TRIES, lambda replies: None)

    def _hear(self, q: Question) -> Utterance:
        """The next utterance; silence gets a gentle re-prompt, then "take your time", and never ends the session."""
        quiet = 0
        while True:
            u = self.ears.hear(q.listen, list(q.choices) or None)
            if u is not None and u.text.strip():
                return u
            quiet += 1
            if quiet <= self.silence_reprompts:
                self.say(self.m("asking.take_your_time", question=q.text), q.private, prompt=True)
            else:
                self.say(self.m("asking.still_here"), prompt=True)

    def _change_rate(self, delta: int) -> None:
        rate = max(MIN_RATE, min(MAX_RATE, self.voice.rate + delta))
        self.voice.set_rate(rate)
        self.save(lambda: self.save_rate(rate))
        self.say(self.m("asking.slower") if delta < 0 else self.m("asking.faster"))
