"""Every saved version of each student's draft (table ``drafts``): the one built
at the end of a session, each teacher's edit, the approved one. Versions are
never changed or deleted, only added (a student's are deleted with them)."""

from __future__ import annotations

import json

from assistant.store.db import Database, now


def _with_body(row) -> dict | None:
    return {**dict(row), "body": json.loads(row["body"])} if row else None


class DraftVersions:
    def __init__(self, db: Database):
        self.db = db

    def add(self, student_id: int, session_id: int | None, body: dict, status: str, author: str | None = None) -> int:
        """Store a new version of a student's draft; returns its number."""
        with self.db.transaction():
            row = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM drafts WHERE student_id=?", (student_id,)).fetchone()
            self.db.execute("INSERT INTO drafts(student_id, session_id, version, status, body, created, author) "
                            "VALUES (?,?,?,?,?,?,?)",
                            (student_id, session_id, row[0] + 1, status, json.dumps(body, ensure_ascii=False), now(), author))
        return row[0] + 1

    def of_student(self, student_id: int) -> list[dict]:
        """Every version of a student's draft, without their bodies (a list to choose from)."""
        rows = self.db.execute("SELECT id, student_id, session_id, version, status, created, author FROM drafts "
                               "WHERE student_id=? ORDER BY version", (student_id,)).fetchall()
        return [dict(r) for r in rows]

    def get(self, student_id: int, version: int) -> dict | None:
        return _with_body(self.db.execute("SELECT * FROM drafts WHERE student_id=? AND version=?",
                                          (student_id, version)).fetchone())

    def latest(self, student_id: int) -> dict | None:
        return _with_body(self.db.execute("SELECT * FROM drafts WHERE student_id=? ORDER BY version DESC LIMIT 1",
                                          (student_id,)).fetchone())

    def delete_of_student(self, student_id: int) -> None:
        self.db.execute("DELETE FROM drafts WHERE student_id=?", (student_id,))
