"""Preparation lessons (``iep-assistant learn``) and the glossary behind "what
does ... mean?".

A lesson is a few plain sentences with an example (what an IEP is, present
levels, accommodation, goal, transition, the people at the meeting), then one
check the student answers with yes or no or in their own words, with a kind
reply either way: a wrong yes or no gets the right answer explained. The lessons
are data (``dialogues/<language>/lessons/lessons.yaml``, validated here with
file:line errors, like the dialogues), so a teacher or translator changes words,
not code. Every attempt is stored (``store.lessons``); without ``--lesson`` a
student does the lessons they have not passed yet.

The glossary is the lessons' terms with their one-sentence meanings, plus the
accommodation explanations of ``lexicon.EXPLAIN``; ``dialogue.asking`` answers
"what does accommodation mean?" from it at any prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import UserError
from assistant.lexicon import ACCOMMODATIONS, EXPLAIN
from assistant.paths import dialogues_dir
from assistant.text import _PLACEHOLDER, normalize, placeholders

DEFAULT_LANGUAGE = "en"
YOUNGER_UP_TO = 2  # kindergarten to 2nd grade hear a lesson's ``younger`` words when it has them


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Check(_Strict):
    kind: Literal["yes_no", "open"] = Field(description="yes_no: answered yes or no; open: in the student's own words")
    text: str = Field(min_length=1, description="the question")
    answer: Literal["yes", "no"] | None = Field(default=None, description="yes_no: the right answer")
    right: str = Field(min_length=1, description="said after a right yes/no answer, or any own-words answer")
    explain: str | None = Field(default=None, description="yes_no: said after a wrong or missing answer (the right one, kindly)")

    @model_validator(mode="after")
    def _check(self) -> Check:
        if self.kind == "yes_no" and (self.answer is None or not self.explain):
            raise ValueError("a yes_no check needs its answer (yes or no) and explain (the right answer, kindly)")
        if self.kind == "open" and (self.answer is not None or self.explain is not None):
            raise ValueError("an open check has no answer or explain: any answer in the student's own words passes it")
        return self


class Lesson(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_]+$", description="stored with each attempt (lessons.lesson)")
    title: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1, description="the words 'what does ... mean?' explains with ``meaning``")
    meaning: str = Field(min_length=1, description="one or two plain sentences")
    text: str = Field(min_length=1, description="the lesson: a few plain sentences with an example")
    younger: str | None = Field(default=None, description="the lesson in words for kindergarten to 2nd grade")
    check: Check

    def words_for(self, grade: int) -> str:
        return self.younger if self.younger and grade <= YOUNGER_UP_TO else self.text


class LessonBook(_Strict):
    language: str = Field(pattern=r"^[a-z]{2}$")
    welcome: str = Field(min_length=1, description="{name} is the student's name")
    goodbye: str = Field(min_length=1, description="{name} is the student's name")
    lessons: list[Lesson] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LessonBook:
        for where, text, allowed in [("welcome", self.welcome, {"name"}), ("goodbye", self.goodbye, {"name"}),
                                     *((f"lesson {ls.key}", t, set()) for ls in self.lessons
                                       for t in (ls.title, ls.meaning, ls.text, ls.younger or "", ls.check.text,
                                                 ls.check.right, ls.check.explain or ""))]:
            rest = _PLACEHOLDER.sub("", text)
            if placeholders(text) - allowed or "{" in rest or "}" in rest:
                raise ValueError(f"{where} has a placeholder or brace it cannot have (said aloud as it is)")
        keys = [ls.key for ls in self.lessons]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a lesson key is used twice: {', '.join(sorted({k for k in keys if keys.count(k) > 1}))}")
        return self

    def lesson(self, key: str) -> Lesson:
        for ls in self.lessons:
            if ls.key == key:
                return ls
        raise UserError(f"no lesson '{key}': the lessons are {', '.join(ls.key for ls in self.lessons)}")


def lessons_file(language: str = DEFAULT_LANGUAGE) -> Path:
    """The lessons of a language (English until a language has its own)."""
    path = dialogues_dir() / language / "lessons" / "lessons.yaml"
    return path if path.is_file() else dialogues_dir() / DEFAULT_LANGUAGE / "lessons" / "lessons.yaml"


def load_lessons(path: str | Path) -> LessonBook:
    """Load and validate a lessons file; errors name the file, line and field
    (the dialogue loader's way: ``dialogue.schema``)."""
    from assistant.dialogue.schema import _line_of

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such lessons file (reinstall iep-assistant?)") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise UserError(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict) or node is None:
        raise UserError(f"{path}:1: a lessons file is a mapping with language, welcome, goodbye and lessons")
    try:
        return LessonBook(**data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
            lines.append(f"{path}:{_line_of(node, loc)}: {'.'.join(str(x) for x in loc) or '(top level)'}: {err['msg']}")
        raise UserError("\n".join(lines)) from None


@cache
def lesson_book(language: str = DEFAULT_LANGUAGE) -> LessonBook:
    return load_lessons(lessons_file(language))


# ---------------------------------------------------------------- the glossary

@dataclass(frozen=True)
class Glossary:
    """IEP words a student may ask about, normalised, with what each means."""

    meanings: dict[str, str]  # every way to say a term -> its meaning
    in_questions: tuple[str, ...]  # the terms looked for in a question ("what does that mean?"), longest first

    def meaning(self, phrase: str) -> str | None:
        """What ``phrase`` (normalised, as asked: "an accommodation") means, or None."""
        words = phrase.split()
        while words and words[0] in ("a", "an", "the", "my", "your", "this", "that", "word"):
            words = words[1:]
        return self.meanings.get(" ".join(words))

    def in_question(self, question: str, most: int = 2) -> list[str]:
        """The meanings of the IEP words in ``question``, in the order they come
        (at most ``most``, each once): what "that" is in "what does that mean?"."""
        text = f" {normalize(question)} "
        found: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for term in self.in_questions:  # longest first: "transition plan" before "transition"
            for m in re.finditer(f" {re.escape(term)} ", text):
                span = (m.start(), m.end())
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                taken.append(span)
                found.append((m.start(), self.meanings[term]))
        out: list[str] = []
        for _, meaning in sorted(found):
            if meaning not in out:
                out.append(meaning)
        return out[:most]


@cache
def glossary(language: str = DEFAULT_LANGUAGE) -> Glossary:
    """The lessons' terms and the accommodations of ``lexicon`` (each by every name
    students use for it: "extra time" is extended time). In a question only an
    accommodation's own name is looked for, not its looser variants ("a break")."""
    meanings: dict[str, str] = {}
    looked_for: set[str] = set()
    for name, explanation in EXPLAIN.items():
        for phrase in [name, *ACCOMMODATIONS.get(name, [])]:
            meanings.setdefault(normalize(phrase, language), explanation)
        looked_for.add(normalize(name, language))
    try:
        book: LessonBook | None = lesson_book(language)
    except UserError:
        book = None  # a damaged lessons file: the accommodations are still explained (the tests check the file)
    for lesson in book.lessons if book else []:
        for term in lesson.terms:
            key = normalize(term, language)
            meanings[key] = lesson.meaning.strip()
            looked_for.add(key)
    return Glossary(meanings, tuple(sorted(looked_for, key=lambda t: (-len(t), t))))


# ---------------------------------------------------------------- the command

def add_parser(sub) -> None:
    from assistant.frontend import add_talk_args

    p = sub.add_parser("learn", help="short spoken lessons about the words of an IEP, before the first session")
    add_talk_args(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--lesson", metavar="KEY", help="one lesson: iep, present_levels, accommodation, goal, transition, "
                                                       "meeting_people")
    which.add_argument("--all", action="store_true", help="every lesson, also those already passed")
    p.set_defaults(func=cmd_learn)


def passed_lessons(store, student_id: int) -> set[str]:
    """The lessons whose check the student has answered, in any attempt."""
    return {row["lesson"] for row in store.lessons.of_student(student_id) if row["passed"]}


def cmd_learn(args) -> int:
    from assistant.cli import _err, _store
    from assistant.frontend import talking
    from assistant.locks import session_lock

    store = _store(args)
    student = store.roster.find(args.student)
    if student.archived:
        raise UserError(f"{student.label} is archived: a teacher can bring them back in the review app, or with "
                        f"iep-assistant student edit '{student.label}' --unarchive")
    book = lesson_book(student.language)
    if args.lesson:
        todo = [book.lesson(args.lesson)]
    elif args.all:
        todo = list(book.lessons)
    else:
        done = passed_lessons(store, student.id)
        todo = [ls for ls in book.lessons if ls.key not in done]
        if not todo:
            _err(f"{student.label} has done every lesson; pass --all to do them again, or --lesson KEY for one")
            return 0
    lock = session_lock(store.dir, student.id, student.label, doing="lessons")  # noqa: F841 (one conversation at a time)
    with talking(args, store, student) as talk:
        finished = Lessons(book, student, store, talk.voice, talk.ears, typed=bool(args.text)).run(todo)
        talk.ending = "finished" if finished else "paused"
    if not finished:
        _err(f"stopped: continue with iep-assistant learn --student '{student.label}'")
    return 0


class Lessons:
    """Runs lessons with a student through one ``Conversation``, storing each attempt."""

    def __init__(self, book: LessonBook, student, store, voice, ears, typed: bool = False):
        from assistant.dialogue.asking import Conversation, Saver

        self.book, self.student, self.store, self.voice, self.typed = book, student, store, voice, typed
        self.save = Saver(store.dir, voice)
        self.talk = Conversation(voice, ears, self.save, lambda rate: store.roster.set_voice(student.id, rate=rate),
                                 language=student.language)

    def run(self, todo: list[Lesson]) -> bool:
        """The lessons in ``todo``, in order; False when the student stopped (or typed input ended)."""
        from assistant.dialogue.voice import Stopped
        from assistant.text import fill

        self.talk.say(fill(self.book.welcome, name=self.student.name), private=True)
        try:
            for n, lesson in enumerate(todo, 1):
                where = getattr(self.voice, "where", None)
                if where is not None:
                    where(lesson.title, n, len(todo))
                if not self._lesson(lesson):
                    self.talk.say("Okay, let's stop here. What you did is saved.")
                    return False
        except Stopped:
            return False
        self._summary()
        self.talk.say(fill(self.book.goodbye, name=self.student.name), private=True)
        return True

    def _lesson(self, lesson: Lesson) -> bool:
        """One lesson and its check; False when the student said stop."""
        from assistant.dialogue.asking import YES_NO_TRIES, Again, Question
        from assistant.dialogue.commands import Command
        from assistant.dialogue.voice import Listen
        from assistant.lexicon import yes_no

        words = lesson.words_for(self.student.grade)
        check = lesson.check
        self.talk.say(f"{lesson.title}.")
        self.talk.say(words)
        kind_no = "That's okay. We can do this lesson again another time."
        help_line = f"Here it is again. {words} {check.text}"

        def settle(u, cmd) -> tuple[bool | None, str] | Again:
            """(passed, what to say) — passed None: the student said stop."""
            if cmd is Command.STOP:
                return None, ""
            if cmd is Command.BACK:
                return Again(help_line)
            if cmd in (Command.SKIP, Command.DONT_KNOW, Command.THATS_ALL):
                return False, kind_no if check.kind == "open" else f"That's okay. {check.explain}"
            if check.kind == "yes_no":
                v = yes_no(u.text, self.student.language)
                if v in ("yes", "no"):
                    return (True, check.right) if v == check.answer else (False, check.explain or "")
                if v == "not sure":
                    return False, f"That's okay. {check.explain}"
                return Again(f"Please say yes or no. {check.text}")
            return True, check.right

        said: list[str] = []

        def heard(u, cmd):
            outcome = settle(u, cmd)
            if not isinstance(outcome, Again):
                said.append(u.text)
            return outcome

        question = Question(check.text, False, Listen.YES_NO if check.kind == "yes_no" else Listen.ANSWER,
                            help=help_line)
        if check.kind == "yes_no":
            def give_up(replies) -> tuple[bool | None, str]:
                said.append(" / ".join(r.text.strip() for r in replies))
                return False, f"Let's go on. {check.explain}"

            passed, reply = self.talk.ask(question, heard, YES_NO_TRIES, give_up)
        else:
            passed, reply = self.talk.ask(question, heard)
        if passed is None:
            return False
        body = {"title": lesson.title, "check": check.text, "said": said[-1] if said else "", "typed": self.typed}
        self.save(lambda: self.store.lessons.add(self.student.id, lesson.key, passed, body))
        self.talk.say(reply)
        return True

    def _summary(self) -> None:
        """Which lessons are done (passed in any attempt) and which are still to do."""
        done = passed_lessons(self.store, self.student.id)
        passed = [ls.title for ls in self.book.lessons if ls.key in done]
        left = [ls.title for ls in self.book.lessons if ls.key not in done]
        if not left:
            self.talk.say(f"You have done all {len(passed)} lessons: {_and(passed)}. Great work!")
            return
        if passed:
            self.talk.say(f"Lessons done: {_and(passed)}.")
        self.talk.say(f"Still to do another time: {_and(left)}.")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
