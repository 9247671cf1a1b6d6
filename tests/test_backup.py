"""`backup FILE` and `restore FILE`: a round trip of real data (made by the real
commands), permissions under a loose umask, and archives that must be refused
(damaged, cut short, crafted, from a newer program) with the current data left
byte for byte as it was."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
import wave
import zipfile
from pathlib import Path

import pytest

from assistant import backup as backup_module
from assistant.errors import UserError
from assistant.locks import data_lock, session_lock
from assistant.migrations import SCHEMA_VERSION
from tests.conftest import ROOT
from tests.session_driver import TypedSession

RECORDING = "audio/student-1/20261128-101500-0a1b2c3d.wav"


def fake_recording(path: Path, seed: int = 1) -> bytes:
    """One second of noise as a 16 kHz WAV, like a session's recording."""
    rng = random.Random(seed)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(rng.getrandbits(8) for _ in range(32000)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def sql(folder: Path, query: str, args=()) -> list[tuple]:
    db = sqlite3.connect(folder / "iep.sqlite3", isolation_level=None)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def link_recording(folder: Path) -> None:
    """The first answer was spoken: its recording lives in this folder (stored
    relative to the data folder)."""
    sql(folder, "UPDATE answers SET audio_path=? WHERE id=1", (RECORDING,))


def tables(folder: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in order."""
    db = sqlite3.connect((folder / "iep.sqlite3").as_uri() + "?mode=ro", uri=True)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: db.execute(f"SELECT * FROM \"{n}\" ORDER BY rowid").fetchall() for n in names}
    finally:
        db.close()


def files(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every file and folder (mode and bytes) except the lock files, whose content
    only names the process that last held them."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if rel == ".in-use" or rel == "locks" or rel.startswith("locks/"):
            continue
        st = p.lstat()
        out[rel] = (stat.S_IMODE(st.st_mode), p.read_bytes() if stat.S_ISREG(st.st_mode) else None)
    return out


@pytest.fixture(scope="module")
def source(cli, base_env, tmp_path_factory) -> Path:
    """A data folder made by the real commands: a student, a typed session that
    paused after one confirmed answer, and that answer's recording."""
    folder = tmp_path_factory.mktemp("source") / "data"
    r = cli("student", "add", "Ana", "--grade", 4, "--data-dir", folder)
    assert r.returncode == 0, r.stderr
    r = cli("session", "--student", "Ana", "--text", "--no-voice", "--data-dir", folder, input="I am good at soccer\nyes\nstop\n")
    assert r.returncode == 0, r.stderr
    fake_recording(folder / RECORDING)
    link_recording(folder)
    assert sql(folder, "SELECT text, confirmed FROM answers") == [("I am good at soccer", 1)]
    return folder


def copy_data(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    link_recording(dest)
    return dest


@pytest.fixture
def data(source, tmp_path) -> Path:
    return copy_data(source, tmp_path / "data")


@pytest.fixture(scope="module")
def archive(cli, source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("archive") / "backup.tar"
    r = cli("backup", out, "--data-dir", source)
    assert r.returncode == 0, r.stderr
    return out


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


# ---------------------------------------------------------------- round trip

def test_round_trip(cli, data, tmp_path):
    out = tmp_path / "backup.tar"
    r = cli("backup", out, "--data-dir", data)
    assert r.returncode == 0, r.stderr
    assert "1 student, 1 recording" in r.stderr
    before_rows, before_files = tables(data), files(data)
    assert before_rows["access_log"][-1][3:] == ("backup", f"to {out}")

    # more work after the backup: a student, an answer, a recording; one recording lost
    assert cli("student", "add", "Ben", "--grade", 5, "--data-dir", data).returncode == 0
    r = cli("session", "--student", "Ana", "--resume", "--text", "--no-voice", "--data-dir", data,
            input="I like math\nyes\nstop\n")
    assert r.returncode == 0, r.stderr
    fake_recording(data / "audio/student-2/20261129-090000-ffffffff.wav", seed=2)
    (data / RECORDING).unlink()
    assert tables(data) != before_rows

    r = cli("restore", out, "--yes", "--data-dir", data)
    assert r.returncode == 0, r.stderr
    assert "restored" in r.stderr and "1 student, 1 recording" in r.stderr
    after = tables(data)
    log = after.pop("access_log")
    assert log[:-1] == before_rows.pop("access_log")
    assert log[-1][3] == "restore" and str(out) in log[-1][4]
    assert after == before_rows  # students, sessions, answers, drafts...: exactly the backup's
    def recordings(found):
        return {k: v[1] for k, v in found.items() if k.startswith("audio/")}
    assert recordings(files(data)) == recordings(before_files)  # byte for byte, and no others
    assert [p.name for p in data.parent.iterdir() if p.name.startswith(".data.")] == []  # old data deleted


def test_backup_while_a_session_runs(cli, base_env, tmp_path):
    """The answer just confirmed is still only in the WAL of the running session's
    database: a copy of the database file alone would miss it."""
    data = tmp_path / "data"
    assert cli("student", "add", "Cal", "--grade", 4, "--data-dir", data).returncode == 0
    s = TypedSession(base_env, "--student", "Cal", "--data-dir", str(data))
    try:
        assert "What are you good at" in s.read_prompt()
        s.answer("I can build robots")
        assert "Is that right?" in s.read_prompt()
        s.answer("yes")
        assert "Anything else" in s.read_prompt()  # the answer is committed
        naive = tmp_path / "naive.sqlite3"
        shutil.copyfile(data / "iep.sqlite3", naive)
        assert sqlite3.connect(naive).execute("SELECT COUNT(*) FROM answers").fetchone() == (0,)

        out = tmp_path / "backup.tar"
        r = cli("backup", out, "--data-dir", data)
        assert r.returncode == 0, r.stderr
    finally:
        s.answer("stop")
        code, _, err = s.finish()
    assert code == 0, err
    restored = tmp_path / "restored"
    r = cli("restore", out, "--data-dir", restored)
    assert r.returncode == 0, r.stderr
    assert sql(restored, "SELECT text, confirmed FROM answers") == [("I can build robots", 1)]


def test_restore_into_a_missing_folder(cli, archive, source, tmp_path):
    target = tmp_path / "new" / "place" / "data"
    r = cli("restore", archive, "--data-dir", target, input="")  # nothing to replace: no question
    assert r.returncode == 0, r.stderr
    rows = tables(target)
    expected = tables(source)
    assert rows["students"] == expected["students"] and rows["sessions"] == expected["sessions"]
    # the recording follows the data to its new folder
    assert sql(target, "SELECT audio_path FROM answers") == [(RECORDING,)]
    assert (target / RECORDING).read_bytes() == (source / RECORDING).read_bytes()
    assert (target / ".iep-assistant-data").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["data"]


def test_files_are_private_whatever_the_umask(cli, data, archive, tmp_path):
    umask_022 = {"preexec_fn": lambda: os.umask(0o022)}
    out = tmp_path / "backup.tar"
    r = cli("backup", out, "--data-dir", data, **umask_022)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    for target in (data, tmp_path / "fresh"):  # replacing data, and into a new folder
        r = cli("restore", archive, "--yes", "--data-dir", target, **umask_022)
        assert r.returncode == 0, r.stderr
        assert stat.S_IMODE(target.stat().st_mode) == 0o700
        modes = {p.relative_to(target).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in target.rglob("*")}
        assert RECORDING in modes and "audio/student-1" in modes
        assert {k: m for k, m in modes.items() if m != (0o700 if (target / k).is_dir() else 0o600)} == {}


# ---------------------------------------------------------------- confirmation

def run_on_a_terminal(base_env, args, typed: str) -> subprocess.CompletedProcess:
    """Run with standard input on a pseudo-terminal, as a person at a keyboard."""
    master, slave = os.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "assistant", *map(str, args)], stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=base_env, cwd=ROOT, text=True)
        os.close(slave)
        os.write(master, typed.encode())
        out, err = p.communicate(timeout=120)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_asks_before_replacing_data(cli, base_env, data, archive):
    assert cli("student", "add", "Ben", "--grade", 5, "--data-dir", data).returncode == 0
    before = files(data)
    created = manifest_of(archive)["created"]

    r = cli("restore", archive, "--data-dir", data, input="yes\n")  # a script must say --yes
    assert r.returncode == 2 and "not restored" in r.stderr and "--yes" in r.stderr
    r = run_on_a_terminal(base_env, ["restore", archive, "--data-dir", data], "no\n")
    assert r.returncode == 2, r.stderr
    assert f"({2} students) with the backup made {created[:10]} {created[11:16]} (1 student)" in r.stderr
    assert files(data) == before

    r = run_on_a_terminal(base_env, ["restore", archive, "--data-dir", data], "yes\n")
    assert r.returncode == 0, r.stderr
    assert [row[1] for row in sql(data, "SELECT id, name FROM students")] == ["Ana"]


# ---------------------------------------------------------------- refusals

def craft(path: Path, source: Path, *, members=None, add=None, extra=(), skip=(), **manifest) -> Path:
    """A backup put together by hand: ``members`` (name -> bytes; by default
    ``source``'s database and recording) and ``add`` are listed in the manifest
    and archived as files, ``extra`` (TarInfo, bytes) archived but not listed,
    ``skip`` listed but not archived, ``manifest`` fields overridden."""
    if members is None:
        db = sqlite3.connect(":memory:")
        sqlite3.connect(source / "iep.sqlite3").backup(db)
        members = {"iep.sqlite3": db.serialize(), RECORDING: (source / RECORDING).read_bytes()}
    members = {**members, **(add or {})}
    body = {"format": "iep-assistant-backup", "format_version": 1, "app_version": "0.1.0", "schema_version": SCHEMA_VERSION,
            "created": "2026-11-28T10:00:00+0000",
            "files": [{"path": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for n, b in members.items()]}
    body.update(manifest)
    with tarfile.open(path, "w") as tar:
        def add(info: tarfile.TarInfo, data: bytes | None) -> None:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)

        add(tarfile.TarInfo("manifest.json"), json.dumps(body).encode())
        for name, data in members.items():
            if name not in skip:
                add(tarfile.TarInfo(name), data)
        for info, data in extra:
            add(info, data)
    return path


def link(name: str, kind: bytes, target: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def flip_byte(archive: Path, member: str, dest: Path) -> Path:
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        m = tar.getmember(member)
    data[m.offset_data + m.size // 2] ^= 0x01
    dest.write_bytes(bytes(data))
    return dest


def newer_database(source: Path) -> bytes:
    db = sqlite3.connect(":memory:")
    sqlite3.connect(source / "iep.sqlite3").backup(db)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    return db.serialize()


def database_with(source: Path, statement: str) -> bytes:
    """The source's database with something added to its schema."""
    db = sqlite3.connect(":memory:")
    sqlite3.connect(source / "iep.sqlite3").backup(db)
    db.execute(statement)
    return db.serialize()


def backup_of_newer_program(cli, source: Path, tmp: Path) -> Path:
    """A real backup of a database a newer iep-assistant has migrated."""
    folder = copy_data(source, tmp / "newer")
    sql(folder, f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    r = cli("backup", tmp / "newer.tar", "--data-dir", folder)
    assert r.returncode == 0, r.stderr
    return tmp / "newer.tar"


def other_tar(path: Path) -> Path:
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"hello"))
    return path


def zip_file(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("iep.sqlite3", b"SQLite format 3\x00")
    return path


def cut(archive: Path, dest: Path, at) -> Path:
    data = archive.read_bytes()
    dest.write_bytes(data[: at(data, archive)])
    return dest


def after_member(name: str):
    def at(data: bytes, archive: Path) -> int:
        with tarfile.open(archive) as tar:
            m = tar.getmember(name)
        return m.offset_data + -(-m.size // 512) * 512
    return at


BAD = {
    "tampered database": (lambda a, s, t, cli: flip_byte(a, "iep.sqlite3", t / "bad.tar"), "iep.sqlite3 does not match its checksum"),
    "tampered recording": (lambda a, s, t, cli: flip_byte(a, RECORDING, t / "bad.tar"), f"{RECORDING} does not match its checksum"),
    "tampered manifest": (lambda a, s, t, cli: flip_byte(a, "manifest.json", t / "bad.tar"), "damaged"),
    "cut in half": (lambda a, s, t, cli: cut(a, t / "bad.tar", lambda d, _: len(d) // 2), "damaged or incomplete"),
    "cut after the database": (lambda a, s, t, cli: cut(a, t / "bad.tar", after_member("iep.sqlite3")), f"{RECORDING} is missing"),
    "empty file": (lambda a, s, t, cli: cut(a, t / "bad.tar", lambda d, _: 0), "not an iep-assistant backup"),
    "not a tar": (lambda a, s, t, cli: (t / "bad.tar").write_text("student notes\n" * 100) and t / "bad.tar", "not an iep-assistant backup"),
    "a zip": (lambda a, s, t, cli: zip_file(t / "bad.zip"), "not an iep-assistant backup"),
    "a tar of something else": (lambda a, s, t, cli: other_tar(t / "bad.tar"), "not an iep-assistant backup (no manifest)"),
    "another program's manifest": (lambda a, s, t, cli: craft(t / "bad.tar", s, format="other"), "not an iep-assistant backup"),
    "listed ../evil": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={"iep.sqlite3": b"x", "../evil": b"evil"}),
                       "'../evil', which is not a path a backup can hold"),
    "listed audio/../../evil": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={"iep.sqlite3": b"x", "audio/../../evil": b"evil"}),
                                "not a path a backup can hold"),
    "listed /tmp absolute": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={"iep.sqlite3": b"x", f"{t}/evil": b"evil"}),
                             "not a path a backup can hold"),
    "unlisted ../evil": (lambda a, s, t, cli: craft(t / "bad.tar", s, extra=[(tarfile.TarInfo("../evil"), b"evil")]),
                         "'../evil', which its manifest does not list"),
    "symbolic link": (lambda a, s, t, cli: craft(t / "bad.tar", s, add={"audio/x.wav": b""}, skip={"audio/x.wav"},
                                                 extra=[link("audio/x.wav", tarfile.SYMTYPE, "/etc/passwd")]),
                      "audio/x.wav is a symbolic link, not a file"),
    "hard link": (lambda a, s, t, cli: craft(t / "bad.tar", s, add={"audio/x.wav": b""}, skip={"audio/x.wav"},
                                             extra=[link("audio/x.wav", tarfile.LNKTYPE, "iep.sqlite3")]),
                  "audio/x.wav is a hard link, not a file"),
    "device": (lambda a, s, t, cli: craft(t / "bad.tar", s, add={"audio/x.wav": b""}, skip={"audio/x.wav"},
                                          extra=[link("audio/x.wav", tarfile.CHRTYPE)]),
               "audio/x.wav is a device, not a file"),
    "a member twice": (lambda a, s, t, cli: craft(t / "bad.tar", s, extra=[(tarfile.TarInfo(RECORDING), b"more")]),
                       f"it holds {RECORDING} twice"),
    "listed twice": (lambda a, s, t, cli: craft(t / "bad.tar", s, files=[{"path": "iep.sqlite3", "size": 1, "sha256": "0" * 64}] * 2),
                     "it lists iep.sqlite3 twice"),
    "newer format": (lambda a, s, t, cli: craft(t / "bad.tar", s, format_version=2), "newer iep-assistant (backup format 2); update iep-assistant first"),
    "newer schema": (lambda a, s, t, cli: backup_of_newer_program(cli, s, t), "update iep-assistant first"),
    "newer database, older manifest": (
        lambda a, s, t, cli: craft(t / "bad.tar", s, members={"iep.sqlite3": newer_database(s)}),
        f"database schema {SCHEMA_VERSION + 1}, this one knows up to {SCHEMA_VERSION}); update iep-assistant first"),
    "not a database": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={"iep.sqlite3": b"not a database" * 100}),
                       "its database"),
    # a trigger would run on this program's own writes: here, every access-log line would be deleted
    "a trigger": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={
        "iep.sqlite3": database_with(s, "CREATE TRIGGER hide AFTER INSERT ON access_log BEGIN DELETE FROM access_log; END"),
        RECORDING: (s / RECORDING).read_bytes()}), "tables, triggers or views this program does not make"),
    "a view": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={
        "iep.sqlite3": database_with(s, "CREATE VIEW v AS SELECT * FROM answers"),
        RECORDING: (s / RECORDING).read_bytes()}), "tables, triggers or views this program does not make"),
    "a table of its own": (lambda a, s, t, cli: craft(t / "bad.tar", s, members={
        "iep.sqlite3": database_with(s, "CREATE TABLE kept (text TEXT)"),
        RECORDING: (s / RECORDING).read_bytes()}), "tables, triggers or views this program does not make"),
}


