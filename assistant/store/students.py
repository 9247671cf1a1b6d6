"""The students on this computer (table ``students``): who they are, the
accommodations and goals a teacher entered, their speech settings."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel

from assistant.errors import UserError
from assistant.roles import check_role, default_role
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
    role_set: int | None = None  # the role a teacher chose (1 to 5); None: the default for the grade
    archived: str | None = None  # when the student was archived (kept, but off the teacher's list and sessions)

    @property
    def role(self) -> int:
        """The student's role on the continuum (``assistant.roles``)."""
        return self.role_set or default_role(self.grade)

    @property
    def label(self) -> str:
        return f"{self.name}#{self.id}"


def _student(row) -> Student:
    d = dict(row)
    d["accommodations"] = json.loads(d["accommodations"])
    d["past_goals"] = json.loads(d["past_goals"])
    d["display"] = json.loads(d.get("display") or "{}")
    d["role_set"] = d.pop("role", None)
    return Student(**d)


def check_name(name: str) -> str:
    name = person_name(name)
    if not name:
        raise UserError("a student needs a name")
    if len(name) > MAX_NAME:
        raise UserError(f"a student's name can have at most {MAX_NAME} characters")
    if "#" in name:
        raise UserError(f"'{name}': a student's name cannot contain '#' (it separates a name from its number)")
    return name


def check_grade(grade: int) -> int:
    if not 0 <= grade <= 12:
        raise UserError(f"grade {grade} is out of range: use 0 (kindergarten) to 12")
    return grade


def languages() -> list[str]:
    """The languages a session can use: those the dialogues are in (dialogues/LANG/)."""
    # imported here: the dialogues' models import the store (a cycle at import time)
    from assistant.dialogue.schema import dialogue_files

    return sorted({f.parent.name for f in dialogue_files()})


def check_language(code: str) -> str:
    """A student's language, checked once for the command line, the review app's form and
    the class list: a language with dialogues (two letters, as their folders are named).
    "en-US" or "eng" would be stored and then fail at the student's first session."""
    code = one_line(code).lower()
    have = languages()
    if code not in have:
        raise UserError(f"'{code[:20]}' is not a language the dialogues are in: use {' or '.join(have)}")
    return code


def clean_items(items: Sequence[str]) -> list[str]:
    """Accommodations or goals a teacher entered: one line each, empty ones dropped."""
    return [a for a in (one_line(a)[:MAX_ITEM] for a in items) if a]


class Roster:
    def __init__(self, db: Database):
        self.db = db

    def add(self, name: str, grade: int, language: str = "en", accommodations: Sequence[str] = (),
            past_goals: Sequence[str] = (), role: int | None = None) -> Student:
        name = check_name(name)
        check_grade(grade)
        accommodations = clean_items(accommodations)
        past_goals = clean_items(past_goals)
        sid = self.db.insert(
            "INSERT INTO students(name, grade, language, accommodations, past_goals, created, role) VALUES (?,?,?,?,?,?,?)",
            (name, grade, language, json.dumps(accommodations, ensure_ascii=False),
             json.dumps(past_goals, ensure_ascii=False), now(), None if role is None else check_role(role)))
        return self.get(sid)

    def edit(self, sid: int, *, name: str | None = None, grade: int | None = None, language: str | None = None,
             accommodations: Sequence[str] | None = None, past_goals: Sequence[str] | None = None,
             role: int | None = None, default_role: bool = False) -> Student:
        """Change what is given (None: unchanged). ``default_role`` puts the role back
        to the grade's default. Checked like ``add``; one transaction."""
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = check_name(name)
        if grade is not None:
            changes["grade"] = check_grade(grade)
        if language is not None:
            changes["language"] = language
        if accommodations is not None:
            changes["accommodations"] = json.dumps(clean_items(accommodations), ensure_ascii=False)
        if past_goals is not None:
            changes["past_goals"] = json.dumps(clean_items(past_goals), ensure_ascii=False)
        if role is not None:
            changes["role"] = check_role(role)
        elif default_role:
            changes["role"] = None
        with self.db.transaction():
            self.get(sid)
            if changes:
                self.db.execute(f"UPDATE students SET {', '.join(k + '=?' for k in changes)} WHERE id=?",
                                (*changes.values(), sid))
        return self.get(sid)

    def set_archived(self, sid: int, archived: bool) -> Student:
        """Archive a student (kept with everything they said, but off the teacher's
        list, and no new sessions), or bring them back."""
        with self.db.transaction():
            self.get(sid)
            self.db.execute("UPDATE students SET archived=? WHERE id=?", (now() if archived else None, sid))
        return self.get(sid)

    def get(self, sid: int) -> Student:
        row = self.db.execute("SELECT * FROM students WHERE id=?", (sid,)).fetchone() if 1 <= sid <= MAX_ID else None
        if row is None:
            raise UserError(f"no student with number {sid}; `iep-assistant student list` shows them")
        return _student(row)

    def exists(self, sid: int) -> bool:
        return 1 <= sid <= MAX_ID and self.db.execute("SELECT 1 FROM students WHERE id=?", (sid,)).fetchone() is not None

    def all(self, archived: bool = True) -> list[Student]:
        """Every student (``archived=False``: only those not archived)."""
        where = "" if archived else " WHERE archived IS NULL"
        return [_student(r) for r in self.db.execute(f"SELECT * FROM students{where} ORDER BY name, id")]

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
