"""Goal check-ins (`iep-assistant checkin`): typed through the real CLI with a real
SQLite store, then seen where the teacher sees them: `export` (json, md, pdf, docx)
and the review app's check-ins page in a real browser.

The draft with goals is written through the store (a boundary: a draft version, as
the end of a session or the teacher's editor writes one), which takes milliseconds
where a typed grade 6-8 session to draft goals takes seconds per test; the goals'
wording comes from the draft as any draft has it (one reworded by the teacher)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest

from assistant.checkin import rating_of

GOAL_1 = "I want to write a full essay with an outline"
GOAL_2_SAID, GOAL_2 = "read more", "Maya will read 20 minutes a day"  # the teacher reworded the student's words


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


def add_student(cli, env, name="Maya Ortiz", grade=7, goals=(GOAL_1, (GOAL_2_SAID, GOAL_2)),
                accommodations=("extended time", "a quiet room"), language="en"):
    """A student, and (through the store) a draft with ``goals`` (text, or (said, teacher's wording))."""
    from assistant.draft import Goal, IEPDraft, Item, StudentInfo
    from assistant.store import Store

    args = [a for acc in accommodations for a in ("--accommodation", acc)]
    r = cli("student", "add", name, "--grade", grade, *args, "--language", language, env=env)
    assert r.returncode == 0, r.stderr
    st = Store(env["IEP_ASSISTANT_DATA"])
    try:
        s = st.roster.find(name)
        if goals:
            items = [Item(text=g) if isinstance(g, str) else Item(text=g[0], edited=g[1]) for g in goals]
            d = IEPDraft(student=StudentInfo(name=s.name, grade=s.grade), goals=[Goal(statement=i) for i in items])
            st.draft_versions.add(s.id, None, d.model_dump(mode="json"), "draft")
        return s.id
    finally:
        st.close()


def checkin(cli, env, answers, *extra, name="Maya Ortiz"):
    return cli("checkin", "--student", name, "--text", "--no-voice", *extra, input="".join(a + "\n" for a in answers),
               env=env, timeout=60)


def exported(cli, env, fmt="json", name="Maya Ortiz"):
    r = cli("export", "--student", name, "--format", fmt, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if fmt == "json" else r.stdout


# the answers of a whole check-in: two goals, then two accommodations
WHOLE = ["a three", "my teacher checked in with me", "yes", "the noise", "no", "the noise in class", "yes",
         "I don't know", "skip", "nothing", "yes",
         "yes", "yes it helps a lot",
         "not sure"]


def test_ratings_said_as_words():
    for said, rating in [("three", 3), ("3", 3), ("a three", 3), ("about four", 4), ("Five.", 5), ("one", 1),
                         ("I'd say a two", 2), ("four out of five", 4), ("3 out of 5", 3), ("for", 4)]:
        assert rating_of(said) == rating, said
    for said in ["three or four", "ten", "six", "It was hard to focus", "pretty good", "0"]:
        assert rating_of(said) is None, said


def test_a_typed_checkin_is_stored_as_it_was_said(cli, data_env):
    add_student(cli, data_env)
    r = checkin(cli, data_env, WHOLE)
    assert r.returncode == 0, r.stderr
    shown = " ".join(r.stdout.split())
    # each question as the student sees (and hears) it, the goals in the draft's wording
    assert (f"Your goal: {GOAL_1}. How is it going, from 1 to 5? 1 means not well at all, 5 means really well."
            in shown)
    assert f"Your goal: {GOAL_2}. How is it going" in shown and GOAL_2_SAID not in shown
    assert "Okay, 3 out of 5." in shown
    assert "I heard: my teacher checked in with me. Is that right?" in shown
    assert "I heard: the noise. Is that right?" in shown and "Okay, let's try again. What got in the way?" in shown
    assert "Did you use extended time?" in shown and "Did it help?" in shown and "Did you use a quiet room?" in shown
    assert shown.count("Did it help?") == 1  # asked only about what was used
    assert "Your check-in is saved" in shown and "finished" in r.stderr
    [c] = exported(cli, data_env)["checkins"]
    assert c["status"] == "finished" and c["date"] == dt.date.today().isoformat()
    assert c["goals"] == [
        {"goal": GOAL_1, "rating": 3, "said": "a three", "helped": "my teacher checked in with me",
         "in_the_way": "the noise in class"},
        {"goal": GOAL_2, "rating": None, "said": "I don't know", "helped": None, "in_the_way": "nothing"},
    ]
    assert c["accommodations"] == [
        {"accommodation": "extended time", "used": "yes", "helped": "yes", "said": "yes / yes it helps a lot"},
        {"accommodation": "a quiet room", "used": "not sure", "helped": None, "said": "not sure"},
    ]


@pytest.mark.slow  # six commands (~4 s)
def test_a_stopped_checkin_keeps_what_was_said_and_the_next_is_new(cli, data_env):
    add_student(cli, data_env)
    # stopped at "I heard: sports. Is that right?": what was said is saved before it is read back
    r = checkin(cli, data_env, ["about four", "a checklist", "yes", "sports", "stop"])
    assert r.returncode == 0, r.stderr
    assert "Everything you said is saved. Next time we will start a new check-in." in " ".join(r.stdout.split())
    r = checkin(cli, data_env, ["two"])  # the typed answers end: stopped too
    assert r.returncode == 0, r.stderr
    first, second = exported(cli, data_env)["checkins"]
    assert first["status"] == second["status"] == "started"
    assert first["goals"] == [{"goal": GOAL_1, "rating": 4, "said": "about four", "helped": "a checklist",
                               "in_the_way": "sports"}]
    assert first["accommodations"] == []
    assert second["goals"][0]["rating"] == 2 and second["goals"][0]["helped"] is None
    r = checkin(cli, data_env, [])  # nothing said: nothing saved
    assert r.returncode == 0 and "nothing was saved" in r.stderr
    from assistant.store import Store

    st = Store(data_env["IEP_ASSISTANT_DATA"])
    assert [c["id"] for c in st.checkins.of_student(st.roster.find("Maya Ortiz").id)] == [first["id"], second["id"]]
    st.close()


def test_a_number_is_asked_for_and_unclear_replies_are_kept(cli, data_env):
    add_student(cli, data_env, goals=(GOAL_1,), accommodations=())
    r = checkin(cli, data_env, ["help", "pretty good", "three or four", "it is going fine", "skip", "skip"])
    assert r.returncode == 0, r.stderr
    shown = " ".join(r.stdout.split())
    assert "Say one number from 1 to 5. 1 means not well at all." in shown  # help
    assert shown.count("Please say one number from 1 to 5, or say I don't know.") == 2
    [c] = exported(cli, data_env)["checkins"]
    assert c["status"] == "finished"
    assert c["goals"] == [{"goal": GOAL_1, "rating": None, "said": "pretty good / three or four / it is going fine",
                           "helped": None, "in_the_way": None}]


@pytest.mark.slow  # six commands (~4 s)
def test_dates_are_checked_and_a_student_without_goals_is_told_how_to_get_them(cli, data_env):
    add_student(cli, data_env)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    r = checkin(cli, data_env, WHOLE, "--date", tomorrow)
    assert r.returncode == 2 and f"--date {tomorrow} is in the future" in r.stderr and "Traceback" not in r.stderr
    r = checkin(cli, data_env, WHOLE, "--date", "2026-02-30")
    assert r.returncode == 2 and "'2026-02-30' is not a date: give it as YYYY-MM-DD" in r.stderr
    assert exported(cli, data_env)["checkins"] == []  # nothing saved, nothing asked
    add_student(cli, data_env, name="Ana Ruiz", goals=())
    r = checkin(cli, data_env, WHOLE, name="Ana Ruiz")
    assert r.returncode == 2 and "has no goals to check in on yet" in r.stderr
    assert "iep-assistant session --student 'Ana Ruiz" in r.stderr and "Edit the draft" in r.stderr
    assert r.stdout == ""  # nothing was said to the student


def test_an_archived_student_is_refused(cli, data_env):
    from assistant.store import Store

    sid = add_student(cli, data_env)
    st = Store(data_env["IEP_ASSISTANT_DATA"])
    st.roster.set_archived(sid, True)
    st.close()
    r = checkin(cli, data_env, WHOLE)
    assert r.returncode == 2 and "is archived" in r.stderr and r.stdout == ""


def three_dates(cli, env):
    """Check-ins on three dates (entered out of order), the goal reworded before the last."""
    for day, answers in (("2026-10-20", ["4", "a checklist", "yes", "sports", "yes", "five", "my mom", "yes",
                                         "nothing", "yes", "no", "no"]),
                         ("2026-09-15", ["two", "my friend", "yes", "the noise", "yes", "I don't know", "skip", "skip",
                                         "no", "yes", "not sure"]),
                         ("2026-11-24", ["about four", "outlines", "yes", "tired", "yes", "3", "audiobooks", "yes",
                                         "phone", "yes", "yes", "yes", "yes", "yes"])):
        if day == "2026-11-24":  # the teacher rewords goal 2 in the draft: its check-ins start a new chart
            from assistant.draft import IEPDraft
            from assistant.store import Store

            st = Store(env["IEP_ASSISTANT_DATA"])
            s = st.roster.find("Maya Ortiz")
            d = IEPDraft(**st.draft_versions.latest(s.id)["body"])
            assert d.goals[1].statement is not None
            d.goals[1].statement.edited = "Maya will read 30 minutes a day"
            st.draft_versions.add(s.id, None, d.model_dump(mode="json"), "draft", author="Ms Lee")
            st.close()
        r = checkin(cli, env, answers, "--date", day)
        assert r.returncode == 0, r.stderr


@pytest.mark.slow  # five commands and three documents (~5 s)
def test_checkins_on_three_dates_in_the_exports(cli, data_env):
    from docx import Document
    from pypdf import PdfReader

    add_student(cli, data_env)
    three_dates(cli, data_env)
    d = exported(cli, data_env)
    assert [(c["date"], c["status"], c["goals"][0]["rating"]) for c in d["checkins"]] == [
        ("2026-09-15", "finished", 2), ("2026-10-20", "finished", 4), ("2026-11-24", "finished", 4)]
    assert [c["goals"][1]["goal"] for c in d["checkins"]] == [GOAL_2, GOAL_2, "Maya will read 30 minutes a day"]
    # md, pdf and docx through review.exports.export, what `export --format` and the review app's downloads call
    # (in this process: three more commands would take seconds)
    from assistant.review.exports import export
    from assistant.store import Store

    st = Store(data_env["IEP_ASSISTANT_DATA"])
    student = st.roster.find("Maya Ortiz")
    md, pdf, docx = (export(st, student, fmt) for fmt in ("md", "pdf", "docx"))
    st.close()
    md = md.decode()
    section = md[md.index("## Check-ins"):md.index("## Transcript")]
    assert section.index(f"### Goal: {GOAL_1}") < section.index(f"### Goal: {GOAL_2}") < section.index(
        "### Goal: Maya will read 30 minutes a day")
    lines = [line for line in section.splitlines() if line.startswith("- 2026")]
    assert lines[:3] == ["- 2026-09-15: 2 out of 5 (“two”); what helped: “my friend”; what got in the way: “the noise”",
                         "- 2026-10-20: 4 out of 5; what helped: “a checklist”; what got in the way: “sports”",
                         "- 2026-11-24: 4 out of 5 (“about four”); what helped: “outlines”; what got in the way: “tired”"]
    assert "- extended time, 2026-10-20: used: no; helped: (not asked); “no”" in section
    for fmt, body in (("pdf", pdf), ("docx", docx)):
        if fmt == "pdf":
            reader = PdfReader(io.BytesIO(body))
            text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
            images = [i for p in reader.pages for i in p.images]
        else:
            doc = Document(io.BytesIO(body))
            text = " ".join(p.text for p in doc.paragraphs)
            text += " ".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
            images = [s for s in doc.inline_shapes]
            assert "by check-in date: 2026-09-15: 2; 2026-10-20: 4; 2026-11-24: 4" in images[0]._inline.docPr.get("descr")
        assert len(images) == 3, fmt  # one chart per goal (goal 2 reworded: two)
        assert "Check-ins" in text and "Goal: Maya will read 30 minutes a day" in text and "my friend" in text, fmt


@pytest.mark.slow  # a real server and a real Chromium
def test_checkins_page_in_a_browser(cli, data_env, browser):
    from selenium.webdriver.common.by import By

    from assistant.review import auth
    from assistant.store import Store
    from tests.axe import describe, violations
    from tests.test_review_a11y import NARROW, SIDEWAYS, _narrow, _sign_in, names_problems
    from tests.webapp import PASSWORD, Review

    sid = add_student(cli, data_env)
    none = add_student(cli, data_env, name="Ana Ruiz", goals=())
    three_dates(cli, data_env)
    st = Store(data_env["IEP_ASSISTANT_DATA"])
    auth.add_teacher(st, "Ms Lee", PASSWORD)
    st.close()
    app = Review(data_env)
    b = browser
    try:
        _sign_in(b, app.base)
        b.get(f"{app.base}/students/{sid}/checkins")
        assert b.find_element(By.TAG_NAME, "h1").text == "Check-ins: Maya Ortiz"
        goals = b.find_elements(By.CSS_SELECTOR, "section.goal")
        assert [g.find_element(By.TAG_NAME, "h3").text for g in goals] == [
            f"Goal: {GOAL_1}", f"Goal: {GOAL_2}", "Goal: Maya will read 30 minutes a day"]
        first = goals[0]
        svg = first.find_element(By.TAG_NAME, "svg")
        assert len(svg.find_elements(By.CSS_SELECTOR, "circle.point")) == 3  # one point per date
        assert [t.text for t in svg.find_elements(By.CSS_SELECTOR, "text.value")] == ["2", "4", "4"]
        labels = [t.text for t in svg.find_elements(By.TAG_NAME, "text")]
        assert {"1", "2", "3", "4", "5", "2026-09-15", "2026-10-20", "2026-11-24"} <= set(labels)  # the axes
        assert svg.accessible_name  # named by its title
        rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                for tr in first.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert rows == [["2026-09-15", "2 out of 5 (“two”)", "“my friend”", "“the noise”"],
                        ["2026-10-20", "4 out of 5", "“a checklist”", "“sports”"],
                        ["2026-11-24", "4 out of 5 (“about four”)", "“outlines”", "“tired”"]]
        # goal 2 in its first wording: no rating on 2026-09-15 (a hollow mark on the axis), 5 on 2026-10-20
        second = goals[1].find_element(By.TAG_NAME, "svg")
        assert [t.text for t in second.find_elements(By.CSS_SELECTOR, "text.value")] == ["5"]
        assert len(second.find_elements(By.CSS_SELECTOR, "circle.unrated")) == 1
        accommodation = b.find_element(By.ID, "acc-1").text
        assert accommodation == "extended time"
        problems = names_problems(b)
        assert not problems, problems
        found = violations(b)
        assert not found, describe(found)
        _narrow(b, True)
        b.get(f"{app.base}/students/{sid}/checkins")
        wide, viewport, window = b.execute_script(SIDEWAYS)
        assert window == NARROW and wide <= viewport, (wide, viewport)
        found = violations(b)
        assert not found, describe(found)
        _narrow(b, False)
        b.get(f"{app.base}/students/{none}/checkins")
        assert "No check-ins yet: iep-assistant checkin --student" in b.find_element(By.TAG_NAME, "main").text
        found = violations(b)
        assert not found, describe(found)
        b.get(f"{app.base}/log")
        assert re.search(r"check-ins of Maya Ortiz", b.find_element(By.TAG_NAME, "main").text)
    finally:
        app.stop()


def test_the_chart_png_is_a_picture_of_the_ratings():
    """The PNG is drawn where the ratings are: dark pixels at each point's place, none at a rating no one gave."""
    from PIL import Image

    from assistant.draft import Checkin, CheckinGoal
    from assistant.review import chart

    done = [Checkin(id=n, date=f"2026-0{n}-01", status="finished", goals=[CheckinGoal(goal="g", rating=r)])
            for n, r in ((1, 2), (2, 5), (3, 1))]
    [c] = chart.by_goal(done)
    img = Image.open(io.BytesIO(chart.png(c))).convert("L")
    g = chart.geometry(c)
    assert [r for _, _, r in g.points] == [2, 5, 1]
    for x, y, _ in g.points:
        assert img.getpixel((int(x * 2), int(y * 2))) < 60
    x = g.points[0][0]
    assert img.getpixel((int(x * 2), int(chart._y(4) * 2) + 3)) > 200  # no point at 4 on the first date


@pytest.mark.slow  # a whole typed session first (~5 s)
def test_goals_drafted_in_a_typed_session_are_checked_in_on(cli, data_env):
    """The whole way: a grade 7 student drafts a goal in a typed session (`session --text`), then checks in on it."""
    from tests.session_driver import TypedSession
    from tests.test_session_text import reply_for

    r = cli("student", "add", "Noor Haddad", "--grade", 7, "--accommodation", "extra time on tests", env=data_env)
    assert r.returncode == 0, r.stderr
    script = [("Is that right?", "yes"), ("Any other", "no"), ("Anything else", "no"), ("Is anything else", "no"),
              ("What are your strengths", "math"), ("What are you interested in", "space"),
              ("What is hard for you", "taking notes"), ("How do you learn best", "pictures"),
              ("Does it help you", "yes"), ("support you do not have now", "skip"),
              ("What is a goal you want", "I want to turn in my homework on time"),
              ("How will you and your teachers know", "four out of five assignments"), ("By when", "by June"),
              ("What help do you need", "a weekly check-in"), ("make another goal", "no"),
              ("What else do you want your IEP team", "skip")]
    s = TypedSession(data_env, "--student", "Noor Haddad")
    for _ in range(60):
        try:
            shown = s.read_prompt()
        except EOFError:
            break
        s.answer(reply_for(shown, script))
    code, _, err = s.finish()
    assert code == 0 and "finished" in err, err
    r = checkin(cli, data_env, ["five", "my planner", "yes", "soccer practice", "yes", "yes", "yes"], name="Noor Haddad")
    assert r.returncode == 0, r.stderr
    assert "Your goal: I want to turn in my homework on time. How is it going" in " ".join(r.stdout.split())
    [c] = exported(cli, data_env, name="Noor Haddad")["checkins"]
    assert c["status"] == "finished"
    assert c["goals"] == [{"goal": "I want to turn in my homework on time", "rating": 5, "said": "five",
                           "helped": "my planner", "in_the_way": "soccer practice"}]
    assert c["accommodations"] == [{"accommodation": "extra time on tests", "used": "yes", "helped": "yes",
                                    "said": "yes / yes"}]


# ---------------------------------------------------------------- in Spanish

GOAL_ES_1 = "Quiero leer un libro cada semana"
GOAL_ES_2 = "Voy a terminar mi tarea a tiempo"


def add_spanish_student(cli, env):
    """Ana, in Spanish (grades 3-5), with a draft of two goals in her words."""
    return add_student(cli, env, name="Ana López", grade=4, goals=(GOAL_ES_1, GOAL_ES_2),
                       accommodations=("tiempo extra",), language="es")


def test_ratings_said_as_words_in_spanish():
    for said, rating in [("tres", 3), ("un tres", 3), ("como cuatro", 4), ("cuatro de cinco", 4), ("Cinco.", 5),
                         ("uno", 1), ("yo diría que un dos", 2), ("3 de 5", 3), ("más o menos un tres", 3)]:
        assert rating_of(said, "es") == rating, said
    for said in ["tres o cuatro", "diez", "seis", "me costó mucho", "más o menos", "0"]:
        assert rating_of(said, "es") is None, said
    assert rating_of("tres") is None and rating_of("three", "es") is None  # each language its own numbers


@pytest.mark.slow  # two commands (~5 s)
def test_a_spanish_typed_checkin_in_spanish_stored_as_said_and_stopped_with_para(cli, data_env):
    add_spanish_student(cli, data_env)
    r = checkin(cli, data_env, ["como cuatro", "mi maestra me ayudó con las palabras", "sí",
                                "el ruido", "no", "el ruido en la clase", "sí",
                                "un tres", "mis amigos", "para"], name="Ana López")
    assert r.returncode == 0, r.stderr
    shown = " ".join(r.stdout.split())
    assert shown.startswith("Hola, Ana. Vamos a ver cómo vas con tus metas."), shown[:200]
    assert f"Tu meta: {GOAL_ES_1}. ¿Cómo te va, del 1 al 5?" in shown
    assert "Muy bien, 4 de 5." in shown and "Muy bien, 3 de 5." in shown
    assert "¿Qué te ayudó?" in shown and "¿Qué te lo hizo más difícil?" in shown
    assert "Escuché: mi maestra me ayudó con las palabras. ¿Es correcto?" in shown
    assert "Muy bien, intentémoslo otra vez. ¿Qué te lo hizo más difícil?" in shown
    assert "Todo lo que dijiste está guardado." in shown
    assert not re.search(r"\b(Your goal|Okay|I heard|What helped)\b", shown), shown
    [c] = exported(cli, data_env, name="Ana López")["checkins"]
    assert c["status"] == "started"
    assert c["goals"] == [
        {"goal": GOAL_ES_1, "rating": 4, "said": "como cuatro", "helped": "mi maestra me ayudó con las palabras",
         "in_the_way": "el ruido en la clase"},
        # stopped at "Escuché: mis amigos. ¿Es correcto?": kept, as said
        {"goal": GOAL_ES_2, "rating": 3, "said": "un tres", "helped": "mis amigos", "in_the_way": None},
    ]
    # a whole one: "no sé", an accommodation used that helped ("Sí, me ayudó mucho")
    r = checkin(cli, data_env, ["cuatro de cinco", "no sé", "nada", "sí",
                                "tres", "leer en voz alta", "sí", "la tele", "sí",
                                "sí", "Sí, me ayudó mucho"], name="Ana López")
    assert r.returncode == 0, r.stderr
    shown = " ".join(r.stdout.split())
    assert "¿Usaste tiempo extra?" in shown and "¿Te ayudó?" in shown and "Gracias, Ana." in shown, shown[-600:]
    c = exported(cli, data_env, name="Ana López")["checkins"][-1]
    assert c["status"] == "finished"
    assert [g["rating"] for g in c["goals"]] == [4, 3] and c["goals"][0]["helped"] == "no sé"
    assert c["goals"][0]["in_the_way"] == "nada" and c["goals"][1]["in_the_way"] == "la tele"
    assert c["accommodations"] == [{"accommodation": "tiempo extra", "used": "yes", "helped": "yes",
                                    "said": "sí / Sí, me ayudó mucho"}]
