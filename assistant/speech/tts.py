"""Text-to-speech: render with Piper (a natural voice, in this process) where a Piper
voice speaks the language, else with pyttsx3/espeak-ng in a child process; cache;
play with sounddevice.

Voices are named ``ENGINE:NAME``: ``piper:en_US-joe-medium``, ``espeak:gmw/en-us``;
``piper`` or ``espeak`` alone is that engine's voice for the language. A name
without an engine is a Piper voice's name or else an espeak-ng voice (students'
saved profiles hold espeak-ng names from before Piper: they keep that voice)."""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from assistant.audio.devices import Player
from assistant.audio.level import trim_leading_silence
from assistant.audio.wav import Audio, read_wav, write_wav
from assistant.errors import UserError, free_bytes, os_storage_error, read_only
from assistant.paths import cache_dir, make_private, private_dir, write_private
from assistant.speech import piper

DEFAULT_RATE = 165  # words per minute: a little slower than espeak's 175 default
DEFAULT_VOICES = {"en": "gmw/en-us"}  # espeak-ng: US English for US IEPs; other languages: espeak's own choice
PIPER, ESPEAK = "piper", "espeak"
INSTALL_HINT = "install it: sudo apt-get install espeak-ng (Linux)"


def public_cache() -> Path:
    """The cache of the dialogue's own prompts (speech made from a student's words is
    cached in their private folder instead). A ``tts`` folder beside it held every
    line, read-backs of students' answers included, readable by other accounts: it
    is deleted the first time this cache is used."""
    base = cache_dir()
    old = base / "tts"
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    return base / "prompts"


