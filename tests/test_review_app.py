"""The review app in-process, through Flask's test client: signing in and out,
CSRF, the draft editor (items and goals added, reworded, moved, removed),
approving, versions, deleting and the transcript review. Each test checks what
was stored (the draft's items and their order, the version, the access-log
line) and the status, in well under a second; the browser and HTTP tests
(test_review, test_security) prove the same app behind a real server."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assistant.draft import build_draft
from assistant.locks import session_lock
from assistant.recordings import StudentFiles
from assistant.review import auth
from assistant.review.app import create_app
from assistant.store import Store

PASSWORD = "correct horse battery staple"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A data folder with a teacher (Ms Lee) and a student (Eli) whose finished
    session gave draft version 1: strengths soccer, drawing, math; one goal; one
    helpful accommodation; one recording."""
    # scrypt as cheap as it gets: the parameters are what auth checks, not what these tests are about
    monkeypatch.setitem(auth.SCRYPT, "n", 2**4)
    monkeypatch.setattr(auth, "_DUMMY", None)
    st = Store(tmp_path / "data")
    auth.add_teacher(st, "Ms Lee", PASSWORD)
    eli = st.roster.add("Eli", 4, accommodations=["extended time"])
    session = st.transcripts.start(eli.id, "en-3-5")
    recording = StudentFiles(st.dir, eli.id).save_recording(np.zeros(1600, dtype=np.int16))
    for step, field, text, extra, audio in [("s", "strengths", "soccer, drawing and math", {}, recording),
                                            ("g", "goals.statement", "I want to read faster", {"goal_number": 1}, None),
                                            ("a", "accommodations", "yes it helps", {"accommodation": "extended time"}, None)]:
        aid = st.transcripts.add_answer(session.id, step, field, "a question", "answer", text, audio_path=audio, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
    draft = build_draft(eli, st.transcripts.answers(session.id))
    st.finish_session(session.id, eli.id, draft.model_dump(mode="json"))
    st.eli = eli
    yield st
    st.close()


class Browser:
    """The test client with what a browser keeps: cookies, and the page's CSRF token."""

    def __init__(self, store: Store):
        self.app = create_app(store.dir)
        self.client = self.app.test_client()
        self.store = store
        self.csrf = ""

    def close(self) -> None:
        self.app.extensions["iep_stores"].close()

    def sign_in(self, name: str = "Ms Lee", password: str = PASSWORD):
        """Load the sign-in page and send its form; once signed in, go to the students
        page (as the redirect says) for the sign-in's CSRF token."""
        page = self.client.get("/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = self.client.post("/signin", data={"csrf": token, "name": name, "password": password})
        if r.status_code == 303:
            self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/").text).group(1)
        return r

    def post(self, url: str, **form):
        return self.client.post(url, data={"csrf": self.csrf, **form})

    def edit(self, **form):
        return self.post(f"/students/{self.store.eli.id}/draft", **form)

    # what was stored
    def draft(self) -> dict:
        return self.store.draft_versions.latest(self.store.eli.id)

    def texts(self, section: str = "strengths") -> list[str]:
        body = self.draft()["body"]
        for key in section.split("."):
            body = body[key]
        return [i["edited"] or i["text"] for i in body]

    def log(self, n: int = 1) -> list[tuple[str, str, str]]:
        """The latest ``n`` access-log lines, oldest first."""
        return [(r["teacher"], r["action"], r["target"]) for r in self.store.audit.recent(n)][::-1]


@pytest.fixture
def browser(store):
    b = Browser(store)
    yield b
    b.close()


@pytest.fixture
def teacher(browser):
    assert browser.sign_in().status_code == 303
    return browser


# ---------------------------------------------------------------- sign-in, sign-out, CSRF

def test_every_page_needs_a_sign_in(browser):
    for url in ("/", f"/students/{browser.store.eli.id}/draft", "/log", "/settings"):
        r = browser.client.get(url)
        assert r.status_code == 303 and r.headers["Location"] == "/signin", url
    r = browser.client.post(f"/students/{browser.store.eli.id}/draft", data={"op": "add", "section": "strengths", "text": "x"})
    assert r.status_code == 401 and "Sign in" in r.text
    assert browser.texts() == ["soccer", "drawing", "math"]
    assert browser.client.get("/favicon.ico").status_code == 404  # not a page: never a sign-in form


def test_signing_in_and_out(browser):
    r = browser.sign_in(password="wrong password")
    assert r.status_code == 401 and "Wrong name or password" in r.text
    assert browser.log() == [("(not signed in)", "sign-in failed", "review app, as 'Ms Lee' (from 127.0.0.1)")]
    r = browser.sign_in(name="  ms LEE ")  # one account however the name is written
    assert r.status_code == 303 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("iep_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert browser.log(2) == [("Ms Lee", "sign-in", "review app (from 127.0.0.1)"),
                              ("Ms Lee", "view", "student list")]  # where the browser went next
    assert browser.client.get("/").status_code == 200
    assert browser.client.post("/signout", data={"csrf": "guess"}).status_code == 403  # a forged sign-out does nothing
    assert browser.client.get("/").status_code == 200
    old = browser.client.get_cookie("iep_session").value
    r = browser.post("/signout")
    assert r.status_code == 303 and r.headers["Location"] == "/signin"
    assert browser.client.get_cookie("iep_session") is None
    assert browser.log() == [("Ms Lee", "sign-out", "review app")]
    browser.client.set_cookie("iep_session", old)  # a copy of the cookie kept: the sign-in has ended on the server too
    assert browser.client.get("/").status_code == 303


def test_a_sign_in_form_is_good_once_and_only_from_this_server(browser):
    page = browser.client.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    form = {"csrf": token, "name": "Ms Lee", "password": "wrong password"}
    assert browser.client.post("/signin", data=form).status_code == 401
    assert browser.client.post("/signin", data=dict(form, password=PASSWORD)).status_code == 403  # sent again
    other = Browser(browser.store)  # another server: its forms are not this one's
    try:
        page = other.client.get("/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        browser.client.set_cookie("iep_signin", other.client.get_cookie("iep_signin", path="/signin").value, path="/signin")
        assert browser.client.post("/signin", data={"csrf": token, "name": "Ms Lee", "password": PASSWORD}).status_code == 403
    finally:
        other.close()


def test_two_sign_in_pages_loaded_at_once_both_work(browser):
    """Two tabs, or the page loaded again, in the same second: each form is its own."""
    tokens = [re.search(r'name="csrf" value="([^"]+)"', browser.client.get("/signin").text).group(1) for _ in range(2)]
    assert tokens[0] != tokens[1]
    assert browser.client.post("/signin", data={"csrf": tokens[0], "name": "Ms Lee", "password": "wrong password"}).status_code == 401
    assert browser.client.post("/signin", data={"csrf": tokens[1], "name": "Ms Lee", "password": PASSWORD}).status_code == 303
    for changed in (tokens[0] + ".x", tokens[0].replace(".", "..", 1), "." + tokens[0]):  # a used form made to look new
        assert browser.client.post("/signin", data={"csrf": changed, "name": "Ms Lee", "password": PASSWORD}).status_code == 403


def test_after_three_wrong_passwords_even_the_right_one_waits_and_the_log_says_so_once(browser):
    for _ in range(3):
        assert browser.sign_in(password="wrong password").status_code == 401
    for _ in range(3):
        r = browser.sign_in()
        assert r.status_code == 429 and "Wait" in r.text
    refused = [line for line in browser.log(10) if line[1] == "sign-in refused"]
    assert refused == [("(not signed in)", "sign-in refused", "review app, as 'Ms Lee' (from 127.0.0.1): too many wrong passwords")]


def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(teacher):
    for csrf in ("", "guess"):
        r = teacher.client.post(f"/students/{teacher.store.eli.id}/draft",
                                data={"csrf": csrf, "op": "add", "section": "strengths", "text": "forged"})
        assert r.status_code == 403
    assert teacher.draft()["version"] == 1 and teacher.texts() == ["soccer", "drawing", "math"]


def test_only_loopback_names_are_answered(browser):
    assert browser.client.get("/signin", headers={"Host": "evil.example"}).status_code == 421
    assert browser.client.get("/signin", headers={"Host": "localhost:8765"}).status_code == 200


# ---------------------------------------------------------------- the draft editor: items

def test_items_are_added_reworded_moved_and_removed(teacher):
    eli = teacher.store.eli
    assert teacher.edit(op="add", section="strengths", text="kind to classmates", label="social").status_code == 303
    assert teacher.texts() == ["soccer", "drawing", "math", "kind to classmates"]
    added = teacher.draft()["body"]["strengths"][3]
    assert added["added_by"] == "Ms Lee" and added["label"] == "social" and added["source"] is None
    assert teacher.log() == [("Ms Lee", "edit", f"draft of {eli.label}: add (version 2)")]

    assert teacher.edit(op="edit", section="strengths", index="0", text="plays soccer well", label="").status_code == 303
    first = teacher.draft()["body"]["strengths"][0]
    assert first["text"] == "soccer" and first["edited"] == "plays soccer well"  # the student's words stay
    assert teacher.edit(op="edit", section="strengths", index="0", text="soccer").status_code == 303
    assert teacher.draft()["body"]["strengths"][0]["edited"] is None  # back to the student's words

    assert teacher.edit(op="down", section="strengths", index="0").status_code == 303
    assert teacher.texts() == ["drawing", "soccer", "math", "kind to classmates"]
    assert teacher.edit(op="up", section="strengths", index="3").status_code == 303
    assert teacher.texts() == ["drawing", "soccer", "kind to classmates", "math"]
    assert teacher.edit(op="up", section="strengths", index="0").status_code == 303  # the first stays first
    assert teacher.edit(op="down", section="strengths", index="3").status_code == 303  # the last stays last
    assert teacher.texts() == ["drawing", "soccer", "kind to classmates", "math"]

    assert teacher.edit(op="remove", section="strengths", index="1").status_code == 303
    assert teacher.texts() == ["drawing", "kind to classmates", "math"]
    assert teacher.draft()["version"] == 9 and teacher.draft()["author"] == "Ms Lee"
    assert teacher.log() == [("Ms Lee", "edit", f"draft of {eli.label}: remove (version 9)")]
    page = teacher.client.get(f"/students/{eli.id}/draft").text
    assert page.index("drawing") < page.index("kind to classmates") < page.index("math") and "Added by Ms Lee" in page


def test_an_item_added_to_accommodations_is_an_accommodation(teacher):
    assert teacher.edit(op="add", section="accommodations.wanted", text="a quiet room").status_code == 303
    wanted = teacher.draft()["body"]["accommodations"]["wanted"]
    assert [i["text"] for i in wanted] == ["a quiet room"] and "accommodation" in wanted[0]
    assert teacher.texts("accommodations.helpful") == ["yes it helps"]


@pytest.mark.parametrize("form", [
    {"op": "edit", "section": "strengths", "index": "3", "text": "x"},  # one past the last
    {"op": "remove", "section": "strengths", "index": "-1"},
    {"op": "up", "section": "strengths"},  # no index
    {"op": "add", "section": "strengths", "text": "  "},
    {"op": "add", "section": "nope", "text": "x"},
    {"op": "wat", "section": "strengths", "index": "0"},
    {"op": "edit", "section": "strengths", "index": "abc", "text": "x"},
    {"op": "add", "section": "strengths", "text": "x" * 4001},
])
def test_a_change_that_makes_no_sense_is_refused_and_stores_nothing(teacher, form):
    r = teacher.edit(**form)
    assert r.status_code == 400, r.text
    assert teacher.draft()["version"] == 1 and teacher.texts() == ["soccer", "drawing", "math"]


# ---------------------------------------------------------------- the draft editor: goals

def test_goals_are_edited_by_part_added_and_removed(teacher):
    goal = {"area": "reading", "statement": "Read a chapter book in two weeks", "measure": "", "timeframe": "", "support": ""}
    assert teacher.edit(op="goal", index="0", **goal).status_code == 303
    g0 = teacher.draft()["body"]["goals"][0]
    assert g0["area"] == "reading"
    assert g0["statement"]["text"] == "I want to read faster" and g0["statement"]["edited"] == "Read a chapter book in two weeks"
    assert g0["measure"] is None  # an empty part stays empty

    new = {"area": "", "statement": "Write a paragraph a day", "measure": "5 of 5 days", "timeframe": "", "support": ""}
    assert teacher.edit(op="goal", index="1", **new).status_code == 303  # one past the last: a new goal
    goals = teacher.draft()["body"]["goals"]
    assert len(goals) == 2 and goals[1]["area"] is None
    assert goals[1]["statement"] == {"text": "Write a paragraph a day", "label": None, "source": None, "edited": None,
                                     "added_by": "Ms Lee"}
    assert goals[1]["measure"]["text"] == "5 of 5 days" and goals[1]["timeframe"] is None

    assert teacher.edit(op="goal", index="3", **new).status_code == 400  # not the next one
    assert teacher.edit(op="remove_goal", index="2").status_code == 400
    assert teacher.edit(op="remove_goal", index="0").status_code == 303
    goals = teacher.draft()["body"]["goals"]
    assert [g["statement"]["text"] for g in goals] == ["Write a paragraph a day"]
    assert teacher.log() == [("Ms Lee", "edit", f"draft of {teacher.store.eli.label}: remove_goal (version 4)")]


# ---------------------------------------------------------------- approving, versions

def test_approving_stores_a_version_and_deletes_the_recordings(teacher):
    eli = teacher.store.eli
    recordings = StudentFiles(teacher.store.dir, eli.id).recordings
    assert len(list(recordings.glob("*.wav"))) == 1
    teacher.edit(op="add", section="interests", text="chess")
    r = teacher.post(f"/students/{eli.id}/approve")
    assert r.status_code == 303 and r.headers["Location"] == f"/students/{eli.id}"
    approved = teacher.draft()
    assert approved["version"] == 3 and approved["status"] == "approved" and approved["author"] == "Ms Lee"
    assert teacher.texts("interests") == ["chess"]
    assert not recordings.exists()
    session = teacher.store.transcripts.latest(eli.id)
    assert all(a.audio_path is None for a in teacher.store.transcripts.answers(session.id))
    assert teacher.log() == [("Ms Lee", "approve", f"draft of {eli.label} (version 3; 1 recordings deleted)")]
    assert "approved" in teacher.client.get(f"/students/{eli.id}").text


def test_recordings_stay_when_the_setting_says_so(teacher):
    eli = teacher.store.eli
    assert teacher.post("/settings", keep_audio="yes").status_code == 200
    assert teacher.log() == [("Ms Lee", "edit", "setting keep_audio=yes")]
    assert teacher.post(f"/students/{eli.id}/approve").status_code == 303
    assert len(list(StudentFiles(teacher.store.dir, eli.id).recordings.glob("*.wav"))) == 1
    assert teacher.log() == [("Ms Lee", "approve", f"draft of {eli.label} (version 2; 0 recordings deleted)")]


def test_approving_waits_while_the_students_session_runs(teacher):
    eli = teacher.store.eli
    with session_lock(teacher.store.dir, eli.id, eli.label):
        r = teacher.post(f"/students/{eli.id}/approve")
    assert r.status_code == 409 and "in a session right now" in r.text
    assert teacher.draft()["status"] == "ready_for_review"
    assert len(list(StudentFiles(teacher.store.dir, eli.id).recordings.glob("*.wav"))) == 1


def test_earlier_versions_stay_viewable(teacher):
    eli = teacher.store.eli
    teacher.edit(op="remove", section="strengths", index="0")
    teacher.edit(op="edit", section="strengths", index="0", text="draws comics")
    assert teacher.texts() == ["draws comics", "math"]
    first = teacher.client.get(f"/students/{eli.id}/versions/1")
    assert first.status_code == 200 and "soccer" in first.text and "draws comics" not in first.text
    third = teacher.client.get(f"/students/{eli.id}/versions/3").text
    assert "draws comics" in third and "student said: “drawing”" in third and "soccer" not in third
    assert teacher.log() == [("Ms Lee", "view", f"draft version 3 of {eli.label}")]
    assert teacher.client.get(f"/students/{eli.id}/versions/4").status_code == 404
    page = teacher.client.get(f"/students/{eli.id}").text
    assert all(f"/students/{eli.id}/versions/{n}" in page for n in (1, 2, 3))


# ---------------------------------------------------------------- transcript, students

def test_a_teachers_review_of_an_answer_is_stored_beside_it(teacher):
    session = teacher.store.transcripts.latest(teacher.store.eli.id)
    first, second = teacher.store.transcripts.answers(session.id)[:2]
    r = teacher.post(f"/answers/{first.id}/review", action="corrected", correction="soccer, drawing and maths")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/transcript#answer-{first.id}")
    assert teacher.post(f"/answers/{second.id}/review", action="ask_again").status_code == 303
    assert teacher.post(f"/answers/{second.id}/review", action="drop table").status_code == 400
    reviews = teacher.store.transcripts.reviews(session.id)
    assert (reviews[first.id]["status"], reviews[first.id]["correction"]) == ("corrected", "soccer, drawing and maths")
    assert (reviews[second.id]["status"], reviews[second.id]["teacher"]) == ("ask_again", "Ms Lee")
    assert teacher.store.transcripts.answer(first.id).text == "soccer, drawing and math"  # the student's words stay
    assert teacher.log() == [("Ms Lee", "edit", f"answer {second.id} of student #{teacher.store.eli.id}: ask_again")]


def test_deleting_a_student_needs_the_name_typed(teacher):
    eli = teacher.store.eli
    r = teacher.post(f"/students/{eli.id}/delete", confirm="Ely")
    assert r.status_code == 400 and "Not deleted" in r.text
    assert teacher.log() == [("Ms Lee", "delete refused", f"{eli.label}: the name typed did not match")]
    r = teacher.post(f"/students/{eli.id}/delete", confirm=" eli ")
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert not teacher.store.roster.exists(eli.id) and teacher.store.draft_versions.latest(eli.id) is None
    assert not StudentFiles(teacher.store.dir, eli.id).recordings.exists()
    assert teacher.log() == [("Ms Lee", "delete", f"all data of {eli.label}")]
    assert teacher.client.get(f"/students/{eli.id}/draft").status_code == 404
