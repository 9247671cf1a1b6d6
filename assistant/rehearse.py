"""Rehearsing the meeting (``iep-assistant rehearse``): the student says their
meeting script (``review.exports.meeting_script_parts`` of the current draft)
aloud, part by part.

Each part is shown and said first (a student who cannot read hears it), then the
student says it in their own words. A part is covered when at least
``COVERED_AT`` of its content words (after ``text.normalize``; small words like
"the" and "my" left out) are heard in what the student said. Half, because the
student says it in their own words: reordering, a skipped adjective or a
synonym ("I'm good at" for "My strengths") loses some words, yet a student who
says half of a part's words has said what the part is about, while another
part's sentence or a few filler words share almost none. A part not covered
says which words were missed; "again" (or any way to say repeat) hears the part
again and tries once more, "skip" (or "next") goes on, "stop" ends. At the end
the covered parts are shown and said, and the rehearsal is stored
(``store.rehearsals``), also when stopped part-way, each part under the script's
key of it (not its place in the script, which moves when the draft gains or loses
a part), so the review app counts each part across rehearsals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.errors import UserError
from assistant.text import and_list, normalize_words

COVERED_AT = 0.5
# Words that carry no content of a part: said or not, they do not show the part was said.
SMALL_WORDS = {"en": frozenset("""
a an the and or but so to of for in on at by with from as is are am was be been it its this that these those
i me my mine i'm you your we our they them their he she his her some things thing one like very really just
do does did have has had can will would not no yes all any
""".split()), "es": frozenset("""
el la los las lo un una unos unas y e o u pero que de del a al en con sin por para como cuando porque si
es son soy eres era fue ser estoy está están estar hay tengo tiene tienen puedo puede me mi mis yo tú tu tus
te se su sus le les nos nuestro nuestra ellos ellas él ella este esta esto estos estas ese esa eso muy más
mucho mucha no sí también ya todo todos toda todas algo cosa cosas otro otra
""".split())}


def _stem(word: str) -> str:
    """A plural or third person "s" does not make another word ("goals", "goal")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_words(text: str, language: str = "en") -> dict[str, str]:
    """The words of ``text`` that say what it is about, each once, in order: each
    word's stem, with the word as it was first written."""
    out: dict[str, str] = {}
    small = SMALL_WORDS.get(language, SMALL_WORDS["en"])
    for w in normalize_words(text, language):
        if w not in small:
            out.setdefault(_stem(w), w)
    return out


def coverage(part: str, said: str, language: str = "en") -> tuple[float, list[str]]:
    """The share of ``part``'s content words heard in ``said`` (0..1), and the words missed."""
    words = content_words(part, language)
    if not words:
        return 1.0, []
    heard = {_stem(w) for w in normalize_words(said, language)}
    missed = [word for stem, word in words.items() if stem not in heard]
    return (len(words) - len(missed)) / len(words), missed


@dataclass
class PartResult:
    key: str
    title: str
    covered: bool = False
    coverage: float = 0.0
    said: str = ""

    def as_body(self) -> dict:
        return {"key": self.key, "title": self.title, "covered": self.covered, "coverage": round(self.coverage, 2),
                "said": self.said}


@dataclass
class Rehearsal:
    parts: list[PartResult] = field(default_factory=list)
    finished: bool = False

    def body(self) -> dict:
        return {"parts": [p.as_body() for p in self.parts], "finished": self.finished}


def add_parser(sub) -> None:
    from assistant.frontend import add_talk_args

    p = sub.add_parser("rehearse", help="practise leading the meeting: say the meeting script aloud, part by part")
    add_talk_args(p)
    p.set_defaults(func=cmd_rehearse)


