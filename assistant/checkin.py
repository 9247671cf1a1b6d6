"""Goal check-ins through the year (``iep-assistant checkin``): a short spoken or
typed conversation. For each goal of the student's current draft: how it is going
from 1 to 5, what helped and what got in the way (read back and confirmed, as in a
session); then for each accommodation in the IEP: did you use it, and did it help.

Every answer is saved at once (``store.checkins.start``, then ``save`` after each
answer): a check-in that stops part-way keeps what was said, with the status
"started". A stopped check-in is not resumed: the next one is a new check-in (each
is a snapshot of one day, and a day's answers are best given on that day).

It talks through a ``dialogue.asking.Conversation``, so "repeat", "slower",
"faster", "help" and silence work as in every session, and everything said is also
shown (the Voice)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from assistant.errors import UserError
from assistant.text import normalize_words

if TYPE_CHECKING:
    from assistant.dialogue.asking import Again, Conversation
    from assistant.dialogue.commands import Command
    from assistant.dialogue.voice import Utterance

# The conversation's modules (pydantic, the store, the vocabulary) are imported when
# a check-in runs, not when the command line is read: every other command would
# otherwise pay for them at start-up.

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
# What a recognizer writes for a number said alone ("for" for "four"): counted only
# when it is the whole answer, never looked for inside a sentence ("it was hard to
# focus" is not a 2).
SOUNDS_LIKE = {"won": 1, "to": 2, "too": 2, "tree": 3, "for": 4, "fore": 4}
# Said around a number without changing it: "about four", "I'd say a three", "like a 2"
AROUND = {"a", "about", "around", "like", "maybe", "probably", "i", "i'd", "id", "would", "say", "its", "it's", "it",
          "is", "um", "uh", "hmm", "so", "okay", "ok", "well", "number", "pretty", "much", "going", "the"}
OUT_OF = re.compile(r"\bout of (?:5|five)\b")
OTHER_NUMBERS = re.compile(r"\b(?:zero|six|seven|eight|nine|ten|[06-9]|\d\d+)\b")

RATING_CHOICES = ("1", "2", "3", "4", "5")
RATING_HELP = ("Say one number from 1 to 5. 1 means not well at all. 3 means okay. 5 means really well. "
               "If you are not sure, say I don't know.")
HELPED_HELP = "Tell me what made it easier. For example: my teacher checked in with me, or I used a checklist."
IN_THE_WAY_HELP = "Tell me what made it harder. For example: I was tired, or the class was noisy."
USED_HELP = "Say yes if you used it since we last talked, no if you did not, or not sure."
STOP_LINE = ("Okay, let's stop here. Everything you said is saved. Next time we will start a new check-in.")
NO_BACK = "In a check-in we go one question at a time, so we can't go back."


def rating_of(text: str) -> int | None:
    """The rating in an answer to "How is it going, from 1 to 5?": "three", "3",
    "a three", "about four", "four out of five" are each one number; an answer with
    two different numbers ("three or four"), a number outside 1 to 5, or none is
    None (asked again)."""
    words = normalize_words(OUT_OF.sub(" ", " ".join(normalize_words(text))))
    if OTHER_NUMBERS.search(" ".join(words)):
        return None
    found = {NUMBERS[w] for w in words if w in NUMBERS}
    if len(found) == 1:
        return found.pop()
    if not found:
        rest = [w for w in words if w not in AROUND]
        if len(rest) == 1 and rest[0] in SOUNDS_LIKE:
            return SOUNDS_LIKE[rest[0]]
    return None


def goal_statements(store, student) -> list[str]:
    """The goals checked in on: the statements of the student's current draft, in the
    teacher's wording where the teacher reworded them, else in the student's words."""
    from assistant.review.exports import current_draft, words

    d, _ = current_draft(store, student)
    return [words(g.statement, mark=False) for g in d.goals if g.statement and words(g.statement, mark=False)]


def check_date(text: str | None) -> str | None:
    """``--date``: a real day, not in the future (a check-in done on paper is entered
    afterwards, never before)."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--date '{text}' is not a date: give it as YYYY-MM-DD, e.g. --date "
                        f"{dt.date.today().isoformat()}") from None
    if day > dt.date.today():
        raise UserError(f"--date {day.isoformat()} is in the future: a check-in is recorded on the day it was done "
                        f"or later (today is {dt.date.today().isoformat()})")
    return day.isoformat()


