"""SQLite storage that loses nothing: students, sessions, every answer attempt,
drafts, teachers, the access log.

``Store`` opens the data folder and its database once; repositories own all the
SQL, one per area:

    store.roster          students                       (students.py)
    store.transcripts     sessions, answers, reviews     (sessions.py)
    store.draft_versions  drafts                         (drafts.py)
    store.teachers        teacher accounts               (teachers.py)
    store.sign_ins        review-app sign-ins, throttle  (teachers.py)
    store.audit           the access log                 (log.py)
    store.settings        settings                       (settings.py)

The connection, transactions and what SQLite's errors mean are ``db.py``'s; the
schema is ``assistant.migrations``'. Each write is its own transaction,
committed before the caller goes on, with the journal in WAL mode and
``synchronous=FULL``: a session killed at any moment (kill -9, power loss) keeps
every answer committed before it. Writes that belong together across
repositories are one ``store.transaction()``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from assistant import paths
from assistant.errors import (  # noqa: F401
    StorageDamaged,
    StorageError,
    StorageFull,
    StorageReadOnly,
    UserError,
    free_bytes,
    os_storage_error,
    read_only,
)
from assistant.locks import FileLock, data_lock
from assistant.migrations import NewerDatabase, migrate
from assistant.store.db import MAX_ID, Database, now, storage_error  # noqa: F401
from assistant.store.drafts import DraftVersions
from assistant.store.log import AccessLog
from assistant.store.sessions import Answer, Session, Transcripts
from assistant.store.settings import Settings
from assistant.store.students import MAX_ITEM, MAX_NAME, Roster, Student, parse_id  # noqa: F401
from assistant.store.teachers import SignIns, Teacher, Teachers, already_exists  # noqa: F401

default_data_dir = paths.default_data_dir


class Store:
    """The data folder's database. Opening it makes the folder private, brings the
    schema up to date and checks the file is whole; every process that has it
    open holds the folder's shared lock, so a restore never swaps it underneath."""

    def __init__(self, data_dir: Path | None = None):
        self.dir = paths.prepare_data_dir(Path(data_dir) if data_dir else default_data_dir())
        self.path = self.dir / paths.DB_NAME
        self.db: Database | None = None
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
            self.db = Database.open(self.path, self.dir)
            migrate(self.db.conn, str(self.dir))
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
        self.roster = Roster(self.db)
        self.transcripts = Transcripts(self.db)
        self.draft_versions = DraftVersions(self.db)
        self.teachers = Teachers(self.db)
        self.sign_ins = SignIns(self.db)
        self.audit = AccessLog(self.db)
        self.settings = Settings(self.db)

    @property
    def audio_dir(self) -> Path:
        return self.dir / "audio"

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self._unlock()

    def transaction(self) -> contextlib.AbstractContextManager:
        """Writes of several repositories as one transaction: all stored, or none."""
        return self.db.transaction()

    # ------------------------------------------------------------ units of work across repositories
    # Writes that belong together, whoever asks for them: one transaction each.

    def finish_session(self, session_id: int, student_id: int, body: dict) -> int:
        """Mark a session finished and save the draft built from it, in one
        transaction: a crash between the two can never leave a finished session
        whose draft is an older one. Returns the draft's version."""
        with self.transaction():
            self.transcripts.finish(session_id)
            return self.draft_versions.add(student_id, session_id, body, "ready_for_review")

    def remove_student(self, sid: int) -> None:
        """Delete a student's rows (their files: ``recordings.StudentFiles.delete_all``)."""
        with self.transaction():
            self.draft_versions.delete_of_student(sid)
            self.transcripts.delete_of_student(sid)
            self.roster.delete(sid)
        self.db.checkpoint()  # the deleted pages may still be in the write-ahead log

    # ------------------------------------------------------------ delegations
    # The methods below only call a repository. They keep callers written before
    # the repositories (the dialogue engine, the CLI's session and demo, the
    # benchmark, tests) working; new code calls the repositories. Remove each once
    # nothing calls it.

    def add_student(self, name: str, grade: int, language: str = "en", accommodations: list[str] = (),
                    past_goals: list[str] = ()) -> Student:
        return self.roster.add(name, grade, language, accommodations, past_goals)

    def student_by_id(self, sid: int) -> Student:
        return self.roster.get(sid)

    def has_student(self, sid: int) -> bool:
        return self.roster.exists(sid)

    def students(self) -> list[Student]:
        return self.roster.all()

    def find_student(self, ref: str) -> Student:
        return self.roster.find(ref)

    def set_student_voice(self, sid: int, rate: int | None = None, voice: str | None = None) -> None:
        self.roster.set_voice(sid, rate, voice)

    def start_session(self, student_id: int, dialogue_id: str) -> Session:
        return self.transcripts.start(student_id, dialogue_id)

    def session(self, sid: int) -> Session:
        return self.transcripts.session(sid)

    def sessions(self, student_id: int) -> list[Session]:
        return self.transcripts.of_student(student_id)

    def latest_session(self, student_id: int, unfinished: bool = False) -> Session | None:
        return self.transcripts.latest(student_id, unfinished)

    def set_position(self, session_id: int, position: str | None, status: str = "in_progress") -> None:
        self.transcripts.set_position(session_id, position, status)

    def add_answer(self, session_id: int, step: str, field: str, prompt: str, kind: str, text: str,
                   words: list[dict] = (), engine: str | None = None, model: str | None = None,
                   audio_path: str | None = None, confirmed: bool = False, extra: dict | None = None) -> int:
        return self.transcripts.add_answer(session_id, step, field, prompt, kind, text, words, engine, model, audio_path,
                                           confirmed, extra)

    def commit_answer(self, answer_id: int, position: str | None, supersede_step: str | None = None,
                      supersede_ids: list[int] = ()) -> None:
        self.transcripts.commit_answer(answer_id, position, supersede_step, supersede_ids)

    def answers(self, session_id: int) -> list[Answer]:
        return self.transcripts.answers(session_id)

    def answer(self, answer_id: int) -> Answer | None:
        return self.transcripts.answer(answer_id)

    def ask_again(self, student_id: int, before_session: int) -> list[Answer]:
        return self.transcripts.ask_again(student_id, before_session)

    def review_answer(self, answer_id: int, status: str, teacher: str, correction: str | None = None) -> None:
        self.transcripts.review(answer_id, status, teacher, correction)

    def reviews(self, session_id: int) -> dict[int, dict]:
        return self.transcripts.reviews(session_id)

    def forget_audio(self, student_id: int) -> None:
        self.transcripts.forget_audio(student_id)

    def save_draft(self, student_id: int, session_id: int | None, body: dict, status: str, author: str | None = None) -> int:
        return self.draft_versions.add(student_id, session_id, body, status, author)

    def drafts(self, student_id: int) -> list[dict]:
        return self.draft_versions.of_student(student_id)

    def draft_version(self, student_id: int, version: int) -> dict | None:
        return self.draft_versions.get(student_id, version)

    def latest_draft(self, student_id: int) -> dict | None:
        return self.draft_versions.latest(student_id)

    def log(self, teacher: str, action: str, target: str) -> None:
        self.audit.add(teacher, action, target)

    def access_log(self, limit: int = 500) -> list[dict]:
        return self.audit.recent(limit)

    def setting(self, key: str, default: str) -> str:
        return self.settings.get(key, default)

    def set_setting(self, key: str, value: str) -> None:
        self.settings.set(key, value)

    def teacher_names(self) -> list[str]:
        return self.teachers.names()

    def teacher(self, name: str) -> Teacher | None:
        return self.teachers.get(name)

    def add_teacher(self, name: str, pw_hash: str) -> None:
        self.teachers.add(name, pw_hash)

    def set_teacher_password(self, teacher_id: int, pw_hash: str, end_sessions: bool = False) -> None:
        with self.transaction():  # the rule (a new password signs out) is auth.set_password's
            self.teachers.set_password(teacher_id, pw_hash)
            if end_sessions:
                self.sign_ins.end_all_of(teacher_id)

    def remove_teacher(self, teacher_id: int) -> None:
        self.teachers.remove(teacher_id)

    def use_signin_token(self, token: str, expires: float) -> bool:
        return self.sign_ins.use_form_token(token, expires)

    def take_attempt(self, keys: list[tuple[str, int]], forget_after: float, most_wait: float) -> float:
        return self.sign_ins.take_attempt(keys, forget_after, most_wait)

    def forgive_attempt(self, account_key: str, client_key: str) -> None:
        self.sign_ins.forgive_attempt(account_key, client_key)

    def add_web_session(self, token_hash: str, teacher_id: int, csrf: str, expires: float, idle: float) -> None:
        self.sign_ins.add(token_hash, teacher_id, csrf, expires, idle)

    def web_session(self, token_hash: str) -> dict | None:
        return self.sign_ins.get(token_hash)

    def touch_web_session(self, token_hash: str) -> None:
        self.sign_ins.touch(token_hash)

    def end_web_session(self, token_hash: str) -> None:
        self.sign_ins.end(token_hash)
