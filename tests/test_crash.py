"""kill -9 at random moments of typed and spoken sessions: after ``--resume``
every confirmed answer is there, the draft rebuilds, and ``PRAGMA integrity_check``
is ok.

Typed sessions (``tests/session_driver.py``): a seeded ``random.Random`` picks the
moments to kill a session at, over whole sessions: after an answer, right after
"yes" to a read-back (the commit), during the read-back of the draft at the end,
and right after the last answer (when the draft is saved). A moment is: after
answer number n, wait 0-80 ms (more often short: a quarter at once, the others
80 ms × u³, so that kills land on both sides of a commit), then SIGKILL.

The test keeps its own ledger of what it saw: an answer is *certainly confirmed*
when the student typed "yes" to its read-back and then saw the next prompt (the
commit comes before the next prompt). After every kill the database, opened read
only, must pass ``integrity_check`` and hold every certainly confirmed answer; at
the end of each session the draft (``export --format json``) must hold each
confirmed answer in its section and nothing else.

Spoken sessions (virtual microphone and speaker, as in ``test_session_live.py``):
three kills, each after a confirmed answer, while a prompt, the student's answer
or a read-back is under way.

Replay a run with the seed it printed: ``IEP_CRASH_SEED=1234 python -m pytest tests/test_crash.py``.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.store import Store
from tests.conftest import ROOT
from tests.session_driver import TypedSession
from tests.test_session_text import NINTH_TO_TWELFTH, THIRD_TO_FIFTH, reply_for

pytestmark = pytest.mark.slow  # kill loops over whole typed and spoken sessions (minutes)

SEED_VAR = "IEP_CRASH_SEED"
MAX_WAIT = 0.080  # seconds between an answer and the kill
UNTAGGED = {"yes", "no", "that's all", "I don't know", "go back"}  # said as they are; every other answer gets a tag
KINDS = ("answer", "commit", "review", "last")
OK = ("integrity_check ok after every kill; every certainly confirmed answer kept; confirm and position moved "
      "together; --resume continued (or said there was nothing to continue); the draft holds every confirmed "
      "answer in its section, and nothing else")
PHASES = {
    "answer": "kill -9 right after an answer or a command was typed (before its read-back)",
    "commit": "kill -9 right after \"yes\" to a read-back (the commit)",
    "review": "kill -9 during the read-back of the draft at the end",
    "last": "kill -9 right after the last answer (the session finishes, the draft is saved)",
}


def seed_from_env() -> int:
    seed = int(os.environ[SEED_VAR]) if os.environ.get(SEED_VAR) else random.SystemRandom().randrange(10**6)
    print(f"\ncrash test seed {seed} (replay with {SEED_VAR}={seed})", flush=True)
    return seed


def squeeze(text: str) -> str:
    """Text without white space: the screen wraps lines (also at hyphens)."""
    return "".join(text.split())


# ---------------------------------------------------------------- students


@dataclass(frozen=True)
class Profile:
    name: str
    grade: int
    accommodations: tuple[str, ...]
    past_goals: tuple[str, ...]
    script: list
    go_back: bool = False  # says "go back" once, at the first "Anything else you are good at?"
    fix_in_review: bool = False  # says "no" to the strengths in the read-back at the end and adds chess


GRADE_4 = Profile("grade 4", 4, ("extra breaks",), ("read 20 minutes a day",),
                  THIRD_TO_FIFTH + [("Your plan says you can have", "Yes, it helps me calm down"),
                                    ("Last year, one of your goals was", "It went well, I read every night")],
                  go_back=True, fix_in_review=True)
GRADE_10 = Profile("grade 10", 10, ("extended time", "a calculator", "a quiet room"), ("read 20 minutes a day",),
                   NINTH_TO_TWELFTH)


@dataclass
class Attempt:
    """An answer the student typed, and what the student saw of it."""
    text: str
    read_back: bool = False  # "I heard: <text>. Is that right?" was shown
    yes: bool = False  # the student typed "yes" to that read-back
    certain: bool = False  # ... and then saw the next prompt: certainly confirmed


@dataclass
class Moment:
    kind: str  # "answer", "commit", "review" or "last"
    n: int  # the n-th answer (or commit) of the student's sessions; the n-th question of a read-back of the draft
    wait: float  # seconds between the answer and SIGKILL
    order: int = 0  # where it comes in a session without kills
    # what happened
    fired: bool = False
    result: str = ""


@dataclass
class Line:
    kind: str  # "answer" (outside the read-back of the draft), "review" (inside it), "commit" ("yes" to "I heard")
    answers: int
    commits: int
    review_q: int  # the read-back question this line answers, in this read-back pass (0: none)
    last: bool = False


class Student:
    """A simulated student at a keyboard, killed at the chosen moments, with a ledger of what it saw."""

    def __init__(self, cli, env: dict, data: Path, name: str, profile: Profile, moments: list[Moment], context: str):
        self.cli, self.env, self.data, self.name, self.profile = cli, env, data, name, profile
        self.moments = moments
        self.context = context  # the seed and the student, for every failure message
        store = Store(data)
        try:
            student = store.roster.add(name, profile.grade, "en", list(profile.accommodations), list(profile.past_goals))
        finally:
            store.close()
        self.student_id = student.id
        self.attempts: dict[str, Attempt] = {}
        self.dont_know: list[str] = []  # cues of questions answered "I don't know", certainly recorded
        self.tags = 0
        self.last_text: str | None = None
        self.went_back = False
        self.lines: list[Line] = []
        self.answers = self.commits = 0
        self.kills = 0
        self.resumes = 0
        self.resume_at_review = False  # the session was killed during the read-back of the draft
        # the read-back of the draft at the end: how many questions it asks (from a session without kills)
        self.review_questions: int | None = None

    # ------------------------------------------------------------ what to say

    def tag(self, text: str) -> str:
        """Every answer is made unique, so that the ledger can tell attempts apart."""
        if text in UNTAGGED:
            return text
        self.tags += 1
        return f"{text} (take {self.tags})"

    def reply(self, shown: str, in_review: bool) -> str:
        p = self.profile
        if p.go_back and not self.went_back and shown.endswith("Anything else you are good at?"):
            self.went_back = True
            return "go back"
        if p.fix_in_review and in_review:
            i = shown.rfind("What I am good at:")
            part = shown[i:]
            if i >= 0 and part.count("Is that right?") == 1 and part.endswith("Is that right?") and "chess" not in part:
                return "no"
            if shown.rfind("Okay, tell me again.") > shown.rfind("Is that right?"):
                return "I am good at chess"
        return reply_for(shown, p.script)

    # ------------------------------------------------------------ the sessions

    def run(self) -> None:
        session = TypedSession(self.env, "--student", self.name)
        while True:
            if self.converse(session, resumed=self.resumes > 0) == "finished":
                break
            self.kills += 1
            self.check_database(f"after kill {self.kills}")
            status, position, _ = self.session_row()
            if status == "finished":  # nothing to resume
                r = self.cli("session", "--student", self.name, "--text", "--no-voice", "--resume", env=self.env, input="")
                assert r.returncode == 2 and "no paused session to continue" in r.stderr, (self.context, r.stderr)
                break
            self.resume_at_review = position == "review"
            self.resumes += 1
            session = TypedSession(self.env, "--student", self.name, "--resume")
        assert all(m.fired for m in self.moments), (self.context, "moments never reached", [m for m in self.moments if not m.fired])
        self.check_database("at the end")
        self.check_draft()

    def converse(self, session: TypedSession, resumed: bool) -> str:
        """Answer until the session finishes ("finished") or is killed ("killed")."""
        in_review, review_q = False, 0
        pending: Attempt | None = None  # the answer typed last
        committing: Attempt | None = None  # the answer whose read-back got "yes" last
        dont_know: str | None = None
        first = True
        while True:
            try:
                shown = session.read_prompt(timeout=30)
            except EOFError as end:
                code, out, err = session.finish()
                assert code == 0 and "finished" in err, (self.context, code, err, str(end) + out)
                if self.review_questions:  # known (not in the control run, which finds it)
                    assert self.lines[-1].last, (self.context, "finished before the last read-back", str(end))
                return "finished"
            # what the student saw since its last line
            self.saw(shown, pending, committing, dont_know, prompt_shown=True)
            pending = committing = dont_know = None
            if first and resumed:
                assert "Welcome back" in shown, (self.context, shown)
                if self.resume_at_review:  # the read-back of the draft starts again
                    assert "Here is what you told me" in shown, (self.context, shown)
            first = False
            if "Here is what you told me" in shown:
                in_review, review_q = True, 0
            said = self.reply(shown, in_review)
            line = self.tag(said)
            read_back = shown.endswith("Is that right?")
            heard_at = shown.rfind("I heard:")
            hearing = read_back and heard_at >= 0 and shown.count("Is that right?", heard_at) == 1  # "I heard: ..."
            if hearing and line == "yes":
                kind = "commit"
                self.commits += 1
                committing = self.attempts[self.last_text]
                committing.yes = True
            elif in_review:
                kind = "review"
                if read_back and not hearing:  # a part of the draft read back
                    review_q += 1
            else:
                kind = "answer"
                self.answers += 1
            if line not in UNTAGGED:
                pending = self.attempts[line] = Attempt(line)
                self.last_text = line
            if line == "I don't know":
                dont_know = self.question_cue(shown)
            on_part = kind == "review" and read_back and not hearing
            last = on_part and review_q == self.review_questions and line == "yes"
            entry = Line(kind, self.answers, self.commits, review_q if on_part else 0, last)
            self.lines.append(entry)
            session.answer(line)
            moment = self.due(entry)
            if moment is not None:
                self.kill(session, moment, pending, committing, dont_know)
                return "killed"

    def question_cue(self, shown: str) -> str:
        return max((c for c, _ in self.profile.script), key=shown.rfind)

    def due(self, line: Line) -> Moment | None:
        """The next planned moment, if this line is it."""
        m = next((m for m in self.moments if not m.fired), None)
        if m is None:
            return None
        hit = {"answer": line.kind == "answer" and line.answers >= m.n,
               "commit": line.kind == "commit" and line.commits >= m.n,
               "review": line.kind == "review" and line.review_q == m.n and not line.last,
               "last": line.last}[m.kind]
        return m if hit else None

    def kill(self, session: TypedSession, moment: Moment, pending, committing, dont_know) -> None:
        if moment.wait:
            time.sleep(moment.wait)  # the planned moment of the kill (0-80 ms after the line): the experiment itself
        already_done = session.proc.poll() is not None
        session.proc.send_signal(signal.SIGKILL)
        session.proc.wait(10)
        shown = session.proc.stdout.read().decode(errors="replace")
        session.proc.stderr.read()
        for f in (session.proc.stdin, session.proc.stdout, session.proc.stderr):
            try:
                f.close()
            except BrokenPipeError:
                pass
        moment.fired = True
        self.saw(" ".join(shown.split()), pending, committing, dont_know, prompt_shown="> " in shown)
        moment.result = self.what_the_kill_hit(moment, pending, committing, already_done)

    def what_the_kill_hit(self, moment: Moment, pending: Attempt | None, committing: Attempt | None,
                          already_done: bool) -> str:
        status, _, session_id = self.session_row()
        if moment.kind == "commit":
            return self.check_commit_is_atomic(committing, moment)
        if moment.kind == "last":
            con = self.db()
            try:
                drafts = con.execute("SELECT count(*) FROM drafts WHERE session_id=?", (session_id,)).fetchone()[0]
            finally:
                con.close()
            if already_done:
                return "the session had ended"
            if status != "finished":
                return "killed before the session was marked finished"
            return "killed after the draft was saved" if drafts else "killed after finishing, before the draft was saved"
        if pending is None:
            return "killed after a command or yes/no"
        return "the answer was stored" if any(r["text"] == pending.text for r in self.rows()) else "the answer was not stored yet"

    def saw(self, shown: str, pending: Attempt | None, committing: Attempt | None, dont_know: str | None,
            prompt_shown: bool) -> None:
        if pending is not None and squeeze(f"I heard: {pending.text}") in squeeze(shown):
            pending.read_back = True
        if committing is not None and prompt_shown:
            committing.certain = True
        if dont_know is not None and prompt_shown:
            self.dont_know.append(dont_know)

    # ------------------------------------------------------------ the checks

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.data / 'iep.sqlite3'}?mode=ro", uri=True)

    def session_row(self) -> tuple[str, str | None, int]:
        con = self.db()
        try:
            rows = con.execute("SELECT status, position, id FROM sessions WHERE student_id=?", (self.student_id,)).fetchall()
        finally:
            con.close()
        assert len(rows) == 1, (self.context, rows)
        return rows[0]

    def rows(self) -> list[dict]:
        con = self.db()
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(
                "SELECT answers.* FROM answers JOIN sessions ON sessions.id = answers.session_id "
                "WHERE sessions.student_id=? ORDER BY answers.id", (self.student_id,))]
        finally:
            con.close()

    def check_commit_is_atomic(self, attempt: Attempt, moment: Moment) -> str:
        """Confirm and move the session's position: one transaction, all or nothing."""
        row = next(r for r in self.rows() if r["text"] == attempt.text)
        _, position, _ = self.session_row()
        if row["step"].startswith("review:"):
            assert position == "review", (self.context, moment, position)
            return "committed in the read-back" if row["confirmed"] else "not committed, in the read-back"
        if row["confirmed"]:
            assert position != row["step"], (self.context, "confirmed but the position did not move", moment, row["step"])
            return "committed, prompt seen" if attempt.certain else "committed, prompt not seen"
        assert position == row["step"], (self.context, "not confirmed but the position moved", moment, row["step"], position)
        return "not committed"

    def check_database(self, when: str) -> None:
        context = (self.context, when)
        con = self.db()
        try:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)], context
        finally:
            con.close()
        rows = self.rows()
        by_text = {r["text"]: r for r in rows}
        live = [r for r in rows if r["confirmed"] and not r["superseded"]]
        # what was read back was stored before the read-back
        for a in self.attempts.values():
            if a.read_back:
                assert a.text in by_text, (context, "an answer read back is not stored", a)
        # every certainly confirmed answer is kept: confirmed, and superseded only by a later confirmed answer of its step
        for a in self.attempts.values():
            if not a.certain:
                continue
            r = by_text[a.text]
            assert r["confirmed"] == 1, (context, "a confirmed answer is not confirmed", a, r)
            if r["superseded"]:
                family = r["step"].split("+")[0].split("@")[0]
                later = [o for o in rows if o["id"] > r["id"] and o["confirmed"]
                         and (o["step"] == r["step"] or o["step"] == f"review:{family}")]
                assert later, (context, "a confirmed answer was superseded by nothing the student confirmed", r)
        # nothing is confirmed that the student did not say yes to
        for r in rows:
            if r["confirmed"] and r["kind"] == "dont_know":  # recorded (and confirmed) when said
                assert r["text"] == "I don't know", (context, r)
            elif r["confirmed"]:
                a = self.attempts.get(r["text"])
                assert a is not None and a.yes, (context, "confirmed without a yes", r)
        # a part of the draft the student changed in the read-back is replaced whole
        for r in live:
            if r["step"].startswith("review:"):
                older = [o for o in live if o["field"] == r["field"] and o["id"] < r["id"]]
                assert not older, (context, "the read-back's correction did not replace what it corrected", r, older)
        steps = Counter(r["step"] for r in live)
        assert all(n == 1 for n in steps.values()), (context, "two confirmed answers for one step", steps)
        for cue in self.dont_know:
            assert any(r["kind"] == "dont_know" and not r["superseded"] and cue in r["prompt"] for r in rows), (context, cue)

    def check_draft(self) -> None:
        r = self.cli("export", "--student", self.name, "--format", "json", env=self.env)
        assert r.returncode == 0, (self.context, r.stderr)
        check_draft(json.loads(r.stdout), self.rows(), self.context, tagged=True)


