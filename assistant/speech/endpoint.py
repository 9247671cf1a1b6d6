"""End-of-answer detection: has the student started, and have they finished?

An energy detector with an adaptive noise floor, in 30 ms frames. Speech must
last ``min_speech`` before it counts (a cough or click does not start an
answer); the answer ends after ``hangover`` seconds of quiet, long enough for a
child who pauses to think mid-sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from assistant.audio import SAMPLE_RATE


class State(str, Enum):
    WAITING = "waiting"  # nothing said yet
    SPEAKING = "speaking"
    DONE = "done"  # speech, then ``hangover`` seconds of quiet
    NO_SPEECH = "no_speech"  # ``no_speech_timeout`` passed with nothing said
    CAPPED = "capped"  # ``max_seconds`` reached


@dataclass
class EndpointConfig:
    hangover: float = 1.2
    min_speech: float = 0.15
    no_speech_timeout: float | None = None
    max_seconds: float = 120.0
    margin_db: float = 12.0  # speech is this much above the noise floor
    floor_db: float = -50.0  # ... and never below this absolute level


class Endpointer:
    FRAME = int(SAMPLE_RATE * 0.03)
    CALIBRATION_FRAMES = 10

    def __init__(self, config: EndpointConfig | None = None):
        self.config = config or EndpointConfig()
        self.state = State.WAITING
        self.samples = 0
        self.level_db = float("-inf")
        self.speech_start: float | None = None  # seconds
        self.speech_end: float | None = None
        self._noise_db = -70.0
        self._calibration: list[float] = []
        self._pending = np.zeros(0, dtype=np.float32)
        self._run_speech = 0  # frames of speech in a row
        self._run_quiet = 0

    @property
    def finished(self) -> bool:
        return self.state in (State.DONE, State.NO_SPEECH, State.CAPPED)

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def feed(self, pcm: np.ndarray) -> State:
        """Feed int16 PCM at 16 kHz; returns the state after it."""
        x = np.concatenate([self._pending, np.asarray(pcm, dtype=np.float32) / 32768.0])
        n = len(x) // self.FRAME
        for i in range(n):
            if self.finished:
                break
            self._frame(x[i * self.FRAME : (i + 1) * self.FRAME])
        self._pending = x[n * self.FRAME :]
        return self.state

    def _frame(self, f: np.ndarray) -> None:
        c = self.config
        rms = float(np.sqrt(np.mean(f.astype(np.float64) ** 2)))
        db = 20 * np.log10(rms) if rms > 1e-7 else -140.0
        self.level_db = db
        self.samples += len(f)
        if len(self._calibration) < self.CALIBRATION_FRAMES:
            # The first 0.3 s set the noise floor. Steady sound (little spread
            # between frames) is noise, whatever its level; otherwise the
            # student may already be speaking, and the floor is capped.
            self._calibration.append(db)
            spread = float(np.std(self._calibration))
            median = float(np.median(self._calibration))
            self._noise_db = median if spread < 3.0 and len(self._calibration) >= 3 else min(median, -50.0)
        loud = db > max(self._noise_db + c.margin_db, c.floor_db)
        # The floor then follows every frame: quickly down, slowly up, and more
        # slowly still under speech. Pauses between words pull it back down;
        # steady noise lifts it until the noise no longer counts as speech.
        rate = 0.3 if db < self._noise_db else (0.002 if loud else 0.01)
        self._noise_db += rate * (db - self._noise_db)
        frame_s = self.FRAME / SAMPLE_RATE
        if loud:
            self._run_speech += 1
            self._run_quiet = 0
        else:
            self._run_quiet += 1
            self._run_speech = 0 if self.state == State.WAITING else self._run_speech
        if self.state == State.WAITING:
            if self._run_speech * frame_s >= c.min_speech:
                self.state = State.SPEAKING
                self.speech_start = self.seconds - self._run_speech * frame_s
            elif c.no_speech_timeout is not None and self.seconds >= c.no_speech_timeout:
                self.state = State.NO_SPEECH
        elif self.state == State.SPEAKING:
            if loud:
                self.speech_end = self.seconds
            elif self._run_quiet * frame_s >= c.hangover:
                self.state = State.DONE
        if not self.finished and self.seconds >= c.max_seconds:
            self.state = State.CAPPED
