"""The dialogue engine in-process, in seconds: fakes at the Voice/Ears boundary (a
voice that records every line; ears that answer like a student from what the
voice said) and a real Store in a temporary folder.

The planner (the steps of every grade band's dialogue, their stored keys), the one
ask-until-settled loop (every command at every kind of question, silence),
read-back and the final review, resuming, questions asked again (also rows
written before prompt ids were stored), private lines, storage waits and the
demo's student, who answers from what it heard.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest

from assistant import demo
from assistant.dialogue import asking
from assistant.dialogue.engine import DialogueEngine, Ending
from assistant.dialogue.plan import REVIEW, Outcome, Plan, Role, build_steps, plan_steps
from assistant.dialogue.schema import (
    Dialogue,
    Kind,
    dialogue_files,
    dialogue_for,
    load_dialogue,
)
from assistant.dialogue.voice import Listen, Said, Stopped, Utterance
from assistant.draft import build_draft
from assistant.errors import StorageDamaged, StorageFull, UserError
from assistant.lexicon import yes_no
from assistant.store import Store

# ---------------------------------------------------------------- fakes at the boundary


class RecordingVoice:
    """A Voice that keeps every line said, and tells its listeners (as the live one does)."""

    def __init__(self, rate: int = 165):
        self.rate = rate
        self.lines: list[Said] = []
        self.listeners: list[Callable[[Said], None]] = []

    def say(self, text: str, private: bool = True) -> None:
        line = Said(text, private)
        self.lines.append(line)
        for hear in self.listeners:
            hear(line)

    def set_rate(self, rate: int) -> None:
        self.rate = rate

    def texts(self, start: int = 0) -> list[str]:
        return [line.text for line in self.lines[start:]]


class Student:
    """Ears that answer like a student at the headset: ``policy(heard, expect)`` is what
    they say after hearing ``heard`` (the lines said since they last spoke); None is
    silence, and ``Stopped`` (no more input) pauses the session."""

    def __init__(self, voice: RecordingVoice, policy: Callable[[list[str], str], str | None]):
        self.voice, self.policy = voice, policy
        self.heard: list[str] = []
        self.said: list[str | None] = []
        self.marks: list[int] = []  # how many lines had been said when each reply was given
        self.expects: list[str] = []
        voice.listeners.append(lambda line: self.heard.append(line.text))

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        reply = self.policy(self.heard, expect)
        self.heard = []
        self.said.append(reply)
        self.marks.append(len(self.voice.lines))
        self.expects.append(expect)
        return None if reply is None else Utterance(text=reply)

    def after(self, n: int) -> list[str]:
        """The lines said after the student's reply number ``n`` (0-based), up to their next reply."""
        end = self.marks[n + 1] if n + 1 < len(self.marks) else len(self.voice.lines)
        return self.voice.texts()[self.marks[n] : end]

    def before(self, n: int) -> list[str]:
        """Every line said before the student's reply number ``n``."""
        return self.voice.texts()[: self.marks[n]]


def replies(*said: str | None):
    """A student who says these, in order, then nothing more (the end of typed input)."""
    queue = deque(said)

    def policy(heard: list[str], expect: str) -> str | None:
        if not queue:
            raise Stopped()
        return queue.popleft()

    return policy


def by_cue(script: list[tuple[str, str]]):
    """A student who answers the question heard last, found by a phrase in it."""

    def policy(heard: list[str], expect: str) -> str:
        shown = " ".join(heard)
        cue, answer = max(script, key=lambda c: shown.rfind(c[0]))
        assert cue in shown, f"no answer for: {shown[-300:]}"
        return answer

    return policy


# ---------------------------------------------------------------- a small dialogue with every kind of step

TINY = Dialogue(
    id="tiny", language="en", grades=(3, 5), title="Tiny", welcome="Hi {name}.", goodbye="Bye {name}.",
    sections=[
        {"id": "strengths", "title": "Strengths", "prompts": [
            {"id": "strengths", "text": "What are you good at?", "simpler": "Good at what?", "example": "Drawing.",
             "field": "strengths", "follow_up": {"text": "Anything else you are good at?", "limit": 1}}]},
        {"id": "fun", "title": "Fun", "prompts": [
            {"id": "fun", "kind": "choice", "text": "Games or books?", "simpler": "Pick one: games or books?",
             "example": "Games.", "choices": ["games", "books"], "field": "interests"}]},
        {"id": "acc", "title": "Help I get", "prompts": [
            {"id": "acc", "kind": "accommodations", "text": "You get {accommodation}. Does it help?",
             "simpler": "{accommodation}: yes or no?", "example": "Yes.", "field": "accommodations"}]},
        {"id": "goals", "title": "Goals", "repeat": "Another goal?", "repeat_limit": 1, "prompts": [
            {"id": "goal", "text": "What is a goal?", "simpler": "What do you want to learn?", "example": "Reading.",
             "field": "goals.statement"}]},
        {"id": "message", "title": "Message", "prompts": [
            {"id": "message", "text": "What do you want to tell the team?", "simpler": "Tell the team.",
             "example": "I try hard.", "field": "message_to_team"}]},
    ])

# the whole TINY session, up to its read-back at the end
TO_REVIEW = ["drawing", "yes", "that's all", "games", "yes", "yes", "yes", "reading", "yes", "no", "I try hard", "yes"]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "data")
    yield s
    s.close()


@pytest.fixture
def kai(store):
    return store.roster.add("Kai Lund", 4, "en", ["extra time"], [])


