"""The access log (table ``access_log``): who viewed, listened to, changed,
exported or deleted what, and every sign-in. Lines are only added."""

from __future__ import annotations

from assistant.store.db import Database, now
from assistant.text import one_line


class AccessLog:
    def __init__(self, db: Database):
        self.db = db

    def add(self, who: str, action: str, target: str, at: str | None = None) -> None:
        # names and file names are on one line, as in every other log line
        self.db.execute("INSERT INTO access_log(at, teacher, action, target) VALUES (?,?,?,?)",
                        (at or now(), one_line(who)[:200], action, one_line(target)[:500]))

    def recent(self, limit: int = 500) -> list[dict]:
        """The latest lines, newest first."""
        return [dict(r) for r in self.db.execute("SELECT * FROM access_log ORDER BY id DESC LIMIT ?", (limit,))]
