"""Backup and restore of the data folder, as one archive.

The archive is a plain (uncompressed) tar file: ``manifest.json`` first, then the
database, then the recordings (``audio/**``). The manifest names the format and
its version, the program and database schema versions, when the backup was made,
and every file's path, size and SHA-256. The speech cache (re-creatable), the
locks and ``.in-use`` are left out.

Why plain tar: the recordings are nearly all of an archive and 16 kHz speech WAVs
shrink by only about 15 % under gzip, for 20 MB/s of CPU on classroom computers
that are often busy; the SHA-256 of every file already catches damage. Restore
also reads a gzip-compressed copy (``gzip FILE``), so a user may compress one.

Restore reads and checks all of an archive into a new private folder next to the
data folder before it touches the data folder; only then is the old folder
renamed aside, the new one renamed into place, and the old one deleted.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import sqlite3
import stat
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError, field_validator

from assistant import __version__
from assistant.errors import UserError
from assistant.locks import Busy, FileLock, data_lock
from assistant.migrations import SCHEMA_VERSION, expected_shape, schema_shape
from assistant.paths import DB_NAME, MARKER
from assistant.store import AccessLog, Database, Roster, SignIns

FORMAT = "iep-assistant-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MANIFEST_MAX = 64 << 20  # a manifest line is about 150 bytes: room for 400,000 files
AUDIO = "audio"
CHUNK = 1 << 20
NOTHING_CHANGED = "nothing was changed"


class FileEntry(BaseModel):
    path: str
    size: int
    sha256: str

    @field_validator("size")
    @classmethod
    def _size(cls, v: int) -> int:
        if v < 0:
            raise ValueError("negative size")
        return v

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError("not a SHA-256")
        return v


class Manifest(BaseModel):
    format: str
    format_version: int
    app_version: str
    schema_version: int
    created: str
    files: list[FileEntry]


def check_path(path: str) -> bool:
    """Whether a backup may hold a file at ``path``: the database, or a file under
    ``audio/``, as a plain relative path (no ``..``, no absolute path, no
    backslash or control character that another system could read differently)."""
    if not isinstance(path, str) or not 0 < len(path) < 1024 or "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return False
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return False
    return path == DB_NAME or (parts[0] == AUDIO and len(parts) >= 2)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")  # as the store writes times


def _shown(created: str) -> str:
    """A manifest time as people read it: 2026-11-28 19:24."""
    return created[:16].replace("T", " ")


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _db_uri(path: Path, mode: str = "rw") -> str:
    # never mode=rwc: no empty database is made where one was expected
    return Path(os.path.abspath(path)).as_uri() + f"?mode={mode}"


def _log_row(db: Database, row: tuple) -> bool:
    """One access-log line, if the database has the table."""
    if not db.has_table("access_log"):
        return False
    at, teacher, action, target = row
    AccessLog(db).add(teacher, action, target, at=at)
    return True


def _count_students(db: Database) -> int:
    return Roster(db).count()


def _disk_full(e: OSError) -> bool:
    return e.errno in (errno.ENOSPC, errno.EDQUOT)


# ---------------------------------------------------------------- backup

@dataclass
class Made:
    path: Path
    students: int
    recordings: int
    size: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Recording:
    rel: str
    path: Path
    size: int
    sha256: str
    mtime: int


class _Changed(Exception):
    """A recording changed between hashing and archiving it."""


class _HashingReader:
    """Reads exactly ``size`` bytes of a file for tarfile, hashing them; a file
    that is shorter now than when it was listed raises _Changed."""

    def __init__(self, f, size: int):
        self.f, self.left, self.h = f, size, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n)
        if len(data) < n:
            raise _Changed
        self.left -= len(data)
        self.h.update(data)
        return data


def _sha256(f) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    while block := f.read(CHUNK):
        h.update(block)
        size += len(block)
    return h.hexdigest(), size


def _open_nofollow(path: Path):
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb")


def _copy_database(data_dir: Path, log_row: tuple) -> tuple[bytes, int, int]:
    """A consistent copy of the live database through SQLite's backup API (the
    committed rows in the WAL included; a copy of the file alone would miss them),
    with the backup's own access-log line, checked whole. Kept in memory, so no
    extra copy of student data is left anywhere on disk."""
    path = data_dir / DB_NAME
    try:
        src = sqlite3.connect(_db_uri(path), uri=True, timeout=10)
        try:
            copy = Database(sqlite3.connect(":memory:", isolation_level=None))
            src.backup(copy.conn)
        finally:
            src.close()
    except sqlite3.OperationalError as e:
        raise UserError(f"cannot read the database {path} ({e}); if a session is saving, try again in a moment") from None
    except sqlite3.DatabaseError as e:
        raise UserError(f"{path} is not a readable database ({e}); no backup was written") from None
    try:
        # Who is signed in now, sign-in forms and wrong-password counts are not data
        # to restore: a restored sign-in could bring back a session since signed out.
        SignIns(copy).forget_all()
        _log_row(copy, log_row)
        problems = copy.integrity_problems()
        if problems:
            raise UserError(f"the database {path} is damaged ({problems[0]}); no backup was written: keep the folder as it "
                            "is, and restore the last good backup or ask for help")
        schema = copy.user_version()
        students = _count_students(copy)
        return copy.conn.serialize(), schema, students
    except sqlite3.DatabaseError as e:
        raise UserError(f"the database {path} is damaged ({e}); no backup was written") from None
    finally:
        copy.close()


def _list_recordings(data_dir: Path, warnings: list[str]) -> list[_Recording]:
    """Every regular file under audio/, hashed. Links and odd names are left out
    with a warning: the app makes neither, and restore would refuse them."""
    found: list[_Recording] = []
    top = data_dir / AUDIO
    if os.path.islink(top):
        warnings.append(f"left out {AUDIO}/: it is a link to another folder, not the recordings folder")
        return found
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = Path(root, name)
            rel = path.relative_to(data_dir).as_posix()
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                warnings.append(f"left out {rel}: not a regular file (a link?)")
                continue
            if not check_path(rel):
                warnings.append(f"left out {rel!r}: its name cannot be restored safely")
                continue
            with _open_nofollow(path) as f:
                digest, size = _sha256(f)
            found.append(_Recording(rel, path, size, digest, int(st.st_mtime)))
    return found


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.type = size, mtime, 0o600, tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""  # no account names of this computer in the archive
    return info


def backup(data_dir: Path, out: Path, force: bool = False, teacher: str = "command line") -> Made:
    """Write a backup of ``data_dir`` to ``out``: 0600, atomically."""
    data_dir, out = Path(data_dir), Path(os.path.abspath(out))
    if not (data_dir / DB_NAME).is_file():
        raise UserError(f"there is no student data in {data_dir} to back up (no {DB_NAME}); check --data-dir")
    if out.is_dir():
        raise UserError(f"{out} is a folder; give a file name, e.g. {out / time.strftime('iep-backup-%Y-%m-%d.tar')}")
    if not out.parent.is_dir():
        raise UserError(f"the folder {out.parent} does not exist; create it or choose another place for the backup")
    if _inside(out, data_dir):
        raise UserError(f"{out} is inside the data folder {data_dir}; keep backups elsewhere (a restore replaces that "
                        "folder), e.g. on a USB drive")
    if out.exists() and not force:
        raise UserError(f"{out} already exists; pass --force to replace it, or choose another name")
    created = _now()
    row = (created, teacher, "backup", f"to {out}")
    warnings: list[str] = []
    # shared: sessions and the review app may go on (SQLite's backup API is safe
    # under them); a restore cannot swap the folder while it is being read
    try:
        lock = data_lock(data_dir)
    except OSError as e:
        raise UserError(f"cannot use the data folder {data_dir}: {e.strerror}; no backup was written") from None
    with lock:
        db, schema, students = _copy_database(data_dir, row)
        recordings = _list_recordings(data_dir, warnings)
        manifest = Manifest(format=FORMAT, format_version=FORMAT_VERSION, app_version=__version__,
                            schema_version=schema, created=created + time.strftime("%z"),
                            files=[FileEntry(path=DB_NAME, size=len(db), sha256=hashlib.sha256(db).hexdigest())]
                            + [FileEntry(path=r.rel, size=r.size, sha256=r.sha256) for r in recordings])
        body = json.dumps(manifest.model_dump(), indent=1, ensure_ascii=False).encode()
        need = sum(f.size + 1536 for f in manifest.files) + len(body) + (1 << 20)  # headers and padding
        free = shutil.disk_usage(out.parent).free
        if need > free:
            raise UserError(f"the backup needs {need / 1e6:.0f} MB but only {free / 1e6:.0f} MB are free in "
                            f"{out.parent}; free some space or choose another place; no backup was written")
        size = _write_archive(out, force, body, db, int(time.time()), recordings)
    try:  # the same line in the live log, now that the backup exists
        live = sqlite3.connect(_db_uri(data_dir / DB_NAME), uri=True, timeout=10, isolation_level=None)
        try:
            _log_row(Database(live), row)
        finally:
            live.close()
    except sqlite3.Error as e:
        warnings.append(f"the backup was not noted in the access log ({e})")
    return Made(out, students, len(recordings), size, warnings)


def _write_archive(out: Path, force: bool, manifest: bytes, db: bytes, now: int, recordings: list[_Recording]) -> int:
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)  # 0600 whatever the umask
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
                tar.addfile(_member(MANIFEST_NAME, len(manifest), now), io.BytesIO(manifest))
                tar.addfile(_member(DB_NAME, len(db), now), io.BytesIO(db))
                for r in recordings:
                    with _open_nofollow(r.path) as src:
                        reader = _HashingReader(src, r.size)
                        tar.addfile(_member(r.rel, r.size, r.mtime), reader)
                        if reader.h.hexdigest() != r.sha256 or os.fstat(src.fileno()).st_size != r.size:
                            raise _Changed
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        if out.exists() and not force:
            raise UserError(f"{out} appeared while the backup was written; pass --force to replace it, or choose another name")
        os.replace(tmp, out)
        _fsync_dir(out.parent)
        return size
    except _Changed:
        raise UserError("a recording changed while it was being backed up (a session is recording); run the backup "
                        "again; no backup was written") from None
    except OSError as e:
        if _disk_full(e):
            raise UserError(f"the disk holding {out.parent} is full; free some space or choose another place; "
                            "no backup was written") from None
        raise UserError(f"cannot write the backup {out}: {e.strerror or e}; no backup was written") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


# ---------------------------------------------------------------- restore

@dataclass
class Restored:
    data_dir: Path
    created: str
    students: int
    recordings: int
    replaced: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class Question:
    """What the user confirms before existing data is replaced."""
    data_dir: Path
    current_students: int | None  # None: the current database cannot be read
    backup_students: int
    created: str

    def __str__(self) -> str:
        def n(k: int | None) -> str:
            return "an unreadable database" if k is None else f"{k} student{'s' * (k != 1)}"
        return (f"This replaces the data in {self.data_dir} ({n(self.current_students)}) with the backup made "
                f"{_shown(self.created)} ({n(self.backup_students)}); everything saved since that backup is lost.")


class _Damaged(Exception):
    pass


def _refuse(archive: Path, problem: str) -> UserError:
    return UserError(f"{archive} cannot be restored: {problem}; {NOTHING_CHANGED}")


def restore(archive: Path, data_dir: Path, confirm: Callable[[Question], bool] = lambda q: True,
            teacher: str = "command line") -> Restored:
    """Replace ``data_dir`` by the data in ``archive``, checked whole first.

    ``confirm`` is asked before existing data is replaced, while the data folder is
    locked. Any failure before the swap leaves ``data_dir`` as it was."""
    archive = Path(archive)
    data_dir = Path(os.path.realpath(data_dir))  # a link to the folder stays a link to the restored folder
    if not archive.is_file():
        raise UserError(f"{archive}: no such file; give a backup made with `iep-assistant backup`")
    if _inside(archive, data_dir):
        raise UserError(f"{archive} is inside the data folder it would replace; move it elsewhere first; {NOTHING_CHANGED}")
    existing = _existing(data_dir)
    if existing:
        with _locked(data_dir):  # say it is in use now, not after minutes of checking
            pass
    parent = data_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restoring-", dir=parent))  # 0700
    except OSError as e:
        raise UserError(f"cannot write next to the data folder, in {parent}: {e.strerror}; {NOTHING_CHANGED}") from None
    try:
        manifest = _unpack(archive, staging)
        students = _check_database(archive, staging, manifest, data_dir,
                                   (_now(), teacher, "restore",
                                    f"from {os.path.abspath(archive)} (backup of {_shown(manifest.created)})"))
        (staging / MARKER).touch(mode=0o600)
        os.chmod(staging / MARKER, 0o600)
        _private_tree(staging, staging / AUDIO)
        _fsync_dir(staging)
        with _locked(data_dir) if existing else nullcontext():
            if existing and _has_data(data_dir) and not confirm(
                    Question(data_dir, _current_students(data_dir), students, manifest.created)):
                raise UserError(f"not restored: confirm by typing yes, or pass --yes; {NOTHING_CHANGED}")
            aside = _swap(staging, data_dir, existing)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        if _disk_full(e):
            raise UserError(f"the disk filled up while restoring into {parent}; free some space and try again; "
                            f"{NOTHING_CHANGED}") from None
        raise UserError(f"cannot restore into {data_dir}: {e.strerror or e}; {NOTHING_CHANGED}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    warnings = []
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
        if aside.exists():
            warnings.append(f"the replaced data could not all be deleted; delete {aside} yourself")
    return Restored(data_dir, manifest.created, students, len(manifest.files) - 1, existing, warnings)


def _existing(data_dir: Path) -> bool:
    """Whether there is a folder to replace; refuses one that is not ours to replace."""
    if not os.path.lexists(data_dir):
        return False
    if not data_dir.is_dir():
        raise UserError(f"the data folder {data_dir} is a file, not a folder; pass --data-dir with a folder; {NOTHING_CHANGED}")
    if data_dir.stat().st_uid != os.geteuid():
        raise UserError(f"the data folder {data_dir} belongs to another user; restore into a folder of your own "
                        f"with --data-dir; {NOTHING_CHANGED}")
    if not (data_dir / MARKER).exists() and not (data_dir / DB_NAME).exists() and any(data_dir.iterdir()):
        raise UserError(f"{data_dir} holds other files and is not an iep-assistant data folder, so it was not replaced; "
                        f"pass --data-dir with the data folder, or a new one; {NOTHING_CHANGED}")
    return True


def _has_data(data_dir: Path) -> bool:
    """Anything a user could lose: more than the marker and locks."""
    return any(p.name not in (MARKER, ".in-use", "locks") for p in data_dir.iterdir())


def _current_students(data_dir: Path) -> int | None:
    if not (data_dir / DB_NAME).exists():
        return 0
    try:
        # read-write although it only reads: a read-only connection to a WAL database
        # leaves -wal and -shm files behind (it may not delete them); nothing else
        # has the database open while restore holds the folder
        db = sqlite3.connect(_db_uri(data_dir / DB_NAME), uri=True, timeout=5)
        try:
            return _count_students(Database(db))
        finally:
            db.close()
    except sqlite3.Error:
        return None


class _locked:
    """The data folder held exclusively (no session or review app may use it), and
    every student's session lock too: sessions may hold only those."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.stack = ExitStack()

    def __enter__(self):
        try:
            self.stack.enter_context(data_lock(self.data_dir, exclusive=True))
            for path in sorted((self.data_dir / "locks").glob("student-*.lock")):
                lock = FileLock(path)
                if not lock.acquire("restore"):
                    h = lock.holder()
                    number = path.stem.removeprefix("student-")
                    raise Busy(f"a session (student #{number}, process {h.get('pid', '?')}) is running on this computer; "
                               f"finish it (everything is saved), then try again; {NOTHING_CHANGED}")
                self.stack.enter_context(lock)
        except OSError as e:
            self.stack.close()
            raise UserError(f"cannot lock the data folder {self.data_dir}: {e.strerror}; {NOTHING_CHANGED}") from None
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc):
        self.stack.close()