def cmd_rehearse(args) -> int:
    from assistant.cli import _err, _store
    from assistant.frontend import active_student, talking
    from assistant.locks import session_lock
    from assistant.review.exports import current_draft, meeting_script_parts

    store = _store(args)
    student = active_student(store, args.student)
    if store.transcripts.latest(student.id) is None and store.draft_versions.latest(student.id) is None:
        raise UserError(f"{student.label} has no draft yet, so there is no meeting script to rehearse: run "
                        f"iep-assistant session --student '{student.label}' first")
    draft, _ = current_draft(store, student)
    script = meeting_script_parts(draft, language=student.language)  # the script the student will say
    lock = session_lock(store.dir, student.id, student.label, doing="a rehearsal")  # noqa: F841 (one conversation at a time)
    with talking(args, store, student) as talk:
        result = Rehearse(script, student, store, talk.voice, talk.ears).run()
        talk.ending = "finished" if result.finished else "paused"
    covered = sum(p.covered for p in result.parts)
    _err(f"{'finished' if result.finished else 'stopped'}: {covered} of {len(script)} parts covered")
    return 0


class Rehearse:
    """One rehearsal of a meeting script through a ``Conversation``."""

    def __init__(self, script: list[tuple[str, str, str]], student, store, voice, ears):
        """``script``: (key, title, line) of each part, as ``meeting_script_parts`` gives them."""
        from assistant.dialogue.asking import Conversation, Saver

        self.script, self.student, self.store, self.voice = script, student, store, voice
        self.save = Saver(store.dir, voice, language=student.language)
        self.talk = Conversation(voice, ears, self.save, lambda rate: store.roster.set_voice(student.id, rate=rate),
                                 language=student.language)
        from assistant.messages import Messages

        self.m = Messages(student.language)

    def run(self) -> Rehearsal:
        from assistant.dialogue.voice import Stopped

        result = Rehearsal()
        self.talk.say(self.m("rehearse.hello", name=self.student.name), private=True)
        try:
            for n, (key, title, line) in enumerate(self.script, 1):
                part = PartResult(key, title)
                where = getattr(self.voice, "where", None)
                if where is not None:
                    where(part.title, n, len(self.script))
                result.parts.append(part)
                if not self._part(n, line, part):
                    if not part.said:
                        result.parts.pop()  # a part only stopped at was not rehearsed
                    self._store(result)
                    self.talk.say(self.m("rehearse.stop"))
                    return result
        except Stopped:
            if result.parts and not result.parts[-1].said:
                result.parts.pop()
            self._store(result)
            return result
        result.finished = True
        self._store(result)
        self._summary(result)
        return result

    def _part(self, n: int, line: str, part: PartResult) -> bool:
        """Ask one part until it is covered or skipped; False when the student said stop."""
        from assistant.dialogue.asking import Again, Question
        from assistant.dialogue.commands import Command

        self.talk.say(self.m("rehearse.part", number=n, total=len(self.script), title=part.title))
        question = Question(self.m("rehearse.say_it", line=line), True, help=self.m("rehearse.help", line=line))

        def settle(u, cmd) -> bool | Again:
            if cmd is Command.STOP:
                return False
            if cmd in (Command.SKIP, Command.THATS_ALL, Command.BACK, Command.DONT_KNOW):
                return True
            share, missed = coverage(line, u.text, self.student.language)
            if share >= part.coverage or not part.said:  # the best try of the part is kept
                part.coverage, part.said = share, u.text
            if share >= COVERED_AT:
                part.covered = True
                return True
            words = ", ".join(missed[:6])
            return Again(self.m("rehearse.add", words=words))

        go_on = self.talk.ask(question, settle)
        if go_on and part.covered:
            self.talk.say(self.m("rehearse.covered"))
        elif go_on:
            self.talk.say(self.m("rehearse.go_on"))
        return go_on

    def _store(self, result: Rehearsal) -> None:
        if result.parts:
            self.save(lambda: self.store.rehearsals.add(self.student.id, result.body()))

    def _summary(self, result: Rehearsal) -> None:
        covered = [p.title for p in result.parts if p.covered]
        missed = [p.title for p in result.parts if not p.covered]
        language = self.student.language
        if not missed:
            self.talk.say(self.m("rehearse.all_covered", parts=and_list(covered, language)))
            return
        if covered:
            self.talk.say(self.m("rehearse.some_covered", covered=len(covered), total=len(result.parts),
                                 parts=and_list(covered, language)))
        self.talk.say(self.m("rehearse.again", parts=and_list(missed, language)))


