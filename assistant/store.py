"""SQLite storage that loses nothing: students, sessions, every answer attempt, drafts.

Each write is its own transaction, committed before the caller goes on, with the
journal in WAL mode and ``synchronous=FULL``: a session killed at any moment
(kill -9, power loss) keeps every answer committed before it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from pathlib import Path

from pydantic import BaseModel

from assistant import paths
from assistant.errors import (StorageDamaged, StorageError, StorageFull, StorageReadOnly, UserError, free_bytes,  # noqa: F401
                              os_storage_error, read_only)
from assistant.locks import FileLock, data_lock
from assistant.migrations import NewerDatabase, migrate
from assistant.text import clean_input, name_key, one_line, person_name
from assistant.words import Word

MAX_ID = 2**63 - 1  # SQLite's largest integer: bigger numbers cannot be ids
MAX_NAME = 100  # characters in a person's name
MAX_ITEM = 500  # characters in an accommodation or a past goal the teacher enters

def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


default_data_dir = paths.default_data_dir


# ---------------------------------------------------------------- storage errors

def storage_error(e: sqlite3.Error, folder: Path) -> StorageError:
    """What a SQLite error means for the person at the computer."""
    code = getattr(e, "sqlite_errorcode", 0) & 0xFF
    db = Path(folder) / paths.DB_NAME
    if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return StorageDamaged(f"the database {db} is damaged ({e}); nothing more was written to it. Restore the last "
                              "backup with: iep-assistant restore FILE (keep a copy of the damaged file for IT)")
    if code == 13 or (code == 10 and free_bytes(folder) < 1 << 20):  # SQLITE_FULL, or an I/O error on a full disk
        return StorageFull(f"the disk that holds {folder} is full ({e}); make room (or move the data with --data-dir), "
                           "then go on: nothing confirmed is lost")
    if code in (8, 10, 14) and read_only(folder):  # READONLY, IOERR, CANTOPEN on a read-only folder
        return StorageReadOnly(f"the data folder {folder} cannot be written: it is read-only ({e}); make it writable "
                               "again, then go on: nothing confirmed is lost")
    if code == 10:
        return StorageReadOnly(f"the data folder {folder} could not be written ({e}); check the disk, then go on")
    if code in (5, 6):  # BUSY, LOCKED
        return StorageError(f"the database {db} is busy (another program holds it); try again in a moment")
    return StorageError(f"the database {db} cannot be used ({e})")


class _Connection(sqlite3.Connection):
    """A connection whose errors say what they mean for the user (disk full, damaged ...)."""

    folder: Path

    def execute(self, *args, **kwargs):
        try:
            return super().execute(*args, **kwargs)
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # our own mistakes or a constraint: not the disk's
        except sqlite3.Error as e:
            raise storage_error(e, self.folder) from e


def already_exists(name: str) -> UserError:
    return UserError(f"a teacher named '{name}' already exists (names are the same whatever their case or spacing); "
                     f"to give them a new password: iep-assistant teacher passwd \"{name}\"")


def parse_id(text: str | int, what: str = "number") -> int:
    """An id typed or sent by someone: a whole number from 1 to SQLite's largest."""
    s = str(text).strip()
    if not s.isascii() or not s.isdigit() or len(s) > 19 or not 1 <= int(s) <= MAX_ID:
        raise UserError(f"'{s[:30]}' is not a valid {what}: use the number shown by `iep-assistant student list`")
    return int(s)


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
    words: list[Word]
    engine: str | None
    model: str | None
    audio_path: str | None
    confirmed: bool
    superseded: bool
    extra: dict
    created: str


