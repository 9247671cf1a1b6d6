"""The students on this computer (table ``students``): who they are, the
accommodations and goals a teacher entered, their speech settings."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from assistant.errors import UserError
from assistant.store.db import MAX_ID, Database, now
from assistant.text import name_key, one_line, person_name

MAX_NAME = 100  # characters in a person's name
MAX_ITEM = 500  # characters in an accommodation or a past goal the teacher enters


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
    display: dict = {}  # the student's screen: text size, font, spacing, theme, dwell (screen.hub.DEFAULTS)

    @property
    def label(self) -> str:
        return f"{self.name}#{self.id}"


def _student(row) -> Student:
    d = dict(row)
    d["accommodations"] = json.loads(d["accommodations"])
    d["past_goals"] = json.loads(d["past_goals"])
    d["display"] = json.loads(d.get("display") or "{}")
    return Student(**d)


class Roster:
    def __init__(self, db: Database):
        self.db = db

    def add(self, name: str, grade: int, language: str = "en", accommodations: Sequence[str] = (),
            past_goals: Sequence[str] = ()) -> Student:
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
        sid = self.db.insert(
            "INSERT INTO students(name, grade, language, accommodations, past_goals, created) VALUES (?,?,?,?,?,?)",
            (name, grade, language, json.dumps(accommodations, ensure_ascii=False),
             json.dumps(past_goals, ensure_ascii=False), now()))
        return self.get(sid)

    def get(self, sid: int) -> Student:
        row = self.db.execute("SELECT * FROM students WHERE id=?", (sid,)).fetchone() if 1 <= sid <= MAX_ID else None
        if row is None:
            raise UserError(f"no student with number {sid}; `iep-assistant student list` shows them")
        return _student(row)

    def exists(self, sid: int) -> bool:
        return 1 <= sid <= MAX_ID and self.db.execute("SELECT 1 FROM students WHERE id=?", (sid,)).fetchone() is not None

    def all(self) -> list[Student]:
        return [_student(r) for r in self.db.execute("SELECT * FROM students ORDER BY name, id")]

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM students").fetchone()[0]

    def find(self, ref: str) -> Student:
        """By name, or NAME#ID (or #ID) when two students share a name."""
        ref = one_line(ref)
        name, _, num = ref.rpartition("#")
        if "#" in ref:  # names cannot hold '#': what follows it is the student's number
            s = self.get(parse_id(num, "student number"))
            if name.strip() and name_key(s.name) != name_key(name):
                raise UserError(f"student #{num.strip()} is {s.label}, not {name.strip()}")
            return s
        matches = [s for s in self.all() if name_key(s.name) == name_key(ref)]
        if not matches:
            raise UserError(f"no student named '{ref}'; add one with: iep-assistant student add \"{ref}\" --grade N")
        if len(matches) > 1:
            raise UserError(f"{len(matches)} students are named '{ref}': " + ", ".join(
                f"{s.label} (grade {s.grade})" for s in matches)
                + "; give the one you mean, e.g. --student \"" + matches[0].label + '"')
        return matches[0]

    def set_voice(self, sid: int, rate: int | None = None, voice: str | None = None) -> None:
        if rate is not None:
            self.db.execute("UPDATE students SET rate=? WHERE id=?", (rate, sid))
        if voice is not None:
            self.db.execute("UPDATE students SET voice=? WHERE id=?", (voice, sid))

    def set_display(self, sid: int, display: dict) -> None:
        """The student's display settings, merged into what they had (the page sends what changed)."""
        with self.db.transaction():
            row = self.db.execute("SELECT display FROM students WHERE id=?", (sid,)).fetchone()
            if row is None:
                raise UserError(f"no student with number {sid}")
            merged = {**json.loads(row[0] or "{}"), **display}
            self.db.execute("UPDATE students SET display=? WHERE id=?", (json.dumps(merged, ensure_ascii=False), sid))

    def delete(self, sid: int) -> None:
        """The student's own row (their sessions and drafts first: ``Store.remove_student``)."""
        self.db.execute("DELETE FROM students WHERE id=?", (sid,))
