"""Goal check-ins as the teacher sees them: per goal, the ratings over time as a
chart (SVG in the review app, PNG in the PDF and DOCX) and as a table with the
student's words; per accommodation, by date, whether it was used and helped.

The chart is readable without colour: dark points with their value written beside
them, a solid line between check-ins next to each other and a dashed one across a
check-in without a rating, the axis labelled 1 to 5 and each point's date. Check-ins
are spaced evenly in date order (not to scale), so that dates close together stay
readable. Both pictures are drawn from one ``geometry``: the SVG by hand, the PNG
with Pillow (a dependency of ReportLab, so always there; matplotlib is only in the
benchmark's extras, and ReportLab's own PNG renderer needs a Cairo binding that is
not installed).

A goal whose wording changed during the year is another goal here: check-ins are
grouped by the goal's text as it was checked in on."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from assistant.draft import Checkin, checkins_of
from assistant.messages import message
from assistant.text import md_escape

WIDTH, HEIGHT = 380, 300  # the chart's own units (SVG viewBox; the PNG is drawn at twice this)
LEFT, RIGHT, TOP, BOTTOM = 60, 26, 24, 112  # room for the axis labels and the slanted dates
FONT = 17
# the axis is this far below the rating 1, where a check-in without a rating is marked (a
# hollow circle): on the line of 1 it would read as a 1
BELOW = 18
INK = "#111111"  # 18:1 on white
GRID = "#595959"  # 7:1 on white: the grid is part of reading the values


def checkins(store, student) -> list[Checkin]:
    """A student's check-ins, oldest first, as the draft carries them."""
    return checkins_of(store.checkins.of_student(student.id))


@dataclass
class Point:
    date: str
    rating: int | None
    said: str | None
    helped: str | None
    in_the_way: str | None
    status: str


@dataclass
class GoalChart:
    goal: str
    points: list[Point] = field(default_factory=list)

    @property
    def rated(self) -> list[Point]:
        return [p for p in self.points if p.rating is not None]


def by_goal(checkins: list[Checkin]) -> list[GoalChart]:
    """One chart per goal text, in the order the goals were first checked in on; points in date order."""
    charts: dict[str, GoalChart] = {}
    for c in sorted(checkins, key=lambda c: (c.date, c.id)):
        for g in c.goals:
            key = " ".join(g.goal.split())
            charts.setdefault(key, GoalChart(key)).points.append(
                Point(c.date, g.rating, g.said, g.helped, g.in_the_way, c.status))
    return list(charts.values())


@dataclass
class AccommodationRow:
    date: str
    used: str | None
    helped: str | None
    said: str | None


def by_accommodation(checkins: list[Checkin]) -> list[tuple[str, list[AccommodationRow]]]:
    """Each accommodation asked about, with its answers by date."""
    rows: dict[str, list[AccommodationRow]] = {}
    for c in sorted(checkins, key=lambda c: (c.date, c.id)):
        for a in c.accommodations:
            rows.setdefault(a.accommodation, []).append(AccommodationRow(c.date, a.used, a.helped, a.said))
    return list(rows.items())


# ---------------------------------------------------------------- geometry


@dataclass
class Geometry:
    yticks: list[tuple[float, int]]  # (y, rating)
    xticks: list[tuple[float, str]]  # (x, date label)
    points: list[tuple[float, float, int]]  # (x, y, rating)
    lines: list[tuple[float, float, float, float, bool]]  # (x1, y1, x2, y2, dashed)
    unrated: list[float]  # x of check-ins without a rating (a hollow mark on the axis, below 1)


