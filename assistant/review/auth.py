"""Teachers: scrypt password hashes, server-side sessions with CSRF tokens, and
slowing down repeated wrong passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from assistant.errors import UserError
from assistant.store import Store, now

SCRYPT = {"n": 2**15, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
SESSION_SECONDS = 8 * 3600
FREE_TRIES = 3  # wrong passwords before the waits begin


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=SCRYPT["maxmem"], dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_teacher(store: Store, name: str, password: str) -> None:
    name = " ".join(name.split())
    if not name:
        raise UserError("a teacher needs a name")
    if len(password) < 10:
        raise UserError("the password is too short: use at least 10 characters")
    store.db.execute("INSERT INTO teachers(name, pw_hash, created) VALUES (?,?,?) "
                     "ON CONFLICT(name) DO UPDATE SET pw_hash=excluded.pw_hash", (name, hash_password(password), now()))


def wait_seconds(store: Store, name: str) -> float:
    """How long this name must wait before the next try (0 when it may try now)."""
    row = store.db.execute("SELECT count, last FROM login_failures WHERE name=?", (name.casefold(),)).fetchone()
    if row is None or row[0] < FREE_TRIES:
        return 0.0
    delay = min(2 ** (row[0] - FREE_TRIES) * 2, 300)
    return max(0.0, row[1] + delay - time.time())


def sign_in(store: Store, name: str, password: str) -> tuple[str, str] | None:
    """A new (session token, CSRF token), or None for a wrong name or password."""
    key = name.casefold().strip()
    row = store.db.execute("SELECT id, pw_hash FROM teachers WHERE name=? COLLATE NOCASE", (" ".join(name.split()),)).fetchone()
    # compare against a dummy hash for unknown names, so timing does not tell which names exist
    ok = check_password(password, row[1] if row else _DUMMY) and row is not None
    if not ok:
        store.db.execute("INSERT INTO login_failures(name, count, last) VALUES (?,1,?) ON CONFLICT(name) "
                         "DO UPDATE SET count=count+1, last=excluded.last", (key, time.time()))
        return None
    store.db.execute("DELETE FROM login_failures WHERE name=?", (key,))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.db.execute("INSERT INTO web_sessions(token, teacher_id, csrf, expires) VALUES (?,?,?,?)",
                     (hashlib.sha256(token.encode()).hexdigest(), row[0], csrf, time.time() + SESSION_SECONDS))
    return token, csrf


def session_for(store: Store, token: str | None) -> dict | None:
    if not token:
        return None
    row = store.db.execute("SELECT teachers.name, web_sessions.csrf, web_sessions.expires, web_sessions.token FROM web_sessions "
                           "JOIN teachers ON teachers.id = web_sessions.teacher_id WHERE web_sessions.token=?",
                           (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
    if row is None or row[2] < time.time():
        return None
    return {"teacher": row[0], "csrf": row[1], "key": row[3]}


def sign_out(store: Store, key: str) -> None:
    store.db.execute("DELETE FROM web_sessions WHERE token=?", (key,))


_DUMMY = hash_password(secrets.token_hex(8))