class Store:
    """The data folder's database. Opening it makes the folder private, brings the
    schema up to date and checks the file is whole; every process that has it
    open holds the folder's shared lock, so a restore never swaps it underneath."""

    def __init__(self, data_dir: Path | None = None):
        self.dir = paths.prepare_data_dir(Path(data_dir) if data_dir else default_data_dir())
        self.path = self.dir / paths.DB_NAME
        self._lock: FileLock | None = data_lock(self.dir)
        try:
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite gives -wal and -shm its mode
            for f in (self.path, self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
                if f.exists():
                    paths.make_private(f)
        except OSError as e:
            self._unlock()
            raise UserError(f"cannot use the data folder {self.dir}: {e.strerror}; pass --data-dir") from None
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=10, factory=_Connection,
                                      check_same_thread=False)
            self.db.folder = self.dir
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            # deleted rows are overwritten, not left in free pages (some SQLite builds default to off)
            self.db.execute("PRAGMA secure_delete=ON")
            self._check()
            migrate(self.db, str(self.dir))
        except NewerDatabase as e:
            self.close()
            raise UserError(f"{self.path} was made by a newer iep-assistant (database version {e.version}); "
                            "update iep-assistant to use it") from None
        except StorageError:
            self.close()
            raise
        except sqlite3.Error as e:
            self.close()
            raise storage_error(e, self.dir) from None
        for f in (self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
            if f.exists():
                paths.make_private(f)

    def _check(self) -> None:
        """A damaged file is found when it is opened, before a session asks its first
        question, not half-way through (quick_check reads every page: milliseconds
        for a classroom's data)."""
        try:
            rows = [r[0] for r in self.db.execute("PRAGMA quick_check").fetchall()]
        except StorageError:
            raise
        except sqlite3.DatabaseError as e:
            raise storage_error(e, self.dir) from None
        if rows != ["ok"]:
            raise StorageDamaged(f"the database {self.path} is damaged ({rows[0]}); nothing was written to it. Restore "
                                 "the last backup with: iep-assistant restore FILE (keep a copy of the damaged file for IT)")

    @property
    def audio_dir(self) -> Path:
        return self.dir / "audio"

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def close(self) -> None:
        if getattr(self, "db", None) is not None:
            self.db.close()
            self.db = None
        self._unlock()

    @contextlib.contextmanager
    def _tx(self):
        """One write transaction: all of it is stored, or (full disk, crash) none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------ students

    @staticmethod
    def _student(row) -> Student:
        d = dict(row)
        d["accommodations"] = json.loads(d["accommodations"])
        d["past_goals"] = json.loads(d["past_goals"])
        return Student(**d)

    def add_student(self, name: str, grade: int, language: str = "en", accommodations: list[str] = (),
                    past_goals: list[str] = ()) -> Student:
        name = person_name(name)
        if not name:
            raise UserError("a student needs a name")
        if len(name) > MAX_NAME:
            raise UserError(f"a student's name can have at most {MAX_NAME} characters")
        if "#" in name:
            raise UserError(f"'{name}': a student's name cannot contain '#' (it separates a name from its number)")
        if not 0 <= grade <= 12:
            raise UserError(f"grade {grade} is out of range: use 0 (kindergarten) to 12")
        accommodations = [a for a in (one_line(a)[:MAX_ITEM] for a in accommodations) if a]
        past_goals = [g for g in (one_line(g)[:MAX_ITEM] for g in past_goals) if g]
        cur = self.db.execute(
            "INSERT INTO students(name, grade, language, accommodations, past_goals, created) VALUES (?,?,?,?,?,?)",
            (name, grade, language, json.dumps(accommodations, ensure_ascii=False),
             json.dumps(past_goals, ensure_ascii=False), now()))
        return self.student_by_id(cur.lastrowid)

    def student_by_id(self, sid: int) -> Student:
        row = self.db.execute("SELECT * FROM students WHERE id=?", (sid,)).fetchone() if 1 <= sid <= MAX_ID else None
        if row is None:
            raise UserError(f"no student with number {sid}; `iep-assistant student list` shows them")
        return self._student(row)

    def has_student(self, sid: int) -> bool:
        return 1 <= sid <= MAX_ID and self.db.execute("SELECT 1 FROM students WHERE id=?", (sid,)).fetchone() is not None

    def students(self) -> list[Student]:
        return [self._student(r) for r in self.db.execute("SELECT * FROM students ORDER BY name, id")]

    def find_student(self, ref: str) -> Student:
        """By name, or NAME#ID (or #ID) when two students share a name."""
        ref = one_line(ref)
        name, _, num = ref.rpartition("#")
        if "#" in ref:  # names cannot hold '#': what follows it is the student's number
            s = self.student_by_id(parse_id(num, "student number"))
            if name.strip() and name_key(s.name) != name_key(name):
                raise UserError(f"student #{num.strip()} is {s.label}, not {name.strip()}")
            return s
        matches = [s for s in self.students() if name_key(s.name) == name_key(ref)]
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

    def remove_student(self, sid: int) -> None:
        """Delete a student's rows (their files: ``recordings.StudentFiles.delete_all``)."""
        with self._tx():
            self.db.execute("DELETE FROM answers WHERE session_id IN (SELECT id FROM sessions WHERE student_id=?)", (sid,))
            self.db.execute("DELETE FROM drafts WHERE student_id=?", (sid,))
            self.db.execute("DELETE FROM sessions WHERE student_id=?", (sid,))
            self.db.execute("DELETE FROM students WHERE id=?", (sid,))
        # the deleted pages may still be in the write-ahead log: copy it into the file and empty it
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
                   words: list[Word] = (), engine: str | None = None, model: str | None = None,
                   audio_path: str | None = None, confirmed: bool = False, extra: dict | None = None) -> int:
        # stored as JSON objects; a dict from a caller (bench) must be a whole Word too
        stored_words = json.dumps([Word.model_validate(w).model_dump() for w in words], ensure_ascii=False)
        cur = self.db.execute(
            "INSERT INTO answers(session_id, step, field, prompt, kind, text, words, engine, model, audio_path, confirmed, extra, created) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (session_id, step, field, prompt, kind, clean_input(text), stored_words, engine, model,
             audio_path, int(confirmed), json.dumps(extra or {}, ensure_ascii=False), now()))
        return cur.lastrowid

    def commit_answer(self, answer_id: int, position: str | None, supersede_step: str | None = None,
                      supersede_ids: list[int] = ()) -> None:
        """Confirm an answer, mark what it replaces as superseded (kept, not deleted),
        and move the session on: one transaction, so a crash leaves all or nothing."""
        with self._tx():
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
        with self._tx():
            row = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM drafts WHERE student_id=?", (student_id,)).fetchone()
            self.db.execute("INSERT INTO drafts(student_id, session_id, version, status, body, created, author) VALUES (?,?,?,?,?,?,?)",
                            (student_id, session_id, row[0] + 1, status, json.dumps(body, ensure_ascii=False), now(), author))
        return row[0] + 1

    def finish_session(self, session_id: int, student_id: int, body: dict) -> int:
        """Mark a session finished and save the draft built from it, in one
        transaction: a crash between the two can never leave a finished session
        whose draft is an older one."""
        with self._tx():
            self.db.execute("UPDATE sessions SET position=NULL, status='finished', updated=? WHERE id=?", (now(), session_id))
            row = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM drafts WHERE student_id=?", (student_id,)).fetchone()
            self.db.execute("INSERT INTO drafts(student_id, session_id, version, status, body, created, author) VALUES (?,?,?,?,?,?,?)",
                            (student_id, session_id, row[0] + 1, "ready_for_review", json.dumps(body, ensure_ascii=False), now(), None))
        return row[0] + 1

    def drafts(self, student_id: int) -> list[dict]:
        """Every version of a student's draft, without their bodies (a list to choose from)."""
        rows = self.db.execute("SELECT id, student_id, session_id, version, status, created, author FROM drafts "
                               "WHERE student_id=? ORDER BY version", (student_id,)).fetchall()
        return [dict(r) for r in rows]

    def draft_version(self, student_id: int, version: int) -> dict | None:
        row = self.db.execute("SELECT * FROM drafts WHERE student_id=? AND version=?", (student_id, version)).fetchone()
        return {**dict(row), "body": json.loads(row["body"])} if row else None

    def latest_draft(self, student_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM drafts WHERE student_id=? ORDER BY version DESC LIMIT 1", (student_id,)).fetchone()
        return {**dict(row), "body": json.loads(row["body"])} if row else None

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
        if not 1 <= answer_id <= MAX_ID:
            return None
        row = self.db.execute("SELECT * FROM answers WHERE id=?", (answer_id,)).fetchone()
        if row is None:
            return None
        d = dict(row)
        d["words"] = json.loads(d["words"])
        d["extra"] = json.loads(d["extra"])
        return Answer(**d)

    def log(self, teacher: str, action: str, target: str) -> None:
        self.db.execute("INSERT INTO access_log(at, teacher, action, target) VALUES (?,?,?,?)",
                        (now(), one_line(teacher)[:200], action, one_line(target)[:500]))

    def access_log(self, limit: int = 500) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM access_log ORDER BY id DESC LIMIT ?", (limit,))]

    def setting(self, key: str, default: str) -> str:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO settings(key, value) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    def forget_audio(self, student_id: int) -> None:
        """Clear the recording paths of a student's answers (the files: ``StudentFiles.delete_recordings``)."""
        self.db.execute("UPDATE answers SET audio_path=NULL WHERE id IN (SELECT answers.id FROM answers JOIN sessions "
                        "ON sessions.id = answers.session_id WHERE sessions.student_id=?)", (student_id,))

    # ------------------------------------------------------------ teachers and sign-in

    def teacher_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM teachers WHERE instr(key, char(0)) = 0 ORDER BY key")]

    def teacher(self, name: str) -> tuple[int, str, str] | None:
        """(id, name, password hash) of the teacher called ``name``, however it is written."""
        row = self.db.execute("SELECT id, name, pw_hash FROM teachers WHERE key=?", (name_key(name),)).fetchone()
        return tuple(row) if row else None

    def add_teacher(self, name: str, pw_hash: str) -> None:
        name = person_name(name)
        try:
            self.db.execute("INSERT INTO teachers(name, key, pw_hash, created) VALUES (?,?,?,?)",
                            (name, name_key(name), pw_hash, now()))
        except sqlite3.IntegrityError:
            existing = self.teacher(name)
            raise already_exists(existing[1] if existing else name) from None

    def set_teacher_password(self, teacher_id: int, pw_hash: str, end_sessions: bool = False) -> None:
        with self._tx():
            self.db.execute("UPDATE teachers SET pw_hash=? WHERE id=?", (pw_hash, teacher_id))
            if end_sessions:  # a new password signs out everyone who signed in with the old one
                self.db.execute("DELETE FROM web_sessions WHERE teacher_id=?", (teacher_id,))

    def remove_teacher(self, teacher_id: int) -> None:
        self.db.execute("DELETE FROM teachers WHERE id=?", (teacher_id,))

    def use_signin_token(self, token: str, expires: float) -> bool:
        """Note a sign-in form's token as used; False if it was used before (a form
        is sent once). Used tokens are kept until the form would have expired."""
        import hashlib

        key = hashlib.sha256(token.encode()).hexdigest()
        with self._tx():
            self.db.execute("DELETE FROM signin_used WHERE expires < ?", (time.time(),))
            if self.db.execute("SELECT 1 FROM signin_used WHERE token=?", (key,)).fetchone():
                return False
            self.db.execute("INSERT INTO signin_used(token, expires) VALUES (?,?)", (key, expires))
        return True

    def take_attempt(self, keys: list[tuple[str, int]], forget_after: float, most_wait: float) -> float:
        """Count a sign-in attempt under each key before the password is checked, in
        one transaction, so attempts sent at once cannot all slip through before
        any is counted. Returns how long to wait (and counts nothing) when one key
        has had ``free`` tries or more lately; 0 when the attempt may go ahead."""
        t = time.time()
        with self._tx():
            wait = 0.0
            for key, free in keys:
                row = self.db.execute("SELECT count, last FROM throttle WHERE key=?", (key,)).fetchone()
                if row and row[0] >= free and t - row[1] <= forget_after:
                    wait = max(wait, row[1] + min(2 ** (row[0] - free) * 2, most_wait) - t)
            if wait > 0:
                return wait
            for key, _ in keys:
                self.db.execute("INSERT INTO throttle(key, count, last) VALUES (?,1,?) ON CONFLICT(key) DO UPDATE SET "
                                "count = CASE WHEN last < ? THEN 1 ELSE count + 1 END, last=excluded.last",
                                (key, t, t - forget_after))
        return 0.0

    def forgive_attempt(self, account_key: str, client_key: str) -> None:
        """A right password: the account's count goes, and this attempt no longer counts for the client."""
        with self._tx():
            self.db.execute("DELETE FROM throttle WHERE key=?", (account_key,))
            self.db.execute("UPDATE throttle SET count = MAX(count - 1, 0) WHERE key=?", (client_key,))

    def add_web_session(self, token_hash: str, teacher_id: int, csrf: str, expires: float, idle: float) -> None:
        t = time.time()
        with self._tx():
            # sign-ins that ended (expired, or idle too long) are forgotten, not kept forever
            self.db.execute("DELETE FROM web_sessions WHERE expires < ? OR seen < ?", (t, t - idle))
            self.db.execute("INSERT INTO web_sessions(token, teacher_id, csrf, expires, seen) VALUES (?,?,?,?,?)",
                            (token_hash, teacher_id, csrf, expires, t))

    def web_session(self, token_hash: str) -> dict | None:
        row = self.db.execute("SELECT teachers.name, web_sessions.csrf, web_sessions.expires, web_sessions.seen, "
                              "web_sessions.token FROM web_sessions JOIN teachers ON teachers.id = web_sessions.teacher_id "
                              "WHERE web_sessions.token=?", (token_hash,)).fetchone()
        return dict(row) if row else None

    def touch_web_session(self, token_hash: str) -> None:
        self.db.execute("UPDATE web_sessions SET seen=? WHERE token=?", (time.time(), token_hash))

    def end_web_session(self, token_hash: str) -> None:
        self.db.execute("DELETE FROM web_sessions WHERE token=?", (token_hash,))
