"""What happens around the IEP through the school year, by date: the lessons a
student has done (table ``lessons``), their meeting rehearsals (``rehearsals``)
and their goal check-ins (``checkins``). Rows are only added (a check-in is
updated while it runs, so a paused one keeps what was said); each row's ``body``
is JSON whose shape belongs to the feature that writes it."""

from __future__ import annotations

import json

from assistant.store.db import Database, now


def _row(row) -> dict:
    return {**dict(row), "body": json.loads(row["body"])}


class Lessons:
    """Each time a student did a lesson: which one, when, whether they answered
    its check, and what they said (``body``)."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, student_id: int, lesson: str, passed: bool, body: dict, at: str | None = None) -> int:
        return self.db.insert("INSERT INTO lessons(student_id, lesson, at, passed, body) VALUES (?,?,?,?,?)",
                              (student_id, lesson, at or now(), int(passed), json.dumps(body, ensure_ascii=False)))

    def of_student(self, student_id: int) -> list[dict]:
        """Every lesson attempt, oldest first."""
        return [_row(r) for r in self.db.execute("SELECT * FROM lessons WHERE student_id=? ORDER BY id", (student_id,))]


class Rehearsals:
    """Each time a student rehearsed their meeting script: ``body`` says which parts
    they covered."""

    def __init__(self, db: Database):
        self.db = db

    def add(self, student_id: int, body: dict, at: str | None = None) -> int:
        return self.db.insert("INSERT INTO rehearsals(student_id, at, body) VALUES (?,?,?)",
                              (student_id, at or now(), json.dumps(body, ensure_ascii=False)))

    def of_student(self, student_id: int) -> list[dict]:
        return [_row(r) for r in self.db.execute("SELECT * FROM rehearsals WHERE student_id=? ORDER BY id", (student_id,))]


class Checkins:
    """Goal check-ins: ``status`` is "started" while one runs (its body saved after
    every answer) and "finished" at its end; ``at`` is the date it is about."""

    def __init__(self, db: Database):
        self.db = db

    def start(self, student_id: int, body: dict, at: str | None = None) -> int:
        return self.db.insert("INSERT INTO checkins(student_id, at, status, body) VALUES (?,?,?,?)",
                              (student_id, at or now(), "started", json.dumps(body, ensure_ascii=False)))

    def save(self, checkin_id: int, body: dict, finished: bool = False) -> None:
        self.db.execute("UPDATE checkins SET body=?, status=? WHERE id=?",
                        (json.dumps(body, ensure_ascii=False), "finished" if finished else "started", checkin_id))

    def get(self, checkin_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM checkins WHERE id=?", (checkin_id,)).fetchone()
        return _row(row) if row else None

    def of_student(self, student_id: int) -> list[dict]:
        """Every check-in, by date (oldest first)."""
        return [_row(r) for r in self.db.execute("SELECT * FROM checkins WHERE student_id=? ORDER BY at, id", (student_id,))]

    def latest(self, student_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM checkins WHERE student_id=? ORDER BY at DESC, id DESC LIMIT 1",
                              (student_id,)).fetchone()
        return _row(row) if row else None