class _Stop(Exception):
    """The student said stop."""


def checkin_talk(*args) -> Conversation:
    """A Conversation whose questions take "one" as 1: a short answer that nearly is
    a command is otherwise asked about ("one" is close to "done": "Did you mean
    'that's all'?"), and at "from 1 to 5" a number is what was meant."""
    from assistant.dialogue.asking import Conversation

    class CheckinTalk(Conversation):
        def _did_you_mean(self, u: Utterance) -> Command | None:
            if rating_of(u.text) is not None:
                return None
            return super()._did_you_mean(u)

    return CheckinTalk(*args)


@dataclass
class Checkin:
    """One check-in: asks, and saves the body after every answer."""

    talk: Conversation
    save_body: Callable[[dict, bool], None]
    voice: Any
    goals: list[str]
    accommodations: list[str]

    def __post_init__(self) -> None:
        self.body: dict = {"goals": [], "accommodations": []}

    def _save(self, finished: bool = False) -> None:
        self.save_body(self.body, finished)

    def _show(self, what: str, *args) -> None:
        """The student's page, when there is one: where the student is, what was heard."""
        show = getattr(self.voice, what, None)
        if show is not None:
            show(*args)

    def run(self, name: str) -> str:
        """"finished", or "paused" (stopped: what was said is saved)."""
        from assistant.dialogue.voice import Stopped

        first = name.split()[0] if name.split() else name
        parts = len(self.goals) + (1 if self.accommodations else 0)
        self.talk.say(f"Hi {first}. Let's check in on your goals. For each goal, I will ask how it is going, what "
                      "helped, and what got in the way. Say stop at any time to stop.", private=True)
        try:
            for n, goal in enumerate(self.goals, 1):
                self._show("where", f"Goal {n}", n, parts)
                self._goal(n, goal)
            if self.accommodations:
                self._show("where", "Accommodations", parts, parts)
                self.talk.say("Now, your accommodations.")
                for acc in self.accommodations:
                    self._accommodation(acc)
        except _Stop:
            self.talk.say(STOP_LINE)
            return "paused"
        except Stopped:  # no more input (typed answers ended): what was said is saved
            return "paused"
        self._save(finished=True)
        self.talk.say(f"Thank you, {first}. Your check-in is saved, and your teacher will see it.", private=True)
        return "finished"

    # ------------------------------------------------------------ a goal

    def _goal(self, n: int, goal: str) -> None:
        from assistant.dialogue.asking import YES_NO_TRIES, Question
        from assistant.dialogue.voice import Listen

        entry: dict = {"goal": goal, "rating": None, "said": None, "helped": None, "in_the_way": None}
        self.body["goals"].append(entry)
        question = (f"Your goal: {goal.rstrip('.')}. How is it going, from 1 to 5? 1 means not well at all, "
                    "5 means really well.")
        entry["rating"], entry["said"] = self.talk.ask(
            Question(question, True, Listen.CHOICE, RATING_CHOICES, RATING_HELP), partial(self._settle_rating, question),
            YES_NO_TRIES, self._rating_given_up)
        self._save()
        self._free("What helped?", HELPED_HELP, entry, "helped")
        self._free("What got in the way?", IN_THE_WAY_HELP, entry, "in_the_way")

    def _settle_rating(self, question: str, u: Utterance, cmd: Command | None) -> tuple[int | None, str | None] | Again:
        from assistant.dialogue.asking import Again
        from assistant.dialogue.commands import Command
        from assistant.lexicon import yes_no

        said = u.text.strip()
        rating = rating_of(said)
        if rating is not None:
            self.talk.say(f"Okay, {rating} out of 5.")
            return rating, said
        if cmd is Command.STOP:
            raise _Stop
        if cmd is Command.SKIP:
            self.talk.say("Okay, we will skip that one.")
            return None, None
        if cmd is Command.DONT_KNOW or yes_no(said) == "not sure":
            self.talk.say("That's okay.")
            return None, said
        if cmd is Command.BACK:
            return Again(f"{NO_BACK} {question}")
        return Again(f"Please say one number from 1 to 5, or say I don't know. {question}")

    def _rating_given_up(self, replies: list[Utterance]) -> tuple[int | None, str | None]:
        """No number in three replies: they are kept as said, with no rating, and the check-in goes on."""
        self.talk.say("Okay, let's go on. I saved what you said for your teacher.")
        return None, " / ".join(r.text.strip() for r in replies)

    def _free(self, question: str, help_text: str, entry: dict, key: str) -> None:
        """A free answer into ``entry[key]``, read back and confirmed: the words, "I
        don't know" as said, or None (skipped). What was said is saved before it is
        read back (a stop at "Is that right?" keeps it), and taken out again at a no."""
        from assistant.dialogue.asking import Again, Question
        from assistant.dialogue.commands import Command
        from assistant.dialogue.voice import Listen

        def settle(u: Utterance, cmd: Command | None) -> str | None | Again:
            if cmd is Command.STOP:
                raise _Stop
            if cmd is Command.SKIP:
                self.talk.say("Okay, we will skip that one.")
                return None
            if cmd is Command.DONT_KNOW:
                self.talk.say("That's okay.")
                return u.text.strip()
            if cmd is Command.BACK:
                return Again(f"{NO_BACK} {question}")
            # anything else is an answer, "nothing" too (What got in the way? Nothing.)
            said = u.text.strip()
            entry[key] = said
            self._save()
            if self._confirm(said) is None:
                entry[key] = None
                self._save()
                return Again(f"Okay, let's try again. {question}")
            return said

        entry[key] = self.talk.ask(Question(question, False, Listen.ANSWER, help=help_text), settle)
        self._save()

    def _confirm(self, said: str) -> bool | None:
        """ "I heard: ... Is that right?" True: yes; None: no (asked again); neither
        three times: kept as said (False), and the check-in goes on. "stop" stops."""
        from assistant.dialogue.asking import YES_NO_TRIES, Again, Question
        from assistant.dialogue.commands import Command
        from assistant.dialogue.voice import Listen
        from assistant.lexicon import yes_no
        question = f"I heard: {said.rstrip('.!?')}. Is that right?"
        self._show("heard", said)

        def settle(u: Utterance, cmd: Command | None) -> bool | None | Again:
            v = yes_no(u.text)
            if v == "yes":
                return True
            if v == "no" or cmd is Command.BACK:  # "go back" here means: that is not what I meant
                return None
            if cmd is Command.STOP:
                raise _Stop
            return Again(f"Please say yes or no. {question}")

        def give_up(replies: list[Utterance]) -> bool:
            self.talk.say("Okay, let's go on. I kept what you said.")
            return False

        return self.talk.ask(Question(question, True, Listen.YES_NO), settle, YES_NO_TRIES, give_up)

    # ------------------------------------------------------------ an accommodation

    def _accommodation(self, acc: str) -> None:
        entry: dict = {"accommodation": acc, "used": None, "helped": None, "said": None}
        self.body["accommodations"].append(entry)
        said: list[str] = []
        entry["used"] = self._yes_no(f"Did you use {acc.rstrip('.')}?", USED_HELP, said)
        entry["said"] = " / ".join(said) or None
        self._save()
        if entry["used"] == "yes":
            entry["helped"] = self._yes_no("Did it help?", "Say yes if it helped, no if it did not, or not sure.", said)
            entry["said"] = " / ".join(said) or None
            self._save()

    def _yes_no(self, question: str, help_text: str, said: list[str]) -> str | None:
        """yes, no or not sure ("I don't know" is not sure); None when skipped or
        neither three times (what was said is kept in ``said``)."""
        from assistant.dialogue.asking import YES_NO_TRIES, Again, Question
        from assistant.dialogue.commands import Command
        from assistant.dialogue.voice import Listen
        from assistant.lexicon import verdict

        def settle(u: Utterance, cmd: Command | None) -> str | None | Again:
            if cmd is Command.STOP:
                raise _Stop
            if cmd is Command.SKIP:
                self.talk.say("Okay, we will skip that one.")
                return None
            if cmd is Command.HELP:
                return Again(help_text)
            v = verdict(u.text)
            if v is not None:
                said.append(u.text.strip())
                return v
            if cmd is Command.BACK:
                return Again(f"{NO_BACK} {question}")
            return Again(f"Please say yes, no, or not sure. {question}")

        def give_up(replies: list[Utterance]) -> str | None:
            said.extend(r.text.strip() for r in replies)
            self.talk.say("Okay, let's go on. I saved what you said for your teacher.")
            return None

        # private: an accommodation is part of the student's IEP
        return self.talk.ask(Question(question, True, Listen.YES_NO), settle, YES_NO_TRIES, give_up)