class TTSWorker:
    """A long-lived pyttsx3 child process; restarted if it dies or hangs."""

    def __init__(self, start_timeout: float = 20.0):
        self._proc: subprocess.Popen | None = None
        self._stderr: IO[bytes] | None = None
        self._start_timeout = start_timeout

    def _start(self) -> None:
        self.close()
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.speech.tts_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8",
        )
        first = self._read(self._start_timeout)
        if "error" in first:
            self.close()
            raise UserError(f"text-to-speech is unavailable: {first['error']}; {INSTALL_HINT}")

    def _died(self) -> UserError:
        why = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            lines = [ln.strip() for ln in self._stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
            why = f" ({lines[-1]})" if lines else ""
        self.close()
        return UserError(f"text-to-speech is unavailable: espeak-ng stopped{why}; {INSTALL_HINT}")

    def _read(self, timeout: float) -> dict:
        assert self._proc and self._proc.stdout
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        if not ready:
            self.close()
            raise UserError(f"text-to-speech did not answer within {timeout:.0f} s; try again")
        line = self._proc.stdout.readline()
        if not line:
            raise self._died()
        return json.loads(line)

    def request(self, timeout: float, **req) -> dict:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        assert self._proc and self._proc.stdin
        try:
            self._proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None
        return self._read(timeout)

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe:
                    pipe.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


# The user's speech rate is espeak-ng's words per minute: every saved rate, the
# default and the "slower"/"faster" steps were chosen listening to espeak-ng. Measured
# alike on 44 of the dialogues' prompts (words over the seconds from first to last
# sound of each), espeak-ng says 1.29-1.30 times its nominal rate at every rate from
# 90 to 400 (its floor is 80: 60 comes out as 80). A Piper voice is given the length
# scale at which it measures the same, from the voice's own table (piper.VOICES),
# so a rate sounds as fast in both engines. Measured with tests/tts_pace.py.
ESPEAK_PACE = 1.295


def length_scale(info: piper.PiperVoiceInfo, rate: int) -> float:
    """Piper's length scale at which ``info`` speaks as fast as espeak-ng at ``rate``
    (words per minute): the voice's measured table, interpolated on log-log axes
    (pace falls a little slower than 1/length_scale: sentence edges do not stretch),
    its end segments extended beyond it."""
    target = math.log(ESPEAK_PACE * rate)
    points = sorted((math.log(wpm), math.log(ls)) for ls, wpm in info.pace)
    i = 1
    while i < len(points) - 1 and points[i][0] < target:
        i += 1
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    scale = math.exp(y0 + (target - x0) * (y1 - y0) / (x1 - x0))
    # below 0.3 Piper's words run together (and it barely gets faster: 420 words a
    # minute at 0.4, 375 at 0.55), so the top rates are as fast as it goes
    return round(min(max(scale, 0.3), 4.0), 3)


@dataclass(frozen=True)
class VoiceChoice:
    engine: str  # PIPER or ESPEAK
    name: str  # the engine's own name of the voice
    chosen: bool  # named by the user (else the language's default: Piper falls back to espeak-ng if it cannot load)

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"


def choose_voice(voice: str | None, language: str = "en") -> VoiceChoice:
    """The voice ``voice`` names (see the module's doc), or the language's default:
    its Piper voice when one is installed, else espeak-ng's."""
    text = (voice or "").strip()
    if not text:
        natural = piper.installed_voices(language)
        if natural:
            return VoiceChoice(PIPER, natural[0].name, chosen=False)
        return VoiceChoice(ESPEAK, DEFAULT_VOICES.get(language, language), chosen=False)
    engine, _, name = text.partition(":")
    if engine.lower() in (PIPER, ESPEAK):  # "piper:NAME", "espeak:NAME", or the engine alone
        engine = engine.lower()
    else:  # a plain name: a Piper voice's, or espeak-ng's (as saved before Piper)
        engine, name = (PIPER if any(v.name == text for v in piper.VOICES) else ESPEAK), text
    if engine == ESPEAK:
        return VoiceChoice(ESPEAK, name or DEFAULT_VOICES.get(language, language), chosen=True)
    if not name:
        known = [v for v in piper.VOICES if v.language == language]
        if not known:
            raise UserError(f"there is no Piper voice for the language '{language}'; use --voice espeak "
                            "(`iep-assistant say --list-voices` lists the voices)")
        name = known[0].name
    piper.voice_info(name)  # an unknown name is an error now, not at the first prompt
    return VoiceChoice(PIPER, name, chosen=True)


class Speaker:
    """Speaks text aloud. Renders are cached by (text, engine, voice, rate), so a
    prompt heard before starts at once. ``stop()`` interrupts playback from any thread.

    With Piper, a prompt not heard before starts playing once its first sentence is
    made; the rest is made while it plays, and the whole is cached at the end (a
    prompt stopped early is not cached). Piper's voice loads when a line must first
    be made (about 1.2 s), or with ``preload`` on a thread of its own from the start.

    Two caches: the dialogue's own prompts (the same for every student) in the
    user's cache folder, and anything made from a student's words or IEP (their
    name, accommodations, read-backs, the meeting script) in ``private_cache``,
    inside the student's private data folder, deleted with the student or when
    the draft is approved. A private line with no private cache is refused."""

    # Seconds of quiet added between sentences (Piper ends each with about 0.2 s of
    # its own), times the length scale: slower speech pauses longer. The pace table
    # was measured with it.
    SENTENCE_GAP = 0.1
    # Piper scales each sentence to full range; resampling to the device's rate then
    # overshoots a little, which would clip.
    PIPER_VOLUME = 0.9

    def __init__(self, voice: str | None = None, rate: int = DEFAULT_RATE, output_device: str | int | None = None,
                 cache: Path | None = None, language: str = "en", play: bool = True, private_cache: Path | None = None,
                 preload: bool = False):
        if not 60 <= rate <= 400:
            raise UserError(f"speech rate {rate} is out of range: use 60 to 400 words per minute")
        self.language = language
        self.choice = choose_voice(voice, language)
        self.rate = rate
        self.output_device = output_device
        self.play = play  # False: render only (a machine with no sound card)
        self.cache = cache or public_cache()
        self.private_cache = private_cache
        self.fallback_reason: str | None = None  # why the default Piper voice was not used, if it failed to load
        self._worker = TTSWorker()
        self._player: Player | None = None
        self._stop = threading.Event()
        self._piper: piper.PiperEngine | None = None
        self._piper_lock = threading.Lock()
        self._loader: threading.Thread | None = None
        if preload and self.choice.engine == PIPER:
            self._loader = threading.Thread(target=self._preload, name="piper-load", daemon=True)
            self._loader.start()

    # ------------------------------------------------------------ the voice

    @property
    def voice(self) -> str:
        """The voice as ``ENGINE:NAME``; set it with any name ``choose_voice`` takes."""
        return self.choice.id

    @voice.setter
    def voice(self, name: str | None) -> None:
        self.choice = choose_voice(name, self.language)

    @property
    def engine(self) -> str:
        return self.choice.engine

    def length_scale(self) -> float:
        return length_scale(piper.voice_info(self.choice.name), self.rate)

    def natural_engine(self) -> piper.PiperEngine | None:
        """The Piper voice this speaker speaks with (loaded now if need be), for
        another user of the same voice in this process (the demo's simulated
        student) to share; None when it speaks with espeak-ng. The speaker keeps it
        and closes it."""
        return self._piper_engine() if self._use_piper() else None

    def _preload(self) -> None:
        try:
            self._piper_engine()
        except UserError:
            pass  # said again, or fallen back from, when a line needs it

    def _piper_engine(self) -> piper.PiperEngine:
        with self._piper_lock:
            if self._piper is None or self._piper.info.name != self.choice.name:
                if self._piper is not None:
                    self._piper.close()
                self._piper = piper.PiperEngine(self.choice.name)
            return self._piper

    def _use_piper(self) -> bool:
        """Whether to make speech with Piper now; a default Piper voice that cannot
        load gives way to espeak-ng (a chosen one is an error)."""
        if self.choice.engine != PIPER:
            return False
        try:
            self._piper_engine()
        except UserError as e:
            if self.choice.chosen:
                raise
            self.fallback_reason = str(e)
            self.choice = VoiceChoice(ESPEAK, DEFAULT_VOICES.get(self.language, self.language), chosen=False)
            return False
        return True

    def _key(self, text: str) -> str:
        if self.choice.engine == PIPER:  # the length scale too: a new pace table makes new renders
            parts: list = [text, PIPER, self.choice.name, self.rate, self.length_scale()]
        else:
            parts = [text, ESPEAK, self.choice.name, self.rate]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]

    # ------------------------------------------------------------ the caches

    def _reserve(self, text: str, private: bool) -> tuple[Path, Path | None]:
        """The cache file of ``text`` and, when it is not made yet, a new temporary file
        beside it to make it in (a storage problem is raised here, before any sound)."""
        if private:
            if self.private_cache is None:
                raise ValueError("a line made from a student's words needs the student's private cache")
            folder = self.private_cache
        else:
            folder = self.cache
        path = folder / f"{self._key(text)}.wav"
        if path.exists():
            return path, None
        try:
            if private:
                private_dir(folder)
            else:
                folder.mkdir(parents=True, exist_ok=True)
            # a new file of a name no one can guess, 0600, never a link someone left there
            fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.wav", dir=folder)
            os.close(fd)
            return path, Path(name)
        except OSError as e:
            if not private and self.private_cache is not None and folder != self.private_cache:
                # the prompts' cache is on a full or read-only disk: during a session the
                # dialogue's own prompts can be made in the student's (private) folder
                self.cache = self.private_cache
                return self._reserve(text, private)
            raise os_storage_error(e, folder, "speech") or UserError(f"cannot write speech to {folder}: {e.strerror}") from None

    def _lookup(self, text: str, private: bool) -> tuple[Path, Path | None, bool]:
        """``_reserve``, and whether Piper makes the line. The cache is looked in first:
        Piper loads only when a line must be made."""
        path, tmp = self._reserve(text, private)
        if tmp is None:
            return path, None, self.choice.engine == PIPER
        before = self.choice
        try:
            use_piper = self._use_piper()
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if self.choice != before:  # fell back to espeak-ng: another cache key
            tmp.unlink(missing_ok=True)
            return self._lookup(text, private)
        return path, tmp, use_piper

    @staticmethod
    def _text(text: str) -> str:
        text = " ".join(text.split())
        if not text:
            raise UserError("nothing to say: the text is empty")
        return text

    def render(self, text: str, private: bool = False) -> Path:
        """The WAV of ``text`` spoken with this voice and rate (cached)."""
        text = self._text(text)
        path, tmp, use_piper = self._lookup(text, private)
        if tmp is None:
            return path
        if use_piper:
            try:
                self._write(tmp, list(self._piper_pieces(text)))
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        else:
            self._render_espeak(text, tmp)
        tmp.replace(path)
        return path

    def prepare(self, text: str, private: bool = False) -> None:
        """Make sure ``text`` can be said: its cache can be written (else the storage
        error, before anything is shown), the voice works. espeak-ng renders it whole
        here; Piper only loads, so that ``speak`` starts with the first sentence."""
        path, tmp, use_piper = self._lookup(self._text(text), private)
        if tmp is None:
            return
        tmp.unlink(missing_ok=True)
        if not use_piper:
            self.render(text, private)

    def _render_espeak(self, text: str, tmp: Path) -> None:
        folder = tmp.parent
        try:
            reply = self._worker.request(timeout=30 + len(text) / 20, op="render", text=text, voice=self.choice.name,
                                         rate=self.rate, out=str(tmp))
        except UserError:
            tmp.unlink(missing_ok=True)
            raise
        if "error" in reply:
            tmp.unlink(missing_ok=True)
            if free_bytes(folder) < 1 << 20 or read_only(folder):  # the disk filled up while espeak-ng wrote
                problem = os_storage_error(OSError(errno.ENOSPC if free_bytes(folder) < 1 << 20 else errno.EROFS, "no space"),
                                           folder, "speech")
                assert problem is not None  # both errnos are storage errors
                raise problem
            if "unknown_voice" in reply:
                raise UserError(f"unknown voice '{self.choice.name}'; `iep-assistant say --list-voices` lists them")
            raise UserError(f"text-to-speech failed: {reply['error']}")
        make_private(tmp)

    def _piper_pieces(self, text: str) -> Iterator[np.ndarray]:
        """The speech of ``text``, one sentence at a time (with the pause before it),
        as float32 at the Piper voice's rate; it starts with the sound."""
        engine = self._piper_engine()
        scale = self.length_scale()
        gap = np.zeros(int(engine.rate * self.SENTENCE_GAP * scale), np.float32)
        for i, sentence in enumerate(engine.sentences(text, scale)):
            sentence = sentence * np.float32(self.PIPER_VOLUME)
            yield np.concatenate([gap, sentence]) if i else trim_leading_silence(sentence, engine.rate)

    def _write(self, tmp: Path, pieces: list[np.ndarray]) -> None:
        assert self._piper is not None  # the pieces came from it
        write_wav(tmp, np.concatenate(pieces) if pieces else np.zeros(0, np.float32), self._piper.rate)
        make_private(tmp)

    def voices(self) -> list[dict]:
        """The voices there are, ``engine:id`` naming each: Piper's installed ones,
        then espeak-ng's (its UserError when espeak-ng is missing)."""
        return self.natural_voices() + self.espeak_voices()

    @staticmethod
    def natural_voices() -> list[dict]:
        return [{"engine": PIPER, "id": v.name, "name": f"{v.name} (natural)", "languages": [v.language]}
                for v in piper.installed_voices()]

    def espeak_voices(self) -> list[dict]:
        return [dict(v, engine=ESPEAK) for v in self._worker.request(timeout=20, op="voices")["voices"]]

    def save(self, text: str, out: Path) -> Path:
        """Write the speech of ``text`` to ``out``: a new 0600 file put in place whole
        (a link someone left at ``out`` is replaced, never followed)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, self.render(text).read_bytes())
        return out

    def audio(self, text: str, private: bool = False) -> Audio:
        return read_wav(self.render(text, private))

    # ------------------------------------------------------------ playing

    def speak(self, text: str, private: bool = False) -> float:
        """Say ``text`` on the output device; returns the seconds played.
        ``stop()`` from another thread, even during rendering, cuts it short."""
        self._stop.clear()
        if not self.play:
            self.render(text, private)
            return 0.0
        if self._player is None:
            self._player = Player(self.output_device)
        text = self._text(text)
        path, tmp, use_piper = self._lookup(text, private)
        if tmp is not None:
            if use_piper:
                return self._stream(text, path, tmp)
            tmp.unlink(missing_ok=True)
            path = self.render(text, private)
        audio = read_wav(path)
        # espeak-ng starts some words with up to ~50 ms of quiet: start with the sound
        samples = trim_leading_silence(audio.samples, audio.rate)
        return self._player.play(samples, audio.rate, self._stop)

    def _stream(self, text: str, path: Path, tmp: Path) -> float:
        """Play a new Piper line while it is made; cache it once it is made whole."""
        assert self._player is not None
        made: list[np.ndarray] = []
        whole = False

        def pieces() -> Iterator[np.ndarray]:
            nonlocal whole
            for piece in self._piper_pieces(text):
                made.append(piece)
                yield piece
            whole = True

        try:
            seconds = self._player.play_stream(pieces(), self._piper_engine().rate, self._stop)
            if whole:
                try:
                    self._write(tmp, made)
                    tmp.replace(path)
                except OSError:
                    pass  # the line was heard; its cache could not be written (a disk that filled up meanwhile)
        finally:
            tmp.unlink(missing_ok=True)
        return seconds

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        if self._loader is not None:
            self._loader.join()  # a voice half loaded is not left to a dying interpreter
            self._loader = None
        with self._piper_lock:
            if self._piper is not None:
                self._piper.close()
                self._piper = None
        self._worker.close()