def run(store, student, policy, dialogue=TINY, session=None, **kw):
    voice = RecordingVoice()
    ears = Student(voice, policy)
    engine = DialogueEngine(dialogue, student, store, voice, ears, log=lambda line: None, **kw)
    ending = engine.run(session)
    return ending, voice, ears, engine


def rows(store, engine):
    return store.transcripts.answers(engine.session.id)


@cache
def band(grade: int) -> Dialogue:
    return dialogue_for(grade, "en")


# ---------------------------------------------------------------- the planner

BANDS = sorted({load_dialogue(f).grades for f in dialogue_files("en")})


@pytest.mark.parametrize("grades", BANDS, ids=lambda g: f"grades-{g[0]}-{g[1]}")
def test_the_plan_of_every_grade_band(grades):
    d = band(grades[0])
    accs, goals = ["extended time", "a calculator"], ["read every day"]
    steps = plan_steps(d, accs, goals)
    assert len({s.key for s in steps}) == len(steps)  # a key names one step
    assert [s.section for s in steps] == sorted(s.section for s in steps)  # sections in order
    for si, section in enumerate(d.sections):
        rounds = section.repeat_limit + 1 if section.repeat else 1  # the first, then up to repeat_limit more
        gates = [s for s in steps if s.role is Role.GATE and s.section == si]
        assert [(g.key, g.round, g.listen) for g in gates] == [
            (f"{section.id}:again@{r}", r, Listen.YES_NO) for r in range(2, rounds + 1)]
        for p in section.prompts:
            mine = [s for s in steps if s.prompt == p]
            assert all(s.field == p.field and s.extra["prompt"] == p.id for s in mine)
            if p.kind in (Kind.ACCOMMODATIONS, Kind.PAST_GOALS):
                items = accs if p.kind == Kind.ACCOMMODATIONS else goals
                assert [s.role for s in mine] == [Role.ITEM] * len(items)
                assert all(item in s.text and s.private for s, item in zip(mine, items, strict=True))
                continue
            questions = [s for s in mine if s.role is Role.QUESTION]
            assert [q.round for q in questions] == list(range(1, rounds + 1))
            assert not any(s.private for s in mine)  # the dialogue's own words: cached like any prompt
            for q in questions:
                i = steps.index(q)
                follow = [s for s in steps if s.follow_up_of == q.key]
                assert steps[i + 1 : i + 1 + len(follow)] == follow  # right after their question
                assert [(s.role, s.text) for s in follow] == (
                    [(Role.FOLLOW_UP, p.follow_up.text)] * p.follow_up.limit if p.follow_up else [])
                if p.field.startswith("goals."):
                    assert q.extra["goal_number"] == q.round
                assert q.listen is (Listen.CHOICE if p.kind == Kind.CHOICE else Listen.ANSWER)


def test_the_keys_are_the_ones_databases_hold():
    """Stored in answers.step and sessions.position by every version: changing one
    would strand paused sessions and superseded answers."""
    steps = plan_steps(band(10), ["Extended time"], ["Read every day"])
    assert [s.key for s in steps] == [
        "strengths", "strengths+1", "strengths+2", "interests", "interests+1", "challenges", "challenges+1",
        "challenges+2", "learn_best", "learn_best+1", "accommodation_check:extended time", "wish", "wish+1",
        "past_goal:read every day", "goal_what", "goal_measure", "goal_when", "goal_help", "goals:again@2",
        "goal_what@2", "goal_measure@2", "goal_when@2", "goal_help@2", "goals:again@3", "goal_what@3",
        "goal_measure@3", "goal_when@3", "goal_help@3", "after_school_education", "after_school_job",
        "after_school_living", "message"]
    assert plan_steps(band(10), ["Extended time"], ["Read every day"]) == steps  # the same every time


def test_a_student_without_accommodations_or_past_goals_gets_no_item_steps(store):
    s = store.roster.add("Ada", 10)
    assert not [x for x in build_steps(band(10), s) if x.role is Role.ITEM]
    assert len(build_steps(band(10), s)) == len(plan_steps(band(10), ["a"], ["b"])) - 2


def test_where_each_outcome_leads():
    plan = Plan(tuple(plan_steps(band(10), ["extended time"], ["read every day"])))
    at = plan.index
    assert plan.after(at("strengths"), Outcome.NEXT) == at("strengths+1")
    assert plan.after(at("strengths"), Outcome.END_LIST) == at("interests")  # past its follow-ups
    assert plan.after(at("strengths+1"), Outcome.END_LIST) == at("interests")
    assert plan.after(at("goal_what"), Outcome.END_LIST) == at("goal_measure")  # not a list: the next
    assert plan.after(at("goals:again@2"), Outcome.END_ROUNDS) == at("after_school_education")
    assert plan.after(at("goals:again@3"), Outcome.NEXT) == at("goal_what@3")
    assert plan.back(at("strengths+2")) == at("strengths")
    assert plan.back(at("goal_measure@2")) == at("goal_help")  # over the gate and the round's own start
    assert plan.back(at("interests")) == at("strengths")
    assert plan.back(0) == 0
    assert plan.key_at(len(plan)) == REVIEW
    with pytest.raises(ValueError):
        plan.after(0, Outcome.BACK)


# ---------------------------------------------------------------- every command at every kind of question