def check_draft(d: dict, rows: list[dict], context, tagged: bool) -> None:
    """The draft holds every live (confirmed, not superseded) answer in its section, each
    "I don't know" as an open question, and nothing else. ``tagged``: every answer ends
    with its "(take N)", which must be in the draft too (no part of an answer lost)."""
    live = {r["id"]: r for r in rows if r["confirmed"] and not r["superseded"] and r["kind"] == "answer"}
    unknown = {r["id"]: r for r in rows if r["kind"] == "dont_know" and not r["superseded"]}
    items = list(sources(d))
    for path, item in items:
        aid = item["source"]["answer_id"]
        if path[0] == "open_questions":
            assert aid in unknown, (context, path, item)
        else:
            assert aid in live, (context, "the draft holds an answer that is not confirmed", path, item)
            assert section_of(live[aid]) == path[:len(section_of(live[aid]))], (context, "wrong section", path, live[aid])
    for aid, row in live.items():
        mine = [item for path, item in items if item["source"]["answer_id"] == aid]
        assert mine, (context, "a confirmed answer is missing from the draft", row)
        assert all(item["text"] in row["text"] for item in mine), (context, mine, row)
        if tagged:
            assert "(take" in row["text"], row
            tag = row["text"][row["text"].rfind("(take"):]
            assert any(tag in item["text"] for item in mine), (context, "the draft lost part of an answer", mine, row)
    assert set(unknown) == {item["source"]["answer_id"] for path, item in items if path[0] == "open_questions"}, context


