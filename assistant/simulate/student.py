"""A student at the headset, simulated: hears what the program says and answers
aloud, in a natural (Piper) or espeak-ng voice, through the real pipeline (the demo)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.dialogue.voice import Said
from assistant.simulate.microphone import SimulatedMicrophone
from assistant.simulate.voices import NATURAL, StudentVoices, VoiceSpec

SLOWER = 1.2  # a line said again because it was misheard: this much slower each time
# How far a read-back may be from what the student said and still be what they said:
# a student judges words, not spelling, so a few letters may differ (a character
# error rate, after folding what a listener does not hear: case, punctuation,
# accents, English contractions).
SAME_MAX_CER = 0.3
CONTRACTIONS = {"i'm": "i am", "that's": "that is", "don't": "do not", "it's": "it is", "can't": "cannot"}


def folded(text: str, language: str = "en") -> str:
    """``text`` as a listener hears it: lower case, no punctuation, no accents
    ("Sí, está bien." is "si esta bien"; ñ stays: it is another sound), English
    contractions written out."""
    import unicodedata

    from assistant.text import normalize_words

    words = [CONTRACTIONS.get(w, w) if language == "en" else w for w in normalize_words(text, language)]
    decomposed = unicodedata.normalize("NFD", " ".join(words).replace("ñ", "\0"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")).replace("\0", "ñ")


def sounds_like(said: str, heard: str, language: str = "en") -> bool:
    """Whether ``heard`` (a read-back) is what the student ``said``, as the student
    would judge it: the same words up to a few letters (``SAME_MAX_CER``)."""
    from assistant.evaluate import cer

    a, b = folded(said, language), folded(heard, language)
    return a == b or (bool(a) and cer([a], [b], language) <= SAME_MAX_CER)


class SimulatedStudent:
    """The demo's student: hears what the program says (``hear``, a listener of the
    voice) and answers aloud in their own voice (``spec``: a natural Piper voice
    unless the hard set, espeak-ng, is chosen), as audio that goes through the real
    pipeline (end-pointing, recognition). ``policy(heard)`` decides what to say
    from the lines heard since the student last spoke, as a student who heard them
    would. The policy's ``again`` (read after it answers; 0 when it has none) is
    how often the line was said before and misheard: the student says it more
    slowly each time, as a misunderstood student does.

    The audio is made in memory (Piper) or in a temporary folder inside
    ``private_cache`` that is removed at once (espeak-ng): a student's words, even
    simulated, are never written outside their private folder."""

    def __init__(self, policy: Callable[[list[str]], str], spec: VoiceSpec = NATURAL[0],
                 private_cache: Path | None = None, shared: Callable[[str], object | None] | None = None):
        self.policy = policy
        self.spec = spec
        self.voices = StudentVoices(scratch=private_cache, shared=shared)
        self.heard: list[str] = []  # since the student last spoke
        self.said: list[str] = []

    def hear(self, line: Said) -> None:
        self.heard.append(line.text)

    def __call__(self, expect: str) -> SimulatedMicrophone:
        text = self.policy(self.heard)
        self.heard = []
        self.said.append(text)
        spec = self.spec
        slower = SLOWER ** getattr(self.policy, "again", 0)
        if slower != 1:
            spec = dataclasses.replace(spec, length_scale=spec.length_scale * slower, speed=round(spec.speed / slower))
        pcm = self.voices.pcm(text, spec) if text else np.zeros(0, np.int16)
        return SimulatedMicrophone(pcm, seed=len(self.said))

    def close(self) -> None:
        self.voices.close()
