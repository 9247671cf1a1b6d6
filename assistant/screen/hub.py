"""The student's screen's events: what the session publishes, and the current state.

The session (voice, ears, engine hooks) publishes events here from its own
threads; each page connected to ``GET /<token>/events`` gets a queue of its own.
A page that connects late (or reloads) first gets ``state``: the latest data of
each event type that is current, so it shows what the student would have seen.
Also here: the student's display settings and their validation, because the
hub is where the current settings live.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from assistant.errors import UserError
from assistant.text import display_words

# The event types the page knows, in the order a snapshot replays them.
TYPES = ("say", "word", "spoken", "listen", "caption", "heard", "where", "cards", "card", "problem", "settings", "end")
LEVEL_INTERVAL = 0.1  # seconds: at most 10 level events a second (the contract)
CLOSED = None  # put on a page's queue when the hub closes: its stream ends

# The student's display settings: the defaults and what each may be.
DEFAULTS: dict[str, Any] = {"text_size": 150, "font": "default", "line_spacing": 1.8, "letter_spacing": 0.05,
                            "theme": "cream", "dwell": 0, "speak_labels": True}
FONTS = ("default", "opendyslexic", "atkinson")
THEMES = ("cream", "dark", "contrast")
RANGES = {"text_size": (100, 400), "line_spacing": (1.5, 3.0), "letter_spacing": (0.0, 0.3), "dwell": (0, 10),
          "rate": (90, 280)}


def check_settings(given: object) -> dict[str, Any]:
    """A partial settings object sent by the page, checked: every key known and
    every value in range. ``voice`` is checked by whoever applies it (the speaker
    knows its voices). Raises UserError with a plain message."""
    if not isinstance(given, dict) or not given:
        raise UserError("send a JSON object with at least one setting, e.g. {\"text_size\": 200}")
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key in RANGES:
            low, high = RANGES[key]
            # bool is an int in Python: true is not a text size
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise UserError(f"{key} must be a number from {low} to {high}")
            out[key] = int(value) if key in ("text_size", "rate") else round(float(value), 3)
        elif key == "font":
            if value not in FONTS:
                raise UserError(f"font must be one of: {', '.join(FONTS)}")
            out[key] = value
        elif key == "theme":
            if value not in THEMES:
                raise UserError(f"theme must be one of: {', '.join(THEMES)}")
            out[key] = value
        elif key == "speak_labels":  # "Say buttons aloud"
            if not isinstance(value, bool):
                raise UserError("speak_labels must be true or false")
            out[key] = value
        elif key == "voice":
            if not isinstance(value, str) or not value.strip() or len(value) > 100:
                raise UserError("voice must be a voice's name, e.g. piper:en_US-amy-medium or espeak:en-us")
            out[key] = value.strip()
        elif key == "language":
            raise UserError("language is the student's, set by the teacher (iep-assistant students), not on the page")
        else:
            raise UserError(f"unknown setting '{str(key)[:40]}': the settings are "
                            + ", ".join([*DEFAULTS, "rate", "voice"]))
    return out


class Hub:
    """Publishes the session's events to every connected page and keeps the current state."""

    def __init__(self, settings: dict[str, Any] | None = None):
        self._lock = threading.Lock()
        self._pages: list[queue.Queue] = []
        self._state: dict[str, Any] = {t: None for t in TYPES}
        self._state["settings"] = dict(settings or DEFAULTS)
        self._line = 0
        self._last_level = 0.0
        self.closed = False

    # ------------------------------------------------------------ pages

    def subscribe(self) -> queue.Queue:
        """A new page: its queue starts with the snapshot (taken under the same lock
        as publishing, so no event falls between the snapshot and the queue)."""
        q: queue.Queue = queue.Queue()
        with self._lock:
            q.put(("state", {t: self._state[t] for t in TYPES}))
            if self.closed:
                q.put(CLOSED)
            else:
                self._pages.append(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            if q in self._pages:
                self._pages.remove(q)

    def close(self) -> None:
        """The session is over: every stream ends after the events already queued."""
        with self._lock:
            self.closed = True
            for q in self._pages:
                q.put(CLOSED)
            self._pages.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {t: self._state[t] for t in TYPES}

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        if kind not in TYPES and kind != "level":
            raise ValueError(f"unknown event type {kind}")
        with self._lock:
            if kind != "level":  # the level is not state: a page that connects shows no old level
                self._state[kind] = data
            for q in self._pages:
                q.put((kind, data))

    # ------------------------------------------------------------ what the session publishes

    def say(self, text: str, kind: str = "message") -> int:
        """A new line: it replaces the current one, and what belonged to the last
        line (its word, its end) is no longer current."""
        with self._lock:
            self._line += 1
            line = self._line
            self._state["word"] = self._state["spoken"] = None
        self.publish("say", {"id": line, "text": text, "words": display_words(text), "kind": kind})
        return line

    def word(self, line: int, index: int) -> None:
        self.publish("word", {"id": line, "index": index})

    def spoken(self, line: int) -> None:
        self.publish("spoken", {"id": line})

    def listen(self, on: bool, expect: str = "answer", choices: list[str] | None = None) -> None:
        if on:
            with self._lock:  # a new listening has no caption yet
                self._state["caption"] = None
        self.publish("listen", {"on": on, "expect": str(getattr(expect, "value", expect)), "choices": list(choices or [])})

    def level(self, db: float) -> None:
        now = time.monotonic()
        if now - self._last_level < LEVEL_INTERVAL:
            return
        self._last_level = now
        self.publish("level", {"db": round(float(db), 1)})

    def caption(self, text: str) -> None:
        current = self._state["caption"]
        if current is None or current["text"] != text:
            self.publish("caption", {"text": text})

    def heard(self, text: str) -> None:
        self.publish("heard", {"text": text})

    def where(self, section: str, number: int, total: int) -> None:
        self.publish("where", {"section": section, "number": number, "total": total})

    def cards(self, cards: list[dict[str, str]]) -> None:
        self.publish("cards", {"cards": [{"title": c["title"], "text": c["text"]} for c in cards]})

    def card(self, index: int) -> None:
        self.publish("card", {"index": index})

    def problem(self, text: str) -> None:
        self.publish("problem", {"text": text})

    def settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            current = {**self._state["settings"], **changes}
        self.publish("settings", current)
        return current

    def current_settings(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state["settings"])

    def current(self, kind: str) -> dict[str, Any] | None:
        """The latest data of one event type (None when nothing of it is current)."""
        with self._lock:
            data = self._state[kind]
            return dict(data) if data is not None else None

    def last_line(self) -> str:
        with self._lock:
            say = self._state["say"]
            return say["text"] if say else ""

    def end(self, ending: str, text: str) -> None:
        self.publish("end", {"ending": ending, "text": text})