def _x(i: int, n: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    # the first point far enough from the axis for its slanted date to fit left of it
    return LEFT + inner / 2 if n == 1 else LEFT + 20 + i * (inner - 32) / (n - 1)


def _y(rating: float) -> float:
    return TOP + (5 - rating) * (HEIGHT - TOP - BOTTOM) / 4


AXIS = _y(1) + BELOW


def geometry(chart: GoalChart) -> Geometry:
    n = len(chart.points)
    xs = [_x(i, n) for i in range(n)]
    points = [(xs[i], _y(p.rating), p.rating) for i, p in enumerate(chart.points) if p.rating is not None]
    lines = []
    previous: int | None = None
    for i, p in enumerate(chart.points):
        if p.rating is None:
            continue
        if previous is not None:
            q = chart.points[previous]
            assert q.rating is not None
            # across a check-in with no rating the line is dashed: nothing was said in between
            lines.append((xs[previous], _y(q.rating), xs[i], _y(p.rating), i - previous > 1))
        previous = i
    return Geometry([(_y(r), r) for r in range(1, 6)], [(xs[i], p.date) for i, p in enumerate(chart.points)], points,
                    lines, [xs[i] for i, p in enumerate(chart.points) if p.rating is None])


def summary(chart: GoalChart, language: str = "en") -> str:
    """The chart in words (its text alternative's short form; the table has it all)."""
    none = message(language, "documents.no_rating")
    said = "; ".join(f"{p.date}: {p.rating if p.rating is not None else none}" for p in chart.points)
    return message(language, "documents.chart_summary", said=said)


# ---------------------------------------------------------------- SVG (the review app)


def svg(chart: GoalChart, ident: str) -> str:
    """The chart as inline SVG (presentation attributes only: the app's Content-Security-Policy
    allows no inline style), named by its <title> and described by its <desc>."""
    g = geometry(chart)
    plot_bottom = AXIS
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
           f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif" font-size="{FONT}" fill="{INK}">',
           f'<title id="{ident}-title">Chart: how the goal is going, by check-in</title>',
           f'<desc id="{ident}-desc">{escape(summary(chart))}</desc>']
    for y, r in g.yticks:
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}" '
                   'stroke-width="1" stroke-dasharray="1 4"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 5:.1f}" text-anchor="end">{r}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP - 6}" x2="{LEFT}" y2="{plot_bottom:.1f}" stroke="{INK}" stroke-width="2"/>')
    out.append(f'<line x1="{LEFT}" y1="{plot_bottom:.1f}" x2="{WIDTH - RIGHT}" y2="{plot_bottom:.1f}" stroke="{INK}" '
               'stroke-width="2"/>')
    mid = (TOP + plot_bottom) / 2
    out.append(f'<text x="18" y="{mid:.1f}" text-anchor="middle" transform="rotate(-90 18 {mid:.1f})">Rating</text>')
    for x, date in g.xticks:
        y = plot_bottom + 16
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" transform="rotate(-50 {x:.1f} {y:.1f})">'
                   f'{escape(date)}</text>')
    for x1, y1, x2, y2, dashed in g.lines:
        dash = ' stroke-dasharray="6 5"' if dashed else ""
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{INK}" stroke-width="2"{dash}/>')
    for x in g.unrated:
        out.append(f'<circle class="unrated" cx="{x:.1f}" cy="{plot_bottom:.1f}" r="6" fill="#ffffff" stroke="{INK}" '
                   'stroke-width="2"/>')
    for x, y, r in g.points:
        out.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="6"/>')
        out.append(f'<text class="value" x="{x + 8:.1f}" y="{y - 8:.1f}" font-weight="bold">{r}</text>')
    out.append("</svg>")
    return "\n".join(out)


# ---------------------------------------------------------------- PNG (the PDF and DOCX)


