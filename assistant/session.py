"""Front ends of the dialogue engine: typed (``--text``) and live audio (a
microphone, or the demo's simulated student: ``assistant.simulate.student``).
All of them drive the one ``DialogueEngine``."""

from __future__ import annotations

import select
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from assistant.audio.devices import (
    DeviceLost,
    list_devices,
    rescan,
    resolve,
    wait_for_input,
)
from assistant.audio.level import meter
from assistant.dialogue import vocabulary
from assistant.dialogue.voice import Said, Stopped, Utterance
from assistant.errors import UserError
from assistant.messages import REFERENCE, Messages, message
from assistant.speech.asr import Recognizer, match_grammar
from assistant.speech.endpoint import EndpointConfig, State
from assistant.speech.listen import listen
from assistant.speech.tts import DEFAULT_RATE, Speaker
from assistant.store import StorageError
from assistant.text import clean_input, normalize

if TYPE_CHECKING:
    from assistant.screen.hub import Hub


class Screen:
    """Shows each spoken line in large, high-contrast text (bold, framed, wrapped)."""

    def __init__(self, out: TextIO = sys.stdout, width: int = 60):
        self.out, self.width = out, width
        self.bold = out.isatty()

    def show(self, text: str) -> None:
        lines = textwrap.wrap(text, self.width) or [""]
        if self.bold:
            lines = [f"\033[1m{ln}\033[0m" for ln in lines]
        self.out.write("\n" + "\n".join(f"  {ln}" for ln in lines) + "\n")
        self.out.flush()

    def status(self, text: str) -> None:
        self.out.write(f"  ({text})\n")
        self.out.flush()


