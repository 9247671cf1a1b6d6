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


def session_lock(data_dir: Path, student_id: int, label: str, doing: str = "session") -> FileLock:
    """Held for the whole of a student's session (and while their data is approved or
    deleted): a second session for the same student, or deleting or approving while
    one runs, is refused."""
    folder = Path(data_dir) / "locks"
    folder.mkdir(mode=0o700, exist_ok=True)
    lock = FileLock(folder / f"student-{student_id}.lock")
    if not lock.acquire(doing):
        h = lock.holder()
        since = f" since {h['since']}" if h.get("since") else ""
        who = "a session" if h.get("what", "session") == "session" else h["what"]
        raise Busy(f"{who} for {label} is already running on this computer (process {h.get('pid', '?')}{since}); "
                   "finish or close that one first (it saves everything), then continue with --resume")
    return lock


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
