"""A class list from a CSV file: read, checked row by row, previewed, then added.

The preview stores nothing. What the teacher saw is carried to the confirm
button as the file's text with a signature (HMAC with a key of this server
process, bound to the teacher's sign-in), so the confirm adds the rows of the
file that was previewed, and nothing a page could have edited; and every row is
checked again at the confirm (a student added meanwhile makes a row a duplicate).
Formulas (=, +, -, @) are only text here: nothing is evaluated, and pages
escape what they show.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass, field

from assistant.errors import UserError
from assistant.roles import ROLE_NAMES, check_role, default_role
from assistant.store import Store, Student
from assistant.store.students import MAX_ITEM, check_language, check_name
from assistant.text import name_key, one_line

MAX_BYTES = 256 * 1024  # a class list of 1,000 students with long accommodations is well under this
MAX_ROWS = 1000  # a school's whole roster at most; a bigger file is likely the wrong file
COLUMNS = ("name", "grade", "language", "role", "accommodations", "past_goals")
REQUIRED = ("name", "grade")
EXPECTED = ("name, grade, and optionally language (default en), role (1 to 5; empty: the grade's default), "
            "accommodations and past_goals (several separated by ; or on lines of their own in the cell)")
ITEMS = ("accommodations", "past_goals")


class ImportError_(UserError):
    """The whole file cannot be read (empty, too big, not CSV, wrong columns)."""


@dataclass
class Row:
    line: int  # the line of the file the row starts on (as a text editor counts, blank lines too), to find it
    values: dict[str, str]  # as written in the file, for the preview
    name: str = ""
    grade: int = 0
    language: str = "en"
    role: int | None = None
    accommodations: list[str] = field(default_factory=list)
    past_goals: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def role_text(self) -> str:
        if self.role is None:
            return f"{default_role(self.grade)} (default for the grade)"
        return f"{self.role}: {ROLE_NAMES[self.role]}"


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without the byte order mark Excel writes."""
    if len(data) > MAX_BYTES:
        raise ImportError_(f"The file is too big ({len(data) // 1024} KiB): a class list can have at most "
                           f"{MAX_BYTES // 1024} KiB and {MAX_ROWS} students. Split it into smaller files.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_("The file is not UTF-8 text. In Excel choose File, Save As, \"CSV UTF-8 (Comma "
                           "delimited)\"; in Google Sheets, File, Download, \"Comma-separated values\".") from None