class SpokenVoice:
    """Shows a line and speaks it. Without a speaker (``--no-voice``) it only shows.
    If the output device fails mid-session, the session goes on in text and says so.
    ``listeners`` hear each line once it has been said (the demo's student).
    With a ``hub`` (the student's screen in a browser), every line, each word as
    it is spoken, where the student is and the draft's cards are published to the
    page too; the terminal shows what it shows without one."""

    def __init__(self, screen: Screen, speaker: Speaker | None, listeners: Sequence[Callable[[Said], None]] = (),
                 hub: Hub | None = None, language: str = REFERENCE):
        self.screen, self.speaker = screen, speaker
        self.m = Messages(language)  # its own lines (the microphone, the speaker) in the student's language
        self.listeners = list(listeners)
        self.rate = speaker.rate if speaker else DEFAULT_RATE
        self.hub = hub
        self.speaking_prompt = False  # a question is being said: an answer from the page may cut it
        # The page's own words (a button's name as the focus reaches it, a setting
        # confirmed) are said by a thread of their own (``say_label``). One speaker
        # plays one thing at a time: ``_speaking`` is held by whoever plays, and
        # ``_state`` guards who that is.
        self._speaking = threading.Lock()
        self._state = threading.Lock()
        self._line_active = False  # a line of the session is waiting to be said, or being said
        self._label: str | None = None  # the label to say next (only the latest one)
        self._saying_label = False
        self._label_wake = threading.Event()
        self._label_thread: threading.Thread | None = None

    def say_prompt(self, text: str, private: bool = True) -> None:
        """Say a line the student answers (a question): the page shows it as the prompt."""
        self.say(text, private, kind="prompt")

    def say(self, text: str, private: bool = True, kind: str = "message") -> None:
        """Show and speak. The speech is prepared first: if it cannot be saved (a full or
        read-only disk: ``StorageError``), nothing is shown yet and the engine waits
        and says it again, so the student hears every line they see. (A natural voice
        is then made while it is spoken, from its first sentence.)"""
        with self._state:
            self._line_active = True
            self._label = None  # a label not yet said is stale once the session talks
        try:
            self._take_speaker()
            try:
                self._say(text, private, kind)
            finally:
                self._speaking.release()
        finally:
            with self._state:
                self._line_active = False
        for hear in self.listeners:  # outside the lock: a listener may answer with a line of its own
            hear(Said(text, private))

    def _take_speaker(self) -> None:
        """Wait for the speaker: a label being said is cut at once (a label never
        delays the session). Stopped again while waiting: a label that had just
        started may have cleared the first stop."""
        with self._state:
            if self._saying_label and self.speaker is not None:
                self.speaker.stop()
        while not self._speaking.acquire(timeout=0.05):
            with self._state:
                if self._saying_label and self.speaker is not None:
                    self.speaker.stop()

    def _say(self, text: str, private: bool, kind: str) -> None:
        if self.speaker is not None:
            try:
                self.speaker.prepare(text, private=private)
            except StorageError:
                raise
            except UserError as e:
                self._lost(e)
        self.screen.show(text)
        line = self.hub.say(text, kind) if self.hub is not None else None
        if self.speaker is not None:
            self.speaking_prompt = kind == "prompt"
            try:
                self._speak(text, private, line)
            except UserError as e:
                self._lost(e)
            finally:
                self.speaking_prompt = False
        if self.hub is not None and line is not None:
            self.hub.spoken(line)

    def _speak(self, text: str, private: bool, line: int | None) -> None:
        assert self.speaker is not None
        hub = self.hub
        if hub is not None and line is not None:
            self.speaker.speak(text, private=private, on_word=lambda index: hub.word(line, index))
        else:
            self.speaker.speak(text, private=private)

    def show(self, text: str) -> None:
        """Only show (speech could not be made)."""
        self.screen.show(text)
        if self.hub is not None:
            self.hub.spoken(self.hub.say(text))

    def say_label(self, text: str) -> bool:
        """Say one of the page's own words (checked by the caller: never student
        data), e.g. the name of the button the focus reached. Short, and a new one
        cuts the one being said. While a line of the session is being said, the label
        is dropped (False), not kept for later: the session's question or read-back
        is never cut by it, and said after the line it would come when the student
        is to answer (the microphone listening), about a focus that may have moved
        on; the focus is still shown, and the next move says its name."""
        speaker = self.speaker
        if speaker is None:
            return False
        with self._state:
            if self._line_active:
                return False
            self._label = text
            if self._saying_label:
                speaker.stop()  # a new label cuts the one being said
            if self._label_thread is None:
                self._label_thread = threading.Thread(target=self._labels, name="labels", daemon=True)
                self._label_thread.start()
        self._label_wake.set()
        return True

    def _labels(self) -> None:
        while True:
            self._label_wake.wait()
            self._label_wake.clear()
            with self._speaking:
                with self._state:
                    text, self._label = self._label, None
                    speaker = self.speaker
                    if text is None or speaker is None or self._line_active:
                        continue
                    self._saying_label = True
                try:
                    speaker.speak(text, private=False)
                except Exception:  # a label that could not be said: the session's next line finds out and says so
                    pass
                finally:
                    with self._state:
                        self._saying_label = False

    def interrupt(self) -> None:
        """The student answered on the page while a question is being said: stop saying
        it, as a student who knows the answer would want (the answer is taken at once).
        Other lines are said to their end: an answer then goes to the question that follows."""
        speaker = self.speaker
        if self.speaking_prompt and speaker is not None:
            speaker.stop()

    # What the engine tells the page, when there is one (``DialogueEngine`` calls
    # these only on a voice that has them).
    def where(self, section: str, number: int, total: int) -> None:
        if self.hub is not None:
            self.hub.where(section, number, total)

    def cards(self, cards: list[dict[str, str]]) -> None:
        if self.hub is not None:
            self.hub.cards(cards)

    def card(self, index: int) -> None:
        if self.hub is not None:
            self.hub.card(index)

    def heard(self, text: str) -> None:
        if self.hub is not None:
            self.hub.heard(text)

    def problem(self, text: str) -> None:
        """An error the student can meet: shown on the page as one, and said."""
        if self.hub is not None:
            self.hub.problem(text)
        self.notify(text)

    def notify(self, text: str) -> None:
        """A message of the program's own (no student data): said, or if its speech
        cannot be made (a full disk), shown. A lost microphone is a problem on the
        page until it is back."""
        if self.hub is not None and text in (self.m("session.mic_lost"), self.m("session.mic_still_lost")):
            self.hub.problem(text)
        elif self.hub is not None and text == self.m("session.mic_back"):
            self.hub.problem("")
        try:
            self.say(text, private=False)
        except StorageError:
            self.show(text)

    def _lost(self, e: UserError) -> None:
        self.screen.status(f"speech output stopped working: {e}; continuing with text only")
        if self.hub is not None:
            self.hub.problem(self.m("session.speech_lost"))  # shown only: it cannot be said any more
        self.speaker = None

    def set_rate(self, rate: int) -> None:
        self.rate = rate
        if self.speaker is not None:
            self.speaker.rate = rate


