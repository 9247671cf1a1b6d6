"""The dialogue engine: a plain state machine over the steps of a dialogue.

It never touches audio devices or engines. It talks to two small interfaces:
a ``Voice`` that says (speaks and shows) a line, and ``Ears`` that return the
next utterance (or None when the student said nothing for a while). The live
audio loop, the typed ``--text`` front end, the demo and the tests all drive
this same engine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field

from assistant.dialogue.commands import Command, command_of
from assistant.dialogue.schema import Dialogue, Kind, Prompt
from assistant.draft import SECTIONS, build_draft
from assistant.errors import UserError
from assistant.lexicon import EXPLAIN, accommodation_of, yes_no
from assistant.recordings import StudentFiles
from assistant.store import StorageError, Store, Student, os_storage_error
from assistant.text import fill
from assistant.words import Word

T = TypeVar("T")
STORAGE_RETRY_SECONDS = 2.0  # how often a full or read-only disk is tried again
STORAGE_REMIND_SECONDS = 60.0

MAX_ANSWER_CHARS = 4000  # about 10 minutes of speech: longer answers are cut, and the cut is said
RATE_STEP, MIN_RATE, MAX_RATE = 25, 90, 280
YES_NO = ["yes", "no", "not sure", "yeah", "nope", "maybe"]


class Utterance(BaseModel):
    text: str
    words: list[Word] = []
    engine: str | None = None
    model: str | None = None
    pcm: Any = Field(default=None, exclude=True)  # the recording (16 kHz int16), saved only if kept as an answer
    capped: bool = False


class Voice(Protocol):
    rate: int

    def say(self, text: str, private: bool = True) -> None:
        """Show the text and speak it; return when it has been spoken. ``private``
        lines hold a student's words or IEP (name, accommodations, read-backs):
        whatever is made from them stays in the student's private folder."""

    def set_rate(self, rate: int) -> None: ...


class Ears(Protocol):
    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        """The next utterance. ``expect`` is "answer", "yes_no" or "choice";
        None means nothing was said for a while."""


class Stopped(Exception):
    """The front end has no more input (end of typed input): save and pause."""


@dataclass
class Step:
    key: str  # stable across runs, for --resume
    section: int
    prompt: Prompt
    text: str
    simpler: str
    field: str
    extra: dict = field(default_factory=dict)
    follow_up_of: str | None = None  # key of the step this follows up
    gate: bool = False  # "Do you want to make another goal?"
    round: int = 1
    private: bool = False  # the text holds the student's IEP (an accommodation, a goal) or words


def build_steps(dialogue: Dialogue, student: Student) -> list[Step]:
    steps: list[Step] = []
    for si, section in enumerate(dialogue.sections):
        for rnd in range(1, (section.repeat_limit + 1 if section.repeat else 1) + 1):
            suffix = "" if rnd == 1 else f"@{rnd}"
            if rnd > 1:
                steps.append(Step(f"{section.id}:again{suffix}", si, section.prompts[0], section.repeat, section.repeat,
                                  "control", gate=True, round=rnd))
            for p in section.prompts:
                if p.kind == Kind.ACCOMMODATIONS:
                    for acc in student.accommodations:
                        # "help" explains what the accommodation is, when the catalog knows it
                        meaning = EXPLAIN.get(accommodation_of(acc) or "", "")
                        steps.append(Step(f"{p.id}:{acc.lower()}", si, p, fill(p.text, accommodation=acc),
                                          f"{meaning} {fill(p.simpler, accommodation=acc)}".strip(), p.field,
                                          {"accommodation": acc}, private=True))
                elif p.kind == Kind.PAST_GOALS:
                    for goal in student.past_goals:
                        steps.append(Step(f"{p.id}:{goal.lower()}", si, p, fill(p.text, goal=goal), fill(p.simpler, goal=goal),
                                          p.field, {"goal": goal}, private=True))
                else:
                    extra = {"goal_number": rnd} if p.field.startswith("goals.") else {}
                    base = f"{p.id}{suffix}"
                    steps.append(Step(base, si, p, p.text, p.simpler, p.field, extra, round=rnd))
                    if p.follow_up:
                        for n in range(1, p.follow_up.limit + 1):
                            steps.append(Step(f"{base}+{n}", si, p, p.follow_up.text, p.follow_up.text, p.field, extra,
                                              follow_up_of=base, round=rnd))
    return steps


