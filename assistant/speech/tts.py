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
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
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
from assistant.text import display_words, spoken_form

DEFAULT_RATE = 165  # words per minute: a little slower than espeak's 175 default
# espeak-ng's voice for a language with no Piper voice installed: US English for US
# IEPs; Latin American Spanish (roa/es-419), the Spanish most US students and
# families speak, not espeak-ng's own "es" (Spain: "c" and "z" said as "th").
# Other languages: espeak-ng's own choice for the language code.
DEFAULT_VOICES = {"en": "gmw/en-us", "es": "roa/es-419"}
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


# ------------------------------------------------------------ word times kept with the audio
#
# Each cached WAV carries when each of its display words starts, in a RIFF chunk of
# its own after the audio ("iepw", JSON): the times cannot be parted from their
# audio (one file, put in place whole, in the public or the student's private
# cache alike), and WAV readers skip chunks they do not know.
TIMING_CHUNK = b"iepw"


def write_word_times(path: Path, starts: list[float], how: str) -> None:
    """Append the word times chunk to the WAV at ``path`` (seconds into its audio)."""
    body = json.dumps({"words": [round(x, 4) for x in starts], "how": how}).encode()
    with open(path, "r+b") as f:
        f.seek(0, os.SEEK_END)
        f.write(TIMING_CHUNK + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b""))
        size = f.tell()
        f.seek(4)
        f.write(struct.pack("<I", size - 8))


def read_word_times(path: Path) -> list[float] | None:
    """The word start times stored in the WAV at ``path``; None if it has none."""
    found = _timing_chunk(path)
    return [float(x) for x in found["words"]] if found else None


def word_times_source(path: Path) -> str | None:
    """How the WAV's word times were found: "piper-alignment", "espeak-events" or "proportional"."""
    found = _timing_chunk(path)
    return str(found.get("how")) if found else None


def _timing_chunk(path: Path) -> dict | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if cid == TIMING_CHUNK:
            try:
                found = json.loads(data[pos + 8 : pos + 8 + size])
                return found if isinstance(found, dict) and isinstance(found.get("words"), list) else None
            except ValueError:
                return None
        pos += 8 + size + (size & 1)
    return None


def proportional_starts(words: list[str], samples: np.ndarray, rate: int) -> list[float]:
    """Estimated word starts when the engine gave none: the words spread over the
    audio from its first sound to its last, each as long as its letters."""
    if not words:
        return []
    peak = float(np.abs(samples).max()) if len(samples) else 0.0
    loud = np.flatnonzero(np.abs(samples) > 0.05 * peak) if peak > 0 else np.zeros(0, int)
    first, last = (int(loud[0]), int(loud[-1])) if len(loud) else (0, len(samples))
    weights = [max(1, sum(ch.isalnum() for ch in w)) + 1 for w in words]
    whole, before, out = sum(weights), 0, []
    for w in weights:
        out.append((first + before * (last - first) / whole) / rate)
        before += w
    return out


