"""Preparation lessons (``iep-assistant learn``): each lesson of ``lessons`` said,
then its check asked, with a kind reply either way: a wrong yes or no gets the
right answer explained, never a "wrong". Every attempt is stored
(``store.lessons``, body {title, check, said, typed}); without ``--lesson`` a
student does the lessons they have not passed yet, and ``learn`` ends by saying
which lessons are done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.text import and_list

if TYPE_CHECKING:
    from assistant.lessons import Lesson, LessonBook


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
    from assistant.frontend import active_student, talking
    from assistant.lessons import lesson_book
    from assistant.locks import session_lock

    store = _store(args)
    student = active_student(store, args.student)
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
        self.save = Saver(store.dir, voice, language=student.language)
        self.talk = Conversation(voice, ears, self.save, lambda rate: store.roster.set_voice(student.id, rate=rate),
                                 language=student.language)
        from assistant.messages import Messages

        self.m = Messages(student.language)

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
                    self.talk.say(self.m("learn.stop"))
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
        self.talk.say(self.m("learn.title", title=lesson.title))
        self.talk.say(words)
        kind_no = self.m("learn.kind_no")
        help_line = self.m("learn.again", words=words, check=check.text)
        thats_okay = self.m("learn.thats_okay", explain=check.explain or "").strip()

        def settle(u, cmd) -> tuple[bool | None, str] | Again:
            """(passed, what to say) — passed None: the student said stop."""
            if cmd is Command.STOP:
                return None, ""
            if cmd is Command.BACK:
                return Again(help_line)
            if cmd in (Command.SKIP, Command.DONT_KNOW, Command.THATS_ALL):
                return False, kind_no if check.kind == "open" else thats_okay
            if check.kind == "yes_no":
                v = yes_no(u.text, self.student.language)
                if v in ("yes", "no"):
                    return (True, check.right) if v == check.answer else (False, check.explain or "")
                if v == "not sure":
                    return False, thats_okay
                return Again(self.m("learn.yes_or_no", check=check.text))
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
                return False, self.m("learn.go_on", explain=check.explain or "").strip()

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
        language = self.student.language
        if not left:
            self.talk.say(self.m("learn.all_done", count=len(passed), lessons=and_list(passed, language)))
            return
        if passed:
            self.talk.say(self.m("learn.done", lessons=and_list(passed, language)))
        self.talk.say(self.m("learn.to_do", lessons=and_list(left, language)))


