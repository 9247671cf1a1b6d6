"""Text-to-speech: render with pyttsx3 in a child process, cache, play with sounddevice."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from assistant.audio.devices import Player
from assistant.audio.level import trim_leading_silence
from assistant.audio.wav import Audio, read_wav
from assistant.errors import UserError, free_bytes, os_storage_error, read_only
from assistant.paths import cache_dir, make_private, private_dir, write_private

DEFAULT_RATE = 165  # words per minute: a little slower than espeak's 175 default
DEFAULT_VOICES = {"en": "gmw/en-us"}  # US English for US IEPs; other languages: espeak's own choice
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


class Speaker:
    """Speaks text aloud. Renders are cached by (text, voice, rate), so a prompt
    heard before starts at once. ``stop()`` interrupts playback from any thread.

    Two caches: the dialogue's own prompts (the same for every student) in the
    user's cache folder, and anything made from a student's words or IEP (their
    name, accommodations, read-backs, the meeting script) in ``private_cache``,
    inside the student's private data folder, deleted with the student or when
    the draft is approved. A private line with no private cache is refused."""

    def __init__(self, voice: str | None = None, rate: int = DEFAULT_RATE, output_device: str | int | None = None,
                 cache: Path | None = None, language: str = "en", play: bool = True, private_cache: Path | None = None):
        if not 60 <= rate <= 400:
            raise UserError(f"speech rate {rate} is out of range: use 60 to 400 words per minute")
        self.voice, self.rate = voice or DEFAULT_VOICES.get(language, language), rate
        self.output_device = output_device
        self.play = play  # False: render only (a machine with no sound card)
        self.cache = cache or public_cache()
        self.private_cache = private_cache
        self._worker = TTSWorker()
        self._player: Player | None = None
        self._stop = threading.Event()

    def _key(self, text: str) -> str:
        return hashlib.sha256(json.dumps([text, self.voice, self.rate]).encode()).hexdigest()[:32]

    def render(self, text: str, private: bool = False) -> Path:
        """The WAV of ``text`` spoken with this voice and rate (cached)."""
        text = " ".join(text.split())
        if not text:
            raise UserError("nothing to say: the text is empty")
        if private:
            if self.private_cache is None:
                raise ValueError("a line made from a student's words needs the student's private cache")
            folder = self.private_cache
        else:
            folder = self.cache
        path = folder / f"{self._key(text)}.wav"
        if path.exists():
            return path
        try:
            if private:
                private_dir(folder)
            else:
                folder.mkdir(parents=True, exist_ok=True)
            # a new file of a name no one can guess, 0600, never a link someone left there
            fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.wav", dir=folder)
            os.close(fd)
            tmp = Path(name)
        except OSError as e:
            if not private and self.private_cache is not None and folder != self.private_cache:
                # the prompts' cache is on a full or read-only disk: during a session the
                # dialogue's own prompts can be made in the student's (private) folder
                self.cache = self.private_cache
                return self.render(text, private)
            raise os_storage_error(e, folder, "speech") or UserError(f"cannot write speech to {folder}: {e.strerror}") from None
        try:
            reply = self._worker.request(timeout=30 + len(text) / 20, op="render", text=text, voice=self.voice, rate=self.rate,
                                         out=str(tmp))
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
                raise UserError(f"unknown voice '{self.voice}'; `iep-assistant say --list-voices` lists them")
            raise UserError(f"text-to-speech failed: {reply['error']}")
        make_private(tmp)
        tmp.replace(path)
        return path

    def voices(self) -> list[dict]:
        return self._worker.request(timeout=20, op="voices")["voices"]

    def save(self, text: str, out: Path) -> Path:
        """Write the speech of ``text`` to ``out``: a new 0600 file put in place whole
        (a link someone left at ``out`` is replaced, never followed)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, self.render(text).read_bytes())
        return out

    def audio(self, text: str, private: bool = False) -> Audio:
        return read_wav(self.render(text, private))

    def speak(self, text: str, private: bool = False) -> float:
        """Say ``text`` on the output device; returns the seconds played.
        ``stop()`` from another thread, even during rendering, cuts it short."""
        self._stop.clear()
        if not self.play:
            self.render(text, private)
            return 0.0
        if self._player is None:
            self._player = Player(self.output_device)
        audio = self.audio(text, private)
        # espeak-ng starts some words with up to ~50 ms of quiet: start with the sound
        samples = trim_leading_silence(audio.samples, audio.rate)
        return self._player.play(samples, audio.rate, self._stop)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._worker.close()