def section_of(row: dict) -> tuple:
    """Where an answer's items go in the draft (the JSON path's start), by the answer's field."""
    f = row["field"]
    if f == "accommodations":
        return ("accommodations",)  # helpful, not_helpful or not_sure: the student's verdict
    if f.startswith("goals."):
        return ("goals", json.loads(row["extra"]).get("goal_number", 1) - 1, f.split(".", 1)[1])
    return tuple(f.split("."))


def sources(node, path=()):
    """(JSON path, item) for every item of the draft that names its source answer."""
    if isinstance(node, dict):
        if isinstance(node.get("source"), dict) and "answer_id" in node["source"]:
            yield path, node
        for k, v in node.items():
            if k != "source":
                yield from sources(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from sources(v, (*path, i) if path and path[0] == "goals" and len(path) == 1 else path)


# ---------------------------------------------------------------- the plan


def clean_run(cli, env, data: Path, profile: Profile, context: str) -> Student:
    """A session without kills: the control, and the shape of a session (how many answers,
    commits and read-back questions) that kill moments are chosen from."""
    s = Student(cli, env, data, f"Control {profile.grade}", profile, [], context)
    s.run()
    s.review_questions = max(line.review_q for line in s.lines)
    s.lines[-1].last = True
    assert s.kills == 0 and s.answers and s.commits and s.review_questions >= 3, (context, s.review_questions)
    return s


def plan(rng: random.Random, shapes: dict[str, Student], profiles: list[Profile], quotas: dict[str, int]) -> list[list[Moment]]:
    """Kill moments for each student: ``quotas`` of each kind, spread at random; at most
    one "last" per student (a session has one last answer)."""
    n = len(profiles)
    kinds = [k for k in KINDS if k != "last" for _ in range(quotas[k])]
    rng.shuffle(kinds)
    per: list[list[str]] = [[] for _ in range(n)]
    for i in rng.sample(range(n), quotas["last"]):
        per[i].append("last")
    order = list(range(n))
    rng.shuffle(order)
    for j, k in enumerate(kinds):
        per[order[j % n]].append(k)
    out = []
    for profile, kinds_of_one in zip(profiles, per, strict=True):
        shape = shapes[profile.name]
        pools = {"answer": list(range(1, shape.answers + 1)), "commit": list(range(1, shape.commits + 1)),
                 "review": list(range(1, shape.review_questions)), "last": [0]}
        moments = []
        for k in kinds_of_one:
            n_ = pools[k].pop(rng.randrange(len(pools[k])))
            # 0-80 ms, more often short (a quarter at once): a commit takes a millisecond or less, and the
            # kills should land on both sides of it
            wait = 0.0 if rng.random() < 0.25 else round(MAX_WAIT * rng.random() ** 3, 4)
            moments.append(Moment(k, n_, wait))
        for m in moments:  # in the order they come in a session
            m.order = next(i for i, line in enumerate(shape.lines) if
                           {"answer": line.kind == "answer" and line.answers == m.n,
                            "commit": line.kind == "commit" and line.commits == m.n,
                            "review": line.review_q == m.n and line.kind == "review",
                            "last": line.last}[m.kind])
        out.append(sorted(moments, key=lambda m: m.order))
    return out


def test_kill_9_at_random_moments_of_typed_sessions(cli, base_env, tmp_path, reliability):
    started = time.monotonic()
    seed = seed_from_env()
    rng = random.Random(seed)
    quotas = {"answer": 8, "commit": 12, "review": 8, "last": 6}
    profiles = [GRADE_4] * 9 + [GRADE_10] * 2
    rng.shuffle(profiles)
    students: list[Student] = []
    failure = None
    try:
        control = tmp_path / "control"
        env = dict(base_env, IEP_ASSISTANT_DATA=str(control))
        shapes = {p.name: clean_run(cli, env, control, p, f"seed {seed}, control {p.name}") for p in (GRADE_4, GRADE_10)}
        plans = plan(rng, shapes, profiles, quotas)
        for i, (profile, moments) in enumerate(zip(profiles, plans, strict=True)):
            data = tmp_path / f"data{i // 3}"  # three students to a data folder
            env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
            name = f"Student {i + 1}"
            context = f"seed {seed}, {name} ({profile.name}), moments {[(m.kind, m.n, m.wait) for m in moments]}"
            s = Student(cli, env, data, name, profile, moments, context)
            s.review_questions = shapes[profile.name].review_questions
            students.append(s)
            s.run()
            for other in students:  # a later session (and its kills) keeps the earlier students' answers
                if other.data == data:
                    other.check_database(f"after {name}")
    except BaseException as e:
        failure = f"{type(e).__name__}: {str(e)[:400]}"
        raise
    finally:
        elapsed = time.monotonic() - started
        killed = [m for s in students for m in s.moments if m.fired]
        by_kind = Counter(m.kind for m in killed)
        outcomes = Counter(f"{m.kind}: {m.result}" for m in killed)
        certain = sum(a.certain for s in students for a in s.attempts.values())
        print(f"{len(killed)} kills in {elapsed:.1f} s: {dict(by_kind)}; {dict(outcomes)}; "
              f"{certain} certainly confirmed answers", flush=True)
        for kind in KINDS:
            of_kind = [m for m in killed if m.kind == kind]
            if of_kind:
                how = Counter(m.result for m in of_kind)
                reliability.record(PHASES[kind] + ", then --resume", len(of_kind), failure or OK,
                                   f"seed {seed}; " + ", ".join(f"{v} {k}" for k, v in sorted(how.items())))
        reliability.record("typed sessions (one student each, 3 to a data folder) killed and resumed", len(students),
                           failure or f"{certain} certainly confirmed answers, all kept",
                           f"seed {seed}; {len(killed)} kills; {elapsed:.0f} s")
    assert len(killed) >= 30, (seed, len(killed))
    assert all(by_kind[k] >= 5 for k in KINDS), (seed, by_kind)


# ---------------------------------------------------------------- the draft of a second session


def answer_until_the_last_read_back(s: TypedSession, script, session_no: int) -> None:
    """Answer (each answer marked with the session's number) up to the last question of
    the read-back of the draft, which is left unanswered."""
    while True:
        shown = s.read_prompt(timeout=30)
        if "My message to my IEP team:" in shown and shown.endswith("Is that right?"):
            return
        said = reply_for(shown, script)
        s.answer(said if said in UNTAGGED else f"{said} (session {session_no})")


def test_kill_while_a_second_session_finishes(cli, base_env, tmp_path, reliability):
    """Finishing a session marks it finished and saves its draft. Were they two
    transactions, a kill between them would leave a finished session with no draft,
    and a student with a draft from an earlier session would have the earlier draft
    exported, without the new session's answers (it happened: 1.25-5 ms after the last
    yes). Kills are bisected across that moment: after each, a finished session has its
    draft, and the draft exported holds the newest finished session's answers."""
    data = tmp_path / "data"
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    store = Store(data)
    store.roster.add("Ari", 4)
    store.close()
    script = GRADE_4.script
    first = TypedSession(env, "--student", "Ari")
    answer_until_the_last_read_back(first, script, 1)
    first.answer("yes")
    assert first.finish()[0] == 0
    session_no, early, late = 2, 0.0, MAX_WAIT
    outcomes = {"before finishing": 0, "after finishing": 0}
    s = TypedSession(env, "--student", "Ari", "--new")
    try:
        for _ in range(12):
            answer_until_the_last_read_back(s, script, session_no)
            wait = (early + late) / 2
            s.answer("yes")
            time.sleep(wait)  # the moment being bisected: the kill lands this long after the last yes
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(10)
            con = sqlite3.connect(f"file:{data / 'iep.sqlite3'}?mode=ro", uri=True)
            try:
                assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                sid, status = con.execute("SELECT id, status FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
                saved = con.execute("SELECT count(*) FROM drafts WHERE session_id=?", (sid,)).fetchone()[0]
            finally:
                con.close()
            assert status != "finished" or saved, f"session {sid} is finished without its draft ({wait * 1000:.2f} ms)"
            if status == "finished":
                outcomes["after finishing"] += 1
                d = json.loads(cli("export", "--student", "Ari", "--format", "json", env=env).stdout)
                strengths = [i["text"] for i in d["strengths"]]
                assert any(f"(session {session_no})" in t for t in strengths), strengths
                late = wait
                session_no += 1
                s = TypedSession(env, "--student", "Ari", "--new")
            else:  # too early: the read-back again
                outcomes["before finishing"] += 1
                early = wait
                s = TypedSession(env, "--student", "Ari", "--resume")
        assert all(outcomes.values()), outcomes  # the kills fell on both sides of finishing
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
        reliability.record("kill -9 around the moment a second session finishes (bisected)", sum(outcomes.values()),
                           "a finished session always had its draft, holding its answers",
                           f"{outcomes['before finishing']} before, {outcomes['after finishing']} after; "
                           f"closest {abs(late - early) * 1000:.2f} ms apart")


# ---------------------------------------------------------------- spoken sessions on the virtual devices

LISTENING = "(listening)"
SPOKEN_RATE = 260  # words a minute: prompts spoken faster than usual, to keep the test short
# natural, since Kim is meant to be understood: the plain voice, which tiny.en hears best (with the
# child-like copy a short answer, "play games", was twice followed by 150 s with nothing shown)
STUDENT_VOICE = "piper-joe"
SPOKEN_SCRIPT = [
    ("What are you good at? Drawing", "building things"),
    ("What else are you good at", "helping my friends"),
    ("Anything else you are good at", "running fast"),
    ("What do you like to do most", "play games"),
    ("What is hard for you at school", "writing"),
    ("How do you learn best", "when someone shows me"),
    ("something that would help you at school", "a quiet place"),
    ("get better at this year", "I want to read big books"),
    ("teachers to know about you", "I like it when you help me"),
    ("Is that right?", "yes"),
    ("Please say yes or no", "yes"),
]
SPOKEN_PHASES = {
    "prompt": "kill -9 in a spoken session while the next prompt is spoken (after a confirmed answer)",
    "listening": "kill -9 in a spoken session while it listens to the student's answer",
    "read-back": "kill -9 in a spoken session while the read-back \"I heard: ...\" is spoken",
}


class Spoken:
    """``iep-assistant session`` on the virtual devices; what it shows is read line by line."""

    def __init__(self, env: dict, errors: Path, *args: str):
        self.err = open(errors, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "session", "--student", "Kim", "--input-device", "pulse",
                                      "--output-device", "pulse", "--rate", str(SPOKEN_RATE), *args],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True, env=env, cwd=ROOT)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with open(self.err.name + ".shown", "a") as log:  # what was shown, when: for a failure's reader
            for line in self.proc.stdout:
                log.write(f"{time.monotonic():10.2f} {line}")
                log.flush()
                self.lines.put(line)
        self.lines.put(None)

    def until(self, done, timeout: float = 150) -> str:
        """What is shown up to the first line ``done(line)`` holds for (flattened). The
        timeout is long: Whisper has been seen to take 15-90 s over a short live answer."""
        shown = ""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"nothing shown for {timeout} s after: {shown[-500:]}") from None
            if line is None:
                raise EOFError(shown)
            shown += line
            if done(line):  # flattened, without the status line "(listening)"
                return " ".join(shown.replace(LISTENING, " ").split())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.err.close()


