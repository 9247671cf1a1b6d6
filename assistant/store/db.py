"""One SQLite connection: how it is opened, its transactions, and what its errors
mean for the person at the computer.

Only the repositories beside this module (and the schema steps in
``assistant.migrations``) run statements through it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from assistant import paths
from assistant.errors import (
    StorageDamaged,
    StorageError,
    StorageFull,
    StorageReadOnly,
    free_bytes,
    read_only,
)

MAX_ID = 2**63 - 1  # SQLite's largest integer: bigger numbers cannot be ids


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


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


class Database:
    """A connection and its transactions. Rows come as ``sqlite3.Row``.

    Used by one thread at a time (the review app opens one per server thread).
    A connection made elsewhere (a backup's in-memory copy) can be wrapped too:
    its errors then stay ``sqlite3`` errors, for the caller to judge."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        conn.row_factory = sqlite3.Row
        self._depth = 0

    @classmethod
    def open(cls, path: Path, folder: Path) -> Database:
        """The data folder's database, in WAL mode with ``synchronous=FULL``, its errors
        translated (``storage_error``), checked whole before anything is written."""
        conn = sqlite3.connect(path, isolation_level=None, timeout=10, factory=_Connection, check_same_thread=False)
        conn.folder = Path(folder)
        db = cls(conn)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                           # deleted rows are overwritten, not left in free pages (some SQLite builds default to off)
                           "secure_delete=ON"):
                conn.execute(f"PRAGMA {pragma}")
            db._check(path)
        except BaseException:
            conn.close()
            raise
        return db

    @classmethod
    def untrusted(cls, conn: sqlite3.Connection) -> Database:
        """A database from elsewhere (an archive): no functions run from its schema."""
        conn.execute("PRAGMA trusted_schema=OFF")
        return cls(conn)

    def _check(self, path: Path) -> None:
        """A damaged file is found when it is opened, before a session asks its first
        question, not half-way through (quick_check reads every page: milliseconds
        for a classroom's data)."""
        try:
            rows = [r[0] for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        except StorageError:
            raise
        except sqlite3.DatabaseError as e:
            raise storage_error(e, Path(path).parent) from None
        if rows != ["ok"]:
            raise StorageDamaged(f"the database {path} is damaged ({rows[0]}); nothing was written to it. Restore "
                                 "the last backup with: iep-assistant restore FILE (keep a copy of the damaged file for IT)")

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def insert(self, sql: str, params=()) -> int:
        """Run an INSERT of one row: that row's id."""
        rowid = self.execute(sql, params).lastrowid
        assert rowid is not None  # sqlite3 sets it after every INSERT that stores a row
        return rowid

    @contextlib.contextmanager
    def transaction(self):
        """One write transaction: all of it is stored, or (full disk, crash) none of it.
        Inside another, it is a savepoint of it: a unit of work made of several
        repositories' writes (a finished session and its draft) is still one
        transaction, and each repository's own writes stay whole."""
        if self._depth:
            name = f"s{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
                self.conn.execute(f"RELEASE {name}")
            except BaseException:
                with contextlib.suppress(sqlite3.Error, StorageError):
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error, StorageError):  # the error that got here is the one to report
                    self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it (deleted rows are then
        gone from the log too); a busy database is left for the next checkpoint."""
        with contextlib.suppress(sqlite3.Error, StorageError):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def user_version(self) -> int:
        """The schema version (``assistant.migrations``)."""
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def integrity_problems(self) -> list[str]:
        """What ``PRAGMA integrity_check`` finds; empty when the database is whole."""
        rows = [r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall()]
        return [] if rows == ["ok"] else rows

    def has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None

    def close(self) -> None:
        self.conn.close()
