"""The teacher's review app: Flask, served on 127.0.0.1 only.

Every request needs a signed-in teacher (else: the sign-in page, nothing else);
every POST needs the session's CSRF token; cookies are HttpOnly and SameSite;
pages are rendered by Jinja with autoescaping and a strict Content-Security-Policy.
Who viewed or changed what is written to the access log.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from flask import Flask, Response, abort, g, redirect, render_template, request, send_file, url_for

from assistant.draft import AccommodationItem, Goal, IEPDraft, Item
from assistant.review import auth, exports
from assistant.store import Store

COOKIE = "iep_session"
PRE_CSRF = "iep_signin_csrf"
LOW_CONFIDENCE = 0.6
LIST_SECTIONS = {
    "strengths": "Strengths", "interests": "Interests", "challenges": "What is hard", "learning_preferences": "How I learn best",
    "message_to_team": "Message to the IEP team", "accommodations.helpful": "Accommodations that help",
    "accommodations.not_helpful": "Accommodations that do not help (discuss)", "accommodations.not_sure": "Accommodations: not sure",
    "accommodations.wanted": "Needs the IEP does not cover yet (discuss)", "transition.education": "After school: education",
    "transition.employment": "After school: work", "transition.independent_living": "After school: living on my own",
}
PUBLIC = {"signin", "static"}


def create_app(data_dir: Path | None = None) -> Flask:
    app = Flask(__name__)
    app.config["DATA_DIR"] = data_dir

    def store() -> Store:
        if "store" not in g:
            g.store = Store(app.config["DATA_DIR"])
        return g.store

    @app.teardown_appcontext
    def _close(_exc):
        s = g.pop("store", None)
        if s is not None:
            s.close()

    # ------------------------------------------------------------ security

    @app.before_request
    def _require_sign_in():
        g.session = auth.session_for(store(), request.cookies.get(COOKIE))
        if request.endpoint in PUBLIC:
            return None
        if g.session is None:
            if request.method == "GET" and request.endpoint is not None:
                return redirect(url_for("signin"), code=303)
            return signin_page("Please sign in.", 401)
        if request.method == "POST" and not secrets.compare_digest(request.form.get("csrf", ""), g.session["csrf"]):
            abort(403)
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

    def signin_page(message: str = "", status: int = 200) -> Response:
        token = request.cookies.get(PRE_CSRF) or secrets.token_urlsafe(24)
        resp = Response(render_template("signin.html", message=message, csrf=token), status=status)
        resp.set_cookie(PRE_CSRF, token, httponly=True, samesite="Strict")
        return resp

    @app.route("/signin", methods=["GET", "POST"])
    def signin():
        if request.method == "GET":
            return signin_page()
        pre = request.cookies.get(PRE_CSRF, "")
        if not pre or not secrets.compare_digest(request.form.get("csrf", ""), pre):
            abort(403)
        name = request.form.get("name", "")
        wait = auth.wait_seconds(store(), name)
        if wait > 0:
            return signin_page(f"Too many wrong passwords. Wait {int(wait) + 1} seconds, then try again.", 429)
        tokens = auth.sign_in(store(), name, request.form.get("password", ""))
        if tokens is None:
            return signin_page("Wrong name or password.", 401)
        store().log(" ".join(name.split()), "sign-in", "review app")
        resp = redirect(url_for("students"), code=303)
        resp.set_cookie(COOKIE, tokens[0], httponly=True, samesite="Strict", max_age=auth.SESSION_SECONDS)
        resp.delete_cookie(PRE_CSRF)
        return resp

    @app.post("/signout")
    def signout():
        auth.sign_out(store(), g.session["key"])
        resp = redirect(url_for("signin"), code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.context_processor
    def _inject():
        return {"csrf": g.session["csrf"] if g.get("session") else "", "teacher": g.get("teacher"),
                "low": LOW_CONFIDENCE}

    # ------------------------------------------------------------ helpers

    def student_or_404(sid: int):
        row = store().db.execute("SELECT id FROM students WHERE id=?", (sid,)).fetchone()
        if row is None:
            abort(404)
        return store().student_by_id(sid)

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

    @app.get("/students/<int:sid>")
    def student(sid: int):
        s = student_or_404(sid)
        store().log(g.teacher, "view", f"student {s.label}")
        return render_template("student.html", s=s, status=status_of(s), sessions=store().sessions(s.id),
                               versions=store().drafts(s.id), formats=list(exports.FORMATS))

    @app.get("/students/<int:sid>/transcript")
    def transcript(sid: int):
        s = student_or_404(sid)
        session = store().latest_session(s.id)
        answers = store().answers(session.id) if session else []
        store().log(g.teacher, "view", f"transcript of {s.label}")
        return render_template("transcript.html", s=s, answers=answers,
                               reviews=store().reviews(session.id) if session else {})

    @app.post("/answers/<int:aid>/review")
    def review_answer(aid: int):
        a = store().answer(aid)
        if a is None:
            abort(404)
        action = request.form.get("action")
        if action not in ("accepted", "corrected", "ask_again"):
            abort(400)
        correction = " ".join(request.form.get("correction", "").split()) or None
        if action == "corrected" and not correction:
            action = "accepted"
        store().review_answer(aid, action, g.teacher, correction if action == "corrected" else None)
        sid = store().session(a.session_id).student_id
        store().log(g.teacher, "edit", f"answer {aid} of student #{sid}: {action}")
        return redirect(url_for("transcript", sid=sid) + f"#answer-{aid}", code=303)

    @app.get("/audio/<int:aid>")
    def audio(aid: int):
        a = store().answer(aid)
        if a is None or not a.audio_path:
            abort(404)
        root = os.path.realpath(store().audio_dir)
        path = os.path.realpath(a.audio_path)
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            abort(404)  # only recordings inside the data folder, never another file
        store().log(g.teacher, "listen", f"recording of answer {aid}")
        return send_file(path, mimetype="audio/wav", conditional=True)

    @app.get("/students/<int:sid>/draft")
    def draft(sid: int):
        s = student_or_404(sid)
        d, saved = current_draft(s)
        store().log(g.teacher, "view", f"draft of {s.label}")
        return render_template("draft.html", s=s, d=d, saved=saved, sections=LIST_SECTIONS, lists=_lists(d))

    @app.post("/students/<int:sid>/draft")
    def edit_draft(sid: int):
        s = student_or_404(sid)
        d, _ = current_draft(s)
        op, f = request.form.get("op", ""), request.form
        if op == "goal":
            n = int(f.get("index", "-1"))
            if n == len(d.goals):
                d.goals.append(Goal())
            if not 0 <= n < len(d.goals):
                abort(400)
            goal = d.goals[n]
            goal.area = f.get("area", "").strip() or None
            for part in ("statement", "measure", "timeframe", "support"):
                value = " ".join(f.get(part, "").split())
                old = getattr(goal, part)
                if old is not None:
                    old.edited = value if value and value != old.text else None
                elif value:
                    setattr(goal, part, Item(text=value, edited=None))
        elif op == "remove_goal":
            n = int(f.get("index", "-1"))
            if not 0 <= n < len(d.goals):
                abort(400)
            d.goals.pop(n)
        else:
            section = f.get("section", "")
            if section not in LIST_SECTIONS:
                abort(400)
            items = _lists(d)[section]
            n = int(f.get("index", "-1") or -1)
            if op == "add":
                text = " ".join(f.get("text", "").split())
                if not text:
                    abort(400)
                cls = AccommodationItem if section.startswith("accommodations") else Item
                items.append(cls(text=text, label=f.get("label", "").strip() or None))
            elif not 0 <= n < len(items):
                abort(400)
            elif op == "edit":
                text = " ".join(f.get("text", "").split())
                items[n].edited = text if text and text != items[n].text else None
                items[n].label = f.get("label", "").strip() or None
            elif op == "remove":
                items.pop(n)
            elif op in ("up", "down"):
                m = n - 1 if op == "up" else n + 1
                if 0 <= m < len(items):
                    items[n], items[m] = items[m], items[n]
            else:
                abort(400)
        version = save(s, d)
        store().log(g.teacher, "edit", f"draft of {s.label}: {op} (version {version})")
        return redirect(url_for("draft", sid=sid), code=303)

    @app.post("/students/<int:sid>/approve")
    def approve(sid: int):
        s = student_or_404(sid)
        d, _ = current_draft(s)
        version = save(s, d, "approved")
        removed = 0
        if store().setting("keep_audio", "no") != "yes":
            root = os.path.realpath(store().audio_dir) + os.sep
            for path in store().forget_audio(s.id):
                if os.path.realpath(path).startswith(root):
                    Path(path).unlink(missing_ok=True)
                    removed += 1
            shutil.rmtree(store().audio_dir / f"student-{s.id}", ignore_errors=True)  # and anything else recorded
        store().log(g.teacher, "approve", f"draft of {s.label} (version {version}; {removed} recordings deleted)")
        return redirect(url_for("student", sid=sid), code=303)

    @app.get("/students/<int:sid>/versions/<int:version>")
    def version(sid: int, version: int):
        s = student_or_404(sid)
        match = [v for v in store().drafts(s.id) if v["version"] == version]
        if not match:
            abort(404)
        d = IEPDraft(**match[0]["body"])
        store().log(g.teacher, "view", f"draft version {version} of {s.label}")
        return render_template("version.html", s=s, v=match[0], d=d, sections=LIST_SECTIONS, lists=_lists(d))

    @app.get("/students/<int:sid>/export/<fmt>")
    def export(sid: int, fmt: str):
        if fmt not in exports.FORMATS:
            abort(404)
        s = student_or_404(sid)
        body = exports.export(store(), s, fmt)
        store().log(g.teacher, "export", f"{fmt} of {s.label}")
        safe = "".join(c if c.isalnum() else "-" for c in s.name).strip("-") or "student"
        return Response(body, mimetype=exports.FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="iep-input-{safe}.{fmt}"'})

    @app.get("/students/<int:sid>/script")
    def script(sid: int):
        s = student_or_404(sid)
        d, _ = current_draft(s)
        store().log(g.teacher, "view", f"meeting script of {s.label}")
        return render_template("script.html", s=s, lines=exports.meeting_script(d))

    @app.get("/students/<int:sid>/script.wav")
    def script_audio(sid: int):
        from assistant.errors import UserError
        from assistant.speech.tts import Speaker

        s = student_or_404(sid)
        d, _ = current_draft(s)
        speaker = Speaker(rate=s.rate or 150, language=s.language)
        try:
            path = speaker.render(" ".join(exports.meeting_script(d)))
        except UserError as e:
            return Response(str(e), status=503, mimetype="text/plain")
        finally:
            speaker.close()
        return send_file(path, mimetype="audio/wav")

    @app.post("/students/<int:sid>/delete")
    def delete_student(sid: int):
        s = student_or_404(sid)
        if " ".join(request.form.get("confirm", "").split()).casefold() != s.name.casefold():
            return render_template("student.html", s=s, status=status_of(s), sessions=store().sessions(s.id),
                                   versions=store().drafts(s.id), formats=list(exports.FORMATS),
                                   message="Not deleted: type the student's name exactly to confirm."), 400
        root = os.path.realpath(store().audio_dir) + os.sep
        for path in store().remove_student(s.id):
            if os.path.realpath(path).startswith(root):
                Path(path).unlink(missing_ok=True)
        shutil.rmtree(store().audio_dir / f"student-{s.id}", ignore_errors=True)
        store().log(g.teacher, "delete", f"all data of {s.label}")
        return redirect(url_for("students"), code=303)

    @app.get("/log")
    def access_log():
        return render_template("log.html", rows=store().access_log())

    @app.route("/settings", methods=["GET", "POST"])
    def settings():
        if request.method == "POST":
            keep = "yes" if request.form.get("keep_audio") == "yes" else "no"
            store().set_setting("keep_audio", keep)
            store().log(g.teacher, "edit", f"setting keep_audio={keep}")
        return render_template("settings.html", keep_audio=store().setting("keep_audio", "no") == "yes")

    return app


def _lists(d: IEPDraft) -> dict[str, list]:
    """The draft's item lists by section key (the same list objects, for editing)."""
    a, t = d.accommodations, d.transition
    return {"strengths": d.strengths, "interests": d.interests, "challenges": d.challenges,
            "learning_preferences": d.learning_preferences, "message_to_team": d.message_to_team,
            "accommodations.helpful": a.helpful, "accommodations.not_helpful": a.not_helpful,
            "accommodations.not_sure": a.not_sure, "accommodations.wanted": a.wanted,
            "transition.education": t.education, "transition.employment": t.employment,
            "transition.independent_living": t.independent_living}


def serve(data_dir: Path | None, port: int) -> None:
    from waitress import serve as waitress_serve

    app = create_app(data_dir)
    print(f"review app: http://127.0.0.1:{port}/  (this computer only; Ctrl+C stops it)", flush=True)
    waitress_serve(app, host="127.0.0.1", port=port, threads=4, ident="iep-assistant")
