"""Teachers: scrypt password hashes, server-side sessions with CSRF tokens, and
slowing down repeated wrong passwords.

A name is known by one key everywhere (``assistant.text.name_key``): looking an
account up, counting wrong passwords and making the next try wait. Wrong tries
are counted per account and per client, so neither writing a name another way
nor guessing many names escapes the waits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from assistant.errors import UserError
from assistant.store import Store, already_exists
from assistant.text import name_key, one_line

# OWASP's minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1.
# It needs 128 * r * N = 128 MiB while it runs.
SCRYPT = {"n": 2**17, "r": 8, "p": 1, "dklen": 32}
MAXMEM = 256 * 1024 * 1024
SESSION_SECONDS = 8 * 3600  # signed in for a working day at most
IDLE_SECONDS = 30 * 60  # ... and signed out after half an hour without a request
FREE_TRIES = 3  # wrong passwords for one account before the waits begin
CLIENT_FREE_TRIES = 10  # wrong passwords from one client, whatever the names
FORGET_AFTER = 15 * 60  # wrong tries older than this are forgotten
SIGNIN_FORM_SECONDS = 30 * 60


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, maxmem=MAXMEM, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=MAXMEM, dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def is_outdated(stored: str) -> bool:
    """A hash made with weaker parameters than today's: replaced at the next sign-in."""
    try:
        _, n, r, p, *_ = stored.split("$")
        return int(n) < SCRYPT["n"] or int(r) < SCRYPT["r"] or int(p) < SCRYPT["p"]
    except ValueError:
        return True


def _check_new_password(password: str) -> None:
    if len(password) < 10:
        raise UserError("the password is too short: use at least 10 characters")


def add_teacher(store: Store, name: str, password: str) -> str:
    """Make an account; returns the name as stored. A name that differs from an
    existing one only in case or spacing is the same account, so it is refused."""
    name = one_line(name)
    if not name_key(name):
        raise UserError("a teacher needs a name")
    _check_new_password(password)
    existing = store.teacher(name)
    if existing:
        raise already_exists(existing[1])
    store.add_teacher(name, hash_password(password))
    return name


def set_password(store: Store, name: str, password: str) -> str:
    row = store.teacher(name)
    if row is None:
        raise UserError(f"no teacher named '{one_line(name)}'; `iep-assistant teacher list` shows them")
    _check_new_password(password)
    store.set_teacher_password(row[0], hash_password(password))
    return row[1]


def _keys(name: str, client: str) -> tuple[str, str]:
    return f"account:{name_key(name)[:200]}", f"client:{client}"


def _wait(store: Store, key: str, free: int) -> float:
    count, last = store.throttle(key)
    if count < free or time.time() - last > FORGET_AFTER:
        return 0.0
    delay = min(2 ** (count - free) * 2, 300)
    return max(0.0, last + delay - time.time())


def wait_seconds(store: Store, name: str, client: str = "local") -> float:
    """How long a sign-in as ``name`` from ``client`` must wait (0 when it may try now)."""
    account, by_client = _keys(name, client)
    return max(_wait(store, account, FREE_TRIES), _wait(store, by_client, CLIENT_FREE_TRIES))


_DUMMY: str | None = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(secrets.token_hex(8))
    return _DUMMY


def sign_in(store: Store, name: str, password: str, client: str = "local") -> tuple[str, str] | None:
    """A new (session token, CSRF token), or None for a wrong name or password."""
    row = store.teacher(name)
    # compare against a dummy hash for unknown names, so timing does not tell which names exist
    ok = check_password(password, row[2] if row else _dummy_hash()) and row is not None
    account, by_client = _keys(name, client)
    if not ok:
        store.count_failure([account, by_client], FORGET_AFTER)
        return None
    store.clear_failures(account)
    if is_outdated(row[2]):
        store.set_teacher_password(row[0], hash_password(password))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.add_web_session(_hash(token), row[0], csrf, time.time() + SESSION_SECONDS)
    return token, csrf


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_for(store: Store, token: str | None) -> dict | None:
    if not token or len(token) > 200:
        return None
    row = store.web_session(_hash(token))
    now = time.time()
    if row is None or row["expires"] < now or row["seen"] + IDLE_SECONDS < now:
        return None
    store.touch_web_session(row["token"])
    return {"teacher": row["name"], "csrf": row["csrf"], "key": row["token"]}


def sign_out(store: Store, key: str) -> None:
    store.end_web_session(key)


def new_signin_form(store: Store, cookie: str | None) -> tuple[str, str]:
    return store.new_signin_form(cookie, SIGNIN_FORM_SECONDS)


def check_signin_form(store: Store, cookie: str | None, csrf: str) -> bool:
    """The sign-in form's token must be one this server gave with this cookie; once.
    (Looked up by value: the token is random and 32 characters, so a timing
    difference in the look-up tells an attacker nothing they can use.)"""
    if not cookie or len(cookie) > 200 or not csrf or len(csrf) > 200:
        return False
    return store.take_signin_form(cookie, csrf)
