"""The family summary: one page (counted in the PDF), in plain words, with the
student's words quoted as they said them, their role, goals and check-ins; from
`export --format family-pdf|family-docx` and the review app's
/students/<id>/family.pdf and .docx (signed in, in the access log)."""

from __future__ import annotations

import io
import re

import docx
import pytest
from pypdf import PdfReader

from assistant.draft import build_draft
from assistant.review import auth
from assistant.review.app import create_app
from assistant.store import Store

PASSWORD = "correct horse battery staple"
ROBOTS = "building robots with my cousin on Saturdays"


def make_student(st: Store, answers: list[tuple[str, str, str, dict]]) -> int:
    s = st.roster.add("Eli Park", 4, accommodations=["extended time"])
    session = st.transcripts.start(s.id, "en-3-5")
    for step, field, text, extra in answers:
        aid = st.transcripts.add_answer(session.id, step, field, "a question", "answer", text, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
    draft = build_draft(s, st.transcripts.answers(session.id))
    st.finish_session(session.id, s.id, draft.model_dump(mode="json"))
    return s.id


@pytest.fixture
def store(tmp_path, monkeypatch):
    """Eli: strengths, an interest, what is hard, a helpful accommodation, a goal, and two check-ins on it."""
    monkeypatch.setitem(auth.SCRYPT, "n", 2**4)
    monkeypatch.setattr(auth, "_DUMMY", None)
    st = Store(tmp_path / "data")
    auth.add_teacher(st, "Ms Lee", PASSWORD)
    sid = make_student(st, [("s", "strengths", "soccer, drawing and math", {}), ("i", "interests", ROBOTS, {}),
                            ("c", "challenges", "reading long chapters", {}),
                            ("g", "goals.statement", "I want to read faster", {"goal_number": 1}),
                            ("a", "accommodations", "yes it helps a lot", {"accommodation": "extended time"})])
    goal = st.draft_versions.latest(sid)["body"]["goals"][0]["statement"]["text"]
    first = st.checkins.start(sid, {"goals": [], "accommodations": []}, at="2026-10-01T10:00:00")
    st.checkins.save(first, {"goals": [{"goal": goal, "rating": 2, "said": "two", "helped": "my reading buddy",
                                        "in_the_way": "noise"}], "accommodations": []}, finished=True)
    st.checkins.start(sid, {"goals": [{"goal": goal, "rating": 4, "said": "four I think", "helped": "audiobooks at home",
                                       "in_the_way": None}], "accommodations": []}, at="2026-11-15T10:00:00")
    yield st
    st.close()


def pdf_pages(body: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(body)).pages]


def test_export_family_pdf_and_docx(store, cli, base_env, tmp_path):
    env = dict(base_env, IEP_ASSISTANT_DATA=str(store.dir))
    r = cli("export", "--student", "Eli Park", "--format", "family-pdf", "--out", tmp_path / "family.pdf", env=env)
    assert r.returncode == 0, r.stderr
    [page] = pdf_pages((tmp_path / "family.pdf").read_bytes())  # one page
    assert "Eli's IEP: a summary for the family" in page
    assert f"Eli likes: \u201c{ROBOTS}\u201d." in page  # the student's words, verbatim
    assert "Eli is good at: \u201csoccer\u201d, \u201cdrawing\u201d and \u201cmath\u201d." in page
    assert "Supports that help: extended time (\u201cyes it helps a lot\u201d)." in page
    assert "Eli's role is 3 of 5." in page  # the default role of grade 4
    assert "Goal 1: \u201cI want to read faster\u201d." in page
    # the latest rating of the goal and what helped then
    assert ("\u201cI want to read faster\u201d: 4 out of 5 on November 15, 2026 (2 check-ins). "
            "What helped: \u201caudiobooks at home\u201d.") in page
    assert (tmp_path / "family.pdf").stat().st_mode & 0o077 == 0  # student data: private
    assert store.audit.recent(1)[0]["action"] == "export" and "family-pdf" in store.audit.recent(1)[0]["target"]

    r = cli("export", "--student", "Eli Park", "--format", "family-docx", "--out", tmp_path / "family.docx", env=env)
    assert r.returncode == 0, r.stderr
    text = [p.text for p in docx.Document(str(tmp_path / "family.docx")).paragraphs]
    assert text[0] == "Eli's IEP: a summary for the family"
    assert f"Eli likes: \u201c{ROBOTS}\u201d." in text and "Eli's goals" in text


def test_a_long_draft_still_fits_one_page(tmp_path):
    """Thirty long strengths, ten goals, many check-ins: fewer and shorter quotes, smaller type, still one page."""
    from assistant.review.family import family_summary

    st = Store(tmp_path / "data")
    long = "I am really good at " + " ".join(f"thing{n}" for n in range(60))
    answers = [(f"s{n}", "strengths", f"{n} {long}", {}) for n in range(30)]
    answers += [(f"g{n}", "goals.statement", f"goal {n} {long}", {"goal_number": n + 1}) for n in range(10)]
    answers += [(f"c{n}", "challenges", f"hard {n} {long}", {}) for n in range(20)]
    sid = make_student(st, answers)
    goals = [g["statement"]["text"] for g in st.draft_versions.latest(sid)["body"]["goals"]]
    assert len(goals) == 10
    for day in range(1, 20):
        st.checkins.start(sid, {"goals": [{"goal": g, "rating": 3, "helped": long} for g in goals], "accommodations": []},
                          at=f"2026-10-{day:02d}T10:00:00")
    student = st.roster.get(sid)
    [page] = pdf_pages(family_summary(st, student, "pdf"))
    assert "Eli is good at: \u201c0 I am really good at" in page and "more." in page  # how many more is said
    assert "\u2026\u201d" in page  # a quote cut short says so
    paragraphs = [p.text for p in docx.Document(io.BytesIO(family_summary(st, student, "docx"))).paragraphs]
    assert sum(len(p) for p in paragraphs) < 2500  # what the PDF needed to fit: a page of text
    st.close()


def sign_in(client) -> None:
    page = client.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/signin", data={"csrf": token, "name": "Ms Lee", "password": PASSWORD}).status_code == 303


def test_the_review_app_serves_the_family_summary_to_a_signed_in_teacher(store):
    app = create_app(store.dir)
    client = app.test_client()
    try:
        r = client.get("/students/1/family.pdf")
        assert r.status_code == 303 and r.headers["Location"] == "/signin"  # as every page
        sign_in(client)
        r = client.get("/students/1/family.pdf")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert 'filename="family-summary-Eli-Park.pdf"' in r.headers["Content-Disposition"]
        [page] = pdf_pages(r.data)
        assert ROBOTS in page
        last = store.audit.recent(1)[0]
        assert (last["teacher"], last["action"], last["target"]) == ("Ms Lee", "export", "family summary pdf of Eli Park#1")
        r = client.get("/students/1/family.docx")
        assert r.status_code == 200 and r.mimetype.endswith("wordprocessingml.document")
        assert any(ROBOTS in p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
        assert client.get("/students/99/family.pdf").status_code == 404
        assert client.get("/students/1/family.txt").status_code == 404
    finally:
        app.extensions["iep_stores"].close()