def _complete(starts: list[float | None]) -> list[float]:
    """Word times with any missing one (a word no sentence had) set to the one before."""
    out: list[float] = []
    for x in starts:
        out.append(x if x is not None else (out[-1] if out else 0.0))
    return out


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
        # held while a word event is given and while stop() stops: none starts after stop() returns
        self._word_lock = threading.RLock()
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
        if path.exists() and read_word_times(path) is not None:
            return path, None  # (a file cached before word times were kept is made again)
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
                self._write(tmp, text, list(self._piper_marked(text)))
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
            reply = self._worker.request(timeout=30 + len(text) / 20, op="render", text=spoken_form(text, self.language),
                                         voice=self.choice.name, rate=self.rate, out=str(tmp))
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
        words = display_words(text)
        starts = reply.get("words")
        if isinstance(starts, list) and len(starts) == len(words):
            how = "espeak-events"  # espeak-ng's own word events, with their place in the audio (tts_worker)
        else:  # no events (another espeak-ng, another platform's engine): estimated from the audio
            audio = read_wav(tmp)
            starts, how = proportional_starts(words, audio.samples, audio.rate), "proportional"
        write_word_times(tmp, starts, how)

    def _piper_pieces(self, text: str) -> Iterator[np.ndarray]:
        """The speech of ``text``, one sentence at a time (with the pause before it),
        as float32 at the Piper voice's rate; it starts with the sound."""
        for piece, _ in self._piper_marked(text):
            yield piece

    def _piper_marked(self, text: str) -> Iterator[tuple[np.ndarray, list[tuple[float, int]]]]:
        """``_piper_pieces`` with the display words that start in each piece:
        (seconds into the piece, index into ``display_words(text)``)."""
        engine = self._piper_engine()
        scale = self.length_scale()
        gap = np.zeros(int(engine.rate * self.SENTENCE_GAP * scale), np.float32)
        for i, (sentence, marks) in enumerate(engine.timed_sentences(text, scale)):
            sentence = sentence * np.float32(self.PIPER_VOLUME)
            if i:
                shift, piece = len(gap), np.concatenate([gap, sentence])
            else:
                piece = trim_leading_silence(sentence, engine.rate)
                shift = len(piece) - len(sentence)  # minus the quiet cut off
            yield piece, [(max(0, at + shift) / engine.rate, index) for index, at in marks]

    def _write(self, tmp: Path, text: str, pieces: list[tuple[np.ndarray, list[tuple[float, int]]]]) -> None:
        assert self._piper is not None  # the pieces came from it
        rate = self._piper.rate
        starts: list[float | None] = [None] * len(display_words(text))
        offset = 0
        for piece, marks in pieces:
            for seconds, index in marks:
                starts[index] = offset / rate + seconds
            offset += len(piece)
        write_wav(tmp, np.concatenate([p for p, _ in pieces]) if pieces else np.zeros(0, np.float32), rate)
        make_private(tmp)
        write_word_times(tmp, _complete(starts), "piper-alignment")

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

    def speak(self, text: str, private: bool = False, on_word: Callable[[int], None] | None = None) -> float:
        """Say ``text`` on the output device; returns the seconds played.
        ``stop()`` from another thread, even during rendering, cuts it short.

        ``on_word(index)`` is called once per word, in order, when that word's sound
        reaches the output device (index into ``assistant.text.display_words(text)``),
        from a thread of the player's (never from the audio callback); none is
        called once ``stop()`` has returned. With ``play=False`` no sound is made,
        and no word is called."""
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
                return self._stream(text, path, tmp, on_word)
            tmp.unlink(missing_ok=True)
            path = self.render(text, private)
        audio = read_wav(path)
        # espeak-ng starts some words with up to ~50 ms of quiet: start with the sound
        samples = trim_leading_silence(audio.samples, audio.rate)
        cut = (len(audio.samples) - len(samples)) / audio.rate
        starts = read_word_times(path) or proportional_starts(display_words(text), audio.samples, audio.rate)
        marks = [(max(0.0, at - cut), index) for index, at in enumerate(starts)]
        return self._player.play_stream([(samples, marks)], audio.rate, self._stop, on_mark=self._word_event(on_word))

    def _word_event(self, on_word: Callable[[int], None] | None) -> Callable[[int], None] | None:
        if on_word is None:
            return None

        def event(index: int) -> None:
            with self._word_lock:
                if not self._stop.is_set():
                    on_word(index)

        return event

    def _stream(self, text: str, path: Path, tmp: Path, on_word: Callable[[int], None] | None = None) -> float:
        """Play a new Piper line while it is made; cache it once it is made whole."""
        assert self._player is not None
        made: list[tuple[np.ndarray, list[tuple[float, int]]]] = []
        whole = False

        def pieces() -> Iterator[tuple[np.ndarray, list[tuple[float, int]]]]:
            nonlocal whole
            for piece in self._piper_marked(text):
                made.append(piece)
                yield piece
            whole = True

        try:
            seconds = self._player.play_stream(pieces(), self._piper_engine().rate, self._stop,
                                               on_mark=self._word_event(on_word))
            if whole:
                try:
                    self._write(tmp, text, made)
                    tmp.replace(path)
                except OSError:
                    pass  # the line was heard; its cache could not be written (a disk that filled up meanwhile)
        finally:
            tmp.unlink(missing_ok=True)
        return seconds

    def stop(self) -> None:
        with self._word_lock:  # a word event being given ends first; none comes after
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


