"""Roles on the continuum, through the public interfaces: `student add|edit|show|list`,
typed sessions (`session --text`) and `export`, with a real SQLite store; the plan
of every band and role, and the meeting script, with the engine in-process (the
fakes of test_engine at the Voice/Ears boundary)."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from docx import Document
from pypdf import PdfReader

from assistant.dialogue.engine import Ending
from assistant.dialogue.plan import build_steps
from assistant.review import exports
from assistant.roles import ROLES, asks, default_role
from tests.session_driver import TypedSession
from tests.test_engine import BANDS, RecordingVoice, _anyone, band, run


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


def ok(r):
    assert r.returncode == 0, r.stderr
    return r.stdout


def typed_session(env, student, script, *args):
    """A typed session answered from ``script`` (a cue in the question shown last ->
    the answer); returns everything shown."""
    s = TypedSession(env, "--student", student, *args)
    for _ in range(200):
        try:
            shown = s.read_prompt()
        except EOFError:
            break
        cue, answer = max(script, key=lambda c: shown.rfind(c[0]))
        assert cue in shown, f"no scripted answer for: {shown[-300:]}"
        s.answer(answer)
    code, _, err = s.finish()
    assert code == 0 and "finished" in err, err
    return " ".join(s.transcript.split())  # the screen wraps long lines


# grades 3 to 5
FOURTH = [
    ("Is that right?", "yes"),
    ("What are you good at", "I'm good at soccer"),
    ("Anything else you are good at", "no"),
    ("What do you like to do for fun", "I like video games"),
    ("Anything else you like to do", "no"),
    ("What is hard for you at school", "spelling is hard"),
    ("Is anything else hard", "no"),
    ("What helps you learn", "when the teacher shows me first"),
    ("Does that help you", "yes"),
    ("help you wish you had", "no"),
    ("How did it go", "I read every day"),
    ("What is a goal", "I want to read chapter books"),
    ("How will", "I read one a month"),
    ("another goal", "no"),
    ("IEP team to know", "I try hard"),
]


@pytest.mark.slow  # two typed sessions (~6 s)
def test_role_1_asks_only_strengths_and_needs_and_role_2_adds_learning_and_accommodations(cli, data_env):
    ok(cli("student", "add", "Leo Park", "--grade", 4, "--role", 1, "--accommodation", "extra time",
           "--past-goal", "Leo will read every day", env=data_env))
    text = typed_session(data_env, "Leo Park", FOURTH)
    assert "Today we will talk about what I am good at, what I like, what is hard at school and" in text
    for asked in ("What are you good at", "What do you like to do for fun", "What is hard for you at school",
                  "IEP team"):
        assert asked in text, asked
    for left_out in ("What helps you learn", "extra time", "Leo will read every day", "What is a goal",
                     "How I learn best", "The help I have now"):
        assert left_out not in text, left_out
    d = json.loads(ok(cli("export", "--student", "Leo Park", "--format", "json", env=data_env)))
    assert d["role"] == 1 and d["own_words"] == ["strengths_needs"]
    assert [i["text"] for i in d["strengths"]] == ["I'm good at soccer"] and d["message_to_team"]
    assert d["learning_preferences"] == [] and d["goals"] == [] and d["past_goals"] == []
    md = ok(cli("export", "--student", "Leo Park", "--format", "md", env=data_env))
    assert "Role: 1, my strengths and needs. In Leo's own words: strengths and needs." in md.splitlines()[:4]

    ok(cli("student", "edit", "Leo Park", "--role", 2, env=data_env))
    text = typed_session(data_env, "Leo Park", FOURTH)
    for asked in ("What are you good at", "What helps you learn", "Your plan says you can have extra time"):
        assert asked in text, asked
    for left_out in ("Leo will read every day", "What is a goal"):
        assert left_out not in text, left_out
    d = json.loads(ok(cli("export", "--student", "Leo Park", "--format", "json", env=data_env)))
    assert d["role"] == 2 and d["own_words"] == ["strengths_needs", "learning"]
    assert [i["accommodation"] for i in d["accommodations"]["helpful"]] == ["extra time"]
    assert [i["text"] for i in d["strengths"]] == ["I'm good at soccer"]  # said in both sessions: kept once
    assert d["goals"] == []


# grades 6 to 8
SEVENTH_FIRST = [
    ("Is that right?", "yes"),
    ("What are your strengths", "drawing and soccer"),
    ("Any other strengths", "no"),
    ("What are you interested in", "robots"),
    ("Anything else you are into", "no"),
    ("What is hard for you at school", "writing essays"),
    ("Is anything else hard", "no"),
    ("How do you learn best", "by doing things"),
    ("Anything else that helps you learn", "no"),
    ("Your IEP lists extended time", "yes, it helps"),
    ("support you do not have", "no"),
    ("Any other support you wish", "no"),
    ("What is a goal", "I want to turn in my homework on time"),
    ("How will you and your teachers know", "my planner is signed every day"),
    ("By when", "by winter break"),
    ("What help do you need", "a reminder at the end of class"),
    ("another goal", "no"),
    ("want your IEP team to know", "I like working with a partner"),
]
SECOND = {"What are your strengths": "soccer and math", "What are you interested in": "skip",
          "Your IEP lists extended time": "no, I never use it",
          "want your IEP team to know": "I like working with a partner"}
SEVENTH_SECOND = [(cue, SECOND.get(cue, answer)) for cue, answer in SEVENTH_FIRST]


@pytest.mark.slow  # two typed sessions (~6 s)
def test_a_role_change_mid_year_asks_the_new_part_and_keeps_what_was_said(cli, data_env, tmp_path):
    ok(cli("student", "add", "Sam Reyes", "--grade", 7, "--role", 2, "--accommodation", "extended time",
           env=data_env))
    first = typed_session(data_env, "Sam Reyes", SEVENTH_FIRST)
    assert "Your IEP lists extended time" in first and "What is a goal" not in first

    ok(cli("student", "edit", "Sam Reyes", "--role", 3, env=data_env))
    second = typed_session(data_env, "Sam Reyes", SEVENTH_SECOND)
    assert "What is a goal you want to work on this year" in second  # the new part is asked
    assert "What are your strengths" in second  # and the others again: the student may add or skip

    d = json.loads(ok(cli("export", "--student", "Sam Reyes", "--format", "json", env=data_env)))
    assert d["role"] == 3 and d["own_words"] == ["strengths_needs", "learning", "goals"]
    assert [i["text"] for i in d["strengths"]] == ["drawing", "soccer", "math"]  # "soccer" said twice: once
    assert [i["text"] for i in d["interests"]] == ["robots"]  # skipped the second time: the first answer stays
    assert [i["text"] for i in d["message_to_team"]] == ["I like working with a partner"]
    sessions = {i["source"]["session_id"] for i in d["strengths"]}
    assert len(sessions) == 2  # the draft is built from both sessions
    acc = d["accommodations"]
    assert acc["helpful"] == [] and [i["text"] for i in acc["not_helpful"]] == ["no, I never use it"]  # latest wins
    assert [g["statement"]["text"] for g in d["goals"]] == ["I want to turn in my homework on time"]
    assert d["goals"][0]["timeframe"]["text"] == "by winter break"

    md = ok(cli("export", "--student", "Sam Reyes", "--format", "md", env=data_env))
    assert ("Role: 3, + my goals. In Sam's own words: strengths and needs; how I learn and my accommodations; goals."
            in md)
    # the first verdict is out of the draft but stays in the transcript, marked
    assert "extended time. Does it help you? Yes, no, or not sure? — “yes, it helps” (replaced later)" in md
    db = sqlite3.connect(tmp_path / "data" / "iep.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM answers WHERE text='yes, it helps' AND confirmed=1").fetchone()[0] == 1
    # the saved draft of the second session is the whole IEP's
    body = json.loads(db.execute("SELECT body FROM drafts ORDER BY version DESC LIMIT 1").fetchone()[0])
    assert [i["text"] for i in body["strengths"]] == ["drawing", "soccer", "math"]
    show = ok(cli("student", "show", "Sam Reyes", env=data_env))
    assert "role 3: + my goals (chosen by the teacher)" in show
    assert "parts the student leads: Strengths and needs; How I learn and my accommodations; Goals" in show


def test_an_archived_student_has_no_session_and_is_off_the_list(cli, data_env, tmp_path):
    ok(cli("student", "add", "Ana Cruz", "--grade", 5, env=data_env))
    ok(cli("student", "edit", "Ana Cruz", "--archive", env=data_env))
    r = cli("session", "--student", "Ana Cruz", "--text", "--no-voice", env=data_env, input="")
    assert r.returncode == 2
    assert r.stderr.strip() == ("iep-assistant: error: Ana Cruz#1 is archived: a teacher can bring them back in the "
                                "review app, or with iep-assistant student edit 'Ana Cruz#1' --unarchive")
    listed = ok(cli("student", "list", env=data_env))
    assert "Ana Cruz" not in listed and "every student is archived: iep-assistant student list --all" in listed
    every = ok(cli("student", "list", "--all", env=data_env))
    assert "Ana Cruz#1" in every and "archived" in every and "role 3 (default)" in every
    assert "no new sessions (student edit 'Ana Cruz#1' --unarchive" in ok(cli("student", "show", "Ana Cruz", env=data_env))
    ok(cli("student", "edit", "Ana Cruz", "--unarchive", env=data_env))
    assert "Ana Cruz#1" in ok(cli("student", "list", env=data_env))
    db = sqlite3.connect(tmp_path / "data" / "iep.sqlite3")
    log = [row[0] for row in db.execute("SELECT target FROM access_log ORDER BY id")]
    assert "student Ana Cruz#1: archived (command line)" in log and "student Ana Cruz#1: unarchived (command line)" in log


def test_student_edit_and_show(cli, data_env, tmp_path):
    from assistant.store import Store

    ok(cli("student", "add", "Kim Li", "--grade", 7, env=data_env))
    st = Store(tmp_path / "data")  # what the year's commands store (their bodies are theirs: any dict)
    st.lessons.add(1, "goal", False, {"said": "a plan"})
    st.lessons.add(1, "goal", True, {"said": "something I want to get better at"})
    st.lessons.add(1, "iep", False, {"said": "I don't know"})
    st.rehearsals.add(1, {"parts": [], "finished": True})
    st.checkins.start(1, {"goals": [], "accommodations": []})
    st.close()
    show = ok(cli("student", "show", "Kim Li", env=data_env))
    assert "role 3: + my goals (default for grade 7)" in show and "active (not archived)" in show
    assert "lessons done: 2 (1 with the check answered), rehearsals: 1, check-ins: 1" in show
    ok(cli("student", "edit", "Kim Li", "--name", "Kim Lee", "--grade", 9, "--language", "EN", "--role", 5,
           "--accommodation", "breaks", "--accommodation", "a quiet room", "--past-goal", "read daily", env=data_env))
    show = ok(cli("student", "show", "Kim Lee", env=data_env))
    assert "Kim Lee#1: grade 9, language en" in show and "role 5: I lead my meeting (chosen by the teacher)" in show
    assert "accommodations in the IEP: breaks; a quiet room" in show and "last year's goals: read daily" in show
    assert "Leading the meeting" in show
    ok(cli("student", "edit", "Kim Lee", "--accommodation", "breaks", "--role", "default", env=data_env))
    show = ok(cli("student", "show", "Kim Lee", env=data_env))
    assert "accommodations in the IEP: breaks\n" in show  # the list was replaced
    assert "role 4: + my plans after school (default for grade 9)" in show


def test_a_bad_role_is_refused_in_one_line_and_nothing_changes(cli, data_env):
    ok(cli("student", "add", "Kim", "--grade", 7, "--role", 2, env=data_env))
    for args in [("add", "Zed", "--grade", 3, "--role", 6), ("add", "Zed", "--grade", 3, "--role", "x"),
                 ("edit", "Kim", "--role", 0, "--grade", 8)]:
        r = cli("student", *args, env=data_env)
        assert r.returncode == 2 and r.stdout == "", args
        assert len(r.stderr.strip().splitlines()) == 1, args
        assert "is not a role: use 1 to 5 (1 My strengths and needs;" in r.stderr and "5 I lead my meeting)" in r.stderr
    listed = ok(cli("student", "list", env=data_env))
    assert "Zed" not in listed and "role 2 (chosen)" in listed and "grade 7" in listed  # the grade given with it too

@pytest.mark.slow  # three typed sessions (~9 s)
def test_a_teachers_edits_stay_when_the_student_does_another_session_until_the_iep_is_approved(cli, data_env, tmp_path):
    from assistant.draft import IEPDraft, Item
    from assistant.store import Store

    ok(cli("student", "add", "Sam Reyes", "--grade", 7, "--role", 3, "--accommodation", "extended time", env=data_env))
    typed_session(data_env, "Sam Reyes", SEVENTH_FIRST)
    st = Store(tmp_path / "data")
    saved = st.draft_versions.latest(1)
    d = IEPDraft(**saved["body"])  # what the review app's editor does: a new version of the current draft
    d.goals[0].statement.edited = "Sam will turn in 90% of homework on time"
    d.strengths[0].edited = "draws well"
    d.strengths.append(Item(text="kind to classmates", added_by="Ms T"))
    d.challenges.pop(0)  # "writing essays"
    st.draft_versions.add(1, saved["session_id"], d.model_dump(mode="json"), "in_review", "Ms T")
    st.close()
    typed_session(data_env, "Sam Reyes", SEVENTH_SECOND)
    out = json.loads(ok(cli("export", "--student", "Sam Reyes", "--format", "json", env=data_env)))
    assert out["goals"][0]["statement"]["edited"] == "Sam will turn in 90% of homework on time"
    assert [(i["text"], i["edited"], i["added_by"]) for i in out["strengths"]] == [
        ("drawing", "draws well", None), ("soccer", None, None), ("kind to classmates", None, "Ms T"),
        ("math", None, None)]  # the new session's point after the teacher's
    assert out["challenges"] == []  # removed by the teacher; the same words again in the next session are a repeat of it

    # approved: the next session starts the next IEP, without this one's edits
    st = Store(tmp_path / "data")
    st.draft_versions.add(1, st.transcripts.latest(1).id, st.draft_versions.latest(1)["body"], "approved", "Ms T")
    st.close()
    typed_session(data_env, "Sam Reyes", SEVENTH_FIRST)
    out = json.loads(ok(cli("export", "--student", "Sam Reyes", "--format", "json", env=data_env)))
    assert [(i["text"], i["edited"], i["added_by"]) for i in out["strengths"]] == [
        ("drawing", None, None), ("soccer", None, None)]
    assert out["goals"][0]["statement"]["edited"] is None and out["challenges"][0]["text"] == "writing essays"



# ---------------------------------------------------------------- the plan of every band and role, in-process


@pytest.fixture
def store(tmp_path):
    from assistant.store import Store

    s = Store(tmp_path / "data")
    yield s
    s.close()


@pytest.mark.parametrize("grades", BANDS, ids=lambda g: f"grades-{g[0]}-{g[1]}")
def test_each_role_asks_the_sections_of_its_parts(store, grades):
    d = band(grades[0])
    s = store.roster.add("Ada", grades[0], "en", ["extended time"], ["read every day"])
    planned = {}
    for role in ROLES:
        s = store.roster.edit(s.id, role=role)
        planned[role] = [(st.key, st.section) for st in build_steps(d, s)]
        sections = {st.section for st in build_steps(d, s)}
        for si, section in enumerate(d.sections):
            wanted = any(asks(role, p.field) for p in section.prompts)
            assert (si in sections) == wanted, (role, section.id)
    assert planned[5] == planned[4]  # leading the meeting asks what role 4 asks
    s = store.roster.edit(s.id, default_role=True)
    assert planned[default_role(grades[0])] == [(st.key, st.section) for st in build_steps(d, s)]
    if grades[1] < 9:  # no plans after school in this band: roles 3, 4 and 5 ask all of it
        assert planned[3] == planned[4] == [(st.key, st.section) for st in build_steps(d, s)]
    assert len(planned[1]) < len(planned[2]) < len(planned[3])


class WhereVoice(RecordingVoice):
    """A voice with a screen: keeps where the engine says the student is."""

    def __init__(self):
        super().__init__()
        self.places: list[tuple[str, int, int]] = []

    def where(self, section: str, number: int, total: int) -> None:
        self.places.append((section, number, total))


def test_a_role_1_session_counts_and_reads_back_only_its_sections_and_a_role_5_script_leads(store):
    from assistant.dialogue.engine import DialogueEngine
    from tests.test_engine import Student as Ears

    d = band(7)
    s = store.roster.add("Max Roe", 7, "en", ["extended time"], ["read every day"], role=1)
    voice = WhereVoice()
    assert DialogueEngine(d, s, store, voice, Ears(voice, _anyone(d)), log=lambda line: None).run() is Ending.FINISHED
    shown = [section for section, _, _ in voice.places]
    titles = ["My strengths", "My interests", "What is hard for me at school", "My message to my IEP team",
              "Reading it back"]
    assert list(dict.fromkeys(shown)) == titles
    assert {(section, n, total) for section, n, total in voice.places} == {(t, n, 5) for n, t in enumerate(titles, 1)}
    said = " ".join(voice.texts())
    assert "Today we will talk about my strengths, my interests, what is hard for me at school and my message to my " \
           "IEP team." in said
    draft, _ = exports.current_draft(store, s)
    assert draft.role == 1 and draft.own_words == ["strengths_needs"]
    script = exports.meeting_script(draft)
    assert script[0] == "Hello, my name is Max. Thank you for coming to my IEP meeting."
    assert not any("goals" in line or "supports" in line for line in script)

    store.roster.edit(s.id, role=5)
    s5 = store.roster.add("Eva Moss", 7, "en", ["extended time"], [], role=5)
    ending, voice, _, _ = run(store, s5, _anyone(d), dialogue=d)
    assert ending is Ending.FINISHED
    assert "You will lead your IEP meeting, so today we will get your words ready for every part." in voice.texts()
    draft, _ = exports.current_draft(store, s5)
    assert draft.role == 5 and draft.own_words == ["strengths_needs", "learning", "goals"]
    script = exports.meeting_script(draft)
    assert script[0] == "Hello, my name is Eva. I am leading my IEP meeting today. Thank you for coming."
    assert any(line.startswith("One of my goals: answer number") for line in script)


def test_the_meeting_script_leaves_parts_outside_the_role_to_the_team(store):
    d = band(7)
    s = store.roster.add("Noa Hale", 7, "en", ["extended time"], [], role=3)
    assert run(store, s, _anyone(d), dialogue=d)[0] is Ending.FINISHED
    s = store.roster.edit(s.id, role=1)  # lowered mid-year: what was said stays in the draft
    ending, _, _, engine = run(store, s, _anyone(d), dialogue=d)
    assert ending is Ending.FINISHED
    draft, _ = exports.current_draft(store, s)
    assert draft.role == 1 and draft.own_words == ["strengths_needs"]
    assert draft.goals and draft.accommodations.not_sure  # kept from the first session
    script = exports.meeting_script(draft)
    assert not any(line.startswith(("One of my goals", "These supports", "I learn best")) for line in script)
    assert "My team will talk about how I learn and my accommodations; goals." in script
    line = "Role: 1, my strengths and needs. In Noa's own words: strengths and needs."
    assert line in exports.export(store, s, "md").decode().splitlines()[:4]  # under the title
    paragraphs = [p.text for p in Document(io.BytesIO(exports.export(store, s, "docx"))).paragraphs]
    assert paragraphs[:2] == ["About me: Noa Hale", line]
    pdf = " ".join(" ".join((page.extract_text() or "").split())
                   for page in PdfReader(io.BytesIO(exports.export(store, s, "pdf"))).pages)
    assert pdf.startswith(f"About me: Noa Hale {line}")


def test_the_draft_is_of_the_sessions_after_the_last_approved_draft(store):
    d = band(7)
    s = store.roster.add("Ivy Lam", 7, "en", ["extended time"], [])
    assert run(store, s, _anyone(d), dialogue=d)[0] is Ending.FINISHED
    first = store.draft_versions.latest(s.id)
    assert {a.session_id for a in store.transcripts.iep_answers(s.id)} == {1}
    store.draft_versions.add(s.id, 1, first["body"], "approved", "ms.g")  # as the review app approves it
    # nothing since the approval: the approved IEP's draft and transcript
    assert exports.current_draft(store, s)[1]["status"] == "approved"
    assert "(no answers)" not in exports.export(store, s, "md").decode()
    assert run(store, s, _anyone(d), dialogue=d)[0] is Ending.FINISHED
    draft, saved = exports.current_draft(store, s)
    assert saved["session_id"] == 2 and draft.strengths
    sources = {i.source.session_id for i in [*draft.strengths, *draft.accommodations.not_sure, *draft.message_to_team]}
    assert sources == {2}  # the new IEP starts from the new session only
    assert [sess.id for sess in store.transcripts.of_iep(s.id)] == [2]


def test_a_session_paused_in_a_part_the_new_role_leaves_out_goes_on_at_the_roles_next_question(store):
    from assistant.dialogue.voice import Stopped

    d = band(7)
    s = store.roster.add("Ola Finn", 7, "en", [], [], role=3)
    anyone = _anyone(d)

    def until_goals(heard, expect):
        if any("What is a goal" in line for line in heard):
            raise Stopped()  # the end of input: the session pauses at the goal
        return anyone(heard, expect)

    assert run(store, s, until_goals, dialogue=d)[0] is Ending.PAUSED
    paused = store.transcripts.latest(s.id, unfinished=True)
    assert paused.position == "goal_what"
    s = store.roster.edit(s.id, role=1)  # the teacher lowers the role meanwhile
    ending, voice, _, _ = run(store, s, _anyone(d), dialogue=d, session=paused)
    assert ending is Ending.FINISHED
    said = voice.texts()
    assert said[0].startswith("Welcome back") and said[1:3] == ["My message to my IEP team.", d.prompt("message").text]
    assert not any("What is a goal" in line for line in said)