def png(chart: GoalChart, scale: int = 2, language: str = "en") -> bytes:
    """The same chart as a PNG (Pillow), ``scale`` times the chart's units."""
    from PIL import Image, ImageDraw, ImageFont

    g = geometry(chart)
    img = Image.new("RGB", (WIDTH * scale, HEIGHT * scale), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=FONT * scale)
    bold = font

    def s(v: float) -> float:
        return v * scale

    def dashed(x1: float, y1: float, x2: float, y2: float, on: float, off: float, width: int) -> None:
        length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        t = 0.0
        while t < length:
            e = min(t + on, length)
            draw.line([(s(x1 + (x2 - x1) * t / length), s(y1 + (y2 - y1) * t / length)),
                       (s(x1 + (x2 - x1) * e / length), s(y1 + (y2 - y1) * e / length))], fill=INK if width > 1 else GRID,
                      width=width * scale)
            t += on + off

    plot_bottom = AXIS
    for y, r in g.yticks:
        dashed(LEFT, y, WIDTH - RIGHT, y, 1, 4, 1)
        draw.text((s(LEFT - 8), s(y)), str(r), fill=INK, font=font, anchor="rm")
    draw.line([(s(LEFT), s(TOP - 6)), (s(LEFT), s(plot_bottom))], fill=INK, width=2 * scale)
    draw.line([(s(LEFT), s(plot_bottom)), (s(WIDTH - RIGHT), s(plot_bottom))], fill=INK, width=2 * scale)
    label = Image.new("RGBA", (int(s(80)), int(s(24))), (255, 255, 255, 0))
    axis = message(language, "documents.chart_axis")
    ImageDraw.Draw(label).text((label.width / 2, label.height / 2), axis, fill=INK, font=font, anchor="mm")
    label = label.rotate(90, expand=True)
    img.paste(label, (int(s(18) - label.width / 2), int(s((TOP + plot_bottom) / 2) - label.height / 2)), label)
    for x, date in g.xticks:
        box = Image.new("RGBA", (int(s(120)), int(s(24))), (255, 255, 255, 0))
        ImageDraw.Draw(box).text((box.width, box.height / 2), date, fill=INK, font=font, anchor="rm")
        box = box.rotate(50, expand=True, resample=Image.Resampling.BICUBIC)
        # the text's end (its right edge, rotated) is at the tick, as the SVG's text-anchor="end"
        img.paste(box, (int(s(x) - box.width + s(4)), int(s(plot_bottom + 8))), box)
    for x1, y1, x2, y2, is_dashed in g.lines:
        if is_dashed:
            dashed(x1, y1, x2, y2, 6, 5, 2)
        else:
            draw.line([(s(x1), s(y1)), (s(x2), s(y2))], fill=INK, width=2 * scale)
    for x in g.unrated:
        draw.ellipse([s(x - 6), s(plot_bottom - 6), s(x + 6), s(plot_bottom + 6)], fill="white", outline=INK,
                     width=2 * scale)
    for x, y, r in g.points:
        draw.ellipse([s(x - 6), s(y - 6), s(x + 6), s(y + 6)], fill=INK)
        draw.text((s(x + 8), s(y - 8)), str(r), fill=INK, font=bold, anchor="ls")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# ---------------------------------------------------------------- the exports' section


def _quote(text: str | None, language: str = "en") -> str:
    return f"\u201c{text}\u201d" if text else message(language, "documents.not_said")


def rating_text(p: Point, language: str = "en") -> str:
    if p.rating is None:
        return message(language, "documents.no_rating") + (f" ({_quote(p.said)})" if p.said else "")
    return (message(language, "documents.rating", rating=p.rating)
            + (f" ({_quote(p.said)})" if p.said and p.said.strip() != str(p.rating) else ""))


def _status(p: Point, language: str = "en") -> str:
    return "" if p.status == "finished" else " " + message(language, "documents.stopped")


def rows(chart: GoalChart, language: str = "en") -> list[list[str]]:
    """The table of a goal: date, rating, what helped, what got in the way."""
    return [[p.date + _status(p, language), rating_text(p, language), _quote(p.helped, language),
             _quote(p.in_the_way, language)] for p in chart.points]


HEADERS = ["Date", "Rating (1 to 5)", "What helped", "What got in the way"]  # the review app's page (English)
ACC_HEADERS = ["Date", "Used it", "It helped", "The student's words"]


def headers(language: str) -> list[str]:
    return [message(language, "documents.header_date"), message(language, "documents.header_rating"),
            message(language, "documents.header_helped"), message(language, "documents.header_in_the_way")]


def acc_headers(language: str) -> list[str]:
    return [message(language, "documents.header_date"), message(language, "documents.header_used"),
            message(language, "documents.header_it_helped"), message(language, "documents.header_words")]


# a check-in stores yes, no and not sure as these words (assistant.checkin), whatever the language it was said in
_ANSWERS = {"yes": "documents.answer_yes", "no": "documents.answer_no", "not sure": "documents.answer_not_sure"}


def _answer(value: str, language: str) -> str:
    return message(language, _ANSWERS[value]) if value in _ANSWERS else value


def acc_rows(items: list[AccommodationRow], language: str = "en") -> list[list[str]]:
    not_said = message(language, "documents.not_said")
    return [[r.date, _answer(r.used, language) if r.used else not_said,
             _answer(r.helped, language) if r.helped else (
                 message(language, "documents.not_asked") if r.used != "yes" else not_said),
             _quote(r.said, language)] for r in items]


