"""Documents for the meeting, from the current draft: the exports (PDF, DOCX,
Markdown, JSON) and the student's meeting script, to read or to hear."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, render_template, request, send_file

from assistant.errors import UserError
from assistant.recordings import StudentFiles
from assistant.review import exports
from assistant.review.web import log, store, student_or_404
from assistant.text import content_disposition

bp = Blueprint("documents", __name__)


@bp.get("/students/<id:sid>/export/<fmt>")
def export(sid: int, fmt: str):
    if fmt not in exports.FORMATS:
        abort(404, "Documents come as pdf, docx, md or json.")
    copy = request.args.get("copy", "student")
    if copy not in exports.COPIES:
        abort(404, "The copy is the student's (copy=student) or the teacher's (copy=teacher).")
    s = student_or_404(sid)
    what = fmt + (" (teacher's copy)" if copy == "teacher" else "")
    name = f"iep-input-{s.name}" + ("-teacher" if copy == "teacher" else "")
    try:
        body = exports.export(store(), s, fmt, copy)
        headers = {"Content-Disposition": content_disposition(f"{name}.{fmt}")}
    except Exception as e:
        log("export failed", f"{what} of {s.label}: {type(e).__name__}")
        raise
    log("export", f"{what} of {s.label}")
    return Response(body, mimetype=exports.FORMATS[fmt], headers=headers)


@bp.get("/students/<id:sid>/script")
def script(sid: int):
    s = student_or_404(sid)
    d, _ = exports.current_draft(store(), s)
    log("view", f"meeting script of {s.label}")
    # the student reads it (and hears it, below) in their language
    return render_template("script.html", s=s, lines=exports.meeting_script(d, d.language), language=d.language)


@bp.get("/students/<id:sid>/script.wav")
def script_audio(sid: int):
    from assistant.speech.tts import Speaker

    s = student_or_404(sid)
    d, _ = exports.current_draft(store(), s)
    # made from the student's words: rendered in their private folder and not kept
    # there (an approved draft's speech must not come back by listening to it)
    speaker = Speaker(rate=s.rate or 150, language=s.language, private_cache=StudentFiles(store().dir, s.id).speech_cache())
    try:
        path = speaker.render(" ".join(exports.meeting_script(d, d.language)), private=True)
        audio = path.read_bytes()
        path.unlink(missing_ok=True)
    except UserError as e:
        return Response(str(e), status=503, mimetype="text/plain")
    finally:
        speaker.close()
    log("listen", f"meeting script audio of {s.label}")
    return send_file(io.BytesIO(audio), mimetype="audio/wav")
