"""Locks between processes on this computer: one session per student at a time, and
no restore while anything uses the data folder.

They are ``flock`` locks on files in the data folder: the kernel releases them
when the process ends, however it ends (kill -9, power loss), so a killed session
never leaves a lock stuck. The file keeps who holds it (process, command, time),
only to say so in a message.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from assistant.errors import UserError


class Busy(UserError):
    """Someone else holds the lock."""


class FileLock:
    """An exclusive or shared ``flock`` on ``path``; ``holder`` is what the
    process that holds it wrote (its pid, what it does, since when)."""

    def __init__(self, path: Path, shared: bool = False):
        self.path = Path(path)
        self.shared = shared
        self._fd: int | None = None

    def acquire(self, what: str) -> bool:
        """Take the lock without waiting; False if another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        if not self.shared:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": what, "since": time.strftime("%H:%M")}).encode(), 0)
        return True

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


# What each conversation with a student writes in the lock (``doing``), as a message names it.
CONVERSATIONS = {"session": "a session", "lessons": "a lesson", "a rehearsal": "a rehearsal", "check-in": "a check-in"}


def session_lock(data_dir: Path, student_id: int, label: str, doing: str = "session") -> FileLock:
    """Held for the whole of a conversation with a student (their session, a lesson, a
    rehearsal, a check-in; ``doing`` says which) and while their data is approved or
    deleted: a second one for the same student, or deleting or approving while one
    runs, is refused."""
    folder = Path(data_dir) / "locks"
    folder.mkdir(mode=0o700, exist_ok=True)
    lock = FileLock(folder / f"student-{student_id}.lock")
    if not lock.acquire(doing):
        raise Busy(busy_message(lock.holder(), label, doing))
    return lock


def busy_message(holder: dict, label: str, doing: str) -> str:
    """Why ``doing`` cannot start: what holds the student's lock. Only a session that
    waits for a session is told to continue with --resume (then the other is paused);
    a lesson, rehearsal or check-in has no --resume and simply starts again."""
    what = holder.get("what", "session")
    since = f" since {holder['since']}" if holder.get("since") else ""
    where = f"on this computer (process {holder.get('pid', '?')}{since})"
    if what not in CONVERSATIONS:  # the review app approving or deleting, a restore: over in a moment
        return f"{what} for {label} is already running {where}; try again when it has finished"
    then = "continue with --resume" if doing == what == "session" else "try again"
    return (f"{CONVERSATIONS[what]} with {label} is already running {where}, and only one conversation with a "
            f"student runs at a time: finish or close that one first (it saves everything), then {then}")


def session_running(data_dir: Path, student_id: int) -> bool:
    """Whether a session for this student runs now (its lock is held)."""
    path = Path(data_dir) / "locks" / f"student-{student_id}.lock"
    if not path.exists():
        return False
    probe = FileLock(path)
    if probe.acquire("probe"):
        probe.release()
        return False
    return True


def data_lock(data_dir: Path, exclusive: bool = False) -> FileLock:
    """Every process that uses the data folder holds it shared; ``restore`` holds it
    exclusively, so that it never swaps the folder under a running session or
    review app."""
    lock = FileLock(Path(data_dir) / ".in-use", shared=not exclusive)
    if not lock.acquire("restore" if exclusive else "use"):
        if exclusive:
            raise Busy(f"the data folder {data_dir} is in use (a session or the review app is running); "
                       "close them, then try again")
        raise Busy(f"the data folder {data_dir} is being restored from a backup; try again in a minute")
    return lock