# how to get to each kind of question in TINY (for Kai, whose IEP lists "extra time"), and the question
KINDS = {
    "question": ([], "What are you good at?"),
    "follow-up": (["drawing", "yes"], "Anything else you are good at?"),
    "choice": (["drawing", "yes", "that's all"], "Games or books?"),
    "item": (["drawing", "yes", "that's all", "games", "yes"], "You get extra time. Does it help?"),
    "gate": (["drawing", "yes", "that's all", "games", "yes", "yes", "yes", "reading", "yes"], "Another goal?"),
    "read-back": (["drawing"], "I heard: drawing. Is that right?"),
    "review": (TO_REVIEW, "Strengths: drawing. Is that right?"),
    "replace": ([*TO_REVIEW, "no"], "Okay, tell me again. What are you good at?"),
}
ASKED = ("question", "follow-up", "choice", "item")  # steps of the dialogue that take an answer
HELP = {
    "question": "Good at what? For example, you could say: Drawing.",
    "follow-up": "Anything else you are good at? For example, you could say: Drawing.",
    "choice": "Pick one: games or books? For example, you could say: Games.",
    "item": "Extended time means you get more time to finish tests and assignments. extra time: yes or no? "
            "For example, you could say: Yes.",
    "gate": "Please say yes or no. Another goal?",
    "replace": "Good at what? For example, you could say: Drawing.",
}
BREAK = "Okay, let's take a break. Everything you said is saved. We will continue from this question next time."
BREAK_IN_REVIEW = "Okay, let's take a break. Everything you said is saved."
KEEP = "Okay, I will keep what you said before."
SKIPPED = "Okay, we will skip that one."
DONT_KNOW = "That's okay. I will ask your teacher to talk about it with you."
NEXT_SECTION = {"question": "Fun.", "follow-up": "Fun.", "choice": "Help I get.", "item": "Goals.", "gate": "Message."}


def expected(kind: str, command: str, question: str) -> str:
    """The first line said after ``command`` at a question of ``kind``."""
    please = f"Please say yes or no. {question}"
    yes_no_question = kind in ("read-back", "review")
    if command == "repeat":
        return question
    if command in ("slower", "faster"):
        return f"Okay, I will talk {command}."
    if command == "help":
        return please if yes_no_question else HELP[kind]
    if command == "stop":
        return BREAK_IN_REVIEW if kind in ("review", "replace") else BREAK
    if kind == "replace":
        return KEEP  # go back, skip, I don't know, that's all: what was said before stays
    if kind == "read-back":
        return "Okay, let's try again. What are you good at?" if command == "go back" else please
    if kind == "review":
        return "Fun: games. Is that right?" if command in ("skip", "that's all") else please
    if command == "go back":
        return "Okay, let's go back."
    if kind == "gate":
        return NEXT_SECTION["gate"]  # skip, I don't know, that's all: no more goals
    return {"skip": SKIPPED, "i don't know": DONT_KNOW, "that's all": NEXT_SECTION[kind]}[command]


