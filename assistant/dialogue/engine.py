"""The dialogue engine: a plain state machine over the steps of a dialogue.

It never touches audio devices or engines. It talks to two small interfaces:
a ``Voice`` that says (speaks and shows) a line, and ``Ears`` that return the
next utterance (or None when the student said nothing for a while). The live
audio loop, the typed ``--text`` front end, the demo and the tests all drive
this same engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from assistant.dialogue.commands import Command, command_of
from assistant.dialogue.schema import Dialogue, Kind, Prompt
from assistant.draft import build_draft
from assistant.lexicon import yes_no
from assistant.store import Store, Student

MAX_ANSWER_CHARS = 4000  # about 10 minutes of speech: longer answers are cut, and the cut is said
RATE_STEP, MIN_RATE, MAX_RATE = 25, 90, 280
YES_NO = ["yes", "no", "not sure", "yeah", "nope", "maybe"]


class Utterance(BaseModel):
    text: str
    words: list[dict] = []
    engine: str | None = None
    model: str | None = None
    audio_path: str | None = None
    capped: bool = False


class Voice(Protocol):
    rate: int

    def say(self, text: str) -> None:
        """Show the text and speak it; return when it has been spoken."""

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
                        fill = {"accommodation": acc}
                        steps.append(Step(f"{p.id}:{acc.lower()}", si, p, p.text.format(**fill), p.simpler.format(**fill),
                                          p.field, {"accommodation": acc}))
                elif p.kind == Kind.PAST_GOALS:
                    for goal in student.past_goals:
                        fill = {"goal": goal}
                        steps.append(Step(f"{p.id}:{goal.lower()}", si, p, p.text.format(**fill), p.simpler.format(**fill),
                                          p.field, {"goal": goal}))
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
                 silence_reprompts: int = 2):
        self.dialogue, self.student, self.store = dialogue, student, store
        self.voice, self.ears = voice, ears
        self.steps = build_steps(dialogue, student)
        self.silence_reprompts = silence_reprompts
        self.session = None
        self._introduced: set[int] = set()
        # what is being asked now: the step, and "answer", "confirm" or "review"
        self.current: Step | None = None
        self.phase = "answer"

    # ------------------------------------------------------------ helpers

    def _say(self, text: str) -> None:
        self.voice.say(text.format(name=self.student.name))

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

    def _hear(self, expect: str, again: str, choices: list[str] | None = None) -> Utterance:
        """The next utterance; silence gets a gentle re-prompt, then "take your time", and never ends the session."""
        quiet = 0
        while True:
            u = self.ears.hear(expect, choices)
            if u is not None and u.text.strip():
                return u
            quiet += 1
            if quiet <= self.silence_reprompts:
                self._say(f"Take your time. {again}")
            else:
                self._say("Take your time. I am still here when you are ready.")

    def _change_rate(self, delta: int) -> None:
        rate = max(MIN_RATE, min(MAX_RATE, self.voice.rate + delta))
        self.voice.set_rate(rate)
        self.store.set_student_voice(self.student.id, rate=rate)
        self._say("Okay, I will talk slower." if delta < 0 else "Okay, I will talk faster.")

    # ------------------------------------------------------------ the session

    def run(self, resume: bool = False) -> str:
        """Run (or resume) the session; returns "finished" or "paused"."""
        session = self.store.latest_session(self.student.id, unfinished=True) if resume else None
        if resume and session is None:
            self._say("There is no paused session to continue, so let's start from the beginning.")
        if session is None:
            session = self.store.start_session(self.student.id, self.dialogue.id)
            self._say(self.dialogue.welcome)
        else:
            self._say(f"Welcome back, {{name}}. Let's continue where you stopped.")
        self.session = session
        i = self._index(session.position)
        history: list[int] = []
        try:
            while i < len(self.steps):
                step = self.steps[i]
                self.store.set_position(session.id, step.key)
                outcome = self._ask(step, self.steps[i + 1].key if i + 1 < len(self.steps) else "review")
                if outcome == "stop":
                    self.store.set_position(session.id, step.key, "paused")
                    self._say("Okay, let's take a break. Everything you said is saved. We will continue from this question next time.")
                    return "paused"
                if outcome == "back":
                    if history:
                        i = history.pop()
                    else:
                        i = max(0, i - 1)
                        while i > 0 and self.steps[i].follow_up_of:
                            i -= 1
                    self._say("Okay, let's go back.")
                    continue
                history.append(i)
                i = {"end_list": self._next_after_list, "skip_rounds": self._skip_rounds}.get(outcome, lambda k: k + 1)(i)
            self.store.set_position(session.id, "review")
            if self._review() == "stop":
                self.store.set_position(session.id, "review", "paused")
                self._say("Okay, let's take a break. Everything you said is saved.")
                return "paused"
        except Stopped:
            self.store.set_position(session.id, self.store.session(session.id).position, "paused")
            return "paused"
        self.store.set_position(session.id, None, "finished")
        draft = build_draft(self.student, self.store.answers(session.id))
        self.store.save_draft(self.student.id, session.id, draft.model_dump(mode="json"), "ready_for_review")
        self._say(self.dialogue.goodbye)
        return "finished"

    def _intro(self, step: Step) -> None:
        if step.section in self._introduced:
            return
        self._introduced.add(step.section)
        section = self.dialogue.sections[step.section]
        self._say(f"{section.title}.")
        if section.intro:
            self._say(section.intro)

    def _ask(self, step: Step, next_key: str) -> str:
        """Ask one step until it is answered, skipped or left; returns what to do next."""
        self._intro(step)
        self.current, self.phase = step, "answer"
        # Only yes/no questions are recognised with a grammar; an answer about an
        # accommodation is free speech ("No, I never use it"), classified afterwards.
        expect = "yes_no" if step.gate else ("choice" if step.prompt.kind == Kind.CHOICE else "answer")
        choices = step.prompt.choices if expect == "choice" else None
        self._say(step.text)
        while True:
            u = self._hear(expect, step.text, choices)
            cmd = command_of(u.text)
            if cmd == Command.REPEAT:
                self._say(step.text)
            elif cmd in (Command.SLOWER, Command.FASTER):
                self._change_rate(-RATE_STEP if cmd == Command.SLOWER else RATE_STEP)
                self._say(step.text)
            elif cmd == Command.HELP:
                self._say(f"{step.simpler} For example, you could say: {step.prompt.example}")
            elif cmd == Command.STOP:
                return "stop"
            elif cmd == Command.BACK:
                return "back"
            elif cmd == Command.SKIP:
                self._record(step, u, "skipped", next_key)
                self._say("Okay, we will skip that one.")
                return "end_list" if step.follow_up_of or step.prompt.follow_up else "next"
            elif cmd == Command.DONT_KNOW and not step.gate:
                self._record(step, u, "dont_know", next_key)
                self._say("That's okay. I will ask your teacher to talk about it with you.")
                return "end_list" if step.follow_up_of or step.prompt.follow_up else "next"
            elif cmd == Command.THATS_ALL:
                return "end_list" if (step.follow_up_of or step.prompt.follow_up) else "next"
            elif step.gate:
                v = yes_no(u.text)
                if v in ("yes", "no"):
                    return "next" if v == "yes" else "skip_rounds"
                self._say(f"Please say yes or no. {step.text}")
            elif step.follow_up_of and yes_no(u.text) == "no" and len(u.text.split()) <= 3:
                return "end_list"  # "Anything else?" "No."
            else:
                if self._answer(step, u, next_key):
                    return "next"
                self.phase = "answer"
                self._say(f"Okay, let's try again. {step.text}")

    def _record(self, step: Step, u: Utterance, kind: str, next_key: str) -> int:
        aid = self.store.add_answer(self.session.id, step.key, step.field, step.text, kind, u.text, u.words,
                                    u.engine, u.model, u.audio_path, confirmed=False, extra=step.extra)
        self.store.confirm_answer(aid, next_key)
        return aid

    def _answer(self, step: Step, u: Utterance, next_key: str) -> bool:
        """Store the attempt, read it back, and keep it if the student says it is right."""
        text = u.text.strip()
        if len(text) > MAX_ANSWER_CHARS:
            u = u.model_copy(update={"text": text[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0], "capped": True})
        if u.capped:
            self._say("That was a long answer. I kept the first part.")
        aid = self.store.add_answer(self.session.id, step.key, step.field, step.text, "answer", u.text, u.words,
                                    u.engine, u.model, u.audio_path, confirmed=False,
                                    extra={**step.extra, **({"capped": True} if u.capped else {})})
        if self._confirm(u.text):
            # earlier answers to this step (e.g. before "go back") stay, marked superseded
            self.store.supersede_others(self.session.id, step.key, aid)
            self.store.confirm_answer(aid, next_key)
            return True
        return False

    def _confirm(self, heard: str) -> bool:
        self.phase = "confirm"
        question = f"I heard: {heard.strip().rstrip('.!?')}. Is that right?"
        self._say(question)
        while True:
            r = self._hear("yes_no", question)
            v = yes_no(r.text)
            if v == "yes":
                return True
            if v == "no":
                return False
            if command_of(r.text) == Command.REPEAT:
                self._say(question)
            else:
                self._say(f"Please say yes or no. {question}")

    # ------------------------------------------------------------ the read-back

    LIST_FIELDS = ("strengths", "interests", "challenges", "learning_preferences", "accommodations.wanted",
                   "message_to_team", "transition.education", "transition.employment", "transition.independent_living")

    def _review(self) -> str:
        """Read the draft back section by section; the student may replace what a section says."""
        self._say("Here is what you told me. After each part, say yes if it is right, or no to change it.")
        for si, section in enumerate(self.dialogue.sections):
            fields = {p.field for p in section.prompts if p.field in self.LIST_FIELDS}
            if not fields:
                continue
            answers = [a for a in self.store.answers(self.session.id)
                       if a.field in fields and a.confirmed and not a.superseded and a.kind == "answer"]
            if not answers:
                continue
            said = ". ".join(a.text.strip().rstrip(".") for a in answers)
            question = f"{section.title}: {said}. Is that right?"
            self.current, self.phase = None, "review"
            self._say(question)
            while True:
                r = self._hear("yes_no", question)
                cmd = command_of(r.text)
                if cmd == Command.STOP:
                    return "stop"
                v = yes_no(r.text)
                if v == "yes" or cmd in (Command.SKIP, Command.THATS_ALL):
                    break
                if v == "no":
                    field = sorted(fields)[0] if len(fields) == 1 else answers[0].field
                    step = Step(f"review:{section.id}", si, section.prompts[0], f"Okay, tell me again. {section.prompts[0].text}",
                                section.prompts[0].simpler, field)
                    self.current, self.phase = step, "answer"
                    self._say(step.text)
                    u = self._hear("answer", step.text)
                    while not self._answer(step, u, "review"):
                        self.phase = "answer"
                        self._say(f"Okay, let's try again. {step.text}")
                        u = self._hear("answer", step.text)
                    self.store.supersede(self.session.id, [a.step for a in answers])
                    break
                self._say(f"Please say yes or no. {question}")
        return "done"
