"""The review app's outer wall: which requests it will even look at.

- Only requests addressed to this computer by name and port (``Host:
  127.0.0.1:PORT`` or ``localhost:PORT``) get in. A web page the teacher visits
  can point its own domain at 127.0.0.1 (DNS rebinding) and then read pages as
  "its own": its requests carry its domain in ``Host``, so they are refused here,
  before any other work.
- Numbers in addresses are ids only if SQLite could hold them.
- Form fields have a size, and requests a total size.
"""

from __future__ import annotations

import re

from flask import abort, request
from werkzeug.routing import BaseConverter

from assistant.text import one_line

MAX_REQUEST_BYTES = 1024 * 1024  # the largest form is a draft edit: a few KiB
MAX_TEXT = 4000  # characters in one field, as in one spoken answer (about 10 minutes of speech)


class HostCheck:
    """WSGI middleware: 421 Misdirected Request for any other Host."""

    def __init__(self, app, port: int | None):
        self.app = app
        if port is None:  # not served (an app made for a test client): loopback names, any port
            self.allowed = re.compile(r"(127\.0\.0\.1|localhost)(:\d{1,5})?")
        else:
            self.allowed = re.compile(rf"(127\.0\.0\.1|localhost):{port}")

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST", "")
        if not self.allowed.fullmatch(host.lower()):
            body = b"421 Misdirected Request: this app answers only at 127.0.0.1 or localhost on its own port.\n"
            start_response("421 Misdirected Request", [("Content-Type", "text/plain; charset=utf-8"),
                                                       ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
            return [body]
        return self.app(environ, start_response)


class IdConverter(BaseConverter):
    """A record id in a URL: 1 to 18 digits (SQLite's integers stop at 2^63 - 1), no
    leading zero; anything else is simply not a page (404)."""

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def form_int(name: str, default: int | None = None) -> int:
    """A small whole number from the form (a list position); 400 for anything else."""
    raw = request.form.get(name, "").strip()
    if not raw and default is not None:
        return default
    if not re.fullmatch(r"-?\d{1,6}", raw):
        abort(400, f"'{name}' must be a whole number")
    return int(raw)


def form_text(name: str, limit: int = MAX_TEXT) -> str:
    """A text field, on one line, cleaned of control characters; 400 if too long."""
    value = one_line(request.form.get(name, ""))
    if len(value) > limit:
        abort(400, f"the text in '{name}' is too long: at most {limit} characters")
    return value
