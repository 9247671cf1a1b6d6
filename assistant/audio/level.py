"""Loudness measures and what they mean for a teacher setting up a headset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def dbfs(x: np.ndarray) -> float:
    """RMS level of float samples in dB relative to full scale (-inf for silence)."""
    if len(x) == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


@dataclass(frozen=True)
class LevelReport:
    speech_dbfs: float  # level of the loudest stretch (the voice, if any)
    peak: float  # largest absolute sample, 0..1
    clipped_fraction: float  # share of samples at or near full scale
    verdict: str  # "silent" | "too quiet" | "good" | "too loud"
    advice: str


def assess(x: np.ndarray, rate: int) -> LevelReport:
    """Judge a recording of someone speaking: is the microphone usable?"""
    frame = max(1, int(rate * 0.05))
    n = len(x) // frame
    if n == 0:
        return LevelReport(float("-inf"), 0.0, 0.0, "silent",
                           "no sound at all: check that the microphone is plugged in and not muted")
    levels = np.array([dbfs(x[i * frame : (i + 1) * frame]) for i in range(n)])
    # the loudest tenth of the frames stands for the voice
    loud = np.sort(levels)[-max(1, n // 10) :]
    speech = float(np.mean(loud[np.isfinite(loud)])) if np.isfinite(loud).any() else float("-inf")
    peak = float(np.max(np.abs(x)))
    clipped = float(np.mean(np.abs(x) >= 0.99))
    if clipped > 0.001:
        verdict, advice = "too loud", ("too loud: the sound is distorted; move the microphone a little away from the mouth or "
                                       "lower the input volume")
    elif speech < -60 or not np.isfinite(speech):
        verdict, advice = "silent", "no sound at all: check that the microphone is plugged in, switched on and not muted"
    elif speech < -40:
        verdict, advice = "too quiet", "too quiet: move the microphone closer to the mouth or raise the input volume"
    else:
        verdict, advice = "good", "good: the microphone level is fine for speech"
    return LevelReport(speech, peak, clipped, verdict, advice)


def meter(level_db: float, width: int = 20) -> str:
    """A text level meter from -60 dBFS (empty) to 0 dBFS (full)."""
    if not np.isfinite(level_db):
        filled = 0
    else:
        filled = int(round(width * min(1.0, max(0.0, (level_db + 60.0) / 60.0))))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def trim_leading_silence(x: np.ndarray, rate: int, threshold_db: float = -50.0, keep: float = 0.01) -> np.ndarray:
    """Drop the quiet before the first sample louder than ``threshold_db`` (dBFS),
    keeping ``keep`` seconds of it, so that playback starts with the sound.
    All-quiet input comes back unchanged."""
    loud = np.flatnonzero(np.abs(x) > 10 ** (threshold_db / 20))
    if len(loud) == 0:
        return x
    return x[max(0, int(loud[0]) - int(keep * rate)) :]
