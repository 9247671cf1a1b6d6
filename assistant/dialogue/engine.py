"""The dialogue engine: runs one session of a dialogue for a student.

It asks the planned steps (``plan.py``) one by one through the one ask-until-settled
loop (``asking.py``), reads each answer back for confirmation, stores every
attempt at once, reads the draft back at the end (where the student may replace
a part), and finishes the session with its draft. It never touches audio devices
or engines: it talks to a ``Voice`` and ``Ears`` (``voice.py``), so the live
audio loop, the typed ``--text`` front end, the demo and the tests all drive it
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from functools import partial

from assistant.dialogue.asking import YES_NO_TRIES, Again, Conversation, Question, Saver
from assistant.dialogue.commands import Command
from assistant.dialogue.plan import (
    REVIEW,
    Outcome,
    Plan,
    Role,
    Step,
    again_key,
    again_step,
    build_steps,
    plan_steps,
    prompt_of_key,
    read_back_prompts,
    review_step,
)
from assistant.dialogue.schema import Dialogue, Prompt
from assistant.dialogue.voice import Ears, Listen, Stopped, Utterance, Voice
from assistant.draft import IEPDraft, build_draft, carry_teacher_work
from assistant.errors import UserError
from assistant.lexicon import yes_no
from assistant.messages import REFERENCE, Messages, message
from assistant.recordings import StudentFiles
from assistant.store import Answer, Session, Store, Student
from assistant.text import and_list, fill

__all__ = ["DialogueEngine", "Ending", "Stopped", "Utterance", "Verdict", "build_steps"]

MAX_ANSWER_CHARS = 4000  # about 10 minutes of speech: longer answers are cut, and the cut is said
# Said when a yes/no question got neither yes nor no YES_NO_TRIES times: the replies
# are kept as a note for the teacher (an open question of the draft) and the session goes on.
MOVING_ON = message(REFERENCE, "session.moving_on")  # in English; a session says it in its language
NOTE_KIND = "unclear"  # the kind of the stored note (answers.kind)
NOTE_FIELD = "open_questions"  # where a note goes in the draft
# The read-back is the page's last section: "Section 8 of 8, Reading it back". A
# student counts what they are taken through, and the read-back is a part of it
# (the student answers there too); a dialogue section with no question for this
# student (no accommodations on file) is not counted: it is never shown.
READ_BACK_TITLE = message(REFERENCE, "session.read_back_title")
REVIEW_INTRO = message(REFERENCE, "session.read_back_intro")


def _inside_a_sentence(answer: str, ends: str = ".!?") -> str:
    """An answer (or a question) read back inside a sentence ("I heard: ... Is that
    right?"): without its final ``ends`` (the sentence goes on), and then without the
    Spanish ¿ or ¡ that opened that last question or exclamation, which would be left
    unclosed ("¿Puedo dibujar?" is read back "Puedo dibujar"). What is stored is as said."""
    said = answer.strip()
    text = said.rstrip(ends)
    opened = max(text.rfind("¿"), text.rfind("¡"))
    if len(text) < len(said) and opened >= 0 and not any(mark in text[opened:] for mark in "?!"):
        text = text[:opened] + text[opened + 1:]
    return text


class Verdict(Enum):
    """The student's answer to a read-back ("I heard: ... Is that right?", or a part of the draft)."""

    YES = "yes"  # right: kept
    NO = "no"  # not right: asked again (or, in the final read-back, replaced)
    STOP = "stop"  # a break
    UNCLEAR = "unclear"  # neither yes nor no, YES_NO_TRIES times: a note for the teacher was kept


class Ending(str, Enum):
    FINISHED = "finished"
    PAUSED = "paused"


class DialogueEngine:
    """Runs one session of a dialogue for a student, storing every answer at once."""

    def __init__(self, dialogue: Dialogue, student: Student, store: Store, voice: Voice, ears: Ears,
                 silence_reprompts: int = 2, log: Callable[[str], None] | None = None):
        self.dialogue, self.student, self.store = dialogue, student, store
        # Everything the student hears is in the dialogue's language (the student's):
        # the engine's own lines, and how yes, no and the commands are understood.
        self.language = dialogue.language
        self.m = Messages(self.language)
        self.files = StudentFiles(store.dir, student.id)
        self.save = Saver(store.dir, voice, log, self.language)
        self.talk = Conversation(voice, ears, self.save, lambda rate: store.roster.set_voice(student.id, rate=rate),
                                 silence_reprompts, self.language)
        self.steps = build_steps(dialogue, student)
        self.session: Session | None = None
        self._introduced: set[int] = set()
        self._shown: list[int] = []  # the sections this session goes through, set by run()
        self.voice = voice

    def _show(self, what: str, *args) -> None:
        """Tell a voice with a screen (the student's page) where the student is, what
        was heard, the draft's cards: ``where``, ``heard``, ``cards``, ``card``. A
        voice without them (the terminal's, the tests') is not asked."""
        show = getattr(self.voice, what, None)
        if show is not None:
            show(*args)

    # ------------------------------------------------------------ the session

    def run(self, session: Session | None = None) -> Ending:
        """Run a new session, or continue ``session`` at its position."""
        if session is None:
            session = self.save(lambda: self.store.transcripts.start(self.student.id, self.dialogue.id))
            greeting = fill(self.dialogue.welcome, name=self.student.name)
        else:
            if session.dialogue_id != self.dialogue.id:
                raise UserError(f"session {session.id} was made with dialogue '{session.dialogue_id}', not '{self.dialogue.id}'")
            greeting = self.m("session.welcome_back", name=self.student.name)
        self.session = session
        plan = Plan((*self._again_steps(session.id), *self.steps))
        self._shown = sorted({s.section for s in plan.steps})
        i = self._start(plan, session)
        self.talk.say(greeting, private=True)
        if self.student.role_set is not None and i == 0 and (today := self._today()) is not None:
            self.talk.say(today)
        history: list[int] = []
        try:
            while i < len(plan):
                step = plan[i]
                self.save(partial(self.store.transcripts.set_position, session.id, step.key))
                outcome = self._ask(plan, i)
                if outcome is Outcome.STOP:
                    self.save(partial(self.store.transcripts.set_position, session.id, step.key, "paused"))
                    self.talk.say(self.m("session.break"))
                    return Ending.PAUSED
                if outcome is Outcome.BACK:
                    i = history.pop() if history else plan.back(i)
                    self.talk.say(self.m("session.go_back"))
                    continue
                history.append(i)
                i = plan.after(i, outcome)
            self.save(lambda: self.store.transcripts.set_position(session.id, REVIEW))
            if self._review() is Outcome.STOP:
                self.save(lambda: self.store.transcripts.set_position(session.id, REVIEW, "paused"))
                self.talk.say(self.m("session.break_in_review"))
                return Ending.PAUSED
        except Stopped:
            self.save(lambda: self.store.transcripts.set_position(session.id, self.store.transcripts.session(session.id).position,
                                                                  "paused"))
            return Ending.PAUSED
        # the draft of the whole IEP: what the student said in every session since
        # the last approved draft, this one's answers latest
        draft = build_draft(self.student, self.store.transcripts.iep_answers(self.student.id))
        if (teachers := self._teachers_draft(session.id)) is not None:
            draft = carry_teacher_work(draft, *teachers)
        self.save(lambda: self.store.finish_session(session.id, self.student.id, draft.model_dump(mode="json")))
        self.talk.say(fill(self.dialogue.goodbye, name=self.student.name), private=True)
        return Ending.FINISHED

    def _teachers_draft(self, session_id: int) -> tuple[IEPDraft, set[int]] | None:
        """The latest saved draft of this IEP, which may hold a teacher's edits that the
        draft rebuilt from the answers must keep, and the IEP's sessions it already
        had (finished before this one). None when there is none, or when the latest
        is of the IEP before: the approved draft, or versions after an approval that
        no session of the new IEP has finished since (a teacher correcting the
        approved one)."""
        saved = self.store.draft_versions.latest(self.student.id)
        versions = self.store.draft_versions.of_student(self.student.id)
        approved = max((v["version"] for v in versions if v["status"] == "approved"), default=None)
        if saved is None or saved["status"] == "approved" or approved is not None and not any(
                v["version"] > approved and v["status"] == "ready_for_review" for v in versions):
            return None
        settled = {s.id for s in self.store.transcripts.of_iep(self.student.id)
                   if s.status == "finished" and s.id != session_id}
        return IEPDraft(**saved["body"]), settled

    def _today(self) -> str | None:
        """What the student will talk about today, in their band's words (the titles
        of the sections of their role), said once at the start when a teacher chose
        the student's role: the student hears that this is their part. A role that
        takes the whole dialogue needs no list (and ten titles are not a short
        sentence); a student who leads the meeting hears why it is all asked."""
        lead = self.student.role >= 5
        every = {s.section for s in plan_steps(self.dialogue, self.student.accommodations, self.student.past_goals)}
        if every <= set(self._shown):
            return self.m("session.lead") if lead else None
        titles = [self.dialogue.sections[si].title for si in self._shown]
        # mid-sentence a title starts lower case ("my strengths"), but not English's "I"
        titles = [t if t.startswith("I ") and self.language == "en" else t[0].lower() + t[1:] for t in titles]
        return self.m("session.today", topics=and_list(titles, self.language))

    def _session_id(self) -> int:
        assert self.session is not None  # run() sets it before any step is asked
        return self.session.id

    def _start(self, plan: Plan, session: Session) -> int:
        """The step a session continues at (checked before anything is said)."""
        position = session.position
        if position is None:
            return 0
        if position == REVIEW:
            return len(plan)
        i = plan.index(position)
        if i is not None:
            return i
        if position in self._earlier_again_keys(session.id):
            return 0  # paused at a question asked again, which the teacher withdrew meanwhile
        # paused at a question of a part the student's new role leaves out (a teacher
        # changed the role meanwhile): on at the role's next question after it
        every = [s.key for s in plan_steps(self.dialogue, self.student.accommodations, self.student.past_goals)]
        if position in every:
            order = {key: n for n, key in enumerate(every)}
            later = [j for j, s in enumerate(plan.steps) if order.get(s.key, -1) > order[position]]
            return later[0] if later else len(plan)
        raise UserError(f"session {session.id} stopped at '{position}', which dialogue '{self.dialogue.id}' "
                        "no longer has (was the dialogue file changed?); nothing was lost, but it cannot continue")

    # ------------------------------------------------------------ questions asked again

    def _again_steps(self, session_id: int) -> list[Step]:
        """Questions a teacher marked "ask again next session", asked first."""
        steps = []
        for a in self.store.transcripts.ask_again(self.student.id, session_id):
            first = self._first_asked(a)
            prompt = self._prompt_of(first)
            if prompt is None:
                continue  # the question is not in this dialogue
            steps.append(again_step(self.dialogue, prompt, a.id, first.prompt, a.field, a.extra))
        return steps

    def _first_asked(self, a: Answer) -> Answer:
        """The answer to the question as it was first asked: an answer given to a
        question asked again names the answer it was asked again for."""
        seen = {a.id}
        while isinstance(a.extra.get("asked_again_for"), int):
            earlier = self.store.transcripts.answer(a.extra["asked_again_for"])
            if earlier is None or earlier.id in seen:
                break
            seen.add(earlier.id)
            a = earlier
        return a

    def _prompt_of(self, a: Answer) -> Prompt | None:
        """The dialogue's prompt an answer was given to: stored with it, or (answers
        stored before that) the prompt of the planned step whose key is the answer's."""
        if "prompt" in a.extra:
            return next((p for s in self.dialogue.sections for p in s.prompts if p.id == a.extra["prompt"]), None)

        def plus(items: Sequence[str], name: str) -> list[str]:
            return [*items, a.extra[name]] if isinstance(a.extra.get(name), str) else list(items)

        return prompt_of_key(self.dialogue, a.step, plus(self.student.accommodations, "accommodation"),
                             plus(self.student.past_goals, "goal"))

    def _earlier_again_keys(self, session_id: int) -> set[str]:
        """The keys a question asked again can have had: one per answer of the student's earlier sessions."""
        return {again_key(a.id) for s in self.store.transcripts.of_student(self.student.id) if s.id < session_id
                for a in self.store.transcripts.answers(s.id)}

    # ------------------------------------------------------------ a step

    def _intro(self, step: Step) -> None:
        number = self._shown.index(step.section) + 1 if step.section in self._shown else step.section + 1
        self._show("where", self.dialogue.sections[step.section].title, number, len(self._shown) + 1)
        if step.role is Role.AGAIN or step.section in self._introduced:
            return
        self._introduced.add(step.section)
        section = self.dialogue.sections[step.section]
        self.talk.say(f"{section.title}.")
        if section.intro:
            self.talk.say(section.intro)

    @staticmethod
    def _question(step: Step) -> Question:
        return Question(step.text, step.private, step.listen, step.choices, step.help)

    def _ask(self, plan: Plan, i: int) -> Outcome:
        """Ask step ``i`` until it is answered, skipped or left."""
        step = plan[i]
        self._intro(step)
        if step.role is Role.GATE:
            return self._ask_gate(plan, i)
        return self.talk.ask(self._question(step), lambda u, cmd: self._settle_step(plan, i, u, cmd))

    def _ask_gate(self, plan: Plan, i: int) -> Outcome:
        step = plan[i]

        def give_up(replies: list[Utterance]) -> Outcome:
            self._note(step.key, step.text, replies, plan.key_at(plan.after(i, Outcome.END_ROUNDS)), step.extra)
            return Outcome.END_ROUNDS  # no new round the student did not ask for

        return self.talk.ask(self._question(step), lambda u, cmd: self._settle_gate(step, u, cmd), YES_NO_TRIES, give_up)

    def _settle_gate(self, step: Step, u: Utterance, cmd: Command | None) -> Outcome | Again:
        """ "Do you want to draft another goal?" """
        if cmd is Command.STOP:
            return Outcome.STOP
        if cmd is Command.BACK:
            return Outcome.BACK
        v = yes_no(u.text, self.language)
        if v == "yes":
            return Outcome.NEXT
        if v == "no" or cmd in (Command.SKIP, Command.THATS_ALL, Command.DONT_KNOW):
            return Outcome.END_ROUNDS
        return Again(self.m("asking.say_yes_or_no", question=step.text))

    def _settle_step(self, plan: Plan, i: int, u: Utterance, cmd: Command | None) -> Outcome | Again:
        step = plan[i]
        done = Outcome.END_LIST if step.in_list else Outcome.NEXT  # a skip or "I don't know" ends a list
        if cmd is Command.STOP:
            return Outcome.STOP
        if cmd is Command.BACK:
            return Outcome.BACK
        if cmd is Command.SKIP:
            self._record(step, u, "skipped", plan.key_at(plan.after(i, done)))
            self.talk.say(self.m("session.skipped"))
            return done
        if cmd is Command.DONT_KNOW:
            self._record(step, u, "dont_know", plan.key_at(plan.after(i, done)))
            self.talk.say(self.m("session.dont_know"))
            return done
        if cmd is Command.THATS_ALL:
            return done
        if step.role is Role.FOLLOW_UP and yes_no(u.text, self.language) == "no" and len(u.text.split()) <= 3:
            return Outcome.END_LIST  # "Anything else?" "No." "Nope." "No thanks." ("No more", "I'm done": that's all)
        verdict = self._answer(step, u, plan.key_at(plan.after(i, Outcome.NEXT)))
        if verdict in (Verdict.YES, Verdict.UNCLEAR):
            return Outcome.NEXT
        if verdict is Verdict.STOP:
            return Outcome.STOP
        return Again(self.m("session.try_again", question=step.text))

    # ------------------------------------------------------------ answers

    def _store_attempt(self, step: Step, u: Utterance, kind: str, extra: dict) -> int:
        """Save the recording (if any) and the attempt; only what is stored as an
        answer is ever recorded to disk ("yes", "repeat" and the like never are)."""
        session_id, field = self._session_id(), step.field
        assert field is not None  # only gates have no field, and a gate is settled without storing anything
        audio_path = self.save(lambda: self.files.save_recording(u.pcm)) if u.pcm is not None and len(u.pcm) else None
        return self.save(lambda: self.store.transcripts.add_answer(session_id, step.key, field, step.text, kind, u.text,
                                                                   u.words, u.engine, u.model, audio_path, confirmed=False,
                                                                   extra=extra))

    def _record(self, step: Step, u: Utterance, kind: str, position: str) -> int:
        """Store a skip or an "I don't know"; it replaces earlier records of the step."""
        aid = self._store_attempt(step, u, kind, step.extra)
        self.save(lambda: self.store.transcripts.commit_answer(aid, position, supersede_step=step.key))
        return aid

    def _answer(self, step: Step, u: Utterance, position: str, replaces: list[int] | None = None) -> Verdict:
        """Store the attempt, read it back, and keep it if the student says it is
        right. A kept answer replaces, in the same transaction, the earlier records
        of its step (or the answers listed in ``replaces``); they stay in the
        database, marked superseded."""
        text = u.text.strip()
        if len(text) > MAX_ANSWER_CHARS:
            u = u.model_copy(update={"text": text[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0], "capped": True})
        if u.capped:
            self.talk.say(self.m("session.long_answer"))
        aid = self._store_attempt(step, u, "answer", {**step.extra, **({"capped": True} if u.capped else {})})
        verdict = self._confirm(u.text, lambda question, replies: self._note(
            step.key, question, replies, position, {**step.extra, "unclear_for": aid}))
        if verdict is Verdict.YES:
            if replaces is None:
                self.save(lambda: self.store.transcripts.commit_answer(aid, position, supersede_step=step.key))
            else:
                self.save(lambda: self.store.transcripts.commit_answer(aid, position, supersede_ids=replaces))
        return verdict

    def _confirm(self, heard: str, note: Callable[[str, list[Utterance]], None]) -> Verdict:
        """ "I heard: ... Is that right?" Neither yes nor no three times: the
        replies are kept (``note(question, replies)``) and the answer stays
        unconfirmed: it is not in the draft, the teacher sees it in the transcript
        and the replies among the open questions."""
        question = self.m("session.heard", answer=_inside_a_sentence(heard))
        self._show("heard", heard.strip())

        def give_up(replies: list[Utterance]) -> Verdict:
            note(question, replies)
            return Verdict.UNCLEAR

        def settle(u: Utterance, cmd: Command | None) -> Verdict | Again:
            v = yes_no(u.text, self.language)
            if v == "yes":
                return Verdict.YES
            if v == "no" or cmd is Command.BACK:  # "go back" here means: that is not what I meant
                return Verdict.NO
            if cmd is Command.STOP:
                return Verdict.STOP
            return Again(self.m("asking.say_yes_or_no", question=question))

        return self.talk.ask(Question(question, True, Listen.YES_NO), settle, YES_NO_TRIES, give_up)

    def _note(self, key: str, question: str, replies: list[Utterance], position: str, extra: dict) -> None:
        """Keep what the student said to a yes/no question that got neither yes nor
        no as a note for the teacher (an open question of the draft), and move the
        session on to ``position``, in one write; then say so."""
        said = " / ".join(r.text.strip() for r in replies)
        session_id = self._session_id()

        def write() -> None:
            nid = self.store.transcripts.add_answer(session_id, key, NOTE_FIELD, question, NOTE_KIND, said,
                                                    extra={**extra, "replies": [r.text for r in replies]})
            self.store.transcripts.commit_answer(nid, position)

        self.save(write)
        self.talk.say(self.m("session.moving_on"))

    # ------------------------------------------------------------ the read-back

    def _review(self) -> Outcome:
        """Read the draft back part by part (one part per list prompt); the student
        may say no and give a new answer for that part, which replaces it."""
        total = len(self._shown) + 1
        self._show("where", self.m("session.read_back_title"), total, total)
        self.talk.say(self.m("session.read_back_intro"))
        parts = self._parts()
        self._show("cards", [{"title": label, "text": said} for _, _, label, said, _ in parts])
        for index, (_, prompt, label, said, answers) in enumerate(parts):
            self._show("card", index)  # the card says which part: the section stays "Reading it back"
            question = self.m("session.read_back_part", part=label, said=said)
            key = review_step(self.dialogue, prompt).key
            verdict = self.talk.ask(Question(question, True, Listen.YES_NO), partial(self._settle_part, question),
                                    YES_NO_TRIES, partial(self._unclear_part, key, question))
            if verdict is Verdict.STOP:
                return Outcome.STOP
            if (verdict is Verdict.NO
                    and self._replace(review_step(self.dialogue, prompt), [a.id for a in answers]) is Outcome.STOP):
                return Outcome.STOP
            if verdict is Verdict.NO:  # the part was replaced: the cards show it as it is now
                self._show("cards", [{"title": p[2], "text": p[3]} for p in self._parts()])
        return Outcome.NEXT

    def _parts(self) -> list[tuple[int, Prompt, str, str, list[Answer]]]:
        """The parts of the draft read back: (section, prompt, label, what was said, its answers)."""
        parts = []
        for si, prompts in read_back_prompts(self.dialogue, self.student.role):
            for prompt in prompts:
                answers = [a for a in self.store.transcripts.answers(self._session_id())
                           if a.field == prompt.field and a.confirmed and not a.superseded and a.kind == "answer"]
                if not answers:
                    continue
                label = self.dialogue.sections[si].title if len(prompts) == 1 else _inside_a_sentence(prompt.text, "?")
                parts.append((si, prompt, label, ". ".join(a.text.strip().rstrip(".") for a in answers), answers))
        return parts

    def _unclear_part(self, key: str, question: str, replies: list[Utterance]) -> Verdict:
        """A part of the draft read back got neither yes nor no: it stays as it is, with a note."""
        self._note(key, question, replies, REVIEW, {})
        return Verdict.UNCLEAR

    def _settle_part(self, question: str, u: Utterance, cmd: Command | None) -> Verdict | Again:
        """A part of the draft read back: yes keeps it, no replaces it."""
        if cmd is Command.STOP:
            return Verdict.STOP
        v = yes_no(u.text, self.language)
        if v == "yes" or cmd in (Command.SKIP, Command.THATS_ALL):
            return Verdict.YES
        if v == "no":
            return Verdict.NO
        return Again(self.m("asking.say_yes_or_no", question=question))

    def _replace(self, step: Step, old: list[int]) -> Outcome:
        """Ask again during the read-back; a confirmed new answer replaces ``old``."""

        def settle(u: Utterance, cmd: Command | None) -> Outcome | Again:
            if cmd is Command.STOP:
                return Outcome.STOP
            if cmd in (Command.SKIP, Command.THATS_ALL, Command.BACK, Command.DONT_KNOW):
                self.talk.say(self.m("session.keep_before"))
                return Outcome.NEXT
            verdict = self._answer(step, u, REVIEW, replaces=old)
            if verdict in (Verdict.YES, Verdict.UNCLEAR):  # unclear: what was said before stays
                return Outcome.NEXT
            if verdict is Verdict.STOP:
                return Outcome.STOP
            return Again(self.m("session.try_again", question=step.text))

        return self.talk.ask(self._question(step), settle)
