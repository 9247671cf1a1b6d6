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
    store.lessons         lessons done                   (year.py)
    store.rehearsals      meeting rehearsals             (year.py)
    store.checkins        goal check-ins                 (year.py)

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
from assistant.errors import StorageError, UserError, os_storage_error
from assistant.locks import FileLock, data_lock
from assistant.migrations import NewerDatabase, migrate
from assistant.store.db import Database, storage_error
from assistant.store.drafts import DraftVersions
from assistant.store.log import AccessLog
from assistant.store.sessions import Answer, Session, Transcripts
from assistant.store.settings import Settings
from assistant.store.students import Roster, Student
from assistant.store.teachers import SignIns, Teacher, Teachers, already_exists
from assistant.store.year import Checkins, Lessons, Rehearsals

__all__ = ["AccessLog", "Answer", "Checkins", "Database", "DraftVersions", "Lessons", "Rehearsals", "Roster", "Session",
           "Settings", "SignIns", "StorageError", "Store", "Student", "Teacher", "Teachers", "Transcripts",
           "already_exists", "default_data_dir", "os_storage_error", "storage_error"]

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
        self.lessons = Lessons(self.db)
        self.rehearsals = Rehearsals(self.db)
        self.checkins = Checkins(self.db)

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self._unlock()

    def _open_db(self) -> Database:
        if self.db is None:
            raise RuntimeError(f"the store of {self.dir} is closed")
        return self.db

    def transaction(self) -> contextlib.AbstractContextManager:
        """Writes of several repositories as one transaction: all stored, or none."""
        return self._open_db().transaction()

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
        self._open_db().checkpoint()  # the deleted pages may still be in the write-ahead log