def read_back_of(shown: str) -> str | None:
    """X, when the question shown last is "I heard: X. Is that right?"."""
    i = shown.rfind("I heard: ")
    if i < 0 or not shown.endswith("Is that right?") or shown.count("Is that right?", i) != 1:
        return None
    return shown[i + len("I heard: "):-len(". Is that right?")]


def test_kill_9_in_spoken_sessions(cli, pulse, natural_speech, tmp_path, reliability):
    """Three kills at random moments of a spoken session (grade 2, virtual microphone and
    speaker), each after an answer was confirmed: while the next prompt is spoken,
    while the student's answer is heard, while the read-back is spoken. Then the
    session is resumed, one more answer confirmed, and "stop" said."""
    started = time.monotonic()
    seed = seed_from_env()
    rng = random.Random(seed)
    data = tmp_path / "data"
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(data))
    errors = tmp_path / "stderr.txt"
    store = Store(data)
    store.roster.add("Kim", 2)
    store.close()
    wavs: dict[str, Path] = {}

    def wav(text: str) -> Path:
        if text not in wavs:
            wavs[text] = natural_speech(text, STUDENT_VOICE)
        return wavs[text]

    def say(text: str, wait: bool = True) -> subprocess.Popen | None:
        with open(str(errors) + ".shown", "a") as log:
            log.write(f"{time.monotonic():10.2f} STUDENT: {text}\n")
        time.sleep(0.2)  # a student who waits a moment before answering
        if not wait:
            return pulse.start_playing_into_mic(wav(text))
        pulse.play_into_mic(wav(text))
        return None

    runs: list[Spoken] = []

    def start(*args: str) -> Spoken:
        runs.append(Spoken(env, errors, *args))
        return runs[-1]

    certain: list[str] = []  # read-backs the student said yes to, and then saw the next prompt
    said_yes: list[str] = []
    phases = rng.sample(list(SPOKEN_PHASES), 3)
    done: list[tuple[str, float, str]] = []  # (phase, delay, what the kill hit)
    failure = None

    def confirm_one(run: Spoken) -> str:
        """Answer until an answer is confirmed and the next prompt shows; returns its first line."""
        shown = run.until(lambda line: LISTENING in line)
        while True:
            said = reply_for(shown, SPOKEN_SCRIPT)
            heard = read_back_of(shown)
            say(said)
            if heard is not None and said == "yes":
                said_yes.append(heard)
                first = run.until(lambda line: line.strip() != "")
                if not any(again in first for again in ("Is that right?", "Please say", "I heard", "try again")):
                    certain.append(heard)  # the commit comes before the next prompt
                    return first
                shown = " ".join((first + run.until(lambda line: LISTENING in line)).split())
                continue
            shown = run.until(lambda line: LISTENING in line)

    def check(when: str) -> list[dict]:
        context = (f"seed {seed}", when, done)
        con = sqlite3.connect(f"file:{data / 'iep.sqlite3'}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        try:
            assert [tuple(r) for r in con.execute("PRAGMA integrity_check")] == [("ok",)], context
            rows = [dict(r) for r in con.execute("SELECT * FROM answers ORDER BY id")]
        finally:
            con.close()
        for heard in certain:
            match = [r for r in rows if squeeze(r["text"]).rstrip(".!?") == squeeze(heard)]
            assert match and match[-1]["confirmed"], (context, "a confirmed answer is not kept", heard, rows)
            r = match[-1]
            assert not r["superseded"] or any(o["id"] > r["id"] and o["confirmed"] and o["step"] == r["step"] for o in rows), (context, r)
        yes = {squeeze(h) for h in said_yes}
        for r in rows:
            if r["confirmed"] and r["kind"] == "answer":
                assert squeeze(r["text"]).rstrip(".!?") in yes, (context, "confirmed without a yes", r)
        live = Counter(r["step"] for r in rows if r["confirmed"] and not r["superseded"])
        assert all(n == 1 for n in live.values()), (context, live)
        return rows

    try:
        run = start()
        for n, phase in enumerate(phases):
            if n:
                run = start("--resume")
                assert "Welcome back" in run.until(lambda line: "Welcome back" in line, 60)
            first = confirm_one(run)
            if phase == "prompt":  # the next prompt has just appeared, and is being spoken
                delay = rng.uniform(0, 1.2)
                time.sleep(delay)  # a random moment of the prompt (the seed replays it)
                hit = "prompt being spoken"
            elif phase == "listening":  # the student is answering
                shown = run.until(lambda line: LISTENING in line)
                player = say(reply_for(" ".join((first + shown).split()), SPOKEN_SCRIPT), wait=False)
                delay = rng.uniform(0, 3.0)
                time.sleep(delay)  # a random moment of the answer (the seed replays it)
                hit = "student answering" if player.poll() is None else "answer said, being recognised"
            else:  # read-back: answer the next questions until "I heard" shows
                shown = " ".join((first + run.until(lambda line: LISTENING in line)).split())
                while True:
                    say(reply_for(shown, SPOKEN_SCRIPT))
                    shown = run.until(lambda line: LISTENING in line or "I heard" in line)
                    if "I heard" in shown:
                        break
                delay = rng.uniform(0, 1.0)
                time.sleep(delay)  # a random moment of the read-back (the seed replays it)
                hit = "read-back being spoken"
            run.kill()
            if phase == "listening":
                player.wait(30)
            done.append((phase, round(delay, 2), hit))
            check(f"after the kill {phase}")
        run = start("--resume")
        assert "Welcome back" in run.until(lambda line: "Welcome back" in line, 60)
        confirm_one(run)
        run.until(lambda line: LISTENING in line)
        say("stop")
        try:
            run.until(lambda line: False, 60)
        except EOFError:
            pass
        assert run.proc.wait(30) == 0
        run.err.close()
        assert "paused" in errors.read_text(), errors.read_text()
        rows = check("after stop")
        d = json.loads(cli("export", "--student", "Kim", "--format", "json", env=env).stdout)
        check_draft(d, rows, (f"seed {seed}", done), tagged=False)
        assert len(certain) == 4 and len(done) == 3, (certain, done)
        kept = {r["audio_path"] for r in rows if r["audio_path"]}
        orphans = [p for p in (data / "audio").rglob("*.wav") if str(p) not in kept]
    except BaseException as e:
        failure = f"{type(e).__name__}: {str(e)[:400]}"
        raise
    finally:
        for r in runs:  # a failed test leaves no session listening
            if r.proc.poll() is None:
                r.kill()
        elapsed = time.monotonic() - started
        print(f"spoken: {done} in {elapsed:.0f} s; certainly confirmed: {certain}", flush=True)
        for phase, delay, hit in done:
            reliability.record(SPOKEN_PHASES[phase] + ", then --resume", 1, failure or
                               "integrity_check ok; every confirmed answer kept; resumed; the draft holds every "
                               "confirmed answer", f"seed {seed}; {delay} s in: {hit}; the spoken test took {elapsed:.0f} s")
    reliability.record("recordings left on disk by the kills of a spoken session", 3,
                       f"{len(orphans)} of {len(orphans) + len(kept)} recordings are referred to by no answer",
                       "a killed session cannot delete what it recorded but did not keep (a \"yes\", a command)"
                       if orphans else "")
