"""Faults: nothing a student says is lost. Two sessions for one student, a disk
that fills up and a folder that turns read-only mid-session.

The disk tests need a file system of their own: each runs itself again inside a
private mount namespace (``unshare --mount``, as root; CI runs as root), where a
small tmpfs holds the data folder; nothing is mounted outside that namespace."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.dialogue.asking import STORAGE_RETRY_SECONDS
from tests.conftest import ROOT, still_running_after
from tests.session_driver import TypedSession

# mount namespaces and tmpfs (root), kill -9, sessions that wait on a full disk
pytestmark = pytest.mark.slow

INSIDE = "IEP_TEST_IN_NAMESPACE"


def cli(env, *args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *map(str, args)], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, **kw)


def confirmed(data: Path, student: str | None = None) -> list[tuple[str, str]]:
    """(field, text) of the confirmed, current answers (of one student), after checking the file is whole."""
    db = sqlite3.connect(f"file:{data / 'iep.sqlite3'}?mode=ro", uri=True)
    rows = db.execute("SELECT field, text FROM answers JOIN sessions ON sessions.id = answers.session_id JOIN students "
                      "ON students.id = sessions.student_id WHERE confirmed=1 AND superseded=0 AND (? IS NULL OR "
                      "students.name = ?) ORDER BY answers.id", (student, student)).fetchall()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    return rows


@pytest.mark.tried("a second session for a student whose session runs (--resume, --new, neither) and student remove", 4, "refused with who holds it; no answer taken; after kill -9 the lock is free")
def session_with_one_answer(env, name: str, *args: str, voice: bool = False) -> TypedSession:
    """A new student's session, with one answer confirmed, at the next question."""
    assert cli(env, "student", "add", name, "--grade", "4").returncode == 0
    s = TypedSession(env, "--student", name, *args, voice=voice)
    s.read_prompt()
    s.answer("I am good at soccer")
    s.read_prompt()
    s.answer("yes")
    s.read_prompt()  # the next question: the first answer is committed
    return s


# ---------------------------------------------------------------- two sessions at once

def test_a_second_session_for_the_same_student_is_refused_and_a_killed_one_leaves_no_lock(base_env, tmp_path):
    data = tmp_path / "data"
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    first = session_with_one_answer(env, "Leo")
    for args in (["--resume"], ["--new"], []):
        r = cli(env, "session", "--student", "Leo", "--text", "--no-voice", *args, input="I like chess\nyes\nstop\n")
        assert r.returncode == 2 and "already running" in r.stderr, (args, r.stderr)
        assert f"process {first.proc.pid}" in r.stderr
    r = cli(env, "student", "remove", "Leo", "--yes")
    assert r.returncode == 2 and "already running" in r.stderr, r.stderr  # not deleted under a running session
    assert cli(env, "student", "add", "Mo", "--grade", "4").returncode == 0  # another student is not locked out
    other = cli(env, "session", "--student", "Mo", "--text", "--no-voice", input="I like art\nyes\nstop\n")
    assert other.returncode == 0, other.stderr
    assert ("strengths", "I like chess") not in confirmed(data)  # the refused session took no answers
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    again = TypedSession(env, "--student", "Leo", "--resume")  # the kernel released the killed session's lock
    assert "Welcome back" in again.read_prompt()
    again.answer("I like chess")
    again.read_prompt()
    again.answer("yes")
    again.read_prompt()
    again.answer("stop")
    assert again.finish()[0] == 0
    assert [t for f, t in confirmed(data, "Leo") if f == "strengths"] == ["I am good at soccer", "I like chess"]


# ---------------------------------------------------------------- the disk

def run_in_mount_namespace(request) -> bool:
    """Run this test again in a private mount namespace; True when this call did it
    (the caller returns), False when we are inside it (the caller goes on)."""
    if os.environ.get(INSIDE) == request.node.nodeid:
        return False
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed: run ./setup.sh --dev", pytrace=False)
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"cannot make a mount namespace here (needs root, as in CI): {probe.stderr.strip()}", pytrace=False)
    env = dict(os.environ, **{INSIDE: request.node.nodeid})
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-m", "pytest", "-q",
                        "-p", "no:cacheprovider", request.node.nodeid], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert re.search(r"\b1 passed", r.stdout), r.stdout[-2000:]
    return True


