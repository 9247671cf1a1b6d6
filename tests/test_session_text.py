"""The session through its typed front end (--text): the same dialogue engine,
driven through stdin, with a real SQLite store."""

import json
import signal
import sqlite3

import pytest

from tests.session_driver import TypedSession

NINTH_TO_TWELFTH = [
    ("Is that right?", "yes"),
    ("Any other strengths", "that's all"),
    ("What are your strengths", "I'm good at drawing and building with Lego, and I like math"),
    ("Any other interests", "no"),
    ("What are your interests", "I'm good at helping my mom repeat her lines"),
    ("Anything else that is hard", "that's all"),
    ("What gets in the way", "Reading long chapters is hard and I get nervous on tests"),
    ("Anything else that helps you learn", "no"),
    ("How do you learn best", "Hands-on projects, and when the teacher checks in with me quietly"),
    ("lists extended time", "Yes, it helps a lot on tests"),
    ("lists a calculator", "No, I never use it"),
    ("lists a quiet room", "I'm not sure"),
    ("Any other support you would ask for", "no"),
    ("accommodation or support you do not have", "I wish I had audiobooks for English class"),
    ("last year's goals was", "I reached it, so I want a new reading goal"),
    ("What is a goal", "I want to write a full essay with an outline"),
    ("How will we measure it", "I don't know"),
    ("By when", "By the end of the second semester"),
    ("What support do you need", "Graphic organizers and time with the writing teacher"),
    ("draft another goal", "that's all"),  # at a yes/no gate, "that's all" means no
    ("After high school, do you want", "Community college for automotive technology"),
    ("What kind of job", "I want to be a mechanic"),
    ("Where do you want to live", "I want my own apartment, so I need to learn budgeting and cooking"),
    ("hear from you at the meeting", "I want to lead my own meeting"),
]


def reply_for(shown: str, script) -> str:
    """The answer to the question shown last."""
    best, where = None, -1
    for cue, answer in script:
        i = shown.rfind(cue)
        if i > where:
            best, where = answer, i
    assert best is not None, f"no scripted answer for: {shown[-300:]}"
    return best


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


def add_student(cli, env, name, grade, *extra):
    r = cli("student", "add", name, "--grade", grade, *extra, env=env)
    assert r.returncode == 0, r.stderr
    return r


@pytest.mark.slow  # the longest typed session (~4.5 s)
def test_full_text_session_grades_9_12(cli, data_env):
    add_student(cli, data_env, "Maya Ortiz", 10, "--accommodation", "extended time", "--accommodation", "a calculator",
                "--accommodation", "a quiet room", "--past-goal", "Maya will read 20 minutes a day")
    s = TypedSession(data_env, "--student", "Maya Ortiz")
    corrected = False
    for _ in range(200):
        try:
            shown = s.read_prompt()
        except EOFError:
            break
        if "What kind of job or career are you interested in: I want to be a mechanic. Is that right?" in shown:
            s.answer("no")  # the read-back at the end: change one part of a section with three
            assert "Okay, tell me again. What kind of job" in s.read_prompt()
            s.answer("I want to be an electrician")
            s.read_prompt()
            s.answer("yes")
            corrected = True
            continue
        s.answer(reply_for(shown, NINTH_TO_TWELFTH))
    assert corrected
    code, out, err = s.finish()
    assert code == 0, err
    assert "finished" in err
    text = s.transcript
    # every section of the dialogue was reached
    for title in ("My strengths", "My interests", "What is hard for me", "How I learn best", "My accommodations now",
                  "Accommodations I wish I had", "Looking back at last year's goals", "My goals for this year",
                  "My plans after high school", "My message to my IEP team", "Here is what you told me"):
        assert title in text, title
    # a command word inside a sentence is an answer, not a command
    assert "I heard: I'm good at helping my mom repeat her lines" in text

    r = cli("export", "--student", "Maya Ortiz", "--format", "json", env=data_env)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["student"] == {"name": "Maya Ortiz", "grade": 10}
    assert [(i["text"], i["label"]) for i in d["strengths"]] == [
        ("I'm good at drawing", "motor"), ("building with Lego", "motor"), ("I like math", "math")]
    assert [i["label"] for i in d["challenges"]] == ["reading", "social-emotional"]
    acc = d["accommodations"]
    assert [(i["accommodation"], i["label"]) for i in acc["helpful"]] == [("extended time", "extended time")]
    assert [(i["accommodation"], i["label"]) for i in acc["not_helpful"]] == [("a calculator", "calculator")]
    assert [(i["accommodation"], i["label"]) for i in acc["not_sure"]] == [("a quiet room", "quiet setting")]
    assert [(i["text"], i["label"]) for i in acc["wanted"]] == [("I wish I had audiobooks for English class", "read aloud")]
    assert d["past_goals"][0]["goal"] == "Maya will read 20 minutes a day"
    assert len(d["goals"]) == 1
    goal = d["goals"][0]
    assert goal["statement"]["text"] == "I want to write a full essay with an outline" and goal["area"] == "writing"
    assert goal["measure"] is None and goal["timeframe"]["text"] == "By the end of the second semester"
    assert [q["question"] for q in d["open_questions"]] == ["How will we measure it? What will show that you reached it?"]
    assert [i["text"] for i in d["transition"]["employment"]] == ["I want to be an electrician"]
    assert d["transition"]["education"][0]["text"] == "Community college for automotive technology"  # untouched
    assert d["transition"]["independent_living"]  # untouched
    assert d["message_to_team"][0]["text"] == "I want to lead my own meeting"
    for item in d["strengths"]:
        assert item["source"]["prompt"].startswith("What are your strengths")
    md = cli("export", "--student", "Maya Ortiz", "--format", "md", env=data_env).stdout
    assert "## My strengths" in md and "- building with Lego  _[motor]_" in md