def _read_manifest(archive: Path, tar: tarfile.TarFile) -> Manifest:
    first = tar.next()
    if first is None or first.name != MANIFEST_NAME or not first.isreg() or first.size > MANIFEST_MAX:
        raise _refuse(archive, "it is not an iep-assistant backup (no manifest); give a file made with `iep-assistant backup`")
    manifest_file = tar.extractfile(first)
    assert manifest_file is not None  # a regular file (checked above) can be read
    try:
        raw = json.loads(manifest_file.read())
    except ValueError:
        raise _Damaged("its manifest is damaged") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise _refuse(archive, "it is not an iep-assistant backup; give a file made with `iep-assistant backup`")
    if isinstance(raw.get("format_version"), int) and raw["format_version"] > FORMAT_VERSION:
        raise _refuse(archive, f"it was made by a newer iep-assistant (backup format {raw['format_version']}); "
                               "update iep-assistant first")
    if raw.get("format_version") != FORMAT_VERSION:
        raise _Damaged(f"its manifest names no known format version ({raw.get('format_version')!r})")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as e:
        raise _Damaged(f"its manifest is damaged ({e.errors()[0]['msg']})") from None
    if manifest.schema_version > SCHEMA_VERSION:
        raise _refuse(archive, f"it holds data from a newer iep-assistant (database schema {manifest.schema_version}, "
                               f"this one knows up to {SCHEMA_VERSION}); update iep-assistant first")
    seen = set()
    for f in manifest.files:
        if not check_path(f.path):
            raise _Damaged(f"it lists {f.path!r}, which is not a path a backup can hold")
        if f.path in seen:
            raise _Damaged(f"it lists {f.path} twice")
        seen.add(f.path)
    if DB_NAME not in seen:
        raise _Damaged("it holds no database")
    folders = {"/".join(p.split("/")[:i]) for p in seen for i in range(1, p.count("/") + 1)}
    if clash := seen & folders:
        raise _Damaged(f"it lists {min(clash)} both as a file and as a folder")
    return manifest


