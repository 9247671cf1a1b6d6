"""Rehearsing the meeting script (`iep-assistant rehearse --text`): each part
shown and said, then said by the student; covered or not by its content words;
"again" to hear it and try once more, "skip", "stop"; stored whole or part-way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.draft import build_draft
from assistant.locks import Busy, session_lock
from assistant.rehearse import COVERED_AT, coverage
from assistant.review.exports import meeting_script
from assistant.review.students import rehearsal_parts
from assistant.store import Store
from tests.conftest import ROOT


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


def with_draft(env) -> list[str]:
    """Eli (grade 4) with a finished session: strengths soccer, drawing, math; extended time helps; one goal.
    Returns his meeting script."""
    st = Store(env["IEP_ASSISTANT_DATA"])
    eli = st.roster.add("Eli", 4, accommodations=["extended time"])
    session = st.transcripts.start(eli.id, "en-3-5")
    for step, field, text, extra in [("s", "strengths", "soccer, drawing and math", {}),
                                     ("g", "goals.statement", "I want to read faster", {"goal_number": 1}),
                                     ("a", "accommodations", "yes it helps", {"accommodation": "extended time"})]:
        aid = st.transcripts.add_answer(session.id, step, field, "a question", "answer", text, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
    draft = build_draft(eli, st.transcripts.answers(session.id))
    st.finish_session(session.id, eli.id, draft.model_dump(mode="json"))
    st.close()
    return meeting_script(draft)


def rehearse(env, lines: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "rehearse", "--student", "Eli", "--text", "--no-voice",
                           "--screen", "terminal"], input="".join(f"{ln}\n" for ln in lines), capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def stored(env) -> list[dict]:
    st = Store(env["IEP_ASSISTANT_DATA"])
    try:
        return [r["body"] for r in st.rehearsals.of_student(1)]
    finally:
        st.close()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_coverage_is_the_share_of_content_words_heard():
    line = "My strengths: soccer, drawing and math."
    assert coverage(line, "I am good at soccer, drawing and math")[0] == 0.75  # "strengths" said otherwise
    assert coverage(line, "I like pizza") == (0.0, ["strengths", "soccer", "drawing", "math"])
    assert coverage(line, "my strength is soccer")[0] == 0.5  # a plural is the same word
    assert coverage("Is it me?", "") == (1.0, [])  # nothing to say but small words


def test_a_typed_rehearsal_part_by_part_with_again_skip_and_stop(data_env):
    script = with_draft(data_env)
    assert script[:4] == ["Hello, my name is Eli. Thank you for coming to my IEP meeting.",
                          "My strengths: soccer, drawing and math.", "These supports help me: extended time.",
                          "One of my goals: I want to read faster."]
    r = rehearse(data_env, [
        "Hi, my name is Eli, thanks for coming to my IEP meeting",  # covered
        "I like pizza",  # not covered: the words to add are said
        "again",  # the part is said again
        "I am good at soccer, drawing and math",  # now covered
        "skip",
        "stop",
    ])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    # each part is shown (and said) before the student says it
    assert f"Part 1 of 5: Hello. {script[0]} Now you say it." in out
    assert "You said some of it. You can add: strengths, soccer, drawing, math." in out
    missed = out.index("You can add: strengths")
    assert f"{script[1]} Now you say it." in out[missed:]  # "again": heard again
    assert "Yes! You covered this part." in out[missed:]
    assert "Okay, let's stop here. What you practised is saved." in out
    assert "stopped: 2 of 5 parts covered" in r.stderr
    [body] = stored(data_env)
    assert body["finished"] is False
    assert [(p["key"], p["title"], p["covered"]) for p in body["parts"]] == [
        ("hello", "Hello", True), ("strengths", "Strengths", True), ("accommodations.helpful", "What helps me", False)]
    assert body["parts"][1]["said"] == "I am good at soccer, drawing and math"
    assert body["parts"][1]["coverage"] == 0.75 >= COVERED_AT
    assert body["parts"][0]["coverage"] == round(6 / 7, 2)  # all but "hello" ("thanks" is "thank")

    # the whole script: at the end, which parts were covered is shown and said
    r = rehearse(data_env, ["Hello my name is Eli thank you for coming to my IEP meeting",
                            "my strengths are soccer drawing and math", "skip",
                            "one of my goals is to read faster", "thank you for listening, any questions for me"])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    assert ("You covered 4 of 5 parts: Hello, Strengths, Goal 1 and Closing. Parts to practise again: What helps me."
            in out)
    body = stored(data_env)[-1]
    assert body["finished"] is True and [p["covered"] for p in body["parts"]] == [True, True, False, True, True]


def test_no_draft_yet_is_a_clear_message(cli, data_env):
    assert cli("student", "add", "Eli", "--grade", "4", env=data_env).returncode == 0
    r = rehearse(data_env, ["hello"])
    assert r.returncode == 2
    assert "Eli#1 has no draft yet" in r.stderr and "iep-assistant session --student 'Eli#1'" in r.stderr
    assert stored(data_env) == []


def test_a_part_keeps_its_key_when_the_draft_gains_a_part(data_env):
    """A part is stored under its key, not its place in the script: "Interests", added
    to the draft between two rehearsals, moves every later part one place down, yet
    the teacher's count puts each part's results together (issue 13)."""
    with_draft(data_env)
    hello, strengths = "Hello my name is Eli thank you for coming to my IEP meeting", "my strengths are soccer drawing and math"
    assert rehearse(data_env, [hello, strengths, "skip", "skip", "skip"]).returncode == 0
    st = Store(data_env["IEP_ASSISTANT_DATA"])
    saved = st.draft_versions.latest(1)
    assert saved is not None
    st.draft_versions.add(1, None, dict(saved["body"], interests=[{"text": "chess"}]), "ready_for_review", "Ms Lee")
    st.close()
    r = rehearse(data_env, [hello, "skip", "I am interested in chess", "skip", "skip", "skip"])
    assert r.returncode == 0, r.stderr
    first, second = stored(data_env)
    assert [p["key"] for p in first["parts"]] == ["hello", "strengths", "accommodations.helpful", "goal-1", "thanks"]
    assert [(p["key"], p["title"], p["covered"]) for p in second["parts"]] == [
        ("hello", "Hello", True), ("strengths", "Strengths", False), ("interests", "Interests", True),
        ("accommodations.helpful", "What helps me", False), ("goal-1", "Goal 1", False), ("thanks", "Closing", False)]
    st = Store(data_env["IEP_ASSISTANT_DATA"])
    try:
        counted = {p["title"]: (p["covered"], p["rehearsed"], p["reliably"])
                   for p in rehearsal_parts(st.rehearsals.of_student(1))}
    finally:
        st.close()
    assert counted == {"Hello": (2, 2, True), "Strengths": (1, 2, False), "Interests": (1, 1, False),
                       "What helps me": (0, 2, False), "Goal 1": (0, 2, False), "Closing": (0, 2, False)}


def test_a_rehearsal_while_another_conversation_runs_says_which_without_resume(data_env):
    """The student's lock names what holds it; --resume is advice for a session that
    waits for a session only (a lesson, rehearsal or check-in has no --resume)."""
    with_draft(data_env)
    data = data_env["IEP_ASSISTANT_DATA"]
    lock = session_lock(data, 1, "Eli#1", doing="lessons")
    try:
        r = rehearse(data_env, ["hello"])
    finally:
        lock.release()
    assert r.returncode == 2, r.stderr
    assert "a lesson with Eli#1 is already running on this computer" in flat(r.stderr)
    assert "then try again" in flat(r.stderr) and "--resume" not in r.stderr
    assert stored(data_env) == []

    held = session_lock(data, 1, "Eli#1")  # a session
    try:
        for doing in ("a rehearsal", "lessons", "check-in", "session"):
            with pytest.raises(Busy) as refused:
                session_lock(data, 1, "Eli#1", doing=doing)
            assert "a session with Eli#1 is already running" in str(refused.value)
            assert ("--resume" in str(refused.value)) is (doing == "session"), (doing, str(refused.value))
    finally:
        held.release()
    held = session_lock(data, 1, "Eli#1", doing="a rehearsal")
    try:
        with pytest.raises(Busy) as refused:
            session_lock(data, 1, "Eli#1")
        assert "a rehearsal with Eli#1 is already running" in str(refused.value)
        assert "--resume" not in str(refused.value)  # the rehearsal ends; nothing of the session to resume
    finally:
        held.release()


def with_spanish_draft(env) -> list[str]:
    """Eli in Spanish (grade 4): strengths fútbol, dibujar y matemáticas; one goal. His meeting script."""
    st = Store(env["IEP_ASSISTANT_DATA"])
    eli = st.roster.add("Eli", 4, language="es", accommodations=["tiempo extra"])
    session = st.transcripts.start(eli.id, "es-3-5")
    for step, field, text, extra in [("s", "strengths", "fútbol, dibujar y matemáticas", {}),
                                     ("g", "goals.statement", "quiero leer más rápido", {"goal_number": 1})]:
        aid = st.transcripts.add_answer(session.id, step, field, "una pregunta", "answer", text, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
    draft = build_draft(eli, st.transcripts.answers(session.id))
    st.finish_session(session.id, eli.id, draft.model_dump(mode="json"))
    st.close()
    return meeting_script(draft)


@pytest.mark.slow  # a child process (~4 s)
def test_a_spanish_rehearsal_typed_with_otra_vez_salta_and_para(data_env):
    """Said and shown in Spanish, the commands in Spanish, a part covered by the
    student's own Spanish words. (The script's frame is English until
    meeting_script_parts is given the student's language; the student's words in it,
    and so what covers a part, are Spanish either way.)"""
    script = with_spanish_draft(data_env)
    total = len(script)
    r = rehearse(data_env, ["Hola, soy Eli", "salta",  # not covered, then skipped
                            "otra vez",  # the part is said again
                            "soy bueno en fútbol, dibujar y matemáticas",  # covered
                            "para"])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    assert out.startswith("Vamos a practicar tu reunión, Eli."), out[:200]
    assert f"Parte 1 de {total}:" in out and f"Parte 2 de {total}:" in out and "Ahora dilo tú." in out
    assert "Dijiste una parte. Puedes agregar:" in out and "Muy bien, sigamos." in out
    part2 = out.index(f"Parte 2 de {total}:")
    assert out[part2:].count(f"{script[1]} Ahora dilo tú.") == 2  # "otra vez": heard again
    assert "¡Sí! Dijiste esta parte." in out and "Muy bien, paramos aquí. Lo que practicaste está guardado." in out
    assert not any(w in out for w in ("Let's practise", "Now you say it", "You covered", "Okay,")), out
    assert f"stopped: 1 of {total} parts covered" in r.stderr
    [body] = stored(data_env)
    assert [(p["key"], p["covered"], p["said"]) for p in body["parts"]] == [
        ("hello", False, "Hola, soy Eli"), ("strengths", True, "soy bueno en fútbol, dibujar y matemáticas")]