COMMANDS = ["repeat", "slower", "faster", "help", "stop", "go back", "skip", "i don't know", "that's all"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_command_at_every_kind_of_question(store, kai, kind, command):
    before, question = KINDS[kind]
    ending, voice, ears, engine = run(store, kai, replies(*before, command))
    assert ears.before(len(before))[-1] == question
    said = ears.after(len(before))
    assert said and said[0] == expected(kind, command, question), said
    assert ending is Ending.PAUSED
    session = store.transcripts.session(engine.session.id)
    assert session.status == "paused"
    if command in ("repeat", "slower", "faster"):
        assert said[-1] == question  # asked again, at the new speed
    if command in ("slower", "faster"):
        rate = 140 if command == "slower" else 190
        assert voice.rate == rate and store.roster.get(kai.id).rate == rate  # kept in the profile
    if command == "stop":
        in_review = kind in ("review", "replace")
        assert session.position == (REVIEW if in_review else engine_key(kind))
    stored = rows(store, engine)
    assert not [a for a in stored if a.kind == "answer" and a.text == command]  # a command is never an answer
    if kind in ASKED and command in ("skip", "i don't know"):
        last = stored[-1]
        assert (last.kind, last.step, last.confirmed) == ({"skip": "skipped"}.get(command, "dont_know"),
                                                          engine_key(kind), True)


def engine_key(kind: str) -> str:
    return {"question": "strengths", "follow-up": "strengths+1", "choice": "fun", "item": "acc:extra time",
            "gate": "goals:again@2", "read-back": "strengths"}[kind]


# ---------------------------------------------------------------- answers, lists, rounds, silence


def test_silence_gets_gentle_reprompts_and_never_ends_the_session(store, kai):
    before = ["drawing", "yes", "that's all", "games", "yes"]
    ending, voice, ears, engine = run(store, kai, replies(*before, None, None, None, None, "yes", "yes"))
    n = len(before)
    item = "You get extra time. Does it help?"
    assert ears.after(n) == [f"Take your time. {item}"]
    assert ears.after(n + 1) == [f"Take your time. {item}"]
    assert ears.after(n + 2) == ["Take your time. I am still here when you are ready."]
    assert ears.after(n + 4)[0] == "I heard: yes. Is that right?"
    privacy = {line.text: line.private for line in voice.lines}
    assert privacy[f"Take your time. {item}"] is True  # it names the student's accommodation
    assert privacy["Take your time. I am still here when you are ready."] is False
    assert [a.text for a in rows(store, engine)][-1] == "yes"  # nothing stored for the silences
    assert len(rows(store, engine)) == 3


def test_no_to_a_read_back_asks_again_and_keeps_the_attempt_unconfirmed(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("drawng", "hm", "no", "drawing", "yes"))
    assert ears.after(1) == ["Please say yes or no. I heard: drawng. Is that right?"]
    assert ears.after(2) == ["Okay, let's try again. What are you good at?"]
    assert [(a.text, a.confirmed, a.superseded) for a in rows(store, engine)] == [
        ("drawng", False, True), ("drawing", True, False)]  # kept, marked as replaced
    assert store.transcripts.session(engine.session.id).position == "strengths+1"  # moved on with the confirmed answer


def test_an_answer_is_confirmed_with_the_position_it_leads_to_in_one_write(store, kai, monkeypatch):
    """A session killed right after a "yes" resumes at the next question, not the same one."""
    commits, real = [], store.transcripts.commit_answer

    def commit_answer(answer_id, position, **kw):
        commits.append((store.transcripts.answer(answer_id).step, position))
        return real(answer_id, position, **kw)

    monkeypatch.setattr(store.transcripts, "commit_answer", commit_answer)
    run(store, kai, replies("skip", "games", "yes", "yes", "yes", "i don't know", "no", "I try hard", "yes", "no",
                            "chess", "yes"))
    assert commits == [("strengths", "fun"),  # a skipped list question: past its follow-ups
                       ("fun", "acc:extra time"), ("acc:extra time", "goal"), ("goal", "goals:again@2"),
                       ("message", REVIEW), ("review:fun", REVIEW)]


def test_a_list_ends_at_no_and_follow_ups_stop_at_their_limit(store):
    s = store.roster.add("Ada", 10)
    script = ["math", "yes", "art", "yes", "chess", "yes"]  # two follow-ups, then the next question
    ending, voice, ears, engine = run(store, s, replies(*script, "music", "yes", "No.", "stop"), dialogue=band(10))
    assert [a.step for a in rows(store, engine)] == ["strengths", "strengths+1", "strengths+2", "interests"]
    assert ears.after(len(script) - 1)[-1] == "What are your interests, in school and outside of school?"
    assert ears.after(len(script) + 2)[:2] == ["What is hard for me.", "What gets in the way of your learning? What is "
                                                                       "hard for you at school?"]


def test_another_goal_is_a_second_round_with_its_own_number(store, kai):
    script = ["drawing", "yes", "that's all", "games", "yes", "yes", "yes", "reading", "yes", "yes", "math", "yes",
              "I try hard", "yes"]
    ending, voice, ears, engine = run(store, kai, replies(*script))
    goals = [a for a in rows(store, engine) if a.field == "goals.statement"]
    assert [(a.step, a.extra["goal_number"]) for a in goals] == [("goal", 1), ("goal@2", 2)]
    assert [g.statement.text for g in build_draft(kai, rows(store, engine)).goals] == ["reading", "math"]
    assert voice.texts().count("Another goal?") == 1  # one more at most (repeat_limit): not asked after the second


def test_go_back_returns_to_the_question_asked_before_or_after_a_resume_to_the_main_one(store, kai):
    to_round_two = ["drawing", "yes", "that's all", "games", "yes", "yes", "yes", "reading", "yes", "yes"]
    ending, voice, ears, engine = run(store, kai, replies(*to_round_two, "go back", "stop"))
    assert ears.after(len(to_round_two))[:2] == ["Okay, let's go back.", "Another goal?"]  # the question before
    paused = store.transcripts.session(engine.session.id)
    assert paused.position == "goals:again@2"
    store.transcripts.set_position(paused.id, "goal@2", "paused")
    ending, voice, ears, engine = run(store, kai, replies("go back", "stop"), session=store.transcripts.session(paused.id))
    assert ears.after(0)[:2] == ["Okay, let's go back.", "What is a goal?"]  # nothing asked before: the first round's
    assert store.transcripts.session(paused.id).position == "goal"


def test_going_back_replaces_the_earlier_answer(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("drawing", "yes", "go back", "painting", "yes", "that's all"))
    assert ears.after(2)[:2] == ["Okay, let's go back.", "What are you good at?"]
    draft = build_draft(kai, rows(store, engine))
    assert [i.text for i in draft.strengths] == ["painting"]
    assert [(a.text, a.superseded) for a in rows(store, engine)] == [("drawing", True), ("painting", False)]


def test_a_very_long_answer_is_cut_and_the_cut_is_said(store, kai):
    long = " ".join(["I like to draw comics about my dog"] * 600)
    ending, voice, ears, engine = run(store, kai, replies(long, "yes"))
    assert ears.after(0)[0] == "That was a long answer. I kept the first part."
    kept = rows(store, engine)[0]
    assert 3900 < len(kept.text) <= 4000 and kept.extra["capped"] is True


def test_only_answers_are_recorded_to_disk(store, kai):
    voice = RecordingVoice()
    said = deque(["drawing", "repeat", "yes", "that's all"])

    class Ears:
        def hear(self, expect, choices=None):
            if not said:
                raise Stopped()
            return Utterance(text=said.popleft(), pcm=np.zeros(1600, dtype=np.int16))

    engine = DialogueEngine(TINY, kai, store, voice, Ears())
    engine.run()
    kept = [a.audio_path for a in rows(store, engine)]
    assert len(kept) == 1 and kept[0] is not None
    assert [p.name for p in (store.dir / "audio").rglob("*.wav")] == [kept[0].rsplit("/", 1)[-1]]


# ---------------------------------------------------------------- the read-back at the end


def test_the_read_back_at_the_end_replaces_a_part_and_the_session_finishes(store, kai):
    ending, voice, ears, engine = run(store, kai, replies(*TO_REVIEW, "no", "painting and chess", "yes", "yes", "yes"))
    assert ending is Ending.FINISHED
    n = len(TO_REVIEW)
    assert ears.after(n - 1)[-2:] == ["Here is what you told me. After each part, say yes if it is right, or no to "
                                      "change it.", "Strengths: drawing. Is that right?"]
    assert voice.texts()[-1] == "Bye Kai Lund."
    replaced = [a for a in rows(store, engine) if a.step == "review:strengths"]
    assert [(a.text, a.confirmed, a.extra["prompt"]) for a in replaced] == [("painting and chess", True, "strengths")]
    session = store.transcripts.session(engine.session.id)
    assert (session.status, session.position) == ("finished", None)
    draft = store.draft_versions.latest(kai.id)
    assert draft["session_id"] == session.id and draft["version"] == 1
    assert draft["body"] == build_draft(kai, rows(store, engine)).model_dump(mode="json")
    assert [i["text"] for i in draft["body"]["strengths"]] == ["painting", "chess"]


# ---------------------------------------------------------------- resuming


def test_a_paused_session_resumes_at_the_same_question(store, kai):
    before = ["drawing", "yes", "that's all", "games", "yes"]
    ending, voice, ears, engine = run(store, kai, replies(*before, "stop"))
    paused = store.transcripts.session(engine.session.id)
    assert (ending, paused.position, paused.status) == (Ending.PAUSED, "acc:extra time", "paused")
    ending, voice, ears, engine = run(store, kai, replies("yes", "yes", "reading", "yes", "no", "I try hard", "yes",
                                                          "yes", "yes", "yes"), session=paused)
    assert voice.texts()[:2] == ["Welcome back, Kai Lund. Let's continue where you stopped.", "Help I get."]
    assert ending is Ending.FINISHED
    assert engine.session.id == paused.id
    draft = build_draft(kai, rows(store, engine))
    assert [i.text for i in draft.strengths] == ["drawing"] and draft.accommodations.helpful


def test_a_session_paused_in_the_read_back_resumes_there(store, kai):
    ending, voice, ears, engine = run(store, kai, replies(*TO_REVIEW, "stop"))
    paused = store.transcripts.session(engine.session.id)
    assert paused.position == REVIEW
    ending, voice, ears, engine = run(store, kai, replies("yes", "yes", "yes"), session=paused)
    assert voice.texts()[1:3] == ["Here is what you told me. After each part, say yes if it is right, or no to "
                                  "change it.", "Strengths: drawing. Is that right?"]
    assert ending is Ending.FINISHED


def test_a_position_the_dialogue_no_longer_has_is_refused_before_anything_is_said(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("stop"))
    store.transcripts.set_position(engine.session.id, "question_removed_since", "paused")
    voice = RecordingVoice()
    with pytest.raises(UserError, match="no longer has"):
        DialogueEngine(TINY, kai, store, voice, Student(voice, replies())).run(store.transcripts.session(engine.session.id))
    assert voice.lines == []
    with pytest.raises(UserError, match="was made with dialogue 'tiny'"):
        DialogueEngine(band(4), kai, store, voice, Student(voice, replies())).run(store.transcripts.session(engine.session.id))


# ---------------------------------------------------------------- questions asked again


def test_a_question_marked_ask_again_is_asked_first_next_session_and_once(store, kai):
    ending, voice, ears, first = run(store, kai, replies("drawing um", "yes", "stop"))
    marked = rows(store, first)[0]
    store.transcripts.review(marked.id, "ask_again", "Ms Lee")
    ending, voice, ears, second = run(store, kai, replies("drawing comics", "yes", "stop"))
    asked = "Your teacher would like to ask this again. What are you good at?"
    assert voice.texts()[1] == asked
    assert {line.text: line.private for line in voice.lines}[asked] is True  # it is the student's earlier question
    assert ears.after(1)[:2] == ["Strengths.", "What are you good at?"]  # then the dialogue as usual
    again = rows(store, second)[0]
    assert (again.step, again.field, again.confirmed) == (f"again:{marked.id}", "strengths", True)
    assert again.extra["asked_again_for"] == marked.id and again.extra["prompt"] == "strengths"
    ending, voice, ears, third = run(store, kai, replies("stop"))
    assert "ask this again" not in " ".join(voice.texts())


def _old_row(store, session_id, step, field, prompt, **extra):
    """An answer as versions before prompt ids were stored wrote it: no extra["prompt"]."""
    aid = store.transcripts.add_answer(session_id, step, field, prompt, "answer", "um", extra=extra)
    store.transcripts.commit_answer(aid, None)
    store.transcripts.review(aid, "ask_again", "Ms Lee")
    return aid


def test_ask_again_on_answers_stored_before_prompt_ids_matches_their_keys(store, kai):
    old = store.transcripts.start(kai.id, "tiny")
    ids = [
        _old_row(store, old.id, "strengths+1", "strengths", "Anything else you are good at?"),
        _old_row(store, old.id, "goal@2", "goals.statement", "What is a goal?", goal_number=2),
        # an accommodation the IEP no longer lists: its key is planned from the item the row names
        _old_row(store, old.id, "acc:a quiet room", "accommodations", "You get a quiet room. Does it help?",
                 accommodation="a quiet room"),
        _old_row(store, old.id, "review:strengths", "strengths", "Okay, tell me again. What are you good at?"),
        _old_row(store, old.id, "not_in_this_dialogue", "strengths", "Who are you?"),
    ]
    # an answer given when a question was asked again, itself marked again: the first asking counts
    first = _old_row(store, old.id, "fun", "interests", "Games or books?")
    store.transcripts.review(first, "ok", "Ms Lee")
    ids.append(_old_row(store, old.id, f"again:{first}", "interests",
                        "Your teacher would like to ask this again. Games or books?", asked_again_for=first))
    store.transcripts.set_position(old.id, None, "finished")
    ending, voice, ears, engine = run(store, kai, replies(*["x", "yes"] * 5, "stop"))
    asked = [t for t in voice.texts() if t.startswith("Your teacher")]
    assert asked == ["Your teacher would like to ask this again. " + q for q in (
        "Anything else you are good at?", "What is a goal?", "You get a quiet room. Does it help?",
        "Okay, tell me again. What are you good at?", "Games or books?")]
    stored = rows(store, engine)
    assert [a.extra["prompt"] for a in stored] == ["strengths", "goal", "acc", "strengths", "fun"]
    assert stored[1].extra["goal_number"] == 2 and stored[2].extra["accommodation"] == "a quiet room"
    assert [a.extra["asked_again_for"] for a in stored] == [ids[0], ids[1], ids[2], ids[3], ids[5]]


def test_help_at_a_question_asked_again_fills_in_the_accommodation(store, kai):
    old = store.transcripts.start(kai.id, "tiny")
    _old_row(store, old.id, "acc:extra time", "accommodations", "You get extra time. Does it help?",
             accommodation="extra time")
    store.transcripts.set_position(old.id, None, "finished")
    ending, voice, ears, engine = run(store, kai, replies("help", "stop"))
    assert ears.after(0)[0] == HELP["item"]


def test_a_session_paused_at_a_question_since_withdrawn_starts_at_the_first_question(store, kai):
    ending, voice, ears, first = run(store, kai, replies("drawing", "yes", "stop"))
    marked = rows(store, first)[0]
    store.transcripts.review(marked.id, "ask_again", "Ms Lee")
    ending, voice, ears, second = run(store, kai, replies("stop"))
    paused = store.transcripts.session(second.session.id)
    assert paused.position == f"again:{marked.id}"
    store.transcripts.review(marked.id, "ok", "Ms Lee")  # withdrawn
    ending, voice, ears, engine = run(store, kai, replies("stop"), session=paused)
    assert voice.texts()[1:3] == ["Strengths.", "What are you good at?"]


# ---------------------------------------------------------------- private lines, text as data


def test_every_line_made_from_the_students_words_or_iep_is_private(store):
    s = store.roster.add("Zoë Quill", 4, "en", ["zebra breaks"], [])
    script = ["violin", "yes", "that's all", "games", "yes", "only on fridays", "yes", "juggling", "yes", "no",
              "pancakes", "yes", "yes", "yes", "yes"]
    ending, voice, ears, engine = run(store, s, replies(*script))
    assert ending is Ending.FINISHED
    theirs = ("Zoë", "zebra", "violin", "games", "fridays", "juggling", "pancakes")
    for line in voice.lines:
        if any(w in line.text for w in theirs):
            assert line.private, line
    public = {line.text for line in voice.lines if not line.private}
    assert {"Strengths.", "What are you good at?", "Games or books?", "Another goal?", "Here is what you told me. "
            "After each part, say yes if it is right, or no to change it."} <= public  # cached like any prompt


def test_braces_in_answers_and_accommodations_are_said_as_written(store):
    s = store.roster.add("Ana", 4, "en", ["notes in {braces}"], [])
    ending, voice, ears, engine = run(store, s, replies("{name} and {x}", "yes", "that's all", "games", "yes",
                                                        "stop"))
    texts = voice.texts()
    assert "I heard: {name} and {x}. Is that right?" in texts
    assert "You get notes in {braces}. Does it help?" in texts


# ---------------------------------------------------------------- storage waits


def test_a_full_disk_is_waited_out_with_one_message_and_nothing_lost(store, kai, monkeypatch):
    monkeypatch.setattr(asking, "STORAGE_RETRY_SECONDS", 0)
    real, tries = store.transcripts.add_answer, itertools.count()

    def add_answer(*a, **kw):
        if next(tries) < 3:
            raise StorageFull("the disk is full")
        return real(*a, **kw)

    monkeypatch.setattr(store.transcripts, "add_answer", add_answer)
    ending, voice, ears, engine = run(store, kai, replies("drawing", "yes", "stop"))
    full = [line for line in voice.lines if line.text == asking.STORAGE_PROBLEM]
    assert len(full) == 1 and not full[0].private  # told once (a reminder only after a minute)
    assert [(a.text, a.confirmed) for a in rows(store, engine)] == [("drawing", True)]


def test_a_damaged_database_ends_the_session_with_its_message(store, kai, monkeypatch):
    def add_answer(*a, **kw):
        raise StorageDamaged("the database is damaged")

    monkeypatch.setattr(store.transcripts, "add_answer", add_answer)
    with pytest.raises(StorageDamaged):
        run(store, kai, replies("drawing", "yes"))


# ---------------------------------------------------------------- whole sessions


def _anyone(dialogue: Dialogue):
    """A student who says yes to read-backs, no to "another?", that's all to "anything
    else?", and a new answer to everything else."""
    follow_ups = {p.follow_up.text for s in dialogue.sections for p in s.prompts if p.follow_up}
    gates = {s.repeat for s in dialogue.sections if s.repeat}
    n = itertools.count(1)

    def policy(heard: list[str], expect: str) -> str:
        last = heard[-1]
        if last.endswith("Is that right?"):
            return "yes"
        if last in gates:
            return "no"
        if last in follow_ups:
            return "that's all"
        return f"answer number {next(n)}"

    return policy


@pytest.mark.parametrize("grades", BANDS, ids=lambda g: f"grades-{g[0]}-{g[1]}")
def test_a_whole_session_of_every_grade_band(store, grades):
    d = band(grades[0])
    s = store.roster.add("Ada", grades[0], "en", ["extended time"], ["read every day"])
    ending, voice, ears, engine = run(store, s, _anyone(d), dialogue=d)
    assert ending is Ending.FINISHED
    asked = [x for x in build_steps(d, s) if x.role in (Role.QUESTION, Role.ITEM) and x.round == 1]
    stored = [a for a in rows(store, engine) if not a.step.startswith("review:")]
    assert [(a.step, a.extra["prompt"], a.confirmed) for a in stored] == [(x.key, x.prompt.id, True) for x in asked]
    yes_no_questions = [e for e, said in zip(ears.expects, ears.said, strict=True) if said in ("yes", "no")]
    assert set(yes_no_questions) == {Listen.YES_NO}  # read-backs and gates listen for yes or no
    assert store.draft_versions.latest(s.id)["body"] == build_draft(s, rows(store, engine)).model_dump(mode="json")


def test_the_demos_student_answers_from_what_it_heard(store):
    s = store.roster.add(demo.STUDENT, demo.GRADE, "en", demo.ACCOMMODATIONS, demo.PAST_GOALS)
    sam, said = demo.demo_policy(), []

    def speaks(heard: list[str], expect: str) -> str | None:
        said.append(sam(heard))
        return None if len(said) == 4 else said[-1]  # Sam's fourth answer is not heard: Sam says it again

    ending, voice, ears, engine = run(store, s, speaks, dialogue=band(demo.GRADE))
    assert ending is Ending.FINISHED
    assert said[3] == said[4] == "I like music and cars"  # again after "Take your time"
    assert said[5] == "no" and said.count("no") == 1 + sum(1 for _, a in demo.ANSWERS if a == ["no"])
    assert "repeat" in said
    md = build_draft(s, rows(store, engine))
    assert [i.text for i in md.interests] == ["I like making music", "working on cars"]
    assert [(a.text, a.confirmed) for a in rows(store, engine) if a.step == "interests"] == [
        ("I like music and cars", False), ("I like making music and working on cars", True)]
    assert [q.question for q in md.open_questions] == ["How will we measure it? What will show that you reached it?"]
    assert md.accommodations.not_helpful[0].accommodation == "read aloud"


def test_the_commands_every_question_handles_never_mean_yes_or_no():
    """The loop handles repeat, slower, faster and help before a yes/no question reads
    yes or no: none of their phrases may also mean yes or no ("no more" may: it is
    "that's all", which each question settles itself)."""
    from assistant.dialogue.commands import PHRASES, Command

    for c in (Command.REPEAT, Command.SLOWER, Command.FASTER, Command.HELP):
        assert not [p for p in PHRASES[c] if yes_no(p)], c


def test_the_stored_words_are_typed_end_to_end(store, kai):
    from assistant.words import Word

    words = [Word(word="drawing", start=0.2, end=0.7, confidence=0.9)]
    said = deque([Utterance(text="drawing", words=words), Utterance(text="yes")])

    class Ears:
        def hear(self, expect, choices=None):
            if not said:
                raise Stopped()
            return said.popleft()

    engine = DialogueEngine(TINY, kai, store, RecordingVoice(), Ears())
    engine.run()
    stored = rows(store, engine)[0]
    assert stored.words == words
    raw = store.db.execute("SELECT words FROM answers WHERE id=?", (stored.id,)).fetchone()[0]
    assert json.loads(raw) == [{"word": "drawing", "start": 0.2, "end": 0.7, "confidence": 0.9}]
    item = build_draft(kai, rows(store, engine)).strengths[0]
    assert (item.source.start, item.source.end) == (0.2, 0.7)


# ---------------------------------------------------------------- the end of a list, near-commands, unclear replies

FOLLOW_UP = "Anything else you are good at?"


@pytest.mark.parametrize("said", ["no", "nope", "nah", "nothing else", "I'm done", "that's all", "no more",
                                  "No, that's it.", "Nope, nothing else.", "no thanks", "nothing", "not really"])
def test_any_other_ends_the_list_at_no_and_its_variants(store, kai, said):
    ending, voice, ears, engine = run(store, kai, replies("drawing", "yes", said, "stop"))
    assert ears.before(2)[-1] == FOLLOW_UP
    assert ears.after(2)[:2] == ["Fun.", "Games or books?"]
    assert [(a.step, a.text) for a in rows(store, engine)] == [("strengths", "drawing")]  # not stored as an answer


def test_any_other_keeps_an_answer_that_starts_with_no(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("drawing", "yes", "no but I also like soccer", "yes", "stop"))
    assert ears.after(2) == ["I heard: no but I also like soccer. Is that right?"]
    assert [(a.text, a.confirmed) for a in rows(store, engine)] == [("drawing", True), ("no but I also like soccer", True)]


def test_a_near_command_is_asked_about_and_yes_runs_it(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("drawing", "yes", "next all", "yes", "stop"))
    assert ears.after(2) == ["Did you mean 'that's all'?"]
    assert ears.after(3)[:2] == ["Fun.", "Games or books?"]  # the list ended
    assert [a.text for a in rows(store, engine)] == ["drawing"]  # never stored
    asked = next(line for line in voice.lines if line.text.startswith("Did you mean"))
    assert asked.private is False and ears.expects[3] == Listen.YES_NO  # the program's own words; yes or no


def test_no_to_did_you_mean_keeps_what_was_said_as_an_answer_read_back_as_any(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("shop", "no", "yes", "stop"))
    assert ears.after(0) == ["Did you mean 'stop'?"]
    assert ears.after(1) == ["I heard: shop. Is that right?"]
    assert [(a.text, a.kind, a.confirmed) for a in rows(store, engine)] == [("shop", "answer", True)]


def test_a_command_said_at_did_you_mean_is_that_command(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("shop", "skip", "stop"))
    assert ears.after(1)[:2] == [SKIPPED, "Fun."]
    assert [(a.kind, a.confirmed) for a in rows(store, engine)] == [("skipped", True)]


def test_did_you_mean_answered_three_times_with_neither_keeps_the_answer(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("shop", "purple", None, "hmm", "the shop", "yes", "stop"))
    again = "Please say yes or no. Did you mean 'stop'?"
    assert ears.after(1) == [again] and ears.after(3) == [again]
    assert ears.after(4) == ["I heard: shop. Is that right?"]  # no note: the read-back asks at once
    assert [(a.text, a.kind, a.confirmed) for a in rows(store, engine)] == [("shop", "answer", True)]


def test_near_commands_are_not_asked_about_at_yes_no_questions(store, kai):
    ending, voice, ears, engine = run(store, kai, replies("drawing", "stop it", "stop"))
    assert ears.after(1) == ["Please say yes or no. I heard: drawing. Is that right?"]


def test_a_read_back_answered_three_times_with_neither_moves_on_with_a_note(store, kai):
    from assistant.dialogue.engine import MOVING_ON
    from assistant.draft import to_markdown

    said = ["drawing comics", "I said comics", "comics"]
    ending, voice, ears, engine = run(store, kai, replies("drawng", said[0], None, said[1], said[2], "stop"))
    question = "I heard: drawng. Is that right?"
    assert ears.after(1) == [f"Please say yes or no. {question}"]
    assert ears.after(2) == [f"Take your time. {question}"]  # silence is not a reply
    assert ears.after(4) == [MOVING_ON, FOLLOW_UP]
    attempt, note = rows(store, engine)
    assert (attempt.text, attempt.kind, attempt.confirmed) == ("drawng", "answer", False)  # not confirmed: not in the draft
    assert (note.kind, note.text, note.prompt, note.field, note.confirmed) == (
        "unclear", " / ".join(said), question, "open_questions", True)
    assert note.extra["unclear_for"] == attempt.id and note.extra["replies"] == said
    assert store.transcripts.session(engine.session.id).position == "strengths+1"  # moved on
    draft = build_draft(kai, rows(store, engine))
    assert draft.strengths == []
    assert [(q.question, q.reason, q.said) for q in draft.open_questions] == [(question, "unclear", " / ".join(said))]
    assert f'- {question} (the student said neither yes nor no: "drawing comics / I said comics / comics")' in (
        to_markdown(draft))


def test_a_gate_answered_three_times_with_neither_ends_the_rounds_with_a_note(store, kai):
    from assistant.dialogue.engine import MOVING_ON

    to_gate = ["drawing", "yes", "that's all", "games", "yes", "yes", "yes", "reading", "yes"]
    said = ["maybe later", "hmm let me think", "what about math"]
    ending, voice, ears, engine = run(store, kai, replies(*to_gate, *said, "stop"))
    assert ears.before(len(to_gate))[-1] == "Another goal?"
    assert ears.after(len(to_gate) + 2)[:3] == [MOVING_ON, "Message.", "What do you want to tell the team?"]
    note = rows(store, engine)[-1]
    assert (note.kind, note.step, note.prompt, note.text) == ("unclear", "goals:again@2", "Another goal?", " / ".join(said))
    assert store.transcripts.session(engine.session.id).position == "message"


def test_a_part_read_back_at_the_end_answered_three_times_with_neither_stays_with_a_note(store, kai):
    from assistant.dialogue.engine import MOVING_ON

    ending, voice, ears, engine = run(store, kai, replies(*TO_REVIEW, "hmm", "purple", "well", "yes", "yes", "yes"))
    assert ending is Ending.FINISHED
    n = len(TO_REVIEW)
    assert ears.after(n + 2)[:2] == [MOVING_ON, "Fun: games. Is that right?"]
    draft = store.draft_versions.latest(kai.id)["body"]
    assert [i["text"] for i in draft["strengths"]] == ["drawing"]  # kept as it was
    assert [(q["question"], q["reason"], q["said"]) for q in draft["open_questions"]] == [
        ("Strengths: drawing. Is that right?", "unclear", "hmm / purple / well")]


def test_confirmations_heard_through_the_live_grammar_are_understood_not_taken_for_silence(store, kai):
    """The ears a live session has: a yes/no question's free transcript goes through
    the session's grammar (``heard_at_yes_no``) before the engine reads it."""
    from assistant.session import heard_at_yes_no, yes_no_grammar

    grammar = yes_no_grammar()

    class LiveEars(Student):
        def hear(self, expect, choices=None):
            u = super().hear(expect, choices)
            if u is None or expect != Listen.YES_NO:
                return u
            return Utterance(text=heard_at_yes_no(u.text, [], grammar)[0])

    voice = RecordingVoice()
    ears = LiveEars(voice, replies("drawing", "Uh huh.", "that's all", "games", "That's right.", "stop"))
    engine = DialogueEngine(TINY, kai, store, voice, ears, log=lambda line: None)
    engine.run()
    assert not [t for t in voice.texts() if "Take your time" in t or "Please say yes or no" in t]
    assert [(a.text, a.confirmed) for a in rows(store, engine)] == [("drawing", True), ("games", True)]
