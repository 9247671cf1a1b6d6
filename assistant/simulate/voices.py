"""The voices a simulated student speaks with.

A natural neural voice (Piper) is what a real student sounds like to a
recognizer far more than espeak-ng's formant voice: Whisper tiny.en's word error
rate on the same answers was 0.01 with Piper's en_US-joe against 0.19 with four
espeak-ng voices. So the demo's student and the spoken tests speak with natural
voices; the espeak-ng voices stay as the hard set.

- ``natural``: Piper en_US-joe at two speeds, and a child-like copy (pitch raised
  a third by resampling, its length scale stretched so the tempo stays).
- ``robotic``: four espeak-ng English voices at 140 words a minute.
- ``spanish``: three espeak-ng Spanish voices at 140 words a minute (no natural
  Spanish voice is installed).

Every voice gives 16 kHz mono int16, as a microphone would.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.resample import resample
from assistant.audio.wav import float_to_int16, read_wav
from assistant.errors import UserError


@dataclass(frozen=True)
class VoiceSpec:
    name: str  # shown in benchmark tables, e.g. "piper joe 1.0", "espeak en-us"
    engine: str  # "piper" or "espeak"
    voice: str  # Piper voice name or espeak-ng voice
    length_scale: float = 1.0  # Piper: > 1 is slower
    pitch: float = 1.0  # Piper: > 1 raises the pitch (by resampling)
    speed: int = 140  # espeak-ng words a minute
    # Piper's sampling noise (None: the voice's own). 0 makes the same text the same
    # audio every time, which tests need; with noise each rendering differs a little,
    # as a person's does (the demo)
    noise: float | None = None

    @property
    def natural(self) -> bool:
        return self.engine == "piper"


JOE = "en_US-joe-medium"
NATURAL = [
    VoiceSpec("piper joe", "piper", JOE, length_scale=1.0),
    VoiceSpec("piper joe slow", "piper", JOE, length_scale=1.2),
    VoiceSpec("piper joe child-like", "piper", JOE, length_scale=1.0, pitch=1.25),
]
ROBOTIC = [VoiceSpec(f"espeak {v}", "espeak", v) for v in ("en-us", "en", "en-us+f3", "en-us+m3")]
# Spanish: no Piper voice speaks it here, so espeak-ng's: Latin American (the voice a
# Spanish student hears), Spain's, and a woman's variant of the first
SPANISH = [VoiceSpec(f"espeak {v}", "espeak", v) for v in ("es-419", "es", "es-419+f3")]


def slug(spec: VoiceSpec) -> str:
    """The name a command line takes for ``spec``: "piper joe slow" is "piper-joe-slow"."""
    return spec.name.replace(" ", "-")


def voice_spec(name: str) -> VoiceSpec:
    """The voice called ``name`` (a ``slug``), or a UserError listing the choices."""
    for spec in (*NATURAL, *ROBOTIC, *SPANISH):
        if slug(spec) == name:
            return spec
    raise UserError(f"unknown student voice '{name}'; choose one of: "
                    f"{', '.join(slug(s) for s in (*NATURAL, *ROBOTIC, *SPANISH))}")


@dataclass
class StudentVoices:
    """Renders what a simulated student says, in any of the voices above; holds
    the Piper voice once loaded (close it when done). Piper renders in memory;
    espeak-ng writes a WAV into a temporary folder, made inside ``scratch`` when
    given (the demo passes the student's private folder: the rule for anything
    made from a student's words) and removed at once."""

    scratch: Path | None = None
    # A Piper voice loaded by someone else (the demo's Speaker), asked for by name
    # when first needed (not at start-up): used, never closed here; None: load our
    # own. Each loaded voice holds about 200 MB; the demo would otherwise hold two.
    shared: Callable[[str], object | None] | None = None
    _engines: dict[str, object] = field(default_factory=dict)

    def pcm(self, text: str, spec: VoiceSpec) -> np.ndarray:
        if spec.engine == "piper":
            return self._piper(text, spec)
        if spec.engine == "espeak":
            return espeak_pcm(text, spec.voice, spec.speed, self.scratch)
        raise ValueError(f"unknown voice engine {spec.engine!r}")

    def _piper(self, text: str, spec: VoiceSpec) -> np.ndarray:
        from assistant.speech.piper import PiperEngine

        engine = self._engines.get(spec.voice)
        if engine is None and self.shared is not None:
            engine = self.shared(spec.voice)  # not kept in _engines: its owner closes it
        if engine is None:
            engine = self._engines[spec.voice] = PiperEngine(spec.voice)
        assert isinstance(engine, PiperEngine)
        # a higher pitch by playing faster: stretch first, so the tempo comes back
        audio = engine.render(text, length_scale=spec.length_scale * spec.pitch, noise_scale=spec.noise,
                              noise_w_scale=spec.noise)
        return float_to_int16(resample(audio, round(engine.rate * spec.pitch), SAMPLE_RATE))

    def close(self) -> None:
        for e in self._engines.values():
            e.close()  # type: ignore[attr-defined]
        self._engines.clear()


def espeak_pcm(text: str, voice: str, speed: int = 140, folder: Path | None = None) -> np.ndarray:
    """``text`` said by the espeak-ng program, as 16 kHz int16; its WAV is written to a
    temporary folder (0700, in ``folder`` if given) and removed."""
    with tempfile.TemporaryDirectory(dir=folder) as d:
        out = Path(d) / "s.wav"
        try:
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True, capture_output=True)
        except FileNotFoundError:
            raise UserError("espeak-ng is not installed: sudo apt-get install espeak-ng") from None
        return read_wav(out).to_pcm16()