def small_disk(tmp_path: Path, size: str = "4m") -> Path:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount)], check=True)
    return mount


def fill(disk: Path) -> Path:
    """Fill the disk to the last block."""
    filler = disk / "filler"
    with open(filler, "ab", buffering=0) as f:  # unbuffered: nothing left to write (and fail) at close
        for block in (65536, 4096, 512, 1):
            try:
                while f.write(b"\0" * block):
                    pass
            except OSError:
                pass
    return filler

@pytest.mark.tried("the data disk full (a 4 MB tmpfs) while an answer is saved, and again at the 'yes' that confirms one", 2, "the student is told (shown, said); nothing half-written; the session goes on when there is room, all answers kept")

def test_the_disk_fills_up_mid_session_then_has_room_again(request, base_env, tmp_path):
    if run_in_mount_namespace(request):
        return
    disk = small_disk(tmp_path)
    data = disk / "data"
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    s = session_with_one_answer(env, "Ana")
    filler = fill(disk)
    s.answer("I am good at chess " * 100)  # a long answer, so it needs new pages
    shown = s.read_until("Nothing you said is lost", timeout=30)
    assert "storage is full" in shown and "internal error" not in shown
    # it keeps trying (every STORAGE_RETRY_SECONDS), and waits: nothing half-written meanwhile
    assert still_running_after(s.proc, 1.5 * STORAGE_RETRY_SECONDS), "the session ended on a full disk"
    assert [t for _, t in confirmed(data)] == ["I am good at soccer"]
    filler.unlink()  # the teacher makes room
    shown = s.read_prompt(timeout=30)
    assert "I heard: I am good at chess" in shown
    s.answer("yes")
    s.read_prompt()
    s.answer("I like maps " * 100)
    assert "I heard: I like maps" in s.read_prompt()
    fill(disk)  # full again, now at the moment of "yes": the commit must wait, whole
    s.answer("yes")
    s.read_until("Nothing you said is lost", timeout=30)
    (disk / "filler").unlink()
    s.read_prompt(timeout=30)
    s.answer("stop")
    code, out, err = s.finish()
    assert code == 0, err
    texts = [t for _, t in confirmed(data)]
    assert texts[0] == "I am good at soccer" and texts[1].startswith("I am good at chess") and texts[2].startswith("I like maps")
    assert len(texts) == 3
    assert "is full" in err and "make room" in err  # the details for the teacher, on the terminal

@pytest.mark.tried("the data folder turns read-only while the read-back of an answer is made (voice on)", 1, "told, shown only once it can be said; goes on when writable; all answers kept")

def test_the_data_folder_turns_read_only_mid_session_then_writable_again(request, pulse, tmp_path):
    """With a voice: the read-back of a student's words is rendered into their private
    folder, which cannot be written while it is read-only. (Files already open, like the
    database, keep working: only new files fail, as on a folder whose permission changed.)"""
    if run_in_mount_namespace(request):
        return
    disk = small_disk(tmp_path, "64m")
    data = disk / "data"
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(data), XDG_CACHE_HOME=str(tmp_path / "cache"))
    s = session_with_one_answer(env, "Ben", "--output-device", "pulse", "--rate", "400", voice=True)
    # the folder turns read-only: a read-only bind mount over it
    subprocess.run(["mount", "--bind", str(data), str(data)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
    s.answer("I am good at chess")
    shown = s.read_until("storage is full or locked", timeout=60)
    assert "I heard" not in shown  # not shown before it can also be heard
    assert still_running_after(s.proc, 1.5 * STORAGE_RETRY_SECONDS), "the session ended on a read-only folder"
    subprocess.run(["umount", str(data)], check=True)  # writable again
    shown = s.read_prompt(timeout=60)
    assert "I heard: I am good at chess" in shown
    s.answer("yes")
    s.read_prompt()
    s.answer("stop")
    code, out, err = s.finish()
    assert code == 0, err
    assert [t for _, t in confirmed(data)] == ["I am good at soccer", "I am good at chess"]
    assert "cannot be written" in err and "make it writable again" in err, err  # the details for the teacher
