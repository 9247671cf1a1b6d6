"""Ears for the student's screen: what the page sends (buttons and typed answers),
alone (``--text``) or together with the microphone.

A button's phrase is the command's canonical words ("repeat", "that's all",
"yes"), and it becomes the same ``Utterance`` the spoken words would: the one
dialogue engine decides what it means, so the page has no logic of its own.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Protocol

from assistant.dialogue.voice import Stopped, Utterance
from assistant.errors import UserError
from assistant.screen.hub import Hub
from assistant.text import clean_input

# The page's buttons, as the vocabulary names them (the contract's list).
BUTTONS = ("yes", "no", "repeat", "slower", "faster", "skip", "go back", "help", "I don't know", "that's all",
           "take a break")
# The same buttons' words in another language: what a student of that language would
# say for each (VOCABULARY[language] understands them; tests/test_screen_server.py
# checks each). The page sends these; an English button word (a page whose script has
# not yet shown the student's language) is taken as the same button.
SPOKEN_BUTTONS: dict[str, tuple[str, ...]] = {
    "es": ("sí", "no", "repite", "más despacio", "más rápido", "salta", "atrás", "ayuda", "no sé", "eso es todo",
           "un descanso"),
}
MAX_TYPED = 4000  # characters, as the engine keeps of one spoken answer


def buttons(language: str = "en") -> dict[str, str]:
    """Each button (its English words, the page's name for it) -> the words it sends in ``language``."""
    return dict(zip(BUTTONS, SPOKEN_BUTTONS.get(language, BUTTONS), strict=True))


class PageInput:
    """What the page sent, waiting for the ears to take it (one utterance each)."""

    def __init__(self, language: str = "en") -> None:
        self.buttons = buttons(language)
        self._sent = {**self.buttons, **{w: w for w in self.buttons.values()}}
        self._queue: queue.Queue[Utterance | None] = queue.Queue()
        self._waiting = threading.Event()

    def receive(self, payload: Any) -> None:
        """A POST /input body: {"say": BUTTON} or {"answer": TEXT}; UserError for anything else."""
        if not isinstance(payload, dict) or len(payload) != 1:
            raise UserError('send one of {"say": "<button words>"} or {"answer": "<typed answer>"}')
        (key, value), = payload.items()
        if key == "say":
            if not isinstance(value, str) or value not in self._sent:
                raise UserError(f"'{str(value)[:40]}' is not a button: the buttons say "
                                + ", ".join(self.buttons.values()))
            text = self._sent[value]
        elif key == "answer":
            if not isinstance(value, str):
                raise UserError("an answer is text")
            text = " ".join(clean_input(value).split())
            if not text:
                raise UserError("the answer is empty: type something, or press a button")
            if len(text) > MAX_TYPED:
                raise UserError(f"that answer is too long: at most {MAX_TYPED} characters")
        else:
            raise UserError(f"unknown input '{str(key)[:40]}': send \"say\" (a button) or \"answer\" (typed text)")
        self._queue.put(Utterance(text=text))
        self._waiting.set()

    def pending(self) -> bool:
        """Whether something is waiting: checked for each chunk of microphone sound."""
        return self._waiting.is_set()

    def take(self, timeout: float | None = None) -> Utterance | None:
        try:
            u = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if self._queue.empty():
            self._waiting.clear()
            if not self._queue.empty():  # one came between the two looks
                self._waiting.set()
        if u is None:
            raise Stopped()
        return u

    def stop(self) -> None:
        """No more input will come (the session is being ended): the ears stop waiting."""
        self._queue.put(None)
        self._waiting.set()


class PageEars:
    """``--text`` with the page: answers and buttons come from the page only."""

    def __init__(self, page: PageInput, hub: Hub):
        self.page, self.hub = page, hub

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        self.hub.listen(True, expect, choices)
        try:
            return self.page.take()
        finally:
            self.hub.listen(False, expect, choices)


class Listening(Protocol):
    last_cancelled: bool

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None: ...


class PageAndMicrophoneEars:
    """The microphone and the page together: a button pressed or an answer typed
    while the microphone listens cuts the listening at once (``ListeningEars``
    checks ``page.pending`` for every chunk) and is the utterance; one sent while
    a line is being said is taken at the next listening, without listening."""

    def __init__(self, microphone: Listening, page: PageInput, hub: Hub):
        self.microphone, self.page, self.hub = microphone, page, hub

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        if self.page.pending():
            self.hub.listen(True, expect, choices)
            self.hub.listen(False, expect, choices)
            return self.page.take()
        u = self.microphone.hear(expect, choices)  # publishes listen, level and caption itself
        if self.microphone.last_cancelled:
            return self.page.take()
        return u
