"""A student's goal check-ins through the year (blueprint ``checkins``): per goal, a
chart of the ratings over time with its table (date, rating, what helped, what got
in the way, in the student's words), and per accommodation, by date, whether it was
used and whether it helped. This is the evidence the next IEP meeting needs."""

from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup

from assistant.review import chart
from assistant.review.web import log, store, student_or_404

bp = Blueprint("checkins", __name__)


@bp.get("/students/<id:sid>/checkins")
def page(sid: int):
    s = student_or_404(sid)
    done = chart.checkins(store(), s)
    goals = [(c, Markup(chart.svg(c, f"chart-{n}")), chart.rows(c)) for n, c in enumerate(chart.by_goal(done), 1)]
    accommodations = [(name, chart.acc_rows(items)) for name, items in chart.by_accommodation(done)]
    log("view", f"check-ins of {s.label}")
    return render_template("checkins.html", s=s, checkins=done, goals=goals, accommodations=accommodations,
                           headers=chart.HEADERS, acc_headers=chart.ACC_HEADERS)
