"""Microphones that replay a recording, as ``listen`` reads a real one (an
``AudioSource``): all at once then a faint hiss (the demo; tests), or at the pace
it was spoken (the benchmark's latency, measured through the live path)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from assistant.audio import SAMPLE_RATE


class SimulatedMicrophone:
    """Plays a recording into the pipeline as if it were spoken into a microphone:
    the audio, then silence with a faint hiss, for as long as it is read. Used by
    the demo on machines without a sound card; real devices are tested with a
    virtual PulseAudio microphone."""

    def __init__(self, pcm: np.ndarray, lead_seconds: float = 0.3, chunk: int = 800, seed: int = 0):
        self.overflows = 0
        self._pcm = np.concatenate([np.zeros(int(SAMPLE_RATE * lead_seconds), np.int16), np.asarray(pcm, np.int16)])
        self._chunk = chunk
        self._rng = np.random.default_rng(seed)

    def __enter__(self) -> SimulatedMicrophone:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def chunks(self) -> Iterator[np.ndarray]:
        for i in range(0, len(self._pcm), self._chunk):
            yield self._pcm[i : i + self._chunk]
        while True:
            yield self._rng.normal(0, 3, self._chunk).astype(np.int16)


class RealtimeFeed:
    """A simulated microphone that delivers audio at the pace it was spoken, so
    latency is measured through the real streaming path. ``sleep`` and ``clock``
    are injectable for tests."""

    def __init__(self, pcm: np.ndarray, chunk: int = 800, tail_seconds: float = 4.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.perf_counter):
        self.overflows = 0
        self.pcm = np.concatenate([np.asarray(pcm, np.int16), np.zeros(int(SAMPLE_RATE * tail_seconds), np.int16)])
        self.speech_samples = len(pcm)
        self.chunk = chunk
        self.sleep, self.clock = sleep, clock
        self.speech_ended_at: float | None = None  # clock time when the last speech sample was delivered
        self.last_delivered_at: float | None = None  # clock time of the latest chunk handed out

    def __enter__(self) -> RealtimeFeed:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def chunks(self) -> Iterator[np.ndarray]:
        start = self.clock()
        for i in range(0, len(self.pcm), self.chunk):
            due = start + (i + self.chunk) / SAMPLE_RATE
            wait = due - self.clock()
            if wait > 0:
                self.sleep(wait)
            now = self.clock()
            if self.speech_ended_at is None and i + self.chunk >= self.speech_samples:
                self.speech_ended_at = now
            self.last_delivered_at = now
            yield self.pcm[i : i + self.chunk]