class TypedEars:
    """Answers typed on standard input, one line each. An empty line is silence;
    the end of input saves and pauses the session."""

    def __init__(self, inp: TextIO = sys.stdin, screen: Screen | None = None):
        self.inp, self.screen = inp, screen

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        if self.screen:
            self.screen.out.write("> ")
            self.screen.out.flush()
        line = self.inp.readline()
        if line == "":
            raise Stopped()
        line = clean_input(line).strip()
        return Utterance(text=line) if line else None


# What students say at any prompt, as hints to engines that can be biased (Whisper):
# the canonical phrase of yes, no, not sure and each command, from the one vocabulary
# (in English; ``ListeningEars`` gives those of its student's language).
HINTS = vocabulary.hints()


def yes_no_grammar(language: str = "en") -> list[str]:
    """The grammar of a yes/no question: every phrase of the vocabulary."""
    return vocabulary.grammar(language)


def heard_at_yes_no(text: str, words: list, grammar: list[str], language: str = "en") -> tuple[str, list]:
    """What a free transcript is at a yes/no question: the grammar's phrase when the
    whole transcript is one (``match_grammar``: "Yep." is "yep"), else the
    transcript as it was heard, for the engine's classifier to read.

    Not match_grammar's "the one phrase it contains": a sentence that holds one
    phrase is rarely that phrase ("I need a break between classes" is not "break"),
    and what the student said is worth more to the classifier ("yes that's right"
    holds three phrases and is yes) and to the teacher (three replies with neither
    yes nor no are kept for them) than an empty transcript, which the session
    would take for silence."""
    if not text.strip():
        return text, words
    phrase, kept = match_grammar(text, words, grammar, language)
    if phrase and normalize(phrase, language) == normalize(text, language):
        return phrase, kept
    return text, words


class ListeningEars:
    """Answers spoken into a microphone (or a simulated one): end-pointing, then
    recognition. The recording travels with the utterance; the engine saves it
    only if it is kept as an answer."""

    def __init__(self, recognizer: Recognizer, screen: Screen, input_device=None,
                 config: EndpointConfig | None = None, sources=None, notify: Callable[[str], None] | None = None,
                 hub: Hub | None = None, cancel: Callable[[], bool] | None = None,
                 problem: Callable[[str], None] | None = None, language: str = REFERENCE):
        self.recognizer, self.screen = recognizer, screen
        # yes, no and the commands are listened for in the student's language, and what
        # the ears tell the student (a lost microphone) is said in it
        self.language = language
        self.m = Messages(language)
        self.hints = vocabulary.hints(language)
        # the student's screen: listening, level and caption shown there; ``cancel``
        # (something pressed on the page) stops listening at once
        self.hub, self.cancel = hub, cancel
        self.problem = problem  # an error the student can meet, shown and said (with a page)
        self.last_cancelled = False
        self.input_device = input_device  # a device's name, or None: the system default
        self.notify = notify or screen.show  # tells the student something (the session also speaks it)
        self.config = config or EndpointConfig(hangover=1.2, no_speech_timeout=8.0, max_seconds=120.0)
        self.sources = sources  # the demo's simulated student gives one source per utterance
        self.count = 0

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        grammar = yes_no_grammar(self.language) if expect == "yes_no" else None
        # A recognizer with a grammar graph (Vosk) decodes within the grammar; the
        # others (Whisper) decode freely and their transcript is read here.
        constrained = grammar if grammar is not None and self.recognizer.supports_grammar else None
        source = self.sources(expect) if self.sources else self.input_device
        live = sys.stderr.isatty()

        hub = self.hub

        def progress(seconds: float, level: float, partial: str) -> None:
            if live:
                sys.stderr.write(f"\r  {meter(level, 12)} {partial[-60:]:<60}")
                sys.stderr.flush()
            if hub is not None:
                hub.level(level)
                if partial:
                    hub.caption(partial)

        # a model loading in the background (BackgroundRecognizer) is waited for here,
        # so that a model that cannot load ends the session with its own message
        # (everything confirmed so far is saved)
        self.last_cancelled = False
        try:
            self.recognizer.loaded()
        except UserError:
            if self.problem is not None:
                self.problem(self.m("session.model_failed"))
            raise
        self.screen.status(self.m("session.listening"))
        if hub is not None:
            hub.listen(True, expect, choices)
        try:
            heard = listen(self.recognizer, source, self.config, constrained, progress, hints=self.hints, cancel=self.cancel)
        except DeviceLost as e:
            # The headset was unplugged (or the sound server dropped it): wait for
            # it, then the question is asked again (None: nothing was heard).
            if hub is not None:
                hub.listen(False, expect, choices)
            self.screen.status(str(e))
            keyboard = Keyboard(sys.stdin) if sys.stdin.isatty() else None
            self.input_device = wait_for_microphone(self.input_device, self.notify, self.screen, keyboard, self.language)
            return None
        except UserError as e:
            # A microphone that fails mid-session pauses the session (everything
            # confirmed is saved) rather than ending it with an error.
            self.screen.status(f"{e}; the session is paused, continue it with --resume")
            if self.problem is not None:
                self.problem(self.m("session.mic_failed"))
            raise Stopped() from None
        finally:
            if hub is not None:
                hub.listen(False, expect, choices)
        if live:
            sys.stderr.write("\r" + " " * 78 + "\r")
        if heard.cancelled:
            self.last_cancelled = True
            return None
        if heard.state == State.NO_SPEECH:
            return None
        self.count += 1
        t = heard.transcript
        text, words = t.text, t.words
        if grammar is not None and constrained is None:
            text, words = heard_at_yes_no(text, words, grammar, self.language)
        return Utterance(text=clean_input(text), words=words, engine=t.engine,
                         model=t.model, pcm=heard.audio, capped=heard.state == State.CAPPED)