def markdown(checkins: list[Checkin], language: str = "en") -> str:
    """The "Check-ins" section of the Markdown export ("" when there is none), in ``language``."""
    if not checkins:
        return ""

    def say(key: str, **fields: object) -> str:
        return message(language, key, **fields)

    lines = ["", f"## {say('documents.checkins')}", ""]
    for chart in by_goal(checkins):
        lines += [f"### {say('documents.checkins_goal', goal=md_escape(chart.goal))}", ""]
        for p in chart.points:
            lines.append(f"- {p.date}{_status(p, language)}: {md_escape(rating_text(p, language))}; "
                         f"{say('documents.what_helped')}: {md_escape(_quote(p.helped, language))}; "
                         f"{say('documents.in_the_way')}: {md_escape(_quote(p.in_the_way, language))}")
        lines.append("")
    accommodations = by_accommodation(checkins)
    if accommodations:
        lines += [f"### {say('documents.checkins_accommodations')}", ""]
        for name, items in accommodations:
            for date, used, helped, said in acc_rows(items, language):
                lines.append(f"- {md_escape(name)}, {date}: {say('documents.used')}: {used}; "
                             f"{say('documents.helped')}: {helped}; {md_escape(said)}")
        lines.append("")
    return "\n".join(lines)


def pdf_story(checkins: list[Checkin], language: str = "en") -> list:
    """The "Check-ins" section of the PDF: per goal its chart (an image) and its table."""
    from reportlab.lib import colors
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

    from assistant.review.exports import pdf_text

    if not checkins:
        return []
    styles = getSampleStyleSheet()

    def table(headers: list[str], body: list[list[str]]) -> Table:
        cells = [[Paragraph(f"<b>{pdf_text(h)}</b>", styles["BodyText"]) for h in headers]]
        cells += [[Paragraph(pdf_text(c), styles["BodyText"]) for c in row] for row in body]
        t = Table(cells, colWidths=[1.3 * inch, 1.5 * inch, 1.85 * inch, 1.85 * inch], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    story: list = [Paragraph(pdf_text(message(language, "documents.checkins")), styles["Heading2"])]
    for chart in by_goal(checkins):
        story.append(Paragraph(pdf_text(message(language, "documents.checkins_goal", goal=chart.goal)), styles["Heading3"]))
        story.append(Image(io.BytesIO(png(chart, language=language)), width=WIDTH * 0.9, height=HEIGHT * 0.9))
        story.append(Paragraph(pdf_text(summary(chart, language)), styles["BodyText"]))
        story.append(table(headers(language), rows(chart, language)))
        story.append(Spacer(1, 8))
    for name, items in by_accommodation(checkins):
        story.append(Paragraph(pdf_text(message(language, "documents.checkins_accommodation", name=name)),
                               styles["Heading3"]))
        story.append(table(acc_headers(language), acc_rows(items, language)))
    return story


def docx_section(doc, checkins: list[Checkin], language: str = "en") -> None:
    """The "Check-ins" section of the DOCX: per goal its chart (a picture, with its text
    alternative) and its table."""
    from docx.shared import Inches

    from assistant.text import xml_safe

    if not checkins:
        return

    def table(headers: list[str], body: list[list[str]]) -> None:
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        for cell, h in zip(t.rows[0].cells, headers, strict=True):
            cell.text = h
        for row in body:
            for cell, text in zip(t.add_row().cells, row, strict=True):
                cell.text = xml_safe(text)

    doc.add_heading(message(language, "documents.checkins"), level=2)
    for chart in by_goal(checkins):
        doc.add_heading(xml_safe(message(language, "documents.checkins_goal", goal=chart.goal)), level=3)
        doc.add_picture(io.BytesIO(png(chart, language=language)), width=Inches(5.5))
        picture = doc.inline_shapes[-1]
        picture._inline.docPr.set("descr", xml_safe(summary(chart, language)))  # the picture's alt text
        doc.add_paragraph(xml_safe(summary(chart, language)))
        table(headers(language), rows(chart, language))
    for name, items in by_accommodation(checkins):
        doc.add_heading(xml_safe(message(language, "documents.checkins_accommodation", name=name)), level=3)
        table(acc_headers(language), acc_rows(items, language))
