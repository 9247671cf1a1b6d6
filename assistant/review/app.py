"""The teacher's review app: Flask, served on 127.0.0.1 only.

Requests for any other Host than 127.0.0.1:PORT or localhost:PORT are refused
first (``security.HostCheck``); every other request needs a signed-in teacher
(else: the sign-in page, nothing else); every POST needs the session's CSRF
token, and the sign-in form a token this server gave out; cookies are HttpOnly
and SameSite; pages are rendered by Jinja with autoescaping and a strict
Content-Security-Policy. Malformed requests get a 4xx, never a traceback. Who
viewed, listened to, changed, exported or deleted what, and every sign-in,
failed sign-in and sign-out, is written to the access log.
"""

from __future__ import annotations

import io
import secrets
import sys
import threading
import time
from pathlib import Path

from flask import Flask, Response, abort, g, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from assistant.draft import LISTS, SECTION, Goal, IEPDraft, Item, lists
from assistant.errors import UserError
from assistant.locks import Busy, session_lock
from assistant.recordings import StudentFiles, resolve
from assistant.review import auth, exports
from assistant.review.security import MAX_REQUEST_BYTES, HostCheck, IdConverter, form_int, form_text
from assistant.store import StorageError, Store
from assistant.text import content_disposition, name_key

NOT_SIGNED_IN = "(not signed in)"
COOKIE = "iep_session"
PRE_CSRF = "iep_signin"
LOW_CONFIDENCE = 0.6
LIST_SECTIONS = {s.key: s.title for s in LISTS}
PUBLIC = {"signin", "static"}


