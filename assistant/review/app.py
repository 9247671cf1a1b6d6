"""The teacher's review app: Flask, served on 127.0.0.1 only.

Requests for any other Host than 127.0.0.1:PORT or localhost:PORT are refused
first (``security.HostCheck``); every other request needs a signed-in teacher
(else: the sign-in page, nothing else); every POST needs the session's CSRF
token, and the sign-in form a token this server gave out; cookies are HttpOnly
and SameSite; pages are rendered by Jinja with autoescaping and a strict
Content-Security-Policy. Malformed requests get a 4xx, never a traceback. Who
viewed, listened to, changed, exported or deleted what, and every sign-in,
failed sign-in and sign-out, is written to the access log.

This module puts the app together: the outer wall (``security``), the headers
and error pages every response gets, and one blueprint per area: ``signin``
(and the sign-in rule in front of every page), ``students``, ``transcript``,
``editor`` (the draft), ``documents`` (exports, meeting script) and ``admin``
(access log, settings). What they share (the store of the serving thread, the
access log, a student from the address, the student's session lock) is ``web``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from assistant.errors import UserError
from assistant.review import (
    admin,
    auth,
    checkins,
    documents,
    editor,
    family,
    signin,
    students,
    transcript,
    web,
)
from assistant.review.security import MAX_REQUEST_BYTES, HostCheck, IdConverter
from assistant.store import StorageError

# Each area's pages are a blueprint of their own module; what they share is in web.py.
BLUEPRINTS = (signin.bp, students.bp, transcript.bp, editor.bp, documents.bp, admin.bp, family.bp)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


def create_app(data_dir: Path | None = None, port: int | None = None) -> Flask:
    """The app for the data folder ``data_dir``, served on ``port`` (None: an app for a
    test client, answering to 127.0.0.1 and localhost on any port)."""
    app = Flask(__name__)
    app.config["DATA_DIR"] = data_dir
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_REQUEST_BYTES
    app.url_map.converters["id"] = IdConverter
    app.wsgi_app = HostCheck(app.wsgi_app, port)  # type: ignore[method-assign]  # Flask's documented way to wrap in middleware
    web.init_app(app)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    app.register_blueprint(checkins.bp)  # a student's goal check-ins through the year
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StorageError, _storage_error)
    app.register_error_handler(Exception, _bug)
    return app


def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _error_page(code: int, name: str, message: str) -> Response:
    return Response(render_template("error.html", code=code, name=name, message=message), status=code, mimetype="text/html")


def _http_error(e: HTTPException) -> Response:
    assert e.code is not None  # Flask answers with an HTTPException without a code itself, never calling handlers
    return _error_page(e.code, e.name, e.description or "")


def _storage_error(e: StorageError) -> Response:
    print(f"review app: {e}", file=sys.stderr, flush=True)
    return _error_page(503, "Data folder unavailable", str(e))


def _bug(e: Exception) -> Response:
    # A bug of ours: the details go to the server's own output, never to the page.
    print(f"review app: internal error on {request.method} {request.path}: {type(e).__name__}: {e}",
          file=sys.stderr, flush=True)
    return _error_page(500, "Something went wrong", "The app could not do this. Nothing was changed by this request; "
                                                    "the app's window (or its log) says more.")


def serve(data_dir: Path | None, port: int) -> None:
    import socket

    from waitress import serve as waitress_serve

    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", port))
    except OSError as e:
        raise UserError(f"port {port} cannot be used ({e.strerror}): another program has it; pick another with "
                        "--port N (1024 to 65535)") from None
    finally:
        probe.close()
    auth.prepare()
    app = create_app(data_dir, port)
    print(f"review app: http://127.0.0.1:{port}/  (this computer only; Ctrl+C stops it)", flush=True)
    try:
        waitress_serve(app, host="127.0.0.1", port=port, threads=4, ident="iep-assistant",
                       max_request_body_size=MAX_REQUEST_BYTES)
    finally:
        app.extensions["iep_stores"].close()
