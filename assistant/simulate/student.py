"""A student at the headset, simulated: hears what the program says and answers
aloud, in an espeak-ng voice, through the real pipeline (the demo)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.dialogue.voice import Said
from assistant.simulate.microphone import SimulatedMicrophone
from assistant.speech.tts import Speaker


class SimulatedStudent:
    """The demo's student: hears what the program says (``hear``, a listener of the
    voice) and answers aloud in their own espeak-ng voice, as audio that goes
    through the real pipeline (end-pointing, recognition). ``policy(heard)``
    decides what to say from the lines heard since the student last spoke, as a
    student who heard them would."""

    def __init__(self, policy: Callable[[list[str]], str], voice: str = "gmw/en-us", rate: int = 140,
                 private_cache: Path | None = None):
        self.policy = policy
        # the student's answers are student data even when simulated: same rules
        self.speaker = Speaker(voice=voice, rate=rate, private_cache=private_cache)
        self.heard: list[str] = []  # since the student last spoke
        self.said: list[str] = []

    def hear(self, line: Said) -> None:
        self.heard.append(line.text)

    def __call__(self, expect: str) -> SimulatedMicrophone:
        text = self.policy(self.heard)
        self.heard = []
        self.said.append(text)
        if text:
            pcm = self.speaker.audio(text, private=self.speaker.private_cache is not None).to_pcm16()
        else:
            pcm = np.zeros(0, np.int16)
        return SimulatedMicrophone(pcm, seed=len(self.said))

    def close(self) -> None:
        self.speaker.close()