def create_app(data_dir: Path | None = None, port: int | None = None) -> Flask:
    app = Flask(__name__)
    app.config["DATA_DIR"] = data_dir
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_REQUEST_BYTES
    app.url_map.converters["id"] = IdConverter
    app.wsgi_app = HostCheck(app.wsgi_app, port)
    local = threading.local()
    forms = auth.SigninForms()
    refusals_logged: dict[str, float] = {}  # when a refused sign-in was last logged, by name

    def store() -> Store:
        """One connection per server thread, opened once (SQLite connections are
        not shared between threads; opening one per request re-checked the file)."""
        if getattr(local, "store", None) is None:
            local.store = Store(app.config["DATA_DIR"])
        return local.store

    # ------------------------------------------------------------ security

    @app.before_request
    def _require_sign_in():
        if request.endpoint == "static":
            return None
        if request.endpoint is None:
            abort(404, "There is no such page.")  # (a favicon, a typo): never a sign-in form
        g.session = auth.session_for(store(), request.cookies.get(COOKIE))
        if request.endpoint in PUBLIC:
            return None
        if g.session is None:
            if request.method == "GET":
                return redirect(url_for("signin"), code=303)
            return signin_page("Please sign in.", 401)
        if request.method == "POST" and not secrets.compare_digest(request.form.get("csrf", "").encode(),
                                                                   g.session["csrf"].encode()):
            abort(403, "This form has expired or was not made by this app. Go back, reload the page and try again.")
        g.teacher = g.session["teacher"]
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                                   "media-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        return Response(render_template("error.html", code=e.code, name=e.name, message=e.description),
                        status=e.code, mimetype="text/html")

    @app.errorhandler(StorageError)
    def _storage_error(e: StorageError):
        print(f"review app: {e}", file=sys.stderr, flush=True)
        return Response(render_template("error.html", code=503, name="Data folder unavailable", message=str(e)),
                        status=503, mimetype="text/html")

    @app.errorhandler(Exception)
    def _bug(e: Exception):
        # A bug of ours: the details go to the server's own output, never to the page.
        print(f"review app: internal error on {request.method} {request.path}: {type(e).__name__}: {e}",
              file=sys.stderr, flush=True)
        return Response(render_template("error.html", code=500, name="Something went wrong",
                                        message="The app could not do this. Nothing was changed by this request; "
                                                "the app's window (or its log) says more."),
                        status=500, mimetype="text/html")

    def signin_page(message: str = "", status: int = 200) -> Response:
        cookie, csrf = forms.new(request.cookies.get(PRE_CSRF))
        resp = Response(render_template("signin.html", message=message, csrf=csrf), status=status)
        resp.set_cookie(PRE_CSRF, cookie, httponly=True, samesite="Strict", max_age=auth.SIGNIN_FORM_SECONDS,
                        path=url_for("signin"))
        return resp

    @app.route("/signin", methods=["GET", "POST"])
    def signin():
        if request.method == "GET":
            return signin_page()
        if not forms.check(store(), request.cookies.get(PRE_CSRF), request.form.get("csrf", "")):
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
            if time.monotonic() - refusals_logged.get(key, -1e9) > 60:  # a flood of tries is one line a minute
                refusals_logged[key] = time.monotonic()
                store().log(NOT_SIGNED_IN, "sign-in refused", f"{tried}: too many wrong passwords")
            return signin_page(f"Too many wrong passwords. Wait {int(w.seconds) + 1} seconds, then try again.", 429)
        if tokens is None:
            store().log(NOT_SIGNED_IN, "sign-in failed", tried)
            return signin_page("Wrong name or password.", 401)
        teacher = auth.session_for(store(), tokens[0])["teacher"]
        store().log(teacher, "sign-in", f"review app (from {client})")
        resp = redirect(url_for("students"), code=303)
        resp.set_cookie(COOKIE, tokens[0], httponly=True, samesite="Strict", max_age=auth.SESSION_SECONDS)
        resp.delete_cookie(PRE_CSRF, path=url_for("signin"))
        return resp

    @app.post("/signout")
    def signout():
        auth.sign_out(store(), g.session["key"])
        store().log(g.teacher, "sign-out", "review app")
        resp = redirect(url_for("signin"), code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.context_processor
    def _inject():
        return {"csrf": g.session["csrf"] if g.get("session") else "", "teacher": g.get("teacher"),
                "low": LOW_CONFIDENCE}

    # ------------------------------------------------------------ helpers

    def student_or_404(sid: int):
        if not store().has_student(sid):
            abort(404, "There is no student with this number (deleted, or never added).")
        return store().student_by_id(sid)

    def no_session_meanwhile(s, what: str):
        """The student's session lock, held while their data is approved or deleted,
        so that no session starts (and records) in the middle."""
        try:
            return session_lock(store().dir, s.id, s.label, doing=f"the review app ({what})")
        except Busy:
            abort(409, f"{s.name} is in a session right now, so {what} their data must wait. Try again when the "
                       "session has ended.")

    def status_of(student) -> str:
        session = store().latest_session(student.id)
        draft = store().latest_draft(student.id)
        if session is None or session.status != "finished":
            return "in progress" if session else "no session yet"
        return "approved" if draft and draft["status"] == "approved" else "ready for review"

    def current_draft(student) -> tuple[IEPDraft, dict | None]:
        return exports.current_draft(store(), student)

    def save(student, draft: IEPDraft, status: str = "in_review") -> int:
        session = store().latest_session(student.id)
        return store().save_draft(student.id, session.id if session else None, draft.model_dump(mode="json"), status, g.teacher)

    # ------------------------------------------------------------ pages

    @app.get("/")
    def students():
        rows = [(s, status_of(s)) for s in store().students()]
        store().log(g.teacher, "view", "student list")
        return render_template("students.html", rows=rows)

    @app.get("/students/<id:sid>")
    def student(sid: int):
        s = student_or_404(sid)
        store().log(g.teacher, "view", f"student {s.label}")
        return render_template("student.html", s=s, status=status_of(s), sessions=store().sessions(s.id),
                               versions=store().drafts(s.id), formats=list(exports.FORMATS))

    @app.get("/students/<id:sid>/transcript")
    def transcript(sid: int):
        s = student_or_404(sid)
        session = store().latest_session(s.id)
        answers = store().answers(session.id) if session else []
        store().log(g.teacher, "view", f"transcript of {s.label}")
        return render_template("transcript.html", s=s, answers=answers,
                               reviews=store().reviews(session.id) if session else {})

    @app.post("/answers/<id:aid>/review")
    def review_answer(aid: int):
        a = store().answer(aid)
        if a is None:
            abort(404)
        action = request.form.get("action")
        if action not in ("accepted", "corrected", "ask_again"):
            abort(400, "Choose accept, correct or ask again.")
        correction = form_text("correction") or None
        if action == "corrected" and not correction:
            action = "accepted"
        store().review_answer(aid, action, g.teacher, correction if action == "corrected" else None)
        sid = store().session(a.session_id).student_id
        store().log(g.teacher, "edit", f"answer {aid} of student #{sid}: {action}")
        return redirect(url_for("transcript", sid=sid) + f"#answer-{aid}", code=303)

    @app.get("/audio/<id:aid>")
    def audio(aid: int):
        a = store().answer(aid)
        path = resolve(store().dir, a.audio_path) if a is not None else None
        if path is None:
            abort(404, "There is no recording of this answer.")  # only recordings inside the data folder, never another file
        sid = store().session(a.session_id).student_id
        store().log(g.teacher, "listen", f"recording of answer {aid} of student #{sid}")
        return send_file(path, mimetype="audio/wav", conditional=True)

    @app.get("/students/<id:sid>/draft")
    def draft(sid: int):
        s = student_or_404(sid)
        d, saved = current_draft(s)
        store().log(g.teacher, "view", f"draft of {s.label}")
        return render_template("draft.html", s=s, d=d, saved=saved, sections=LIST_SECTIONS, lists=_lists(d))

    @app.post("/students/<id:sid>/draft")
    def edit_draft(sid: int):
        s = student_or_404(sid)
        d, _ = current_draft(s)
        op = request.form.get("op", "")
        if op == "goal":
            n = form_int("index")
            if n == len(d.goals):
                d.goals.append(Goal())
            if not 0 <= n < len(d.goals):
                abort(400, "There is no such goal.")
            goal = d.goals[n]
            goal.area = form_text("area", 200) or None
            for part in ("statement", "measure", "timeframe", "support"):
                value = form_text(part)
                old = getattr(goal, part)
                if old is not None:
                    old.edited = value if value and value != old.text else None
                elif value:
                    setattr(goal, part, Item(text=value, edited=None, added_by=g.teacher))
        elif op == "remove_goal":
            n = form_int("index")
            if not 0 <= n < len(d.goals):
                abort(400, "There is no such goal.")
            d.goals.pop(n)
        else:
            section = request.form.get("section", "")
            if section not in LIST_SECTIONS:
                abort(400, "There is no such section.")
            items = _lists(d)[section]
            n = form_int("index", -1)
            if op == "add":
                text = form_text("text")
                if not text:
                    abort(400, "Type the text of the new item.")
                items.append(SECTION[section].item(text=text, label=form_text("label", 200) or None, added_by=g.teacher))
            elif op not in ("edit", "remove", "up", "down"):
                abort(400, "Unknown change.")
            elif not 0 <= n < len(items):
                abort(400, "There is no such item.")
            elif op == "edit":
                text = form_text("text")
                items[n].edited = text if text and text != items[n].text else None
                items[n].label = form_text("label", 200) or None
            elif op == "remove":
                items.pop(n)
            else:
                m = n - 1 if op == "up" else n + 1
                if 0 <= m < len(items):
                    items[n], items[m] = items[m], items[n]
        version = save(s, d)
        store().log(g.teacher, "edit", f"draft of {s.label}: {op} (version {version})")
        return redirect(url_for("draft", sid=sid), code=303)

    @app.post("/students/<id:sid>/approve")
    def approve(sid: int):
        s = student_or_404(sid)
        with no_session_meanwhile(s, "approving"):
            d, _ = current_draft(s)
            version = save(s, d, "approved")
            files = StudentFiles(store().dir, s.id)
            files.delete_speech()  # speech made from the student's words: never kept past approval
            removed = 0
            if store().setting("keep_audio", "no") != "yes":
                store().forget_audio(s.id)
                removed = files.delete_recordings()
        store().log(g.teacher, "approve", f"draft of {s.label} (version {version}; {removed} recordings deleted)")
        return redirect(url_for("student", sid=sid), code=303)

    @app.get("/students/<id:sid>/versions/<id:version>")
    def version(sid: int, version: int):
        s = student_or_404(sid)
        v = store().draft_version(s.id, version)
        if v is None:
            abort(404, "There is no such version of this draft.")
        d = IEPDraft(**v["body"])
        store().log(g.teacher, "view", f"draft version {version} of {s.label}")
        return render_template("version.html", s=s, v=v, d=d, sections=LIST_SECTIONS, lists=_lists(d))

    @app.get("/students/<id:sid>/export/<fmt>")
    def export(sid: int, fmt: str):
        if fmt not in exports.FORMATS:
            abort(404, "Documents come as pdf, docx, md or json.")
        s = student_or_404(sid)
        try:
            body = exports.export(store(), s, fmt)
            headers = {"Content-Disposition": content_disposition(f"iep-input-{s.name}.{fmt}")}
        except Exception as e:
            store().log(g.teacher, "export failed", f"{fmt} of {s.label}: {type(e).__name__}")
            raise
        store().log(g.teacher, "export", f"{fmt} of {s.label}")
        return Response(body, mimetype=exports.FORMATS[fmt], headers=headers)

    @app.get("/students/<id:sid>/script")
    def script(sid: int):
        s = student_or_404(sid)
        d, _ = current_draft(s)
        store().log(g.teacher, "view", f"meeting script of {s.label}")
        return render_template("script.html", s=s, lines=exports.meeting_script(d))

    @app.get("/students/<id:sid>/script.wav")
    def script_audio(sid: int):
        from assistant.speech.tts import Speaker

        s = student_or_404(sid)
        d, _ = current_draft(s)
        # made from the student's words: rendered in their private folder and not kept
        # there (an approved draft's speech must not come back by listening to it)
        speaker = Speaker(rate=s.rate or 150, language=s.language, private_cache=StudentFiles(store().dir, s.id).speech_cache())
        try:
            path = speaker.render(" ".join(exports.meeting_script(d)), private=True)
            audio = path.read_bytes()
            path.unlink(missing_ok=True)
        except UserError as e:
            return Response(str(e), status=503, mimetype="text/plain")
        finally:
            speaker.close()
        store().log(g.teacher, "listen", f"meeting script audio of {s.label}")
        return send_file(io.BytesIO(audio), mimetype="audio/wav")

    @app.post("/students/<id:sid>/delete")
    def delete_student(sid: int):
        s = student_or_404(sid)
        if name_key(form_text("confirm", 400)) != name_key(s.name):
            store().log(g.teacher, "delete refused", f"{s.label}: the name typed did not match")
            return render_template("student.html", s=s, status=status_of(s), sessions=store().sessions(s.id),
                                   versions=store().drafts(s.id), formats=list(exports.FORMATS),
                                   message="Not deleted: type the student's name exactly to confirm."), 400
        with no_session_meanwhile(s, "deleting"):
            store().remove_student(s.id)
            StudentFiles(store().dir, s.id).delete_all()
        store().log(g.teacher, "delete", f"all data of {s.label}")
        return redirect(url_for("students"), code=303)

    @app.get("/log")
    def access_log():
        store().log(g.teacher, "view", "access log")
        return render_template("log.html", rows=store().access_log())

    @app.route("/settings", methods=["GET", "POST"])
    def settings():
        if request.method == "POST":
            keep = "yes" if request.form.get("keep_audio") == "yes" else "no"
            store().set_setting("keep_audio", keep)
            store().log(g.teacher, "edit", f"setting keep_audio={keep}")
        else:
            store().log(g.teacher, "view", "settings")
        return render_template("settings.html", keep_audio=store().setting("keep_audio", "no") == "yes")

    return app


def _lists(d: IEPDraft) -> dict[str, list]:
    """The draft's item lists by section key (the same list objects, for editing)."""
    return lists(d)


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
    waitress_serve(app, host="127.0.0.1", port=port, threads=4, ident="iep-assistant",
                   max_request_body_size=MAX_REQUEST_BYTES)
