"""The list of students, a student's page, and deleting a student's data (the
name typed to confirm, never while their session runs)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from assistant.recordings import StudentFiles
from assistant.review import exports
from assistant.review.security import form_text
from assistant.review.web import log, no_session_meanwhile, store, student_or_404
from assistant.store import Student
from assistant.text import name_key

bp = Blueprint("students", __name__)


def status_of(student: Student) -> str:
    session = store().transcripts.latest(student.id)
    draft = store().draft_versions.latest(student.id)
    if session is None or session.status != "finished":
        return "in progress" if session else "no session yet"
    return "approved" if draft and draft["status"] == "approved" else "ready for review"


def _student_page(s: Student, message: str | None = None) -> str:
    return render_template("student.html", s=s, status=status_of(s), sessions=store().transcripts.of_student(s.id),
                           versions=store().draft_versions.of_student(s.id), formats=list(exports.FORMATS), message=message)


@bp.get("/")
def index():
    rows = [(s, status_of(s)) for s in store().roster.all()]
    log("view", "student list")
    return render_template("students.html", rows=rows)


@bp.get("/students/<id:sid>")
def student(sid: int):
    s = student_or_404(sid)
    log("view", f"student {s.label}")
    return _student_page(s)


@bp.post("/students/<id:sid>/delete")
def delete(sid: int):
    s = student_or_404(sid)
    if name_key(form_text("confirm", 400)) != name_key(s.name):
        log("delete refused", f"{s.label}: the name typed did not match")
        return _student_page(s, "Not deleted: type the student's name exactly to confirm."), 400
    with no_session_meanwhile(s, "deleting"):
        store().remove_student(s.id)
        StudentFiles(store().dir, s.id).delete_all()
    log("delete", f"all data of {s.label}")
    return redirect(url_for("students.index"), code=303)
