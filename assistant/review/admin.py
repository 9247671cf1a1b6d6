"""Pages about the app rather than a student: the access log and the settings."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from assistant.review.web import log, store
from assistant.store.settings import KEEP_AUDIO

bp = Blueprint("admin", __name__)


@bp.get("/log")
def access_log():
    log("view", "access log")
    return render_template("log.html", rows=store().audit.recent())


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    if request.method == "POST":
        keep = "yes" if request.form.get("keep_audio") == "yes" else "no"
        store().settings.set(KEEP_AUDIO, keep)
        log("edit", f"setting keep_audio={keep}")
    else:
        log("view", "settings")
    return render_template("settings.html", keep_audio=store().settings.keep_audio)
