"""The repositories on a Store in a temporary folder: what each stores and gives
back, and the writes that must be whole (a finished session and its draft, a
student removed, a new password and the sign-ins it ends)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from assistant.errors import UserError
from assistant.migrations import SCHEMA_VERSION
from assistant.store import Store
from assistant.words import Word


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path / "data")
    yield st
    st.close()


def sql(store, query: str, args=()) -> list[tuple]:
    """Look at (or set up) the database as it is on disk, past the repositories."""
    db = sqlite3.connect(store.path, isolation_level=None)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def session_with(store, student_id: int, *answers: tuple[str, str]) -> int:
    """A session with these (step, text) answers, each confirmed."""
    session = store.transcripts.start(student_id, "en-3-5")
    for step, text in answers:
        aid = store.transcripts.add_answer(session.id, step, "strengths", "a question", "answer", text)
        store.transcripts.commit_answer(aid, step + "-next", supersede_step=step)
    return session.id


# ---------------------------------------------------------------- the connection

def test_a_new_database_has_the_whole_schema_and_no_problems(store):
    assert store.db.user_version() == SCHEMA_VERSION
    assert store.db.integrity_problems() == []
    assert store.db.has_table("students") and not store.db.has_table("signin_forms")


def test_a_transaction_inside_another_is_undone_alone_or_with_it(store):
    with store.transaction():
        store.settings.set("a", "1")
        with pytest.raises(RuntimeError), store.transaction():
            store.settings.set("b", "1")
            raise RuntimeError
        store.settings.set("c", "1")
    assert [store.settings.get(k, "-") for k in "abc"] == ["1", "-", "1"]
    with pytest.raises(RuntimeError), store.transaction():
        store.settings.set("d", "1")
        with store.transaction():
            store.settings.set("e", "1")
        raise RuntimeError
    assert [store.settings.get(k, "-") for k in "de"] == ["-", "-"]
    assert not store.db.conn.in_transaction


# ---------------------------------------------------------------- students

def test_students_are_added_checked_and_found(store):
    maya = store.roster.add("  Maya\u00a0 Ortiz ", 10, accommodations=["extended time", " ", "read\naloud"], past_goals=["x" * 600])
    assert (maya.name, maya.grade, maya.accommodations) == ("Maya Ortiz", 10, ["extended time", "read aloud"])
    assert len(maya.past_goals[0]) == 500
    other = store.roster.add("maya ortiz", 4)
    for bad in (("", 3), ("A#1", 3), ("x" * 101, 3), ("Leo", 13), ("Leo", -1)):
        with pytest.raises(UserError):
            store.roster.add(*bad)
    assert store.roster.count() == 2 and [s.id for s in store.roster.all()] == [maya.id, other.id]
    assert store.roster.find(f"#{other.id}") == other and store.roster.find(f"MAYA ORTIZ#{maya.id}") == maya
    with pytest.raises(UserError, match="2 students are named"):
        store.roster.find("Maya Ortiz")
    with pytest.raises(UserError, match="not Leo"):
        store.roster.find(f"Leo#{maya.id}")
    with pytest.raises(UserError, match="not a valid student number"):
        store.roster.find("#99999999999999999999")
    assert not store.roster.exists(2**63) and not store.roster.exists(0)
    store.roster.set_voice(maya.id, rate=120)
    store.roster.set_voice(maya.id, voice="en-us")
    assert (store.roster.get(maya.id).rate, store.roster.get(maya.id).voice) == (120, "en-us")


def test_removing_a_student_removes_all_their_rows_and_only_theirs(store):
    eli, ana = store.roster.add("Eli", 4), store.roster.add("Ana", 5)
    eli_session = session_with(store, eli.id, ("s", "soccer"))
    ana_session = session_with(store, ana.id, ("s", "maps"))
    for sid, session in ((eli.id, eli_session), (ana.id, ana_session)):
        store.draft_versions.add(sid, session, {"n": sid}, "in_review")
        store.transcripts.review(store.transcripts.answers(session)[0].id, "accepted", "Ms Lee")
    store.remove_student(eli.id)
    assert not store.roster.exists(eli.id) and store.transcripts.of_student(eli.id) == []
    assert store.transcripts.answers(eli_session) == [] and store.draft_versions.of_student(eli.id) == []
    assert sql(store, "SELECT COUNT(*) FROM reviews") == [(1,)]
    assert [a.text for a in store.transcripts.answers(ana_session)] == ["maps"]
    assert store.draft_versions.latest(ana.id)["body"] == {"n": ana.id}
    assert store.roster.add("Eli", 4).id > eli.id  # ids are never given again


# ---------------------------------------------------------------- sessions, answers, reviews

def test_confirming_an_answer_supersedes_what_it_replaces_and_moves_the_session_on(store):
    eli = store.roster.add("Eli", 4)
    session = store.transcripts.start(eli.id, "en-3-5")
    first = store.transcripts.add_answer(session.id, "s", "strengths", "q", "answer", "socer\x00")
    second = store.transcripts.add_answer(session.id, "s", "strengths", "q", "answer", "soccer", words=[Word(word="soccer", start=0.1, end=0.6, confidence=0.9)])
    store.transcripts.commit_answer(second, "t", supersede_step="s")
    answers = store.transcripts.answers(session.id)
    assert [(a.text, a.confirmed, a.superseded) for a in answers] == [("socer\ufffd", False, True), ("soccer", True, False)]
    assert answers[1].words == [Word(word="soccer", start=0.1, end=0.6, confidence=0.9)] and store.transcripts.session(session.id).position == "t"
    third = store.transcripts.add_answer(session.id, "t", "strengths", "q", "answer", "math")
    store.transcripts.commit_answer(third, "u", supersede_ids=[first, second])
    assert [a.superseded for a in store.transcripts.answers(session.id)] == [True, True, False]
    store.transcripts.set_position(session.id, "u", "paused")
    assert store.transcripts.latest(eli.id, unfinished=True).status == "paused"
    assert store.transcripts.answer(2**63) is None and store.transcripts.answer(third).text == "math"


def test_answers_marked_ask_again_are_asked_once(store):
    eli = store.roster.add("Eli", 4)
    first = session_with(store, eli.id, ("s", "soccer"), ("i", "maps"))
    soccer, maps = store.transcripts.answers(first)
    store.transcripts.review(soccer.id, "ask_again", "Ms Lee")
    store.transcripts.review(maps.id, "accepted", "Ms Lee")
    store.transcripts.review(maps.id, "ask_again", "Mr Kim")  # a second review replaces the first
    assert store.transcripts.reviews(first)[maps.id]["teacher"] == "Mr Kim"
    second = store.transcripts.start(eli.id, "en-3-5")
    assert [a.id for a in store.transcripts.ask_again(eli.id, second.id)] == [soccer.id, maps.id]
    again = store.transcripts.add_answer(second.id, "s", "strengths", "q", "answer", "football",
                                         extra={"asked_again_for": soccer.id})
    store.transcripts.commit_answer(again, None)
    third = store.transcripts.start(eli.id, "en-3-5")
    assert [a.id for a in store.transcripts.ask_again(eli.id, third.id)] == [maps.id]


def test_forgetting_recordings_clears_only_that_students_paths(store):
    eli, ana = store.roster.add("Eli", 4), store.roster.add("Ana", 5)
    for s in (eli, ana):
        session = store.transcripts.start(s.id, "en-3-5")
        store.transcripts.add_answer(session.id, "s", "strengths", "q", "answer", "x", audio_path=f"audio/student-{s.id}/a.wav")
    store.transcripts.forget_audio(eli.id)
    paths = {s.id: store.transcripts.answers(store.transcripts.latest(s.id).id)[0].audio_path for s in (eli, ana)}
    assert paths == {eli.id: None, ana.id: f"audio/student-{ana.id}/a.wav"}


# ---------------------------------------------------------------- drafts

def test_draft_versions_count_per_student_and_a_finished_session_has_its_draft(store):
    eli, ana = store.roster.add("Eli", 4), store.roster.add("Ana", 5)
    session = session_with(store, eli.id, ("s", "soccer"))
    assert store.finish_session(session, eli.id, {"v": 1}) == 1
    assert store.transcripts.session(session).status == "finished"
    assert store.draft_versions.add(eli.id, session, {"v": 2}, "in_review", "Ms Lee") == 2
    assert store.draft_versions.add(ana.id, None, {"v": 1}, "in_review") == 1
    versions = store.draft_versions.of_student(eli.id)
    assert [(v["version"], v["status"], v["author"]) for v in versions] == [(1, "ready_for_review", None), (2, "in_review", "Ms Lee")]
    assert "body" not in versions[0]
    assert store.draft_versions.get(eli.id, 1)["body"] == {"v": 1} and store.draft_versions.get(eli.id, 3) is None
    assert store.draft_versions.latest(eli.id)["body"] == {"v": 2}


def test_a_session_is_not_finished_without_its_draft(store):
    eli = store.roster.add("Eli", 4)
    session = session_with(store, eli.id, ("s", "soccer"))
    with pytest.raises(TypeError):
        store.finish_session(session, eli.id, {"not json": {1, 2}})  # the draft cannot be written
    assert store.transcripts.session(session).status == "in_progress" and store.draft_versions.latest(eli.id) is None


# ---------------------------------------------------------------- teachers and sign-ins

def test_a_teacher_is_one_account_however_the_name_is_written(store):
    store.teachers.add("Ms  Lee", "hash1")
    with pytest.raises(UserError, match="already exists"):
        store.teachers.add("ms lee\u200b", "hash2")
    lee = store.teachers.get("MS\u00a0LEE")
    assert (lee.name, lee.pw_hash) == ("Ms Lee", "hash1") and lee[0] == lee.id  # still a row for older callers
    sql(store, "INSERT INTO teachers(name, key, pw_hash, created) VALUES ('MS LEE', ?, 'x', 'now')", ("ms lee\x00duplicate-9",))
    assert store.teachers.names() == ["Ms Lee"]  # a duplicate kept aside by migration 2 cannot sign in
    store.teachers.set_password(lee.id, "hash3")
    assert store.teachers.get("ms lee").pw_hash == "hash3"
    store.teachers.remove(lee.id)
    assert store.teachers.get("ms lee") is None


def test_a_new_password_ends_the_sign_ins_made_with_the_old_one(store, monkeypatch):
    from assistant.review import auth

    monkeypatch.setitem(auth.SCRYPT, "n", 2**4)  # cheap hashes: what is stored is the point here
    auth.add_teacher(store, "Ms Lee", "first password")
    auth.add_teacher(store, "Mr Kim", "first password")
    lee, kim = store.teachers.get("Ms Lee"), store.teachers.get("Mr Kim")
    far = time.time() + 3600
    for token, teacher in (("t1", lee), ("t2", lee), ("t3", kim)):
        store.sign_ins.add(token, teacher.id, "csrf", far, 1800)
    store.teachers.set_password(lee.id, lee.pw_hash)  # a hash upgraded at sign-in: nobody is signed out
    assert store.sign_ins.get("t1") is not None
    assert auth.set_password(store, "ms lee", "second password") == "Ms Lee"
    assert [store.sign_ins.get(t) is None for t in ("t1", "t2", "t3")] == [True, True, False]
    assert auth.check_password("second password", store.teachers.get("Ms Lee").pw_hash)
    store.teachers.remove(kim.id)
    assert store.sign_ins.get("t3") is None  # an account removed signs out


def test_sign_ins_are_found_touched_ended_and_forgotten_when_old(store):
    store.teachers.add("Ms Lee", "h")
    lee = store.teachers.get("Ms Lee")
    t = time.time()
    store.sign_ins.add("old", lee.id, "c0", t - 1, 1800)  # expired
    store.sign_ins.add("idle", lee.id, "c1", t + 3600, 1800)
    sql(store, "UPDATE web_sessions SET seen=? WHERE token='idle'", (t - 1900,))
    store.sign_ins.add("new", lee.id, "c2", t + 3600, 1800)  # a sign-in forgets those that ended
    assert [store.sign_ins.get(k) is None for k in ("old", "idle", "new")] == [True, True, False]
    row = store.sign_ins.get("new")
    assert (row["name"], row["csrf"], row["token"]) == ("Ms Lee", "c2", "new")
    sql(store, "UPDATE web_sessions SET seen=0")
    store.sign_ins.touch("new")
    assert store.sign_ins.get("new")["seen"] >= t
    store.sign_ins.end("new")
    assert store.sign_ins.get("new") is None


def test_wrong_passwords_are_counted_and_waited_for(store):
    keys = [("account:ms lee", 3), ("client:1.2.3.4", 10)]
    assert [store.sign_ins.take_attempt(keys, 900, 300) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = store.sign_ins.take_attempt(keys, 900, 300)
    assert 1.5 < wait <= 2  # the fourth try waits; a try made to wait is not counted
    counts = lambda: dict(sql(store, "SELECT key, count FROM throttle"))  # noqa: E731
    assert counts() == {"account:ms lee": 3, "client:1.2.3.4": 3}
    store.sign_ins.forgive_attempt("account:ms lee", "client:1.2.3.4")
    assert counts() == {"client:1.2.3.4": 2}
    sql(store, "UPDATE throttle SET count=5, last=?", (time.time() - 1000,))
    assert store.sign_ins.take_attempt(keys, 900, 300) == 0.0  # tries older than forget_after are forgotten
    assert counts() == {"account:ms lee": 1, "client:1.2.3.4": 1}


def test_a_sign_in_form_is_used_once_and_sign_in_state_can_be_forgotten(store):
    assert store.sign_ins.use_form_token("form", time.time() + 60)
    assert not store.sign_ins.use_form_token("form", time.time() + 60)
    assert store.sign_ins.use_form_token("another", time.time() + 60)
    store.teachers.add("Ms Lee", "h")
    store.sign_ins.add("t", store.teachers.get("Ms Lee").id, "c", time.time() + 60, 1800)
    store.sign_ins.take_attempt([("account:x", 3)], 900, 300)
    store.sign_ins.forget_all()
    assert [sql(store, f"SELECT COUNT(*) FROM {t}") for t in ("web_sessions", "signin_used", "throttle")] == [[(0,)]] * 3
    assert store.teachers.names() == ["Ms Lee"]  # accounts are data, not sign-in state


# ---------------------------------------------------------------- the access log, settings

def test_access_log_lines_are_one_line_and_newest_first(store):
    store.audit.add("Ms\nLee", "view", "student list")
    store.audit.add("x" * 300, "edit", "t\x1b[31m" + "y" * 600, at="2026-01-01T00:00:00")
    lines = store.audit.recent()
    assert [(r["teacher"][:6], r["action"]) for r in lines] == [("xxxxxx", "edit"), ("Ms Lee", "view")]
    assert len(lines[0]["teacher"]) == 200 and len(lines[0]["target"]) == 500 and "\x1b" not in lines[0]["target"]
    assert lines[0]["at"] == "2026-01-01T00:00:00"
    assert [r["action"] for r in store.audit.recent(1)] == ["edit"]


def test_settings(store):
    assert store.settings.get("keep_audio", "no") == "no" and not store.settings.keep_audio
    store.settings.set("keep_audio", "yes")
    assert store.settings.keep_audio
    store.settings.set("keep_audio", "no")
    assert store.settings.get("keep_audio", "yes") == "no"
