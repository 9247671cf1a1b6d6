"""A student's transcript: every answer with its question and recording, words the
recognizer was unsure of marked, and the teacher's review of each answer
(accept, correct beside the student's words, or ask again next session).

The page is English (the teacher's); the session's language is said in words, and
the student's words and the questions they were asked carry it as ``lang`` so a
screen reader reads them with that language's voice and rules."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from assistant.errors import UserError
from assistant.messages import message
from assistant.recordings import resolve
from assistant.review.security import form_text
from assistant.review.web import log, store, student_or_404
from assistant.store import Session, Student

LOW_CONFIDENCE = 0.6  # words the recognizer was less sure of are marked

bp = Blueprint("transcript", __name__)


def session_language(session: Session, student: Student) -> str:
    """The language a session was in: its dialogue's, which its id starts with ("es-3-5");
    a dialogue id that names none (a test's, an old one), the student's."""
    head = session.dialogue_id.split("-", 1)[0]
    return head if re.fullmatch(r"[a-z]{2}", head) else student.language


def language_name(code: str) -> str:
    """A language's name for a teacher who reads English ("Spanish"); its code when the
    program has no texts in it."""
    try:
        return message(code, "common.language_in_english")
    except (UserError, KeyError):
        return code


@bp.get("/students/<id:sid>/transcript")
def page(sid: int):
    s = student_or_404(sid)
    transcripts = store().transcripts
    session = transcripts.latest(s.id)
    answers = transcripts.answers(session.id) if session else []
    language = session_language(session, s) if session else s.language
    log("view", f"transcript of {s.label}")
    return render_template("transcript.html", s=s, answers=answers, reviews=transcripts.reviews(session.id) if session else {},
                           low=LOW_CONFIDENCE, session=session, language=language, language_name=language_name(language))


@bp.post("/answers/<id:aid>/review")
def review_answer(aid: int):
    transcripts = store().transcripts
    a = transcripts.answer(aid)
    if a is None:
        abort(404)
    action = request.form.get("action")
    if action not in ("accepted", "corrected", "ask_again"):
        abort(400, "Choose accept, correct or ask again.")
    correction = form_text("correction") or None
    if action == "corrected" and not correction:
        action = "accepted"
    transcripts.review(aid, action, g.teacher, correction if action == "corrected" else None)
    sid = transcripts.session(a.session_id).student_id
    log("edit", f"answer {aid} of student #{sid}: {action}")
    return redirect(url_for("transcript.page", sid=sid) + f"#answer-{aid}", code=303)


@bp.get("/audio/<id:aid>")
def audio(aid: int):
    transcripts = store().transcripts
    a = transcripts.answer(aid)
    path = resolve(store().dir, a.audio_path) if a is not None else None
    if a is None or path is None:
        abort(404, "There is no recording of this answer.")  # only recordings inside the data folder, never another file
    sid = transcripts.session(a.session_id).student_id
    log("listen", f"recording of answer {aid} of student #{sid}")
    return send_file(path, mimetype="audio/wav", conditional=True)