def measure_word_offsets(speaker: Speaker, text: str, watcher, private: bool = False) -> list[float]:
    """How late (+) or early (-) each word's event comes after its sound reaches the
    speaker, in seconds, one per display word, for a line said here: for the tests
    and the benchmark, on virtual devices. ``watcher`` records the speaker's monitor
    from before the call (``VirtualAudio.watch("speaker.monitor", keep=True)``); see
    ``word_offsets_in_recording``."""
    events: list[tuple[int, float]] = []
    speaker.speak(text, private, on_word=lambda i: events.append((i, time.perf_counter())))
    watcher.wait_for_quiet(0.5, timeout=10)
    words = display_words(text)
    if [i for i, _ in events] != list(range(len(words))):
        raise AssertionError(f"the word events were {[i for i, _ in events]}, not each of {len(words)} words in order")
    return word_offsets_in_recording(events, speaker.render(text, private), watcher)


def word_offsets_in_recording(events: list[tuple[int, float]], line_wav: Path, watcher) -> list[float]:
    """How late (+) or early (-) each word event comes after that word's sound reached
    the speaker, in seconds, one per event: ``events`` are (word index, when on
    ``time.perf_counter``) of a line that was played whole from ``line_wav`` (its
    cache file: its audio and word times are what was played) while ``watcher``
    recorded the speaker's monitor (made with ``keep=True``; 16 kHz), noting when
    each block arrives, on ``time.perf_counter`` (on Linux the same clock as the
    player's ``time.monotonic``: CLOCK_MONOTONIC). The events may come from
    anywhere on that clock (the player, a page's highlight).

    The recording's own latency: each sample's time is its block's arrival less the
    time of the samples after it in the block, and the recording's clock is set by
    the earliest of all (a block that came late, the reader busy, only arrives
    later). What remains is the monitor's shortest delivery delay (its 10 ms
    fragments): sounds look up to about 10 ms later than they were, events as
    early. Each word's sound is found in the recording by its own audio (the line
    as rendered, which is what was played, from its start time on, 0.3 s; the first
    good match, normalised), searched from where the word before was found: a
    sentence that came late (silence put in while it was made) moves the words
    after it. The line must have been played once in the recording (the first match
    of its first word is taken)."""
    from assistant.audio import SAMPLE_RATE
    from assistant.audio.resample import resample

    audio = read_wav(line_wav)
    starts = read_word_times(line_wav)
    if starts is None:
        raise ValueError(f"{line_wav} has no word times: it is not a line of the speech cache")
    indices = [i for i, _ in events]
    if indices != sorted(set(indices)) or (indices and not 0 <= indices[0] <= indices[-1] < len(starts)):
        raise ValueError(f"the word events {indices} are not words of {line_wav} ({len(starts)} words) in order")
    rendered = resample(audio.samples, audio.rate, SAMPLE_RATE)
    samples, arrivals = watcher.recorded()  # the watcher's public record: no reach into its fields
    heard = samples.astype(np.float32) / 32768
    block = watcher.BLOCK
    origin = float(np.min(arrivals - np.arange(1, len(arrivals) + 1) * block / SAMPLE_RATE))  # time of sample 0
    lag: int | None = None  # recording index of the rendered sample 0, as the word before was found
    offsets = []
    span = int(0.3 * SAMPLE_RATE)
    for index, when in events:
        at = int(starts[index] * SAMPLE_RATE)
        piece = rendered[at : at + span]
        # a sentence made late (several seconds, the first time the voice loads) delays
        # the words after it, never brings them earlier
        if lag is None:  # the first word: anywhere in the recording (the line is played once)
            lo, hi = 0, len(heard)
        else:
            lo, hi = max(0, lag + at - int(0.1 * SAMPLE_RATE)), min(len(heard), lag + at + int(5.0 * SAMPLE_RATE) + span)
        window = heard[lo:hi]
        if len(piece) and len(window) > len(piece) and np.abs(piece).max() > 0.01:
            # normalised (a louder stretch further on must not outscore the word itself),
            # and the first good match: the same word said again later is not it
            energy = np.sqrt(np.convolve(window**2, np.ones(len(piece)), mode="valid")) + 1e-9
            c = np.correlate(window, piece, mode="valid") / energy
            lag = lo + int(np.argmax(c >= 0.9 * c.max())) - at
        if lag is None:
            raise AssertionError("the line's first word was not heard on the speaker")
        offsets.append(when - (origin + (lag + at) / SAMPLE_RATE))
    return offsets