@pytest.mark.tried("restore of a bad archive (damaged, cut, crafted, unsafe paths, links, newer, triggers)", 1, "refused in one line; the data folder unchanged")
@pytest.mark.parametrize("case", BAD)
def test_refuses_a_bad_archive(cli, case, source, archive, data, tmp_path):
    make, says = BAD[case]
    bad = make(archive, source, tmp_path, cli)
    before, around = files(data), sorted(os.listdir(tmp_path))
    r = cli("restore", bad, "--yes", "--data-dir", data)
    assert r.returncode == 2, r.stderr
    assert says in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("iep-assistant: error: ")
    assert files(data) == before
    assert sorted(os.listdir(tmp_path)) == around  # no partial folder left beside the data
    assert not list(tmp_path.parent.rglob("evil"))


def test_a_crafted_archive_without_a_fault_is_restored(cli, source, data, tmp_path):
    """The refusals above are of their one fault: the same crafting is restored."""
    ok = craft(tmp_path / "ok.tar", source)
    r = cli("restore", ok, "--yes", "--data-dir", data)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("holder", ["data lock", "session lock"])
def test_refuses_while_the_data_is_in_use(cli, holder, data, archive):
    before = files(data)
    lock = data_lock(data) if holder == "data lock" else session_lock(data, 1, "Ana#1")
    try:
        r = cli("restore", archive, "--yes", "--data-dir", data)
    finally:
        lock.release()
    assert r.returncode == 2, r.stderr
    assert ("is in use" if holder == "data lock" else "a session (student #1") in r.stderr
    assert files(data) == before
    r = cli("restore", archive, "--yes", "--data-dir", data)  # once it is free
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- full disk (in process)