def _unpack(archive: Path, staging: Path) -> Manifest:
    """Read ``archive`` into ``staging``, checking every member against the manifest."""
    try:
        tar = tarfile.open(archive, "r|*")  # closed below; a stream, in order: the manifest must come first
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError):
        raise _refuse(archive, "it is not an iep-assistant backup (not a tar archive); give a file made with "
                               "`iep-assistant backup`") from None
    except OSError as e:
        raise UserError(f"cannot read {archive}: {e.strerror}; {NOTHING_CHANGED}") from None
    try:
        with tar:
            manifest = _read_manifest(archive, tar)
            need = sum(f.size + 4096 for f in manifest.files) + (1 << 20)
            free = shutil.disk_usage(staging).free
            if need > free:
                raise UserError(f"restoring needs {need / 1e6:.0f} MB free in {staging.parent} but only {free / 1e6:.0f} MB "
                                f"are; free some space and try again; {NOTHING_CHANGED}")
            expected = {f.path: f for f in manifest.files}
            done: set[str] = set()
            while (m := tar.next()) is not None:
                if m.name not in expected:
                    raise _Damaged(f"it holds {m.name!r}, which its manifest does not list")
                if m.name in done:
                    raise _Damaged(f"it holds {m.name} twice")
                if not m.isreg():
                    raise _Damaged(f"{m.name} is a {_kind(m)}, not a file")
                entry = expected[m.name]
                if m.size != entry.size:
                    raise _Damaged(f"{m.name} is {m.size} bytes, its manifest says {entry.size}")
                _extract(tar, m, entry, staging)
                done.add(m.name)
            if missing := [p for p in expected if p not in done]:
                raise _Damaged(f"{missing[0]} is missing (an incomplete copy?)")
    except _Damaged as e:
        raise _refuse(archive, f"it is damaged: {e}; use another copy of the backup") from None
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as e:
        raise _refuse(archive, f"it is damaged or incomplete ({e}); use another copy of the backup") from None
    return manifest


