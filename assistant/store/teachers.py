"""Teachers and their sign-ins to the review app.

``Teachers`` owns the accounts (table ``teachers``): one account per name key
(``assistant.text.name_key``), whatever case or spacing a name is typed with.
``SignIns`` owns what a sign-in leaves behind: sign-ins in progress
(``web_sessions``, by the hash of their cookie), sign-in forms already used
(``signin_used``) and wrong-password counts (``throttle``). None of that is data
to keep: a backup leaves it out (``SignIns.forget_all``). The password hashing,
the rules and the waits are ``assistant.review.auth``'s.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from typing import NamedTuple

from assistant.errors import UserError
from assistant.store.db import Database, now
from assistant.text import name_key, person_name


def already_exists(name: str) -> UserError:
    return UserError(f"a teacher named '{name}' already exists (names are the same whatever their case or spacing); "
                     f"to give them a new password: iep-assistant teacher passwd \"{name}\"")


class Teacher(NamedTuple):
    id: int
    name: str
    pw_hash: str


class Teachers:
    def __init__(self, db: Database):
        self.db = db

    def names(self) -> list[str]:
        """Every account that can sign in (a duplicate kept aside by migration 2 cannot)."""
        return [r[0] for r in self.db.execute("SELECT name FROM teachers WHERE instr(key, char(0)) = 0 ORDER BY key")]

    def get(self, name: str) -> Teacher | None:
        """The teacher called ``name``, however it is written."""
        row = self.db.execute("SELECT id, name, pw_hash FROM teachers WHERE key=?", (name_key(name),)).fetchone()
        return Teacher(*row) if row else None

    def add(self, name: str, pw_hash: str) -> None:
        name = person_name(name)
        try:
            self.db.execute("INSERT INTO teachers(name, key, pw_hash, created) VALUES (?,?,?,?)",
                            (name, name_key(name), pw_hash, now()))
        except sqlite3.IntegrityError:
            existing = self.get(name)
            raise already_exists(existing.name if existing else name) from None

    def set_password(self, teacher_id: int, pw_hash: str) -> None:
        self.db.execute("UPDATE teachers SET pw_hash=? WHERE id=?", (pw_hash, teacher_id))

    def remove(self, teacher_id: int) -> None:
        """The account; its sign-ins go with it (ON DELETE CASCADE)."""
        self.db.execute("DELETE FROM teachers WHERE id=?", (teacher_id,))


class SignIns:
    TABLES = ("web_sessions", "signin_used", "throttle")

    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------ wrong passwords

    def take_attempt(self, keys: list[tuple[str, int]], forget_after: float, most_wait: float) -> float:
        """Count a sign-in attempt under each key before the password is checked, in
        one transaction, so attempts sent at once cannot all slip through before
        any is counted. Returns how long to wait (and counts nothing) when one key
        has had ``free`` tries or more lately; 0 when the attempt may go ahead."""
        t = time.time()
        with self.db.transaction():
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
        with self.db.transaction():
            self.db.execute("DELETE FROM throttle WHERE key=?", (account_key,))
            self.db.execute("UPDATE throttle SET count = MAX(count - 1, 0) WHERE key=?", (client_key,))

    # ------------------------------------------------------------ sign-in forms

    def use_form_token(self, token: str, expires: float) -> bool:
        """Note a sign-in form's token as used; False if it was used before (a form
        is sent once). Used tokens are kept until the form would have expired."""
        key = hashlib.sha256(token.encode()).hexdigest()
        with self.db.transaction():
            self.db.execute("DELETE FROM signin_used WHERE expires < ?", (time.time(),))
            if self.db.execute("SELECT 1 FROM signin_used WHERE token=?", (key,)).fetchone():
                return False
            self.db.execute("INSERT INTO signin_used(token, expires) VALUES (?,?)", (key, expires))
        return True

    # ------------------------------------------------------------ signed in

    def add(self, token_hash: str, teacher_id: int, csrf: str, expires: float, idle: float) -> None:
        t = time.time()
        with self.db.transaction():
            # sign-ins that ended (expired, or idle too long) are forgotten, not kept forever
            self.db.execute("DELETE FROM web_sessions WHERE expires < ? OR seen < ?", (t, t - idle))
            self.db.execute("INSERT INTO web_sessions(token, teacher_id, csrf, expires, seen) VALUES (?,?,?,?,?)",
                            (token_hash, teacher_id, csrf, expires, t))

    def get(self, token_hash: str) -> dict | None:
        """The sign-in's teacher ``name``, ``csrf``, ``expires``, last ``seen`` and ``token`` (hash)."""
        row = self.db.execute("SELECT teachers.name, web_sessions.csrf, web_sessions.expires, web_sessions.seen, "
                              "web_sessions.token FROM web_sessions JOIN teachers ON teachers.id = web_sessions.teacher_id "
                              "WHERE web_sessions.token=?", (token_hash,)).fetchone()
        return dict(row) if row else None

    def touch(self, token_hash: str) -> None:
        self.db.execute("UPDATE web_sessions SET seen=? WHERE token=?", (time.time(), token_hash))

    def end(self, token_hash: str) -> None:
        self.db.execute("DELETE FROM web_sessions WHERE token=?", (token_hash,))

    def end_all_of(self, teacher_id: int) -> None:
        self.db.execute("DELETE FROM web_sessions WHERE teacher_id=?", (teacher_id,))

    def forget_all(self) -> None:
        """Every sign-in, used form and wrong-password count (a backup's copy keeps none:
        a restored sign-in could bring back one since signed out). A table an older
        database does not have yet is skipped."""
        for table in self.TABLES:
            if self.db.has_table(table):
                self.db.execute(f"DELETE FROM {table}")
