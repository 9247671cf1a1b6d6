"""What every page of the review app shares: the store of the thread serving the
request, the access log, a student from the address, and the student's session
lock."""

from __future__ import annotations

import threading

from flask import Flask, abort, current_app, g

from assistant.locks import Busy, FileLock, session_lock
from assistant.store import Store, Student

NOT_SIGNED_IN = "(not signed in)"  # who, in the access log, before a sign-in succeeds


class Stores:
    """One Store per server thread, opened at its first request and kept (SQLite
    connections are not shared between threads; opening one per request
    re-checked the whole file each time)."""

    def __init__(self, app: Flask):
        self.app = app
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.app.config["DATA_DIR"])
            with self._lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        """Close every thread's store (the server has stopped, or a test is done)."""
        with self._lock:
            for store in self._opened:
                store.close()
            self._opened.clear()
        self._local = threading.local()


def init_app(app: Flask) -> None:
    app.extensions["iep_stores"] = Stores(app)


def store() -> Store:
    return current_app.extensions["iep_stores"].get()


def log(action: str, target: str, who: str | None = None) -> None:
    """A line in the access log, as the signed-in teacher unless ``who`` is given."""
    store().audit.add(who or g.teacher, action, target)


def student_or_404(sid: int) -> Student:
    if not store().roster.exists(sid):
        abort(404, "There is no student with this number (deleted, or never added).")
    return store().roster.get(sid)


def no_session_meanwhile(s: Student, what: str) -> FileLock:
    """The student's session lock, held while their data is approved or deleted,
    so that no session starts (and records) in the middle."""
    try:
        return session_lock(store().dir, s.id, s.label, doing=f"the review app ({what})")
    except Busy:
        abort(409, f"{s.name} is in a session right now, so {what} their data must wait. Try again when the "
                   "session has ended.")