@pytest.mark.slow  # kill -9 (~4 s)
def test_kill_9_then_resume(cli, data_env, tmp_path):
    add_student(cli, data_env, "Leo", 4)
    s = TypedSession(data_env, "--student", "Leo")
    steps = [("What are you good at", "I'm good at soccer"), ("Is that right?", "yes"),
             ("Anything else you are good at", "that's all"),
             ("What do you like to do for fun", "I like video games"), ("Is that right?", "yes"),
             ("Anything else you like", "no"),
             ("What is hard for you", "spelling is hard")]
    for cue, answer in steps:
        shown = s.read_prompt()
        assert cue in shown, (cue, shown)
        s.answer(answer)
    assert "I heard: spelling is hard" in s.read_prompt()  # typed, read back, not confirmed yet
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(10)

    db = sqlite3.connect(tmp_path / "data" / "iep.sqlite3")
    rows = db.execute("SELECT step, text, confirmed FROM answers ORDER BY id").fetchall()
    assert ("strengths", "I'm good at soccer", 1) in rows and ("interests", "I like video games", 1) in rows
    assert ("challenges", "spelling is hard", 0) in rows  # the unconfirmed attempt is kept too
    assert db.execute("SELECT status FROM sessions").fetchone()[0] == "in_progress"

    fresh = cli("session", "--student", "Leo", "--text", "--no-voice", env=data_env, input="")
    assert fresh.returncode == 2 and "--resume" in fresh.stderr and "--new" in fresh.stderr  # a paused session is not orphaned
    again = TypedSession(data_env, "--student", "Leo", "--resume")
    shown = again.read_prompt()
    assert "Welcome back" in shown and "What is hard for you at school?" in shown
    again.answer("stop")
    code, out, err = again.finish()
    assert code == 0 and "paused" in err and "--resume" in err
    assert "Everything you said is saved" in out
    d = json.loads(cli("export", "--student", "Leo", "--format", "json", env=data_env).stdout)
    assert [i["text"] for i in d["strengths"]] == ["I'm good at soccer"]
    assert [i["text"] for i in d["interests"]] == ["I like video games"]
    assert d["challenges"] == []


def test_empty_and_very_long_answers(cli, data_env, tmp_path):
    add_student(cli, data_env, "Ana", 7)
    s = TypedSession(data_env, "--student", "Ana")
    assert "What are your strengths" in s.read_prompt()
    s.answer("")  # nothing said
    shown = s.read_prompt()
    assert "Take your time" in shown and "What are your strengths" in shown
    s.answer("")
    assert "Take your time" in s.read_prompt()
    s.answer("")
    assert "I am still here" in s.read_prompt()  # never ends on silence alone
    ten_minutes = " ".join(["I like to draw comics about my dog and my friends at the park"] * 120)  # ~1,600 words
    s.answer(ten_minutes)
    shown = s.read_prompt()
    assert "That was a long answer" in shown and "Is that right?" in shown
    s.answer("yes")
    s.read_prompt()
    s.answer("stop")
    code, _, err = s.finish()
    assert code == 0, err
    db = sqlite3.connect(tmp_path / "data" / "iep.sqlite3")
    rows = db.execute("SELECT text, confirmed FROM answers").fetchall()
    assert len(rows) == 1 and rows[0][1] == 1  # no empty answers stored
    assert rows[0][0] == ten_minutes[:4000].rsplit(" ", 1)[0]  # the first 4,000 characters, cut at a word, verbatim