def _delimiter(header: str) -> str:
    """Comma, or the semicolon of Excel where the decimal mark is a comma, or a tab
    (pasted from a spreadsheet): whichever the header row uses most."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def parse(text: str) -> list[Row]:
    """The rows of a class list, each checked on its own (``check`` compares them
    with each other and with the roster). Raises ImportError_ for a file that is
    not a class list at all."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ImportError_(f"The text is too long: a class list can have at most {MAX_BYTES // 1024} KiB and "
                           f"{MAX_ROWS} students. Split it into smaller files.")
    text = text.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise ImportError_(f"The file is empty. A class list has a header row with the columns {EXPECTED}, "
                           "then one row per student.")
    # The reader reads the file itself (universal newlines), so each record's number is the
    # file's line it starts on, counting blank lines and the lines of a cell with line breaks.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=_delimiter(first))
    records = []
    try:
        while True:
            start = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if any(v.strip() for v in record):
                records.append((start, record))
    except csv.Error as e:
        raise ImportError_(f"The file cannot be read as CSV ({e}).") from None
    if not records:  # only empty cells: ",,,"
        raise ImportError_(f"The file has no header row: a class list has one with the columns {EXPECTED}, then "
                           "one row per student.")
    header = [_column(c) for c in records.pop(0)[1]]
    unknown = [c for c in header if c and c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        said = []
        if unknown:
            said.append("unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(f"'{c[:40]}'" for c in unknown))
        if missing:
            said.append("no column " + " or ".join(f"'{c}'" for c in missing))
        raise ImportError_(f"Wrong column names in the header row ({'; '.join(said)}). The columns are: {EXPECTED}.")
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise ImportError_(f"The column {', '.join(repeated)} is in the header row more than once.")
    if not records:
        raise ImportError_("The file has a header row but no students: add one row per student below it.")
    if len(records) > MAX_ROWS:
        raise ImportError_(f"The file has {len(records)} students: at most {MAX_ROWS} can be imported at once. "
                           "Split it into smaller files.")
    rows = []
    for line, record in records:
        # A cell with several lines (Alt-Enter in Excel) holds one item a line, as ";" separates them.
        values = {c: one_line(v.replace("\n", ";") if c in ITEMS else v)
                  for c, v in zip(header, record, strict=False) if c}
        row = Row(line, {c: values.get(c, "") for c in COLUMNS if c in header})
        if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
            row.errors.append(f"more values than columns ({len(record)} for {len(header)}): is a comma missing quotes?")
        _check_row(row, values)
        rows.append(row)
    return rows


def _check_row(row: Row, values: dict[str, str]) -> None:
    name = values.get("name", "")
    if not name:
        row.errors.append("missing name")
    else:
        try:
            row.name = check_name(name)
        except UserError as e:
            row.errors.append(str(e))
    grade = values.get("grade", "")
    if not grade:
        row.errors.append("missing grade: use K or 0 to 12")
    elif grade.upper() == "K":
        row.grade = 0
    elif grade.isascii() and grade.isdigit() and 0 <= int(grade) <= 12:
        row.grade = int(grade)
    else:
        row.errors.append(f"bad grade '{grade[:20]}': use K or 0 to 12")
    language = values.get("language", "").lower() or "en"
    try:
        row.language = check_language(language)
    except UserError as e:
        row.errors.append(f"bad language '{language[:20]}': use{str(e).rsplit(': use', 1)[1]} (the languages the "
                          "dialogues are in)")
    role = values.get("role", "")
    if role:
        try:
            row.role = check_role(role)
        except UserError:
            row.errors.append(f"bad role '{role[:20]}': use 1 to 5, or leave it empty for the grade's default")
    for key in ITEMS:
        items = [one_line(x) for x in values.get(key, "").split(";")]
        items = [x for x in items if x]
        long = [x for x in items if len(x) > MAX_ITEM]
        if long:
            what = "an accommodation" if key == "accommodations" else "a past goal"
            row.errors.append(f"too long: {what} can have at most {MAX_ITEM} characters ('{long[0][:30]}...')")
        setattr(row, key, items)


def check(rows: list[Row], existing: list[Student]) -> list[Row]:
    """Mark the rows that would add a student twice: one already on the roster (same
    name and grade, archived or not) or an earlier row of the file."""
    have = {(name_key(s.name), s.grade): s for s in existing}
    seen: dict[tuple[str, int], int] = {}
    for row in rows:
        if not row.name or any(e.startswith(("bad grade", "missing grade")) for e in row.errors):
            continue
        key = (name_key(row.name), row.grade)
        grade = "K" if row.grade == 0 else row.grade
        if key in have:
            s = have[key]
            row.errors.append(f"duplicate: {s.label} is already a student in grade {grade}"
                              + (" (archived)" if s.archived else ""))
        elif key in seen:
            row.errors.append(f"duplicate of row {seen[key]} (same name and grade)")
        else:
            seen[key] = row.line
    return rows


def read(store: Store, text: str) -> list[Row]:
    return check(parse(text), store.roster.all())


def add(store: Store, rows: list[Row]) -> list[Student]:
    """The good rows, added in one transaction: all of them or (a full disk) none."""
    with store.transaction():
        return [store.roster.add(r.name, r.grade, r.language, r.accommodations, r.past_goals, r.role)
                for r in rows if r.ok]


def sign(key: bytes, who: str, text: str) -> str:
    return hmac.new(key, who.encode() + b"\0" + text.encode("utf-8"), hashlib.sha256).hexdigest()


def signed(key: bytes, who: str, text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, who, text), signature)