def test_restore_refuses_when_the_disk_is_too_small(monkeypatch, data, archive, tmp_path):
    before, around = files(data), sorted(os.listdir(tmp_path))
    real = shutil.disk_usage
    monkeypatch.setattr(backup_module.shutil, "disk_usage", lambda p: real(p)._replace(free=100_000))
    with pytest.raises(UserError, match="restoring needs 1 MB free .* only 0 MB are; free some space"):
        backup_module.restore(archive, data)
    assert files(data) == before and sorted(os.listdir(tmp_path)) == around


def test_restore_survives_a_disk_filling_up(monkeypatch, data, archive, tmp_path):
    before, around = files(data), sorted(os.listdir(tmp_path))
    extract, calls = backup_module._extract, []

    def filling(*a):
        calls.append(a)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return extract(*a)

    monkeypatch.setattr(backup_module, "_extract", filling)
    with pytest.raises(UserError, match="the disk filled up .* nothing was changed"):
        backup_module.restore(archive, data)
    assert len(calls) == 2
    assert files(data) == before and sorted(os.listdir(tmp_path)) == around


def test_backup_to_a_full_disk_leaves_no_file(monkeypatch, data, tmp_path):
    out = tmp_path / "usb"
    out.mkdir()
    addfile, calls = tarfile.TarFile.addfile, []

    def filling(self, *a):
        calls.append(a)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return addfile(self, *a)

    monkeypatch.setattr(tarfile.TarFile, "addfile", filling)
    with pytest.raises(UserError, match="is full; .* no backup was written"):
        backup_module.backup(data, out / "backup.tar")
    assert len(calls) == 3 and os.listdir(out) == []


