"""Front ends of the dialogue engine: typed (``--text``) and live audio (a
microphone, or the demo's simulated student: ``assistant.simulate.student``).
All of them drive the one ``DialogueEngine``."""

from __future__ import annotations

import select
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from typing import TextIO

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
from assistant.speech.asr import Recognizer, match_grammar
from assistant.speech.endpoint import EndpointConfig, State
from assistant.speech.listen import listen
from assistant.speech.tts import DEFAULT_RATE, Speaker
from assistant.store import StorageError
from assistant.text import clean_input, normalize


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
    ``listeners`` hear each line once it has been said (the demo's student)."""

    def __init__(self, screen: Screen, speaker: Speaker | None, listeners: Sequence[Callable[[Said], None]] = ()):
        self.screen, self.speaker = screen, speaker
        self.listeners = list(listeners)
        self.rate = speaker.rate if speaker else DEFAULT_RATE

    def say(self, text: str, private: bool = True) -> None:
        """Show and speak. The speech is prepared first: if it cannot be saved (a full or
        read-only disk: ``StorageError``), nothing is shown yet and the engine waits
        and says it again, so the student hears every line they see. (A natural voice
        is then made while it is spoken, from its first sentence.)"""
        if self.speaker is not None:
            try:
                self.speaker.prepare(text, private=private)
            except StorageError:
                raise
            except UserError as e:
                self._lost(e)
        self.screen.show(text)
        if self.speaker is not None:
            try:
                self.speaker.speak(text, private=private)
            except UserError as e:
                self._lost(e)
        for hear in self.listeners:
            hear(Said(text, private))

    def show(self, text: str) -> None:
        """Only show (speech could not be made)."""
        self.screen.show(text)

    def notify(self, text: str) -> None:
        """A message of the program's own (no student data): said, or if its speech
        cannot be made (a full disk), shown."""
        try:
            self.say(text, private=False)
        except StorageError:
            self.show(text)

    def _lost(self, e: UserError) -> None:
        self.screen.status(f"speech output stopped working: {e}; continuing with text only")
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
# the canonical phrase of yes, no, not sure and each command, from the one vocabulary.
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
                 config: EndpointConfig | None = None, sources=None, notify: Callable[[str], None] | None = None):
        self.recognizer, self.screen = recognizer, screen
        self.input_device = input_device  # a device's name, or None: the system default
        self.notify = notify or screen.show  # tells the student something (the session also speaks it)
        self.config = config or EndpointConfig(hangover=1.2, no_speech_timeout=8.0, max_seconds=120.0)
        self.sources = sources  # the demo's simulated student gives one source per utterance
        self.count = 0

    def hear(self, expect: str, choices: list[str] | None = None) -> Utterance | None:
        grammar = yes_no_grammar() if expect == "yes_no" else None
        # A recognizer with a grammar graph (Vosk) decodes within the grammar; the
        # others (Whisper) decode freely and their transcript is read here.
        constrained = grammar if grammar is not None and self.recognizer.supports_grammar else None
        source = self.sources(expect) if self.sources else self.input_device
        live = sys.stderr.isatty()

        def progress(seconds: float, level: float, partial: str) -> None:
            if live:
                sys.stderr.write(f"\r  {meter(level, 12)} {partial[-60:]:<60}")
                sys.stderr.flush()

        # a model loading in the background (BackgroundRecognizer) is waited for here,
        # so that a model that cannot load ends the session with its own message
        # (everything confirmed so far is saved)
        self.recognizer.loaded()
        self.screen.status("listening")
        try:
            heard = listen(self.recognizer, source, self.config, constrained, progress, hints=HINTS)
        except DeviceLost as e:
            # The headset was unplugged (or the sound server dropped it): wait for
            # it, then the question is asked again (None: nothing was heard).
            self.screen.status(str(e))
            keyboard = Keyboard(sys.stdin) if sys.stdin.isatty() else None
            self.input_device = wait_for_microphone(self.input_device, self.notify, self.screen, keyboard)
            return None
        except UserError as e:
            # A microphone that fails mid-session pauses the session (everything
            # confirmed is saved) rather than ending it with an error.
            self.screen.status(f"{e}; the session is paused, continue it with --resume")
            raise Stopped() from None
        if live:
            sys.stderr.write("\r" + " " * 78 + "\r")
        if heard.state == State.NO_SPEECH:
            return None
        self.count += 1
        t = heard.transcript
        text, words = t.text, t.words
        if grammar is not None and constrained is None:
            text, words = heard_at_yes_no(text, words, grammar)
        return Utterance(text=clean_input(text), words=words, engine=t.engine,
                         model=t.model, pcm=heard.audio, capped=heard.state == State.CAPPED)


MIC_LOST = "I can't hear you: the microphone stopped working. Check that the headset is plugged in. I will wait."
MIC_STILL_LOST = "I am still waiting for the microphone. Check that the headset is plugged in."
MIC_BACK = "The microphone is back. Let's go on."
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
                        keyboard: Keyboard | None = None) -> str | None:
    """Tell the student the microphone is lost, and wait until it works again: the
    same device (``name``; None: whichever input is the system default), or another
    one whose number or name is typed on ``keyboard``. Reminds every MIC_REMIND
    seconds; after MIC_GIVE_UP seconds the session pauses (Stopped), everything
    confirmed being saved. Returns the input to use from now on."""
    notify(MIC_LOST)
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
            notify(MIC_BACK)
            return name
        if keyboard is not None and keyboard.typed:
            typed, keyboard.typed = keyboard.typed, None
            try:
                name = resolve(typed, "input").name  # tried at once, then waited for like the first one
                screen.status(f"trying '{name}'")
            except UserError as e:
                screen.status(str(e))
        elif time.monotonic() - started < MIC_GIVE_UP:
            notify(MIC_STILL_LOST)
