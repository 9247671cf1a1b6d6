"""What students said: their sessions (table ``sessions``), every answer attempt
(``answers``) and the teacher's review of each answer (``reviews``).

The three are one repository because their writes go together (confirming an
answer moves its session on, in one transaction) and their questions join them
(what to ask again, a student's recordings).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from assistant.store.db import MAX_ID, Database, now
from assistant.text import clean_input
from assistant.words import Word


class Session(BaseModel):
    id: int
    student_id: int
    dialogue_id: str
    status: str
    position: str | None
    started: str
    updated: str


class Answer(BaseModel):
    id: int
    session_id: int
    step: str
    field: str
    prompt: str
    kind: str
    text: str
    words: list[Word]
    engine: str | None
    model: str | None
    audio_path: str | None
    confirmed: bool
    superseded: bool
    extra: dict
    created: str


def _answer(row) -> Answer:
    d = dict(row)
    d["words"] = json.loads(d["words"])
    d["extra"] = json.loads(d["extra"])
    return Answer(**d)


class Transcripts:
    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------ sessions

    def start(self, student_id: int, dialogue_id: str) -> Session:
        t = now()
        sid = self.db.insert("INSERT INTO sessions(student_id, dialogue_id, status, position, started, updated) "
                             "VALUES (?,?,?,?,?,?)",
                             (student_id, dialogue_id, "in_progress", None, t, t))
        return self.session(sid)

    def session(self, sid: int) -> Session:
        return Session(**dict(self.db.execute("SELECT * FROM sessions WHERE id=?", (sid,)).fetchone()))

    def of_student(self, student_id: int) -> list[Session]:
        rows = self.db.execute("SELECT * FROM sessions WHERE student_id=? ORDER BY id", (student_id,))
        return [Session(**dict(r)) for r in rows]

    def latest(self, student_id: int, unfinished: bool = False) -> Session | None:
        q = ("SELECT * FROM sessions WHERE student_id=?" + (" AND status != 'finished'" if unfinished else "")
             + " ORDER BY id DESC LIMIT 1")
        row = self.db.execute(q, (student_id,)).fetchone()
        return Session(**dict(row)) if row else None

    def of_iep(self, student_id: int) -> list[Session]:
        """The sessions of the student's current IEP, oldest first: those after the
        most recent approved draft (every session when none is approved). A draft
        is approved with the latest session of the student then (``drafts.session_id``),
        so "after" is by session number: the clock's seconds cannot order a session
        started in the second of an approval. When no session has started since the
        last approval, the approved IEP's own sessions: its export keeps its transcript."""
        sessions = self.of_student(student_id)
        since = 0
        for (bound,) in self.db.execute("SELECT COALESCE(session_id, 0) FROM drafts WHERE student_id=? AND "
                                        "status='approved' ORDER BY version", (student_id,)):
            if any(s.id > bound for s in sessions):
                since = max(since, bound)
        return [s for s in sessions if s.id > since]

    def iep_answers(self, student_id: int) -> list[Answer]:
        """Every answer of the sessions of the student's current IEP (``of_iep``), in the order given."""
        return [a for s in self.of_iep(student_id) for a in self.answers(s.id)]

    def iep_reviews(self, student_id: int) -> dict[int, dict]:
        """The teacher's reviews of the answers of the current IEP's sessions."""
        return {k: v for s in self.of_iep(student_id) for k, v in self.reviews(s.id).items()}

    def set_position(self, session_id: int, position: str | None, status: str = "in_progress") -> None:
        self.db.execute("UPDATE sessions SET position=?, status=?, updated=? WHERE id=?", (position, status, now(), session_id))

    def finish(self, session_id: int) -> None:
        """Mark a session finished (its draft is saved with it: ``Store.finish_session``)."""
        self.db.execute("UPDATE sessions SET position=NULL, status='finished', updated=? WHERE id=?", (now(), session_id))

    # ------------------------------------------------------------ answers

    def add_answer(self, session_id: int, step: str, field: str, prompt: str, kind: str, text: str,
                   words: Sequence[Word] = (), engine: str | None = None, model: str | None = None,
                   audio_path: str | None = None, confirmed: bool = False, extra: dict | None = None) -> int:
        # stored as JSON objects; a dict from a caller (the benchmark) must be a whole Word too
        stored_words = json.dumps([Word.model_validate(w).model_dump() for w in words], ensure_ascii=False)
        return self.db.insert(
            "INSERT INTO answers(session_id, step, field, prompt, kind, text, words, engine, model, audio_path, confirmed, "
            "extra, created) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (session_id, step, field, prompt, kind, clean_input(text), stored_words, engine, model,
             audio_path, int(confirmed), json.dumps(extra or {}, ensure_ascii=False), now()))

    def commit_answer(self, answer_id: int, position: str | None, supersede_step: str | None = None,
                      supersede_ids: Sequence[int] = ()) -> None:
        """Confirm an answer, mark what it replaces as superseded (kept, not deleted),
        and move the session on: one transaction, so a crash leaves all or nothing."""
        with self.db.transaction():
            row = self.db.execute("SELECT session_id FROM answers WHERE id=?", (answer_id,)).fetchone()
            if supersede_step is not None:
                self.db.execute("UPDATE answers SET superseded=1 WHERE session_id=? AND step=? AND id != ?",
                                (row[0], supersede_step, answer_id))
            for old in supersede_ids:
                self.db.execute("UPDATE answers SET superseded=1 WHERE id=? AND session_id=?", (old, row[0]))
            self.db.execute("UPDATE answers SET confirmed=1 WHERE id=?", (answer_id,))
            self.db.execute("UPDATE sessions SET position=?, updated=? WHERE id=?", (position, now(), row[0]))

    def answers(self, session_id: int) -> list[Answer]:
        return [_answer(r) for r in self.db.execute("SELECT * FROM answers WHERE session_id=? ORDER BY id", (session_id,))]

    def answer(self, answer_id: int) -> Answer | None:
        if not 1 <= answer_id <= MAX_ID:
            return None
        row = self.db.execute("SELECT * FROM answers WHERE id=?", (answer_id,)).fetchone()
        return _answer(row) if row is not None else None

    def forget_audio(self, student_id: int) -> None:
        """Clear the recording paths of a student's answers (the files: ``StudentFiles.delete_recordings``)."""
        self.db.execute("UPDATE answers SET audio_path=NULL WHERE id IN (SELECT answers.id FROM answers JOIN sessions "
                        "ON sessions.id = answers.session_id WHERE sessions.student_id=?)", (student_id,))

    # ------------------------------------------------------------ the teacher's review

    def review(self, answer_id: int, status: str, teacher: str, correction: str | None = None) -> None:
        self.db.execute("INSERT INTO reviews(answer_id, status, correction, teacher, at) VALUES (?,?,?,?,?) "
                        "ON CONFLICT(answer_id) DO UPDATE SET status=excluded.status, correction=excluded.correction, "
                        "teacher=excluded.teacher, at=excluded.at", (answer_id, status, correction, teacher, now()))

    def reviews(self, session_id: int) -> dict[int, dict]:
        rows = self.db.execute("SELECT reviews.* FROM reviews JOIN answers ON answers.id = reviews.answer_id "
                               "WHERE answers.session_id=?", (session_id,)).fetchall()
        return {r["answer_id"]: dict(r) for r in rows}

    def ask_again(self, student_id: int, before_session: int) -> list[Answer]:
        """Answers a teacher marked "ask again next session", from sessions before
        ``before_session``, not yet asked again in a session between."""
        rows = self.db.execute(
            "SELECT answers.* FROM answers JOIN reviews ON reviews.answer_id = answers.id "
            "JOIN sessions ON sessions.id = answers.session_id "
            "WHERE sessions.student_id=? AND reviews.status='ask_again' AND answers.session_id < ? ORDER BY answers.id",
            (student_id, before_session)).fetchall()
        asked = {r[0] for r in self.db.execute(
            "SELECT json_extract(extra, '$.asked_again_for') FROM answers JOIN sessions ON sessions.id = answers.session_id "
            "WHERE sessions.student_id=? AND answers.session_id < ? AND answers.confirmed=1", (student_id, before_session))}
        return [_answer(r) for r in rows if r["id"] not in asked]

    # ------------------------------------------------------------ a student removed

    def delete_of_student(self, student_id: int) -> None:
        """A student's sessions and answers (their reviews go with the answers: ON DELETE CASCADE)."""
        with self.db.transaction():
            self.db.execute("DELETE FROM answers WHERE session_id IN (SELECT id FROM sessions WHERE student_id=?)", (student_id,))
            self.db.execute("DELETE FROM sessions WHERE student_id=?", (student_id,))
