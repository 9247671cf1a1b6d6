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

from assistant import lexicon
from assistant.errors import UserError
from assistant.text import normalize_words

if TYPE_CHECKING:
    from assistant.dialogue.asking import Again, Conversation
    from assistant.dialogue.commands import Command
    from assistant.dialogue.voice import Utterance

# The conversation's modules (pydantic, the store, the vocabulary) are imported when
# a check-in runs, not when the command line is read: every other command would
# otherwise pay for them at start-up.

@dataclass(frozen=True)
class Ratings:
    """How a rating from 1 to 5 is said in one language."""

    numbers: dict[str, int]
    # What a recognizer writes for a number said alone ("for" for "four"): counted only
    # when it is the whole answer, never looked for inside a sentence ("it was hard to
    # focus" is not a 2).
    sounds_like: dict[str, int]
    # Said around a number without changing it: "about four", "I'd say a three", "like a 2"
    around: frozenset[str]
    out_of: re.Pattern
    other_numbers: re.Pattern


RATINGS = {
    "en": Ratings(
        {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5},
        {"won": 1, "to": 2, "too": 2, "tree": 3, "for": 4, "fore": 4},
        frozenset({"a", "about", "around", "like", "maybe", "probably", "i", "i'd", "id", "would", "say", "its", "it's",
                   "it", "is", "um", "uh", "hmm", "so", "okay", "ok", "well", "number", "pretty", "much", "going",
                   "the"}),
        re.compile(r"\bout of (?:5|five)\b"),
        re.compile(r"\b(?:zero|six|seven|eight|nine|ten|[06-9]|\d\d+)\b")),
    # "un tres", "como cuatro", "cuatro de cinco", "yo diría que un tres". Not "una":
    # "una" is "a" before a word as often as it is a number. Not "más o menos" as a
    # rating: it is said around one ("más o menos un tres") and alone is "okay", no number.
    "es": Ratings(
        {"uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5},
        {"tre": 3, "sinco": 5},
        frozenset({"un", "una", "como", "más", "mas", "menos", "o", "creo", "que", "es", "pues", "este", "eh", "em",
                   "mm", "yo", "diría", "diria", "digo", "tal", "vez", "quizás", "quizas", "número", "numero", "el",
                   "la", "bueno", "ok", "okay", "va", "me", "está", "esta", "le", "doy", "pondría", "pondria",
                   "casi", "unos", "sería", "seria", "pongo", "mmm", "ah"}),
        re.compile(r"\b(?:de|sobre) (?:5|cinco)\b"),
        re.compile(r"\b(?:cero|seis|siete|ocho|nueve|diez|[06-9]|\d\d+)\b")),
}

RATING_CHOICES = ("1", "2", "3", "4", "5")


def rating_of(text: str, language: str = "en") -> int | None:
    """The rating in an answer to "How is it going, from 1 to 5?": "three", "3",
    "a three", "about four", "four out of five" ("tres", "un tres", "como cuatro",
    "cuatro de cinco") are each one number; an answer with two different numbers
    ("three or four"), a number outside 1 to 5, or none is None (asked again)."""
    r = RATINGS.get(language, RATINGS["en"])
    words = normalize_words(r.out_of.sub(" ", " ".join(normalize_words(text, language))), language)
    if r.other_numbers.search(" ".join(words)):
        return None
    found = {r.numbers[w] for w in words if w in r.numbers}
    if len(found) == 1:
        return found.pop()
    if not found:
        rest = [w for w in words if w not in r.around]
        if len(rest) == 1 and rest[0] in r.sounds_like:
            return r.sounds_like[rest[0]]
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


def checkin_talk(voice, ears, save, save_rate, language: str = "en") -> Conversation:
    """A Conversation whose questions take "one" as 1: a short answer that nearly is
    a command is otherwise asked about ("one" is close to "done": "Did you mean
    'that's all'?"), and at "from 1 to 5" a number is what was meant."""
    from assistant.dialogue.asking import Conversation

    class CheckinTalk(Conversation):
        def _did_you_mean(self, u: Utterance) -> Command | None:
            if rating_of(u.text, self.language) is not None:
                return None
            return super()._did_you_mean(u)

    return CheckinTalk(voice, ears, save, save_rate, language=language)


@dataclass
class Checkin:
    """One check-in: asks, and saves the body after every answer."""

    talk: Conversation
    save_body: Callable[[dict, bool], None]
    voice: Any
    goals: list[str]
    accommodations: list[str]
    language: str = "en"

    def __post_init__(self) -> None:
        from assistant.messages import Messages

        self.body: dict = {"goals": [], "accommodations": []}
        self.m = Messages(self.language)

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
        self.talk.say(self.m("checkin.hello", name=first), private=True)
        try:
            for n, goal in enumerate(self.goals, 1):
                self._show("where", self.m("checkin.where_goal", number=n), n, parts)
                self._goal(n, goal)
            if self.accommodations:
                self._show("where", self.m("checkin.where_accommodations"), parts, parts)
                self.talk.say(self.m("checkin.accommodations"))
                for acc in self.accommodations:
                    self._accommodation(acc)
        except _Stop:
            self.talk.say(self.m("checkin.stop"))
            return "paused"
        except Stopped:  # no more input (typed answers ended): what was said is saved
            return "paused"
        self._save(finished=True)
        self.talk.say(self.m("checkin.thanks", name=first), private=True)
        return "finished"

    # ------------------------------------------------------------ a goal

    def _goal(self, n: int, goal: str) -> None:
        from assistant.dialogue.asking import YES_NO_TRIES, Question
        from assistant.dialogue.voice import Listen

        entry: dict = {"goal": goal, "rating": None, "said": None, "helped": None, "in_the_way": None}
        self.body["goals"].append(entry)
        question = self.m("checkin.rating_question", goal=goal.rstrip("."))
        entry["rating"], entry["said"] = self.talk.ask(
            Question(question, True, Listen.CHOICE, RATING_CHOICES, self.m("checkin.rating_help")),
            partial(self._settle_rating, question),
            YES_NO_TRIES, self._rating_given_up)
        self._save()
        self._free(self.m("checkin.helped"), self.m("checkin.helped_help"), entry, "helped")
        self._free(self.m("checkin.in_the_way"), self.m("checkin.in_the_way_help"), entry, "in_the_way")

    def _settle_rating(self, question: str, u: Utterance, cmd: Command | None) -> tuple[int | None, str | None] | Again:
        from assistant.dialogue.asking import Again
        from assistant.dialogue.commands import Command
        from assistant.lexicon import yes_no

        said = u.text.strip()
        rating = rating_of(said, self.language)
        if rating is not None:
            self.talk.say(self.m("checkin.rating_heard", rating=rating))
            return rating, said
        if cmd is Command.STOP:
            raise _Stop
        if cmd is Command.SKIP:
            self.talk.say(self.m("checkin.skipped"))
            return None, None
        if cmd is Command.DONT_KNOW or yes_no(said, self.language) == "not sure":
            self.talk.say(self.m("checkin.thats_okay"))
            return None, said
        if cmd is Command.BACK:
            return Again(self.m("checkin.no_back", question=question))
        return Again(self.m("checkin.rating_again", question=question))

    def _rating_given_up(self, replies: list[Utterance]) -> tuple[int | None, str | None]:
        """No number in three replies: they are kept as said, with no rating, and the check-in goes on."""
        self.talk.say(self.m("checkin.saved_go_on"))
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
                self.talk.say(self.m("checkin.skipped"))
                return None
            if cmd is Command.DONT_KNOW:
                self.talk.say(self.m("checkin.thats_okay"))
                return u.text.strip()
            if cmd is Command.BACK:
                return Again(self.m("checkin.no_back", question=question))
            # anything else is an answer, "nothing" too (What got in the way? Nothing.)
            said = u.text.strip()
            entry[key] = said
            self._save()
            if self._confirm(said) is None:
                entry[key] = None
                self._save()
                return Again(self.m("checkin.try_again", question=question))
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

        question = self.m("checkin.heard", answer=said.rstrip(".!?"))
        self._show("heard", said)

        def settle(u: Utterance, cmd: Command | None) -> bool | None | Again:
            v = yes_no(u.text, self.language)
            if v == "yes":
                return True
            if v == "no" or cmd is Command.BACK:  # "go back" here means: that is not what I meant
                return None
            if cmd is Command.STOP:
                raise _Stop
            return Again(self.m("checkin.yes_or_no", question=question))

        def give_up(replies: list[Utterance]) -> bool:
            self.talk.say(self.m("checkin.kept_go_on"))
            return False

        return self.talk.ask(Question(question, True, Listen.YES_NO), settle, YES_NO_TRIES, give_up)

    # ------------------------------------------------------------ an accommodation

    def _accommodation(self, acc: str) -> None:
        entry: dict = {"accommodation": acc, "used": None, "helped": None, "said": None}
        self.body["accommodations"].append(entry)
        said: list[str] = []
        entry["used"] = self._yes_no(self.m("checkin.used", accommodation=acc.rstrip(".")), self.m("checkin.used_help"),
                                     said)
        entry["said"] = " / ".join(said) or None
        self._save()
        if entry["used"] == "yes":
            entry["helped"] = self._yes_no(self.m("checkin.did_it_help"), self.m("checkin.did_it_help_help"), said)
            entry["said"] = " / ".join(said) or None
            self._save()

    def _yes_no(self, question: str, help_text: str, said: list[str]) -> str | None:
        """yes, no or not sure ("I don't know" is not sure); None when skipped or
        neither three times (what was said is kept in ``said``)."""
        from assistant.dialogue.asking import YES_NO_TRIES, Again, Question
        from assistant.dialogue.commands import Command
        from assistant.dialogue.voice import Listen

        def settle(u: Utterance, cmd: Command | None) -> str | None | Again:
            if cmd is Command.STOP:
                raise _Stop
            if cmd is Command.SKIP:
                self.talk.say(self.m("checkin.skipped"))
                return None
            if cmd is Command.HELP:
                return Again(help_text)
            v = lexicon.verdict(u.text, self.language)
            if v is not None:
                said.append(u.text.strip())
                return v
            if cmd is Command.BACK:
                return Again(self.m("checkin.no_back", question=question))
            return Again(self.m("checkin.yes_no_or_not_sure", question=question))

        def give_up(replies: list[Utterance]) -> str | None:
            said.extend(r.text.strip() for r in replies)
            self.talk.say(self.m("checkin.saved_go_on"))
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
        save = Saver(store.dir, talk.voice, language=student.language)
        conversation = checkin_talk(talk.voice, talk.ears, save,
                                   lambda rate: store.roster.set_voice(student.id, rate=rate), language=student.language)
        started: dict[str, int] = {}

        def save_body(body: dict, finished: bool) -> None:
            # the row is made at the first answer: a check-in with nothing said leaves nothing behind
            if "id" not in started:
                started["id"] = save(lambda: store.checkins.start(student.id, body, at))
            save(lambda: store.checkins.save(started["id"], body, finished))

        talk.ending = Checkin(conversation, save_body, talk.voice, goals, list(student.accommodations),
                              student.language).run(student.name)
    if talk.ending == "finished":
        _err(f"finished: the teacher sees it in the review app (the student's check-ins), or with iep-assistant export "
             f"--student '{student.label}' --format md")
    elif "id" in started:
        _err("stopped: what was said is saved; the next check-in starts a new one")
    else:
        _err("stopped before any answer: nothing was saved")
    return 0