# ---------------------------------------------------------------- backup's own refusals

def test_backup_does_not_overwrite_without_force(cli, data, tmp_path):
    out = tmp_path / "backup.tar"
    out.write_bytes(b"an older backup")
    r = cli("backup", out, "--data-dir", data)
    assert r.returncode == 2 and "already exists; pass --force" in r.stderr
    assert out.read_bytes() == b"an older backup"
    r = cli("backup", out, "--force", "--data-dir", data)
    assert r.returncode == 0, r.stderr
    assert manifest_of(out)["format"] == "iep-assistant-backup"

    r = cli("backup", data / "inside.tar", "--data-dir", data)
    assert r.returncode == 2 and "inside the data folder" in r.stderr and not (data / "inside.tar").exists()
    r = cli("backup", tmp_path / "b.tar", "--data-dir", tmp_path / "nothing-here")
    assert r.returncode == 2 and "no student data" in r.stderr and not (tmp_path / "b.tar").exists()


def test_sign_ins_are_not_restored(cli, data, tmp_path):
    """A restored backup must not bring back a review-app sign-in that has since ended."""
    sql(data, "INSERT INTO teachers(name, key, pw_hash, created) VALUES ('Ms Lee', 'ms lee', 'x', '2026-11-28')")
    sql(data, "INSERT INTO web_sessions(token, teacher_id, csrf, expires) VALUES ('hash', 1, 'c', 9e9)")
    sql(data, "INSERT INTO throttle(key, count, last) VALUES ('account:ms lee', 5, 0)")
    sql(data, "INSERT INTO signin_used(token, expires) VALUES ('form', 9e9)")
    out = tmp_path / "b.tar"
    assert cli("backup", out, "--data-dir", data).returncode == 0
    target = tmp_path / "restored"
    r = cli("restore", out, "--data-dir", target, input="")
    assert r.returncode == 0, r.stderr
    assert sql(target, "SELECT name FROM teachers") == [("Ms Lee",)]  # accounts are data
    assert sql(target, "SELECT * FROM web_sessions") == [] and sql(target, "SELECT * FROM throttle") == []
    assert sql(target, "SELECT * FROM signin_used") == []