def _kind(m: tarfile.TarInfo) -> str:
    return ("symbolic link" if m.issym() else "hard link" if m.islnk() else "folder" if m.isdir()
            else "device" if m.ischr() or m.isblk() else "pipe" if m.isfifo() else "special entry")


def _extract(tar: tarfile.TarFile, m: tarfile.TarInfo, entry: FileEntry, staging: Path) -> None:
    parts = m.name.split("/")
    folder = staging
    for part in parts[:-1]:  # each level made here, 0700: the names were checked, no link can be among them
        folder = folder / part
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        os.chmod(folder, 0o700)
    src = tar.extractfile(m)
    assert src is not None  # the caller extracts regular files only
    h = hashlib.sha256()
    fd = os.open(folder / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "wb") as out:
            fd = -1
            while block := src.read(CHUNK):
                h.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())  # the old data is deleted once these are in place: they must be on the disk
    finally:
        if fd >= 0:
            os.close(fd)
    if h.hexdigest() != entry.sha256:
        raise _Damaged(f"{m.name} does not match its checksum")
    os.utime(folder / parts[-1], (m.mtime, m.mtime))


def _check_database(archive: Path, staging: Path, manifest: Manifest, data_dir: Path, log_row: tuple) -> int:
    """The unpacked database is whole, of the version the manifest says, and not
    newer than this program; notes the restore in its access log. Returns its
    number of students."""
    try:
        conn = sqlite3.connect(_db_uri(staging / DB_NAME), uri=True, isolation_level=None)
    except sqlite3.Error as e:
        raise _refuse(archive, f"its database cannot be opened ({e})") from None
    try:
        db = Database.untrusted(conn)  # an archive may come from anywhere
        problems = db.integrity_problems()
        if problems:
            raise _refuse(archive, f"its database is damaged ({problems[0]}); use another copy of the backup")
        version = db.user_version()
        if version > SCHEMA_VERSION:
            raise _refuse(archive, f"it holds data from a newer iep-assistant (database schema {version}, this one "
                                   f"knows up to {SCHEMA_VERSION}); update iep-assistant first")
        if version != manifest.schema_version:
            raise _refuse(archive, f"it is damaged: its database is schema {version}, its manifest says "
                                   f"{manifest.schema_version}; use another copy of the backup")
        # Only the tables and indexes this program makes: a database from anywhere
        # could carry triggers (which would run on our writes: delete log lines,
        # copy deleted answers) or views; its rows are data, its schema is not taken.
        if version >= 1 and schema_shape(db.conn) != expected_shape(version):
            raise _refuse(archive, "its database has tables, triggers or views this program does not make; "
                                   "use a backup made by iep-assistant")
        students = _count_students(db)
        _log_row(db, log_row)
        return students
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:  # writing the log line: not the archive's fault
            raise OSError(errno.ENOSPC, "the disk is full") from None
        raise _refuse(archive, f"its database is damaged ({e}); use another copy of the backup") from None
    finally:
        conn.close()


def _private_tree(staging: Path, audio: Path) -> None:
    os.makedirs(audio, mode=0o700, exist_ok=True)
    for root, dirs, _ in os.walk(staging):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o700)
            _fsync_dir(Path(root, d))


def _swap(staging: Path, data_dir: Path, existing: bool) -> Path | None:
    """Put the checked folder in place; returns where the old data now is (to delete)."""
    if not existing:
        os.rename(staging, data_dir)
        _sync_after_swap(data_dir.parent)
        return None
    aside = data_dir.with_name(f".{data_dir.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    os.rename(data_dir, aside)
    try:
        os.rename(staging, data_dir)
    except BaseException:
        os.rename(aside, data_dir)  # the old data back in its place
        raise
    _sync_after_swap(data_dir.parent)
    return aside


def _sync_after_swap(parent: Path) -> None:
    """The renames to the disk. Once they are done the restore has happened:
    a failure here must not be reported as "nothing was changed"."""
    try:
        _fsync_dir(parent)
    except OSError:
        pass