class DialogueEngine:
    """Runs one session of a dialogue for a student, storing every answer at once."""

    def __init__(self, dialogue: Dialogue, student: Student, store: Store, voice: Voice, ears: Ears,
                 silence_reprompts: int = 2, log: Callable[[str], None] | None = None):
        self.dialogue, self.student, self.store = dialogue, student, store
        self.voice, self.ears = voice, ears
        self.files = StudentFiles(store.dir, student.id)
        self.steps = build_steps(dialogue, student)
        self.silence_reprompts = silence_reprompts
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.session = None
        self._introduced: set[int] = set()
        # what is being asked now: the step, and "answer", "confirm" or "review"
        self.current: Step | None = None
        self.phase = "answer"

    # ------------------------------------------------------------ helpers

    def _say(self, text: str, private: bool = False) -> None:
        """Say a line. Text is never a template here: a student's "{x}" is said as "{x}".
        Speech made from a student's words is saved in their folder: a full disk
        waits like any other write."""
        self._persist(lambda: self.voice.say(text, private=private))

    def _persist(self, write: Callable[[], T]) -> T:
        """Do a write to the data folder. A full disk or a folder that turned read-only
        does not end the session: the student is told, nothing is half-written (each
        write is one transaction, each recording written whole or not at all), and
        the write is tried again until it succeeds; what the student said waits in
        memory meanwhile. Anything else (a damaged database) ends the session with
        its message."""
        told = 0.0
        while True:
            try:
                return write()
            except StorageError as e:
                problem = e
            except OSError as e:
                problem = os_storage_error(e, self.store.dir, "a recording")
                if problem is None:
                    raise
            if not problem.transient:
                raise problem
            if time.monotonic() - told > STORAGE_REMIND_SECONDS:
                self.log(f"iep-assistant: {problem}")
                self._announce("I can't save right now, because the computer's storage is full or locked. Please ask "
                               "your teacher for help. Nothing you said is lost, and we will go on as soon as it is fixed.")
                told = time.monotonic()
            time.sleep(STORAGE_RETRY_SECONDS)

    def _index(self, key: str | None) -> int:
        if key is None:
            return 0
        for i, s in enumerate(self.steps):
            if s.key == key:
                return i
        return len(self.steps) if key == "review" else 0

    def _next_after_list(self, i: int) -> int:
        """The step after the follow-ups of the prompt at ``i``."""
        base = self.steps[i].follow_up_of or self.steps[i].key
        j = i + 1
        while j < len(self.steps) and self.steps[j].follow_up_of == base:
            j += 1
        return j

    def _skip_rounds(self, i: int) -> int:
        """After "no" to "another goal?": past the remaining rounds of the section."""
        section = self.steps[i].section
        j = i + 1
        while j < len(self.steps) and self.steps[j].section == section:
            j += 1
        return j

    def _announce(self, text: str) -> None:
        """Say a line about the storage itself: if even its speech cannot be made, it is shown."""
        try:
            self.voice.say(text, private=False)
        except StorageError:
            show = getattr(self.voice, "show", None)
            if show is not None:
                show(text)

    def _hear(self, expect: str, again: str, choices: list[str] | None = None, private: bool = False) -> Utterance:
        """The next utterance; silence gets a gentle re-prompt, then "take your time", and never ends the session."""
        quiet = 0
        while True:
            u = self.ears.hear(expect, choices)
            if u is not None and u.text.strip():
                return u
            quiet += 1
            if quiet <= self.silence_reprompts:
                self._say(f"Take your time. {again}", private)
            else:
                self._say("Take your time. I am still here when you are ready.")

    def _change_rate(self, delta: int) -> None:
        rate = max(MIN_RATE, min(MAX_RATE, self.voice.rate + delta))
        self.voice.set_rate(rate)
        self._persist(lambda: self.store.set_student_voice(self.student.id, rate=rate))
        self._say("Okay, I will talk slower." if delta < 0 else "Okay, I will talk faster.")

    # ------------------------------------------------------------ the session

    def run(self, session=None) -> str:
        """Run a new session, or continue ``session`` at its position; returns
        "finished" or "paused"."""
        if session is None:
            session = self._persist(lambda: self.store.start_session(self.student.id, self.dialogue.id))
            self._say(fill(self.dialogue.welcome, name=self.student.name), private=True)
        else:
            if session.dialogue_id != self.dialogue.id:
                raise UserError(f"session {session.id} was made with dialogue '{session.dialogue_id}', not '{self.dialogue.id}'")
            known = {s.key for s in self.steps}  # "again:" steps are checked below, once they are built
            if session.position not in (None, "review") and not session.position.startswith("again:") and session.position not in known:
                raise UserError(f"session {session.id} stopped at '{session.position}', which dialogue '{self.dialogue.id}' "
                                "no longer has (was the dialogue file changed?); nothing was lost, but it cannot continue")
            self._say(f"Welcome back, {self.student.name}. Let's continue where you stopped.", private=True)
        self.session = session
        self.steps = self._again_steps(session.id) + self.steps
        if session.position and session.position.startswith("again:") and session.position not in {s.key for s in self.steps}:
            session = session.model_copy(update={"position": None})  # the teacher withdrew that question meanwhile
        i = self._index(session.position)
        history: list[int] = []
        try:
            while i < len(self.steps):
                step = self.steps[i]
                self._persist(lambda: self.store.set_position(session.id, step.key))
                after = {"next": i + 1, "end_list": self._next_after_list(i), "skip_rounds": self._skip_rounds(i)}
                keys = {k: self.steps[j].key if j < len(self.steps) else "review" for k, j in after.items()}
                outcome = self._ask(step, keys)
                if outcome == "stop":
                    self._persist(lambda: self.store.set_position(session.id, step.key, "paused"))
                    self._say("Okay, let's take a break. Everything you said is saved. We will continue from this question next time.")
                    return "paused"
                if outcome == "back":
                    if history:
                        i = history.pop()
                    else:
                        i = max(0, i - 1)
                        while i > 0 and (self.steps[i].follow_up_of or self.steps[i].gate or self.steps[i].round > 1):
                            i -= 1
                    self._say("Okay, let's go back.")
                    continue
                history.append(i)
                i = after[outcome]
            self._persist(lambda: self.store.set_position(session.id, "review"))
            if self._review() == "stop":
                self._persist(lambda: self.store.set_position(session.id, "review", "paused"))
                self._say("Okay, let's take a break. Everything you said is saved.")
                return "paused"
        except Stopped:
            self._persist(lambda: self.store.set_position(session.id, self.store.session(session.id).position, "paused"))
            return "paused"
        draft = build_draft(self.student, self.store.answers(session.id))
        self._persist(lambda: self.store.finish_session(session.id, self.student.id, draft.model_dump(mode="json")))
        self._say(fill(self.dialogue.goodbye, name=self.student.name), private=True)
        return "finished"

    def _again_steps(self, session_id: int) -> list[Step]:
        """Questions a teacher marked "ask again next session", asked first."""
        steps = []
        for a in self.store.ask_again(self.student.id, session_id):
            base = a.step.split("@")[0].split("+")[0].split(":")[0]
            prompt = next((p for s in self.dialogue.sections for p in s.prompts if p.id == base), None)
            if prompt is None:
                continue  # the question is not in this dialogue
            si = next(i for i, s in enumerate(self.dialogue.sections) if prompt in s.prompts)
            steps.append(Step(f"again:{a.id}", si, prompt, f"Your teacher would like to ask this again. {a.prompt}",
                              prompt.simpler, a.field, {**a.extra, "asked_again_for": a.id}, private=True))
        return steps

    def _intro(self, step: Step) -> None:
        if step.key.startswith("again:") or step.section in self._introduced:
            return
        self._introduced.add(step.section)
        section = self.dialogue.sections[step.section]
        self._say(f"{section.title}.")
        if section.intro:
            self._say(section.intro)

    def _ask(self, step: Step, keys: dict[str, str]) -> str:
        """Ask one step until it is answered, skipped or left. Returns what to do
        next: "next", "end_list" (past the follow-ups), "skip_rounds", "back" or "stop".
        ``keys`` are the step keys each outcome leads to, stored with the answer."""
        self._intro(step)
        self.current, self.phase = step, "answer"
        in_list = bool(step.follow_up_of or step.prompt.follow_up)
        # Only yes/no questions are recognised with a grammar; an answer about an
        # accommodation is free speech ("No, I never use it"), classified afterwards.
        expect = "yes_no" if step.gate else ("choice" if step.prompt.kind == Kind.CHOICE else "answer")
        choices = step.prompt.choices if expect == "choice" else None
        self._say(step.text, step.private)
        while True:
            u = self._hear(expect, step.text, choices, step.private)
            cmd = command_of(u.text)
            if cmd == Command.REPEAT:
                self._say(step.text, step.private)
            elif cmd in (Command.SLOWER, Command.FASTER):
                self._change_rate(-RATE_STEP if cmd == Command.SLOWER else RATE_STEP)
                self._say(step.text, step.private)
            elif cmd == Command.HELP:
                self._say(f"{step.simpler} For example, you could say: {step.prompt.example}", step.private)
            elif cmd == Command.STOP:
                return "stop"
            elif cmd == Command.BACK:
                return "back"
            elif step.gate:
                v = yes_no(u.text)
                if v == "yes":
                    return "next"
                if v == "no" or cmd in (Command.SKIP, Command.THATS_ALL, Command.DONT_KNOW):
                    return "skip_rounds"
                self._say(f"Please say yes or no. {step.text}", step.private)
            elif cmd == Command.SKIP:
                outcome = "end_list" if in_list else "next"
                self._record(step, u, "skipped", keys[outcome])
                self._say("Okay, we will skip that one.")
                return outcome
            elif cmd == Command.DONT_KNOW:
                outcome = "end_list" if in_list else "next"
                self._record(step, u, "dont_know", keys[outcome])
                self._say("That's okay. I will ask your teacher to talk about it with you.")
                return outcome
            elif cmd == Command.THATS_ALL:
                return "end_list" if in_list else "next"
            elif step.follow_up_of and yes_no(u.text) == "no" and len(u.text.split()) <= 3:
                return "end_list"  # "Anything else?" "No."
            else:
                result = self._answer(step, u, keys["next"])
                if result in ("stop", "back"):
                    return result
                if result == "yes":
                    return "next"
                self.current, self.phase = step, "answer"
                self._say(f"Okay, let's try again. {step.text}", step.private)

    def _store_attempt(self, step: Step, u: Utterance, kind: str, extra: dict) -> int:
        """Save the recording (if any) and the attempt; only what is stored as an
        answer is ever recorded to disk ("yes", "repeat" and the like never are)."""
        audio_path = self._persist(lambda: self.files.save_recording(u.pcm)) if u.pcm is not None and len(u.pcm) else None
        return self._persist(lambda: self.store.add_answer(self.session.id, step.key, step.field, step.text, kind, u.text,
                                                           u.words, u.engine, u.model, audio_path, confirmed=False,
                                                           extra=extra))

    def _record(self, step: Step, u: Utterance, kind: str, position: str) -> int:
        """Store a skip or an "I don't know"; it replaces earlier records of the step."""
        aid = self._store_attempt(step, u, kind, step.extra)
        self._persist(lambda: self.store.commit_answer(aid, position, supersede_step=step.key))
        return aid

    def _answer(self, step: Step, u: Utterance, position: str, replaces: list[int] | None = None) -> str:
        """Store the attempt, read it back, and keep it if the student says it is right.
        Returns "yes" (kept), "no" (try again), "stop" or "back". A kept answer
        replaces, in the same transaction, the earlier records of its step (or the
        answers listed in ``replaces``); they stay in the database, marked superseded."""
        text = u.text.strip()
        if len(text) > MAX_ANSWER_CHARS:
            u = u.model_copy(update={"text": text[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0], "capped": True})
        if u.capped:
            self._say("That was a long answer. I kept the first part.")
        aid = self._store_attempt(step, u, "answer", {**step.extra, **({"capped": True} if u.capped else {})})
        verdict = self._confirm(u.text)
        if verdict == "yes":
            if replaces is None:
                self._persist(lambda: self.store.commit_answer(aid, position, supersede_step=step.key))
            else:
                self._persist(lambda: self.store.commit_answer(aid, position, supersede_ids=replaces))
        return verdict

    def _confirm(self, heard: str) -> str:
        """ "I heard: ... Is that right?" Returns "yes", "no", "stop" or "back"
        ("go back" here means: that is not what I meant)."""
        self.phase = "confirm"
        question = f"I heard: {heard.strip().rstrip('.!?')}. Is that right?"
        self._say(question, private=True)
        while True:
            r = self._hear("yes_no", question, private=True)
            v = yes_no(r.text)
            cmd = command_of(r.text)
            if v in ("yes", "no"):
                return v
            if cmd == Command.STOP:
                return "stop"
            if cmd == Command.BACK:
                return "no"
            if cmd in (Command.SLOWER, Command.FASTER):
                self._change_rate(-RATE_STEP if cmd == Command.SLOWER else RATE_STEP)
                self._say(question, private=True)
            elif cmd == Command.REPEAT:
                self._say(question, private=True)
            else:
                self._say(f"Please say yes or no. {question}", private=True)

    # ------------------------------------------------------------ the read-back

    LIST_FIELDS = tuple(s.key for s in SECTIONS if s.read_back)

    def _review(self) -> str:
        """Read the draft back part by part (one part per list field); the student
        may say no and give a new answer for that part, which replaces it."""
        self._say("Here is what you told me. After each part, say yes if it is right, or no to change it.")
        for si, section in enumerate(self.dialogue.sections):
            prompts = [p for p in section.prompts if p.field in self.LIST_FIELDS]
            for prompt in prompts:
                answers = [a for a in self.store.answers(self.session.id)
                           if a.field == prompt.field and a.confirmed and not a.superseded and a.kind == "answer"]
                if not answers:
                    continue
                label = section.title if len(prompts) == 1 else prompt.text.rstrip("?")
                said = ". ".join(a.text.strip().rstrip(".") for a in answers)
                question = f"{label}: {said}. Is that right?"
                self.current, self.phase = None, "review"
                self._say(question, private=True)
                while True:
                    r = self._hear("yes_no", question, private=True)
                    cmd = command_of(r.text)
                    v = yes_no(r.text)
                    if cmd == Command.STOP:
                        return "stop"
                    if v == "yes" or cmd in (Command.SKIP, Command.THATS_ALL):
                        break
                    if cmd == Command.REPEAT:
                        self._say(question, private=True)
                        continue
                    if v != "no":
                        self._say(f"Please say yes or no. {question}", private=True)
                        continue
                    step = Step(f"review:{prompt.id}", si, prompt, f"Okay, tell me again. {prompt.text}", prompt.simpler,
                                prompt.field)
                    if self._replace(step, [a.id for a in answers]) == "stop":
                        return "stop"
                    break
        return "done"

    def _replace(self, step: Step, old: list[int]) -> str:
        """Ask again during the read-back; a confirmed new answer replaces ``old``."""
        self.current, self.phase = step, "answer"
        self._say(step.text, step.private)
        while True:
            u = self._hear("answer", step.text, private=step.private)
            cmd = command_of(u.text)
            if cmd == Command.STOP:
                return "stop"
            if cmd in (Command.SKIP, Command.THATS_ALL, Command.BACK, Command.DONT_KNOW):
                self._say("Okay, I will keep what you said before.")
                return "kept"
            if cmd == Command.REPEAT:
                self._say(step.text, step.private)
                continue
            if cmd == Command.HELP:
                self._say(f"{step.simpler} For example, you could say: {step.prompt.example}", step.private)
                continue
            result = self._answer(step, u, "review", replaces=old)
            if result == "stop":
                return "stop"
            if result == "yes":
                return "replaced"
            self.current, self.phase = step, "answer"
            self._say(f"Okay, let's try again. {step.text}", step.private)