# ---------------------------------------------------------------- the command

def add_parser(sub: Any) -> None:
    from assistant.frontend import add_talk_args

    p: argparse.ArgumentParser = sub.add_parser(
        "checkin", help="a short goal check-in with a student: how each goal is going, what helped, accommodations used")
    add_talk_args(p)
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="record a check-in done on another day (e.g. on paper); not in the future (default: today)")
    p.set_defaults(func=cmd_checkin)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_checkin(args) -> int:
    from pathlib import Path

    from assistant.dialogue.asking import Saver
    from assistant.frontend import active_student, talking
    from assistant.locks import session_lock
    from assistant.store import Store
    from assistant.store.db import now

    day = check_date(args.date)  # before anything is opened or said
    store = Store(Path(args.data_dir) if args.data_dir else None)
    student = active_student(store, args.student)
    goals = goal_statements(store, student)
    if not goals:
        raise UserError(f"{student.label} has no goals to check in on yet: draft goals in a session (iep-assistant "
                        f"session --student '{student.label}', with a role that sets goals: 3 or more), or add them in "
                        "the review app (the student's page, Edit the draft, Goals)")
    # one conversation with a student at a time (a session and a check-in would talk over each other)
    lock = session_lock(store.dir, student.id, student.label, doing="check-in")  # noqa: F841 (held until the end)
    at = f"{day}T{now()[11:]}" if day else None
    with talking(args, store, student) as talk:
        save = Saver(store.dir, talk.voice)
        conversation = checkin_talk(talk.voice, talk.ears, save,
                                   lambda rate: store.roster.set_voice(student.id, rate=rate))
        started: dict[str, int] = {}

        def save_body(body: dict, finished: bool) -> None:
            # the row is made at the first answer: a check-in with nothing said leaves nothing behind
            if "id" not in started:
                started["id"] = save(lambda: store.checkins.start(student.id, body, at))
            save(lambda: store.checkins.save(started["id"], body, finished))

        talk.ending = Checkin(conversation, save_body, talk.voice, goals, list(student.accommodations)).run(student.name)
    if talk.ending == "finished":
        _err(f"finished: the teacher sees it in the review app (the student's check-ins), or with iep-assistant export "
             f"--student '{student.label}' --format md")
    elif "id" in started:
        _err("stopped: what was said is saved; the next check-in starts a new one")
    else:
        _err("stopped before any answer: nothing was saved")
    return 0
