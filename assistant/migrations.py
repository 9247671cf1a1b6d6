"""The database schema, as numbered steps. ``PRAGMA user_version`` is the number of
steps a database has had; opening it runs the missing ones, each in one
transaction, so a crash mid-way leaves the database at the last whole step.

Never change a step once released: add a new one.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable

from assistant.text import name_key


def _v1(db: sqlite3.Connection) -> None:
    """The first schema (iep-assistant 0.1). Databases 0.1 made have no version number
    (user_version 0) and the oldest of them no ``drafts.author``: this step brings
    every one of them, and a new file, to the same shape."""
    # statement by statement: executescript() would commit the step's transaction
    for statement in """
    CREATE TABLE IF NOT EXISTS students (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, grade INTEGER NOT NULL, language TEXT NOT NULL DEFAULT 'en',
        rate INTEGER, voice TEXT, accommodations TEXT NOT NULL DEFAULT '[]', past_goals TEXT NOT NULL DEFAULT '[]',
        created TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS sessions (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        dialogue_id TEXT NOT NULL, status TEXT NOT NULL, position TEXT, started TEXT NOT NULL, updated TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS answers (
        id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        step TEXT NOT NULL, field TEXT NOT NULL, prompt TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
        words TEXT NOT NULL DEFAULT '[]', engine TEXT, model TEXT, audio_path TEXT,
        confirmed INTEGER NOT NULL DEFAULT 0, superseded INTEGER NOT NULL DEFAULT 0, extra TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS answers_session ON answers(session_id, id);
    CREATE TABLE IF NOT EXISTS drafts (
        id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
        body TEXT NOT NULL, created TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS teachers (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pw_hash TEXT NOT NULL, created TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS web_sessions (
        token TEXT PRIMARY KEY, teacher_id INTEGER NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL, expires REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS login_failures (name TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS reviews (
        answer_id INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE, status TEXT NOT NULL,
        correction TEXT, teacher TEXT NOT NULL, at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS access_log (
        id INTEGER PRIMARY KEY, at TEXT NOT NULL, teacher TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """.split(";"):
        if statement.strip():
            db.execute(statement)
    columns = {r[1] for r in db.execute("PRAGMA table_info(drafts)")}
    if "author" not in columns:  # databases made before drafts had authors
        db.execute("ALTER TABLE drafts ADD COLUMN author TEXT")


def _rebuild(db: sqlite3.Connection, table: str, create: str, columns: str) -> None:
    """Replace ``table`` by ``create`` keeping its rows (SQLite cannot alter a
    primary key in place). Other tables' references follow the rename."""
    db.execute(create.replace(f"CREATE TABLE {table} ", f"CREATE TABLE {table}_new ", 1))
    db.execute(f"INSERT INTO {table}_new({columns}) SELECT {columns} FROM {table}")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")


def _v2(db: sqlite3.Connection, data_dir: str) -> None:
    """Ids are never reused (AUTOINCREMENT), so an old access-log line can never
    point at a later student; teachers are known by one normalised name key;
    sign-in throttling by account and by client; sign-in forms used once;
    recordings stored relative to the data folder."""
    _rebuild(db, "students", """CREATE TABLE students (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, grade INTEGER NOT NULL,
        language TEXT NOT NULL DEFAULT 'en', rate INTEGER, voice TEXT, accommodations TEXT NOT NULL DEFAULT '[]',
        past_goals TEXT NOT NULL DEFAULT '[]', created TEXT NOT NULL)""",
             "id, name, grade, language, rate, voice, accommodations, past_goals, created")
    _rebuild(db, "sessions", """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        dialogue_id TEXT NOT NULL, status TEXT NOT NULL, position TEXT, started TEXT NOT NULL, updated TEXT NOT NULL)""",
             "id, student_id, dialogue_id, status, position, started, updated")
    _rebuild(db, "answers", """CREATE TABLE answers (
        id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        step TEXT NOT NULL, field TEXT NOT NULL, prompt TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
        words TEXT NOT NULL DEFAULT '[]', engine TEXT, model TEXT, audio_path TEXT,
        confirmed INTEGER NOT NULL DEFAULT 0, superseded INTEGER NOT NULL DEFAULT 0, extra TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL)""",
             "id, session_id, step, field, prompt, kind, text, words, engine, model, audio_path, confirmed, superseded, "
             "extra, created")
    db.execute("CREATE INDEX IF NOT EXISTS answers_session ON answers(session_id, id)")
    _rebuild(db, "drafts", """CREATE TABLE drafts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
        body TEXT NOT NULL, created TEXT NOT NULL, author TEXT)""",
             "id, student_id, session_id, version, status, body, created, author")
    # Teachers: one key per name. Two accounts whose names differ only in case or
    # spacing could never both sign in; the older keeps the name, a newer one is
    # kept (not deleted) under a key no one can type, so an administrator can see it.
    rows = db.execute("SELECT id, name, pw_hash, created FROM teachers ORDER BY id").fetchall()
    db.execute("DROP TABLE web_sessions")
    db.execute("DROP TABLE teachers")
    db.execute("""CREATE TABLE teachers (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, key TEXT NOT NULL UNIQUE, pw_hash TEXT NOT NULL,
        created TEXT NOT NULL)""")
    seen: set[str] = set()
    for tid, name, pw_hash, created in rows:
        key = name_key(name)
        if key in seen:
            key = f"{key}\x00duplicate-{tid}"
        seen.add(key)
        db.execute("INSERT INTO teachers(id, name, key, pw_hash, created) VALUES (?,?,?,?,?)", (tid, name, key, pw_hash, created))
    db.execute("""CREATE TABLE web_sessions (
        token TEXT PRIMARY KEY, teacher_id INTEGER NOT NULL REFERENCES teachers(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL, expires REAL NOT NULL, seen REAL NOT NULL DEFAULT 0)""")
    db.execute("DROP TABLE login_failures")
    db.execute("CREATE TABLE throttle (key TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL)")
    db.execute("CREATE TABLE signin_used (token TEXT PRIMARY KEY, expires REAL NOT NULL)")
    # Ids already given out before this step (deleted students included, as far as
    # the access log remembers them) are never given again.
    used = [int(n) for (t,) in db.execute("SELECT target FROM access_log") for n in re.findall(r"#(\d{1,18})\b", t)]
    top = max([0, *used, *(r[0] or 0 for r in db.execute("SELECT MAX(id) FROM students"))])
    db.execute("DELETE FROM sqlite_sequence WHERE name='students'")
    db.execute("INSERT INTO sqlite_sequence(name, seq) VALUES ('students', ?)", (top,))
    # recordings: relative to the data folder, so a restored or moved folder keeps them
    prefix = os.path.realpath(data_dir) + os.sep
    for aid, path in db.execute("SELECT id, audio_path FROM answers WHERE audio_path IS NOT NULL").fetchall():
        real = os.path.realpath(path)
        if real.startswith(prefix):
            db.execute("UPDATE answers SET audio_path=? WHERE id=?", (real[len(prefix):], aid))


def _v3(db: sqlite3.Connection) -> None:
    """The student's display settings for their screen (text size, font, spacing,
    theme, switch dwell), as one JSON object: the page's settings change together
    and are read together; speech rate and voice keep their own columns."""
    db.execute("ALTER TABLE students ADD COLUMN display TEXT NOT NULL DEFAULT '{}'")


def _v4(db: sqlite3.Connection) -> None:
    """The continuum and the school year: each student's role (NULL: the default
    for their grade, ``roles.default_role``) and whether they are archived (the
    time, or NULL); the lessons a student has done, their meeting rehearsals and
    their goal check-ins. Each of the three keeps its own rows by date: they are
    the evidence of a year, only ever added to (and deleted with the student)."""
    for statement in """
    ALTER TABLE students ADD COLUMN role INTEGER;
    ALTER TABLE students ADD COLUMN archived TEXT;
    CREATE TABLE lessons (
        id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        lesson TEXT NOT NULL, at TEXT NOT NULL, passed INTEGER NOT NULL, body TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX lessons_student ON lessons(student_id, id);
    CREATE TABLE rehearsals (
        id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        at TEXT NOT NULL, body TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX rehearsals_student ON rehearsals(student_id, id);
    CREATE TABLE checkins (
        id INTEGER PRIMARY KEY AUTOINCREMENT, student_id INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
        at TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX checkins_student ON checkins(student_id, at, id);
    """.split(";"):
        if statement.strip():
            db.execute(statement)


STEPS: list[Callable] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(STEPS)


def migrate(db: sqlite3.Connection, data_dir: str) -> None:
    """Bring ``db`` to ``SCHEMA_VERSION``; refuses a database from a newer program."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NewerDatabase(version)
    for n in range(version, SCHEMA_VERSION):
        step = STEPS[n]
        db.execute("PRAGMA foreign_keys=OFF")  # tables are rebuilt: checked once the step is whole
        db.execute("BEGIN IMMEDIATE")
        try:
            step(db, data_dir) if step.__code__.co_argcount == 2 else step(db)
            bad = db.execute("PRAGMA foreign_key_check").fetchall()
            if bad:
                raise sqlite3.IntegrityError(f"migration {n + 1} left {len(bad)} broken references")
            db.execute(f"PRAGMA user_version={n + 1}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.execute("PRAGMA foreign_keys=ON")


def schema_shape(db: sqlite3.Connection) -> dict:
    """What a database's schema is, as data: its tables' columns and foreign keys,
    its indexes, and anything else (triggers, views) by name. Two databases at the
    same version have the same shape whatever text made their tables."""
    shape: dict = {"tables": {}, "indexes": {}, "other": sorted(
        (t, n) for t, n in db.execute("SELECT type, name FROM sqlite_master WHERE type NOT IN ('table', 'index')"))}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall():
        columns = [(r[1], r[2].upper(), r[3], r[5]) for r in db.execute(f'PRAGMA table_xinfo("{name}")')]
        keys = sorted((r[2], r[3], r[4]) for r in db.execute(f'PRAGMA foreign_key_list("{name}")'))
        shape["tables"][name] = (columns, keys)
    for name, table in db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type='index' ORDER BY name").fetchall():
        shape["indexes"][name] = (table, [r[2] for r in db.execute(f'PRAGMA index_info("{name}")')])
    return shape


def expected_shape(version: int) -> dict:
    """The shape of a database this program makes at ``version`` (1 to SCHEMA_VERSION)."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for step in STEPS[:version]:
            step(db, ":memory:") if step.__code__.co_argcount == 2 else step(db)
        return schema_shape(db)
    finally:
        db.close()


class NewerDatabase(Exception):
    def __init__(self, version: int):
        super().__init__(version)
        self.version = version