# What the student is told about the microphone and the speaker, in English (a session
# says them in its student's language: dialogues/LANG/messages/session.yaml).
MIC_LOST = message(REFERENCE, "session.mic_lost")
MIC_STILL_LOST = message(REFERENCE, "session.mic_still_lost")
MIC_BACK = message(REFERENCE, "session.mic_back")
# Errors the student's screen shows (and the session says, while it can).
MIC_FAILED = message(REFERENCE, "session.mic_failed")
MODEL_FAILED = message(REFERENCE, "session.model_failed")
SPEECH_LOST = message(REFERENCE, "session.speech_lost")
# seconds: how often a lost microphone is tried, the student reminded, and when the session pauses
MIC_RETRY, MIC_REMIND, MIC_GIVE_UP = 1.0, 60.0, 600.0


class Keyboard:
    """A device number or name typed at the terminal while the microphone is lost
    (a spoken session reads nothing else from the keyboard)."""

    def __init__(self, inp: TextIO):
        self.inp: TextIO | None = inp
        self.typed: str | None = None

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a line; True when one was typed (it is in ``typed``)."""
        if self.inp is None:
            time.sleep(seconds)
            return False
        ready, _, _ = select.select([self.inp], [], [], seconds)
        if not ready:
            return False
        line = self.inp.readline()
        if line == "":  # end of input (Ctrl+D): nothing more will come
            self.inp = None
            return False
        self.typed = line.strip() or None
        return self.typed is not None


def wait_for_microphone(name: str | None, notify: Callable[[str], None], screen: Screen,
                        keyboard: Keyboard | None = None, language: str = REFERENCE) -> str | None:
    """Tell the student the microphone is lost, and wait until it works again: the
    same device (``name``; None: whichever input is the system default), or another
    one whose number or name is typed on ``keyboard``. Reminds every MIC_REMIND
    seconds; after MIC_GIVE_UP seconds the session pauses (Stopped), everything
    confirmed being saved. Returns the input to use from now on."""
    m = Messages(language)
    notify(m("session.mic_lost"))
    if keyboard is not None:
        try:
            rescan()
            inputs = "; ".join(f"{d.index}: {d.name}" for d in list_devices() if d.inputs)
        except UserError as e:
            inputs = str(e)
        screen.status(f"to use another microphone, type its number or name and press Enter ({inputs})")
    started = time.monotonic()
    while True:
        waited = time.monotonic() - started
        if waited >= MIC_GIVE_UP:
            screen.status(f"no microphone for {MIC_GIVE_UP / 60:g} minutes; the session is paused, continue it with --resume")
            raise Stopped()
        device = wait_for_input(name, min(MIC_REMIND, MIC_GIVE_UP - waited), MIC_RETRY,
                                keyboard.wait if keyboard is not None else None)
        if device is not None:
            notify(m("session.mic_back"))
            return name
        if keyboard is not None and keyboard.typed:
            typed, keyboard.typed = keyboard.typed, None
            try:
                name = resolve(typed, "input").name  # tried at once, then waited for like the first one
                screen.status(f"trying '{name}'")
            except UserError as e:
                screen.status(str(e))
        elif time.monotonic() - started < MIC_GIVE_UP:
            notify(m("session.mic_still_lost"))
