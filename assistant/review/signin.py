"""Signing in and out, and the rule in front of every page: a signed-in teacher
(else the sign-in page, nothing else), and on every POST the sign-in's CSRF
token. The sign-in form carries a token this server made (``auth.SigninForms``),
used once. Passwords, waits and sign-ins themselves are ``auth``'s."""

from __future__ import annotations

import secrets
import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from assistant.review import auth
from assistant.review.security import form_text
from assistant.review.web import NOT_SIGNED_IN, log, store
from assistant.text import name_key

COOKIE = "iep_session"
PRE_CSRF = "iep_signin"
PUBLIC = {"signin.page", "static"}  # endpoints open to anyone

bp = Blueprint("signin", __name__)


class _State:
    """This server's sign-in forms, and when a refused sign-in was last logged, by name."""

    def __init__(self) -> None:
        self.forms = auth.SigninForms()
        self.refusals_logged: dict[str, float] = {}


def _init(setup) -> None:
    setup.app.extensions["iep_signin"] = _State()


bp.record_once(_init)


def _state() -> _State:
    return current_app.extensions["iep_signin"]


@bp.before_app_request
def require_sign_in():
    if request.endpoint == "static":
        return None
    if request.endpoint is None:
        abort(404, "There is no such page.")  # (a favicon, a typo): never a sign-in form
    g.session = auth.session_for(store(), request.cookies.get(COOKIE))
    if request.endpoint in PUBLIC:
        return None
    if g.session is None:
        if request.method == "GET":
            return redirect(url_for("signin.page"), code=303)
        return signin_page("Please sign in.", 401)
    if request.method == "POST" and not secrets.compare_digest(request.form.get("csrf", "").encode(),
                                                               g.session["csrf"].encode()):
        abort(403, "This form has expired or was not made by this app. Go back, reload the page and try again.")
    g.teacher = g.session["teacher"]
    return None


@bp.app_context_processor
def _inject():
    return {"csrf": g.session["csrf"] if g.get("session") else "", "teacher": g.get("teacher")}


def signin_page(message: str = "", status: int = 200) -> Response:
    cookie, csrf = _state().forms.new(request.cookies.get(PRE_CSRF))
    resp = Response(render_template("signin.html", message=message, csrf=csrf), status=status)
    resp.set_cookie(PRE_CSRF, cookie, httponly=True, samesite="Strict", max_age=auth.SIGNIN_FORM_SECONDS,
                    path=url_for("signin.page"))
    return resp


@bp.route("/signin", methods=["GET", "POST"])
def page():
    if request.method == "GET":
        return signin_page()
    state = _state()
    if not state.forms.check(store(), request.cookies.get(PRE_CSRF), request.form.get("csrf", "")):
        abort(403, "This sign-in form has expired or was not made by this app. Load the sign-in page again.")
    name = form_text("name", 200)
    client = request.remote_addr or "unknown"
    # Who tried is not known until they are signed in: the name typed goes in the
    # log's target, never in its "who" column.
    tried = f"review app, as '{name[:60]}' (from {client})"
    try:
        tokens = auth.sign_in(store(), name, request.form.get("password", ""), client)
    except auth.Wait as w:
        key = name_key(name)
        if time.monotonic() - state.refusals_logged.get(key, -1e9) > 60:  # a flood of tries is one line a minute
            state.refusals_logged[key] = time.monotonic()
            log("sign-in refused", f"{tried}: too many wrong passwords", who=NOT_SIGNED_IN)
        return signin_page(f"Too many wrong passwords. Wait {int(w.seconds) + 1} seconds, then try again.", 429)
    if tokens is None:
        log("sign-in failed", tried, who=NOT_SIGNED_IN)
        return signin_page("Wrong name or password.", 401)
    teacher = auth.session_for(store(), tokens[0])["teacher"]
    log("sign-in", f"review app (from {client})", who=teacher)
    resp = redirect(url_for("students.index"), code=303)
    resp.set_cookie(COOKIE, tokens[0], httponly=True, samesite="Strict", max_age=auth.SESSION_SECONDS)
    resp.delete_cookie(PRE_CSRF, path=url_for("signin.page"))
    return resp


@bp.post("/signout")
def signout():
    auth.sign_out(store(), g.session["key"])
    log("sign-out", "review app")
    resp = redirect(url_for("signin.page"), code=303)
    resp.delete_cookie(COOKIE)
    return resp