def test_help_repeat_skip_and_back(cli, data_env):
    add_student(cli, data_env, "Kai", 1, "--accommodation", "breaks")
    s = TypedSession(data_env, "--student", "Kai")
    first = s.read_prompt()
    assert "What are you good at? Drawing, building" in first
    s.answer("help")
    assert "For example, you could say: Drawing." in s.read_prompt()
    s.answer("repeat")
    assert "What are you good at? Drawing, building" in s.read_prompt()
    s.answer("I don't know")
    assert "What else are you good at?" in s.read_prompt()
    s.answer("go back")
    shown = s.read_prompt()
    assert "let's go back" in shown and "What are you good at? Drawing" in shown
    s.answer("drawing")
    assert "I heard: drawing" in s.read_prompt()
    s.answer("yes")
    assert "What else are you good at?" in s.read_prompt()
    s.answer("skip")
    assert "Things I like" in s.read_prompt()
    s.answer("stop")
    code, _, err = s.finish()
    assert code == 0, err
    d = json.loads(cli("export", "--student", "Kai", "--format", "json", env=data_env).stdout)
    assert [i["text"] for i in d["strengths"]] == ["drawing"]
    assert d["open_questions"] == []  # the "I don't know" was replaced by the answer given after going back


def test_help_explains_an_accommodation(cli, data_env):
    add_student(cli, data_env, "Noor", 7, "--accommodation", "extra time on tests")
    s = TypedSession(data_env, "--student", "Noor", "--dialogue", "en-6-8")
    script = [("Is that right?", "yes"), ("Any other", "no"), ("Anything else", "no"), ("Is anything else", "no"),
              ("What are your strengths", "math"), ("What are you interested in", "space"),
              ("What is hard for you", "notes"), ("How do you learn best", "pictures")]
    while True:
        shown = s.read_prompt()
        if "Your IEP lists extra time on tests" in shown:
            break
        s.answer(reply_for(shown, script))
    s.answer("help")
    assert "Extended time means you get more time" in s.read_prompt()
    s.answer("stop")
    assert s.finish()[0] == 0


def test_slower_persists_in_the_profile(cli, data_env):
    add_student(cli, data_env, "Rosa", 5)
    s = TypedSession(data_env, "--student", "Rosa")
    s.read_prompt()
    s.answer("slower")
    assert "I will talk slower" in s.read_prompt()
    s.answer("stop")
    s.finish()
    assert "speech rate 140" in cli("student", "show", "Rosa", env=data_env).stdout


def test_unknown_student(cli, data_env):
    r = cli("session", "--student", "Nobody Here", "--text", "--no-voice", env=data_env)
    assert r.returncode == 2 and "no student named 'Nobody Here'" in r.stderr and "student add" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow  # ~4 s
def test_students_with_one_name_and_any_unicode(cli, data_env):
    for grade in (3, 8):
        add_student(cli, data_env, "Zoë Nguyễn 김민준", grade)
    r = cli("student", "show", "Zoë Nguyễn 김민준", env=data_env)
    assert r.returncode == 2 and "2 students are named" in r.stderr
    listing = cli("student", "list", env=data_env).stdout
    labels = [line.split()[0:3] for line in listing.splitlines()]
    assert len(labels) == 2
    second = cli("student", "show", "Zoë Nguyễn 김민준#2", env=data_env)
    assert second.returncode == 0 and "grade 8" in second.stdout
    r = cli("student", "remove", "Zoë Nguyễn 김민준#1", env=data_env)
    assert r.returncode == 2 and "confirm" in r.stderr  # nothing removed without a typed confirmation
    assert cli("student", "remove", "Zoë Nguyễn 김민준#1", "--yes", env=data_env).returncode == 0
    assert cli("student", "show", "Zoë Nguyễn 김민준", env=data_env).returncode == 0


