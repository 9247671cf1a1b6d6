"""SQLite storage that loses nothing: students, sessions, every answer attempt, drafts.

Each write is its own transaction, committed before the caller goes on, with the
journal in WAL mode and ``synchronous=FULL``: a session killed at any moment
(kill -9, power loss) keeps every answer committed before it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from pydantic import BaseModel

from assistant.errors import UserError

SCHEMA = """
CREATE TABLE IF NOT EXISTS students (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    grade INTEGER NOT NULL,
    language TEXT NOT NULL DEFAULT 'en',
    rate INTEGER,
    voice TEXT,
    accommodations TEXT NOT NULL DEFAULT '[]',
    past_goals TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    dialogue_id TEXT NOT NULL,
    status TEXT NOT NULL,            -- in_progress | paused | finished
    position TEXT,                   -- key of the step to ask next
    started TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    step TEXT NOT NULL,              -- the step key, e.g. strengths#2 or accommodation:extended time
    field TEXT NOT NULL,             -- the draft field it fills
    prompt TEXT NOT NULL,            -- what was asked, as spoken
    kind TEXT NOT NULL,              -- answer | dont_know | skipped
    text TEXT NOT NULL,              -- the transcript, verbatim
    words TEXT NOT NULL DEFAULT '[]',-- word timings and confidences
    engine TEXT, model TEXT, audio_path TEXT,
    confirmed INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0,
    extra TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_session ON answers(session_id, id);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    created TEXT NOT NULL,
    author TEXT
);
CREATE TABLE IF NOT EXISTS teachers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    pw_hash TEXT NOT NULL,           -- scrypt, salted
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_sessions (
    token TEXT PRIMARY KEY,
    teacher_id INTEGER NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    answer_id INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    status TEXT NOT NULL,            -- accepted | corrected | ask_again
    correction TEXT,                 -- beside the original, which is never changed
    teacher TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    teacher TEXT NOT NULL,
    action TEXT NOT NULL,            -- view | edit | export | approve | delete | sign-in ...
    target TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def default_data_dir() -> Path:
    if os.environ.get("IEP_ASSISTANT_DATA"):
        return Path(os.environ["IEP_ASSISTANT_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "iep-assistant"


class Student(BaseModel):
    id: int
    name: str
    grade: int
    language: str
    rate: int | None
    voice: str | None
    accommodations: list[str]
    past_goals: list[str]
    created: str

    @property
    def label(self) -> str:
        return f"{self.name}#{self.id}"


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
    words: list[dict]
    engine: str | None
    model: str | None
    audio_path: str | None
    confirmed: bool
    superseded: bool
    extra: dict
    created: str


class Store:
    def __init__(self, data_dir: Path | None = None):
        self.dir = Path(data_dir) if data_dir else default_data_dir()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.audio_dir.mkdir(exist_ok=True)
            os.chmod(self.dir, 0o700)  # student data: this user only
        except OSError as e:
            raise UserError(f"cannot use the data folder {self.dir}: {e.strerror}; pass --data-dir") from None
        self.path = self.dir / "iep.sqlite3"
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(drafts)")}
            if "author" not in columns:  # databases made before drafts had authors
                self.db.execute("ALTER TABLE drafts ADD COLUMN author TEXT")
        except sqlite3.DatabaseError as e:
            raise UserError(f"{self.path}: cannot open the database ({e}); is it a copy from another program?") from None

    @property
    def audio_dir(self) -> Path:
        return self.dir / "audio"

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ students

    @staticmethod
    def _student(row) -> Student:
        d = dict(row)
        d["accommodations"] = json.loads(d["accommodations"])
        d["past_goals"] = json.loads(d["past_goals"])
        return Student(**d)

    def add_student(self, name: str, grade: int, language: str = "en", accommodations: list[str] = (),
                    past_goals: list[str] = ()) -> Student:
        name = " ".join(name.split())
        if not name:
            raise UserError("a student needs a name")
        if not 0 <= grade <= 12:
            raise UserError(f"grade {grade} is out of range: use 0 (kindergarten) to 12")
        cur = self.db.execute(
            "INSERT INTO students(name, grade, language, accommodations, past_goals, created) VALUES (?,?,?,?,?,?)",
            (name, grade, language, json.dumps(list(accommodations), ensure_ascii=False),
             json.dumps(list(past_goals), ensure_ascii=False), now()))
        return self.student_by_id(cur.lastrowid)

    def student_by_id(self, sid: int) -> Student:
        row = self.db.execute("SELECT * FROM students WHERE id=?", (sid,)).fetchone()
        if row is None:
            raise UserError(f"no student with number {sid}; `iep-assistant student list` shows them")
        return self._student(row)

    def students(self) -> list[Student]:
        return [self._student(r) for r in self.db.execute("SELECT * FROM students ORDER BY name, id")]

    def find_student(self, ref: str) -> Student:
        """By name, or NAME#ID (or #ID) when two students share a name."""
        ref = " ".join(ref.split())
        name, _, num = ref.rpartition("#")
        if num.isdigit():
            s = self.student_by_id(int(num))
            if name and s.name.casefold() != name.casefold():
                raise UserError(f"student #{num} is {s.label}, not {name}")
            return s
        matches = [s for s in self.students() if s.name.casefold() == ref.casefold()]
        if not matches:
            raise UserError(f"no student named '{ref}'; add one with: iep-assistant student add \"{ref}\" --grade N")
        if len(matches) > 1:
            raise UserError(f"{len(matches)} students are named '{ref}': " + ", ".join(
                f"{s.label} (grade {s.grade})" for s in matches) + "; give the one you mean, e.g. --student \"" + matches[0].label + '"')
        return matches[0]

    def set_student_voice(self, sid: int, rate: int | None = None, voice: str | None = None) -> None:
        if rate is not None:
            self.db.execute("UPDATE students SET rate=? WHERE id=?", (rate, sid))
        if voice is not None:
            self.db.execute("UPDATE students SET voice=? WHERE id=?", (voice, sid))

    def remove_student(self, sid: int) -> list[str]:
        """Delete a student's rows and return the audio files to delete."""
        paths = [r[0] for r in self.db.execute(
            "SELECT audio_path FROM answers JOIN sessions ON sessions.id = answers.session_id "
            "WHERE sessions.student_id=? AND audio_path IS NOT NULL", (sid,))]
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM answers WHERE session_id IN (SELECT id FROM sessions WHERE student_id=?)", (sid,))
            self.db.execute("DELETE FROM drafts WHERE student_id=?", (sid,))
            self.db.execute("DELETE FROM sessions WHERE student_id=?", (sid,))
            self.db.execute("DELETE FROM students WHERE id=?", (sid,))
        return paths

    # ------------------------------------------------------------ sessions

    def start_session(self, student_id: int, dialogue_id: str) -> Session:
        t = now()
        cur = self.db.execute("INSERT INTO sessions(student_id, dialogue_id, status, position, started, updated) VALUES (?,?,?,?,?,?)",
                              (student_id, dialogue_id, "in_progress", None, t, t))
        return self.session(cur.lastrowid)

    def session(self, sid: int) -> Session:
        return Session(**dict(self.db.execute("SELECT * FROM sessions WHERE id=?", (sid,)).fetchone()))

    def sessions(self, student_id: int) -> list[Session]:
        return [Session(**dict(r)) for r in self.db.execute("SELECT * FROM sessions WHERE student_id=? ORDER BY id", (student_id,))]

    def latest_session(self, student_id: int, unfinished: bool = False) -> Session | None:
        q = "SELECT * FROM sessions WHERE student_id=?" + (" AND status != 'finished'" if unfinished else "") + " ORDER BY id DESC LIMIT 1"
        row = self.db.execute(q, (student_id,)).fetchone()
        return Session(**dict(row)) if row else None

    def set_position(self, session_id: int, position: str | None, status: str = "in_progress") -> None:
        self.db.execute("UPDATE sessions SET position=?, status=?, updated=? WHERE id=?", (position, status, now(), session_id))

    # ------------------------------------------------------------ answers

    def add_answer(self, session_id: int, step: str, field: str, prompt: str, kind: str, text: str,
                   words: list[dict] = (), engine: str | None = None, model: str | None = None,
                   audio_path: str | None = None, confirmed: bool = False, extra: dict | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO answers(session_id, step, field, prompt, kind, text, words, engine, model, audio_path, confirmed, extra, created) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (session_id, step, field, prompt, kind, text, json.dumps(list(words), ensure_ascii=False), engine, model,
             audio_path, int(confirmed), json.dumps(extra or {}, ensure_ascii=False), now()))
        return cur.lastrowid

    def commit_answer(self, answer_id: int, position: str | None, supersede_step: str | None = None,
                      supersede_ids: list[int] = ()) -> None:
        """Confirm an answer, mark what it replaces as superseded (kept, not deleted),
        and move the session on: one transaction, so a crash leaves all or nothing."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT session_id FROM answers WHERE id=?", (answer_id,)).fetchone()
            if supersede_step is not None:
                self.db.execute("UPDATE answers SET superseded=1 WHERE session_id=? AND step=? AND id != ?",
                                (row[0], supersede_step, answer_id))
            for old in supersede_ids:
                self.db.execute("UPDATE answers SET superseded=1 WHERE id=? AND session_id=?", (old, row[0]))
            self.db.execute("UPDATE answers SET confirmed=1 WHERE id=?", (answer_id,))
            self.db.execute("UPDATE sessions SET position=?, updated=? WHERE id=?", (position, now(), row[0]))

    def answers(self, session_id: int) -> list[Answer]:
        out = []
        for r in self.db.execute("SELECT * FROM answers WHERE session_id=? ORDER BY id", (session_id,)):
            d = dict(r)
            d["words"] = json.loads(d["words"])
            d["extra"] = json.loads(d["extra"])
            out.append(Answer(**d))
        return out

    # ------------------------------------------------------------ drafts

    def save_draft(self, student_id: int, session_id: int | None, body: dict, status: str, author: str | None = None) -> int:
        """Store a new version of a student's draft; earlier versions stay."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM drafts WHERE student_id=?", (student_id,)).fetchone()
            self.db.execute("INSERT INTO drafts(student_id, session_id, version, status, body, created, author) VALUES (?,?,?,?,?,?,?)",
                            (student_id, session_id, row[0] + 1, status, json.dumps(body, ensure_ascii=False), now(), author))
        return row[0] + 1

    def drafts(self, student_id: int) -> list[dict]:
        rows = self.db.execute("SELECT * FROM drafts WHERE student_id=? ORDER BY version", (student_id,)).fetchall()
        return [{**dict(r), "body": json.loads(r["body"])} for r in rows]

    def latest_draft(self, student_id: int) -> dict | None:
        d = self.drafts(student_id)
        return d[-1] if d else None

    # ------------------------------------------------------------ review

    def review_answer(self, answer_id: int, status: str, teacher: str, correction: str | None = None) -> None:
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
            "SELECT answers.id FROM answers JOIN reviews ON reviews.answer_id = answers.id "
            "JOIN sessions ON sessions.id = answers.session_id "
            "WHERE sessions.student_id=? AND reviews.status='ask_again' AND answers.session_id < ? ORDER BY answers.id",
            (student_id, before_session)).fetchall()
        asked = {r[0] for r in self.db.execute(
            "SELECT json_extract(extra, '$.asked_again_for') FROM answers JOIN sessions ON sessions.id = answers.session_id "
            "WHERE sessions.student_id=? AND answers.session_id < ? AND answers.confirmed=1", (student_id, before_session))}
        return [self.answer(r[0]) for r in rows if r[0] not in asked]

    def answer(self, answer_id: int) -> Answer | None:
        row = self.db.execute("SELECT * FROM answers WHERE id=?", (answer_id,)).fetchone()
        if row is None:
            return None
        d = dict(row)
        d["words"] = json.loads(d["words"])
        d["extra"] = json.loads(d["extra"])
        return Answer(**d)

    def log(self, teacher: str, action: str, target: str) -> None:
        self.db.execute("INSERT INTO access_log(at, teacher, action, target) VALUES (?,?,?,?)", (now(), teacher, action, target))

    def access_log(self, limit: int = 500) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM access_log ORDER BY id DESC LIMIT ?", (limit,))]

    def setting(self, key: str, default: str) -> str:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    def forget_audio(self, student_id: int) -> list[str]:
        """Clear the recording paths of a student's answers; returns the files to delete."""
        rows = self.db.execute("SELECT answers.id, audio_path FROM answers JOIN sessions ON sessions.id = answers.session_id "
                               "WHERE sessions.student_id=? AND audio_path IS NOT NULL", (student_id,)).fetchall()
        self.db.execute("UPDATE answers SET audio_path=NULL WHERE id IN (SELECT answers.id FROM answers JOIN sessions "
                        "ON sessions.id = answers.session_id WHERE sessions.student_id=?)", (student_id,))
        return [r[1] for r in rows]
