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
from assistant.text import name_key, one_line, person_name

# OWASP's minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1.
# It needs 128 * r * N = 128 MiB while it runs.
SCRYPT = {"n": 2**17, "r": 8, "p": 1, "dklen": 32}
MAXMEM = 256 * 1024 * 1024
SESSION_SECONDS = 8 * 3600  # signed in for a working day at most
IDLE_SECONDS = 30 * 60  # ... and signed out after half an hour without a request
FREE_TRIES = 3  # wrong passwords for one account before the waits begin
CLIENT_FREE_TRIES = 10  # wrong passwords from one client, whatever the names
FORGET_AFTER = 15 * 60  # tries older than this are forgotten
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
    name = person_name(name)
    if not name_key(name):
        raise UserError("a teacher needs a name")
    if len(name) > 100:
        raise UserError("a teacher's name can have at most 100 characters")
    _check_new_password(password)
    existing = store.teachers.get(name)
    if existing:
        raise already_exists(existing.name)
    store.teachers.add(name, hash_password(password))
    return name


def set_password(store: Store, name: str, password: str) -> str:
    """A new password; everyone signed in with the old one is signed out."""
    teacher = store.teachers.get(name)
    if teacher is None:
        raise UserError(f"no teacher named '{one_line(name)}'; `iep-assistant teacher list` shows them")
    _check_new_password(password)
    with store.transaction():
        store.teachers.set_password(teacher.id, hash_password(password))
        store.sign_ins.end_all_of(teacher.id)
    return teacher.name


def _keys(name: str, client: str) -> tuple[str, str]:
    return f"account:{name_key(name)[:200]}", f"client:{client}"


_DUMMY: str | None = None


def prepare() -> str:
    """Make the hash unknown names are checked against (about half a second), before
    the first sign-in: made then, it would make an unknown name's first try slower."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(secrets.token_hex(8))
    return _DUMMY


class Wait(Exception):
    """Too many wrong passwords lately: ``seconds`` to wait."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def sign_in(store: Store, name: str, password: str, client: str = "local") -> tuple[str, str] | None:
    """A new (session token, CSRF token), or None for a wrong name or password;
    raises Wait when this account or this client must wait first. The attempt is
    counted before the password is checked, so tries sent all at once are counted
    all the same."""
    account, by_client = _keys(name, client)
    wait = store.sign_ins.take_attempt([(account, FREE_TRIES), (by_client, CLIENT_FREE_TRIES)], FORGET_AFTER, 300)
    if wait > 0:
        raise Wait(wait)
    dummy = prepare()
    teacher = store.teachers.get(name)
    # compare against a dummy hash for unknown names, so timing does not tell which names exist
    ok = check_password(password, teacher.pw_hash if teacher else dummy)
    if teacher is None or not ok:
        return None
    store.sign_ins.forgive_attempt(account, by_client)
    if is_outdated(teacher.pw_hash):
        store.teachers.set_password(teacher.id, hash_password(password))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.sign_ins.add(_hash(token), teacher.id, csrf, time.time() + SESSION_SECONDS, IDLE_SECONDS)
    return token, csrf


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_for(store: Store, token: str | None) -> dict | None:
    if not token or len(token) > 200:
        return None
    row = store.sign_ins.get(_hash(token))
    now = time.time()
    if row is None or row["expires"] < now or row["seen"] + IDLE_SECONDS < now:
        return None
    store.sign_ins.touch(row["token"])
    return {"teacher": row["name"], "csrf": row["csrf"], "key": row["token"]}


def sign_out(store: Store, key: str) -> None:
    store.sign_ins.end(key)


class SigninForms:
    """Sign-in forms bound to this server: the form's token is a MAC, under a key
    only this server process has, of the browser's sign-in cookie and the time the
    form was made. A cookie a client chose (cookies are shared by every port on
    127.0.0.1) is worth nothing without a token this server made for it; no table
    of forms can be flooded; a token is accepted once."""

    def __init__(self):
        self._key = secrets.token_bytes(32)

    def _mac(self, cookie: str, made: int, nonce: str) -> str:
        return hmac.new(self._key, f"{cookie}|{made}|{nonce}".encode(), hashlib.sha256).hexdigest()

    def new(self, cookie: str | None) -> tuple[str, str]:
        """(cookie value, token) for a sign-in page; a browser keeps its cookie, so
        two sign-in pages open at once both work. Each form has a nonce of its own:
        two made in the same second for one cookie would otherwise be the same
        form, and using one would spend the other."""
        if not cookie or len(cookie) != 32 or not all(c.isalnum() or c in "-_" for c in cookie):
            cookie = secrets.token_urlsafe(24)
        made, nonce = int(time.time()), secrets.token_hex(8)
        return cookie, f"{made}.{nonce}.{self._mac(cookie, made, nonce)}"

    def check(self, store: Store, cookie: str | None, token: str) -> bool:
        parts = token.split(".") if token and len(token) <= 100 else []
        if not cookie or len(cookie) > 64 or len(parts) != 3:  # exactly one form: nothing added makes it another
            return False
        made, nonce, mac = parts
        if not made.isdigit() or not 0 <= time.time() - int(made) <= SIGNIN_FORM_SECONDS:
            return False
        if not hmac.compare_digest(mac, self._mac(cookie, int(made), nonce)):
            return False
        return store.sign_ins.use_form_token(token, int(made) + SIGNIN_FORM_SECONDS)
