"""Preparation lessons (`iep-assistant learn`) through the typed front end, the
lessons file's validation, and "what does ... mean?" at the prompts of a lesson
and of a session: the explanation is shown, the question asked again, and the
answer after it is the one stored; ordinary answers that hold "mean" or "what
is" stay answers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import deque

import pytest

from assistant.dialogue.asking import UNKNOWN_WORD, Conversation, Question, Saver
from assistant.dialogue.voice import Stopped, Utterance
from assistant.errors import UserError
from assistant.lessons import lesson_book, lessons_file, load_lessons
from assistant.lexicon import EXPLAIN
from assistant.store import Store
from tests.conftest import ROOT

IEP = "Is an IEP a plan that helps you learn at school? Yes or no."
ACCOMMODATION = "Is extended time an accommodation? Yes or no."
MEANING_OF_ACCOMMODATION = lesson_book().lesson("accommodation").meaning.strip()


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


def add_student(cli, env, name="Maya Ortiz", grade=10):
    r = cli("student", "add", name, "--grade", grade, "--accommodation", "extended time", env=env)
    assert r.returncode == 0, r.stderr


def typed(env, command: str, *args: str, lines: list[str]) -> subprocess.CompletedProcess:
    """`iep-assistant COMMAND --text --no-voice` with ``lines`` typed, then the end of input."""
    return subprocess.run([sys.executable, "-m", "assistant", command, "--text", "--no-voice", "--screen", "terminal",
                           *args], input="".join(f"{ln}\n" for ln in lines), capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def attempts(env) -> list[tuple[str, bool, dict]]:
    st = Store(env["IEP_ASSISTANT_DATA"])
    try:
        return [(r["lesson"], bool(r["passed"]), r["body"]) for r in st.lessons.of_student(1)]
    finally:
        st.close()


def flat(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- the lessons file

def test_the_shipped_lessons_are_valid_and_cover_the_issue():
    book = load_lessons(lessons_file("en"))
    assert [ls.key for ls in book.lessons] == ["iep", "present_levels", "accommodation", "goal", "transition",
                                               "meeting_people"]
    for ls in book.lessons:
        assert "example" in ls.text.lower() and ls.check.text.strip()  # a few sentences with an example, then a check
        assert ls.younger and len(ls.younger) < len(ls.text)  # kindergarten to 2nd grade get shorter words
    # they are not taken for dialogues (dialogues/*/*.yaml)
    from assistant.dialogue.schema import dialogue_files

    assert lessons_file("en") not in dialogue_files() and dialogue_files()


@pytest.mark.parametrize("old, new, message, line_with", [
    # a yes/no check without its answer: reported at the check
    ('      answer: "yes"\n      right: That\'s right! An IEP', "      right: That's right! An IEP",
     "a yes_no check needs its answer", "kind: yes_no"),
    ("  - key: iep\n", "  - key: IEP lesson\n", "String should match pattern", "IEP lesson"),
    ("    title: What an IEP is\n", "    title: ''\n", "at least 1 character", "title: ''"),
])
def test_a_broken_lessons_file_names_the_file_and_line(tmp_path, old, new, message, line_with):
    text = lessons_file("en").read_text()
    broken = text.replace(old, new, 1)
    assert broken != text
    path = tmp_path / "lessons.yaml"
    path.write_text(broken)
    with pytest.raises(UserError) as e:
        load_lessons(path)
    first_check = next(n for n, ln in enumerate(broken.splitlines(), 1) if line_with in ln)
    assert str(e.value).startswith(f"{path}:{first_check}: ") and message in str(e.value), str(e.value)
    path.write_text("lessons: [\n")
    with pytest.raises(UserError, match=rf"{path}:\d+: not valid YAML"):
        load_lessons(path)


# ---------------------------------------------------------------- typed lessons

def test_learn_typed_stores_each_attempt_and_resumes_with_the_lessons_not_passed(cli, data_env):
    add_student(cli, data_env)
    r = typed(data_env, "learn", "--student", "Maya Ortiz", lines=[
        "yes",  # an IEP is a plan: right
        "I am good at reading maps",  # present levels: in my own words
        "no",  # extended time is an accommodation: a wrong answer, explained kindly
        "I don't know",  # goal: not passed, kindly
        "yep",  # transition
        "yes",  # the people at the meeting
    ])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    assert "That's right! An IEP is a plan that helps you learn." in out
    assert "Good try. The answer is yes. Extended time is an accommodation" in out
    assert "wrong" not in out.lower()
    assert "That's okay. We can do this lesson again another time." in out
    # it ends by saying which lessons are done
    assert ("Lessons done: What an IEP is, Present levels, Transition and The people at the meeting. "
            "Still to do another time: Accommodations and Goals.") in out
    stored = attempts(data_env)
    assert [(k, p) for k, p, _ in stored] == [("iep", True), ("present_levels", True), ("accommodation", False),
                                              ("goal", False), ("transition", True), ("meeting_people", True)]
    assert stored[1][2] == {"title": "Present levels", "check": "Tell me one thing you are good at in school.",
                            "said": "I am good at reading maps", "typed": True}
    assert stored[2][2]["said"] == "no" and stored[2][2]["check"] == ACCOMMODATION

    # again without --lesson: only the two not passed
    r = typed(data_env, "learn", "--student", "Maya Ortiz", lines=["yes", "I want to write longer stories"])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    assert ACCOMMODATION in out and "Tell me one thing you want to get better at this year." in out
    assert IEP not in out and "Present levels." not in out
    assert "You have done all 6 lessons" in out
    assert [(k, p) for k, p, _ in attempts(data_env)][6:] == [("accommodation", True), ("goal", True)]



def test_learn_with_every_lesson_passed_and_with_lesson(cli, data_env):
    add_student(cli, data_env)
    st = Store(data_env["IEP_ASSISTANT_DATA"])
    for key in ("iep", "present_levels", "accommodation", "goal", "transition", "meeting_people"):
        st.lessons.add(1, key, True, {"title": key, "check": "?", "said": "yes", "typed": True})
    st.close()
    # all passed: nothing to do, and it says how to do them again
    r = typed(data_env, "learn", "--student", "Maya Ortiz", lines=[])
    assert r.returncode == 0 and "has done every lesson" in r.stderr and "--all" in r.stderr

    # --all: from the first lesson again (here stopped after it by the end of input)
    r = typed(data_env, "learn", "--student", "Maya Ortiz", "--all", lines=["yes"])
    assert r.returncode == 0 and IEP in flat(r.stdout) and "Present levels." in flat(r.stdout)
    assert attempts(data_env)[-1][:2] == ("iep", True)

    # --lesson: that one only, passed or not
    r = typed(data_env, "learn", "--student", "Maya Ortiz", "--lesson", "iep", lines=["no"])
    assert r.returncode == 0, r.stderr
    assert IEP in flat(r.stdout) and ACCOMMODATION not in flat(r.stdout)
    assert attempts(data_env)[-1][:2] == ("iep", False) and len(attempts(data_env)) == 8

    r = typed(data_env, "learn", "--student", "Maya Ortiz", "--lesson", "ieps", lines=[])
    assert r.returncode == 2 and "no lesson 'ieps'" in r.stderr and "meeting_people" in r.stderr


def test_a_stop_ends_the_lessons_and_keeps_what_was_done(cli, data_env):
    add_student(cli, data_env, "Kai", 1)
    r = typed(data_env, "learn", "--student", "Kai", lines=["yes", "stop"])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    # a first grader hears the younger words
    assert "An IEP is a plan to help you learn at school." in out and "Individualized Education Program" not in out
    assert "Okay, let's stop here. What you did is saved." in out
    assert [(k, p) for k, p, _ in attempts(data_env)] == [("iep", True)]
    assert "learn --student 'Kai#1'" in r.stderr


def test_an_archived_student_is_refused(cli, data_env):
    add_student(cli, data_env, "Ana", 7)
    st = Store(data_env["IEP_ASSISTANT_DATA"])
    st.roster.set_archived(1, True)
    st.close()
    r = typed(data_env, "learn", "--student", "Ana", lines=["yes"])
    assert r.returncode == 2 and "archived" in r.stderr
    with sqlite3.connect(f"{data_env['IEP_ASSISTANT_DATA']}/iep.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM lessons").fetchone()[0] == 0


# ---------------------------------------------------------------- "what does ... mean?"

def test_what_does_it_mean_at_a_lesson_prompt(cli, data_env):
    add_student(cli, data_env)
    r = typed(data_env, "learn", "--student", "Maya Ortiz", "--lesson", "accommodation",
              lines=["what does that mean", "what does flibbertigibbet mean", "yes"])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    # "that": the IEP words of the question, then the question again
    explained = f"{EXPLAIN['extended time']} {MEANING_OF_ACCOMMODATION} {ACCOMMODATION}"
    assert explained in out
    assert f"{UNKNOWN_WORD} {ACCOMMODATION}" in out
    assert [(k, p, b["said"]) for k, p, b in attempts(data_env)] == [("accommodation", True, "yes")]


def test_what_does_it_mean_at_a_session_prompt_is_never_an_answer(cli, data_env):
    add_student(cli, data_env)
    r = typed(data_env, "session", "--student", "Maya Ortiz", lines=[
        "what does accommodation mean",
        "What is an IEP?",
        "I am good at fixing bikes",
        "yes",
        # ordinary answers with "mean" and "what is" in them are answers
        "what I mean is I am good at math too",
        "yes",
    ])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    question = "What are your strengths"
    first = out.index(MEANING_OF_ACCOMMODATION)
    assert question in out[first:] and lesson_book().lesson("iep").meaning.strip() in out[first:]
    assert "I heard: I am good at fixing bikes. Is that right?" in out
    assert "I heard: what I mean is I am good at math too. Is that right?" in out
    with sqlite3.connect(f"{data_env['IEP_ASSISTANT_DATA']}/iep.sqlite3") as db:
        said = [t for (t,) in db.execute("SELECT text FROM answers ORDER BY id")]
    assert said == ["I am good at fixing bikes", "what I mean is I am good at math too"]


class Voice:
    rate = 165

    def __init__(self):
        self.lines: list[str] = []

    def say(self, text, private=True):
        self.lines.append(text)

    def set_rate(self, rate):
        self.rate = rate


@pytest.mark.parametrize("answer", [
    "My brother is mean to me sometimes", "what I mean is I need more time", "what's hard is reading",
    "I don't know what my favorite is", "what is fun is soccer", "mean", "what do you want", "I mean math",
])
def test_ordinary_answers_are_not_taken_for_a_question_about_a_word(tmp_path, answer):
    """Through Conversation.ask, the loop every prompt goes through: the answer reaches settle as it was said."""
    voice = Voice()
    said = deque([Utterance(text=answer)])

    class Ears:
        def hear(self, expect, choices=None):
            if not said:
                raise Stopped()
            return said.popleft()

    talk = Conversation(voice, Ears(), Saver(tmp_path, voice), lambda rate: None)
    got = talk.ask(Question("What is hard for you at school? Think of your IEP goals.", False), lambda u, cmd: u.text)
    assert got == answer and voice.lines == ["What is hard for you at school? Think of your IEP goals."]


@pytest.mark.parametrize("asked, term", [
    ("what does accommodation mean", "accommodation"), ("What is an IEP?", "iep"), ("what's a transition plan", "transition"),
    ("um, what does extra time mean", "extended time"), ("what are present levels", "present_levels"),
    ("what does IEP stand for", "iep"), ("I don't know what a goal is", "goal"),
])
def test_each_way_to_ask_gets_the_glossary_meaning_then_the_question(tmp_path, asked, term):
    voice = Voice()
    said = deque([Utterance(text=asked), Utterance(text="soccer")])

    class Ears:
        def hear(self, expect, choices=None):
            return said.popleft()

    talk = Conversation(voice, Ears(), Saver(tmp_path, voice), lambda rate: None)
    assert talk.ask(Question("What are you good at?", False), lambda u, cmd: u.text) == "soccer"
    meaning = EXPLAIN[term] if term in EXPLAIN else lesson_book().lesson(term).meaning.strip()
    assert voice.lines == ["What are you good at?", meaning, "What are you good at?"]


@pytest.mark.slow  # a child process with the student's page (~6 s)
def test_a_lesson_on_the_students_page(data_env):
    """`learn --screen browser --text`: the page's events and input (no stdin), as a session's page has them."""
    import json

    from tests.test_screen_server import TOKEN_LINE, Events
    from tests.webapp import raw_request

    st = Store(data_env["IEP_ASSISTANT_DATA"])
    st.roster.add("Kim Lee", 8)
    st.close()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "learn", "--student", "Kim Lee", "--lesson", "accommodation",
                             "--screen", "browser", "--no-open", "--text", "--no-voice"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=data_env, cwd=ROOT)
    try:
        m = None
        for line in proc.stderr:
            m = TOKEN_LINE.match(line.rstrip("\n"))
            if m:
                break
        assert m, "no 'student screen:' line"
        port, token = int(m.group(1)), m.group(2)

        def say(text: str) -> None:  # typed on the page (a button is one of the vocabulary's words)
            status, _, _ = raw_request(port, "POST", f"/{token}/input", {"Host": f"127.0.0.1:{port}",
                                       "Content-Type": "application/json"}, json.dumps({"answer": text}).encode())
            assert status == 204

        events = Events(port, token)
        events.listening()
        say("what is an accommodation")
        events.next("say", lambda d: d["text"] == MEANING_OF_ACCOMMODATION)
        events.next("say", lambda d: d["text"] == ACCOMMODATION and d["kind"] == "prompt")
        events.listening()
        say("yes")
        events.next("say", lambda d: d["text"].startswith("Yes, that's right!"))
        assert events.next("end")["ending"] == "finished"
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert [(k, p, b["said"]) for k, p, b in attempts(data_env)] == [("accommodation", True, "yes")]


@pytest.mark.slow  # a child process (~4 s)
def test_spanish_lessons_typed_in_spanish(cli, data_env):
    """A Spanish-speaking student's lessons come from dialogues/es/lessons/lessons.yaml,
    and what is said around them (a stop, the summary) is Spanish."""
    spanish = ROOT / "dialogues" / "es" / "lessons" / "lessons.yaml"
    if not spanish.is_file():
        pytest.skip(f"{spanish.relative_to(ROOT)} is not in this tree yet (written in parallel): "
                    "Spanish lessons cannot be run without it")
    book = lesson_book("es")
    first = book.lessons[0]
    r = cli("student", "add", "Ana López", "--grade", 4, "--language", "es", env=data_env)
    assert r.returncode == 0, r.stderr
    r = typed(data_env, "learn", "--student", "Ana López", lines=["no sé", "para"])
    assert r.returncode == 0, r.stderr
    out = flat(r.stdout)
    assert flat(first.words_for(4)) in out and flat(first.check.text) in out
    assert "Muy bien, paramos aquí. Lo que hiciste está guardado." in out
    assert "Okay" not in out and "That's okay" not in out
    [(key, passed, body)] = attempts(data_env)
    assert key == first.key and passed is False and body["said"] == "no sé"