THIRD_TO_FIFTH = [
    ("Is that right?", "yes"),
    ("Anything else you are good at", "that's all"),
    ("What are you good at", "I am good at soccer"),
    ("Anything else you like", "no"),
    ("What do you like to do for fun", "I like video games"),
    ("Is anything else hard", "no"),
    ("What is hard for you", "spelling"),
    ("What helps you learn", "pictures"),
    ("any help you wish you had", "a quiet place"),
    ("What is one thing you want to get better at", "reading"),
    ("How will we know", "I can read a chapter book"),
    ("IEP team to know", "I try hard"),
]


def test_the_read_back_at_the_end_lets_the_student_change_a_section(cli, data_env):
    add_student(cli, data_env, "Eli", 4)
    s = TypedSession(data_env, "--student", "Eli")
    changed = False
    while True:
        try:
            shown = s.read_prompt()
        except EOFError:
            break
        if "What I am good at: I am good at soccer. Is that right?" in shown and not changed:
            s.answer("no")
            assert "Okay, tell me again. What are you good at, in school or outside of school?" in s.read_prompt()
            s.answer("I am good at soccer and chess")
            assert "I heard: I am good at soccer and chess" in s.read_prompt()
            s.answer("yes")
            changed = True
            continue
        s.answer(reply_for(shown, THIRD_TO_FIFTH))
    code, _, err = s.finish()
    assert code == 0 and changed, err
    d = json.loads(cli("export", "--student", "Eli", "--format", "json", env=data_env).stdout)
    assert [i["text"] for i in d["strengths"]] == ["I am good at soccer", "chess"]
    assert [i["text"] for i in d["challenges"]] == ["spelling"]


@pytest.mark.slow  # ~3.5 s
def test_a_question_marked_ask_again_is_asked_first_next_session(cli, data_env, tmp_path):
    from assistant.store import Store

    add_student(cli, data_env, "Ivy", 4)
    s = TypedSession(data_env, "--student", "Ivy")
    s.read_prompt()
    s.answer("I am good at um")
    s.read_prompt()
    s.answer("yes")
    s.read_prompt()
    s.answer("stop")
    assert s.finish()[0] == 0
    store = Store(tmp_path / "data")
    first = store.transcripts.answers(store.transcripts.latest(1).id)[0]
    store.transcripts.review(first.id, "ask_again", "Ms Lee")  # as the review app's button does
    store.close()
    again = TypedSession(data_env, "--student", "Ivy", "--new")
    shown = again.read_prompt()
    assert "Your teacher would like to ask this again. What are you good at" in shown
    again.answer("I am good at puzzles")
    again.read_prompt()
    again.answer("yes")
    assert "What are you good at, in school or outside of school?" in again.read_prompt()  # then the dialogue as usual
    again.answer("stop")
    assert again.finish()[0] == 0
    third = TypedSession(data_env, "--student", "Ivy", "--new")
    assert "ask this again" not in third.read_prompt()  # asked once, not forever
    third.answer("stop")
    third.finish()


def test_did_you_mean_and_a_read_back_left_unclear(cli, data_env):
    """Typed as a student would: a near-command is asked about, and three replies with
    neither yes nor no move on, kept for the teacher among the open questions."""
    add_student(cli, data_env, "Leo", 4)
    s = TypedSession(data_env, "--student", "Leo")
    steps = [("What are you good at", "soccer"), ("I heard: soccer. Is that right?", "yes"),
             ("Anything else you are good at", "next all"), ("Did you mean 'that's all'?", "yes"),
             ("What do you like to do for fun", "video games"), ("I heard: video games. Is that right?", "kind of"),
             ("Please say yes or no. I heard: video games", "I said video games"),
             ("Please say yes or no. I heard: video games", "purple")]
    for cue, answer in steps:
        shown = s.read_prompt()
        assert cue in shown, (cue, shown)
        s.answer(answer)
    shown = s.read_prompt()
    assert "Okay, let's go on. I saved what you said for your teacher." in shown and "Anything else you like" in shown
    s.answer("stop")
    code, _, err = s.finish()
    assert code == 0, err
    d = json.loads(cli("export", "--student", "Leo", "--format", "json", env=data_env).stdout)
    assert [i["text"] for i in d["strengths"]] == ["soccer"] and d["interests"] == []
    assert [(q["question"], q["reason"], q["said"]) for q in d["open_questions"]] == [
        ("I heard: video games. Is that right?", "unclear", "kind of / I said video games / purple")]
    md = cli("export", "--student", "Leo", "--format", "md", env=data_env).stdout
    assert "the student said neither yes nor no" in md
