"""Measure how fast the voices speak, in words per minute, on the dialogues' prompts:
the figures behind ``tts.ESPEAK_PACE`` and each Piper voice's ``pace`` table.

    PYTHONPATH=. .venv/bin/python -m tests.tts_pace [VOICE]     (about 5 minutes on one core)

Each prompt's words over the seconds from its first to its last sound (a sample
above 2% of its peak), summed over every third prompt of the dialogues that names
no student (44 prompts, 416 words). espeak-ng is run as a program at its nominal
rates; Piper at length scales, with the Speaker's pause between sentences.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from assistant.audio.wav import read_wav
from assistant.speech.piper import PiperEngine
from assistant.speech.tts import Speaker

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("text", "simpler", "welcome", "goodbye", "intro", "example")


def prompts(every: int = 3) -> list[str]:
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in FIELDS and isinstance(value, str) and "{" not in value:
                    found.add(" ".join(value.split()))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for f in sorted((ROOT / "dialogues" / "en").glob("*.yaml")):
        walk(yaml.safe_load(f.read_text()))
    return sorted(found)[::every]


def words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9']+", text))


def sounding(samples: np.ndarray, rate: int) -> float:
    """Seconds from the first to the last sound."""
    loud = np.flatnonzero(np.abs(samples) > 0.02 * np.abs(samples).max())
    return (loud[-1] - loud[0]) / rate


def wpm(texts: list[str], seconds: list[float]) -> float:
    return sum(words(t) for t in texts) / sum(seconds) * 60


def espeak_wpm(texts: list[str], rate: int, voice: str = "gmw/en-us") -> float:
    spans = []
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.wav"
        for t in texts:
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(out), t], check=True)
            a = read_wav(out)
            spans.append(sounding(a.samples, a.rate))
    return wpm(texts, spans)


def piper_wpm(engine: PiperEngine, texts: list[str], scale: float) -> float:
    spans = []
    for t in texts:
        gap = np.zeros(int(engine.rate * Speaker.SENTENCE_GAP * scale), np.float32)
        audio = np.concatenate([np.concatenate([s, gap]) for s in engine.sentences(t, scale)])
        spans.append(sounding(audio, engine.rate))
    return wpm(texts, spans)


def main() -> None:
    voice = sys.argv[1] if len(sys.argv) > 1 else "en_US-joe-medium"
    texts = prompts()
    print(f"{len(texts)} prompts, {sum(map(words, texts))} words", flush=True)
    for rate in (90, 165, 280, 400):
        measured = espeak_wpm(texts, rate)
        print(f"espeak-ng -s {rate}: {measured:.0f} wpm, {measured / rate:.3f} x nominal", flush=True)
    engine = PiperEngine(voice)
    for scale in (0.4, 0.55, 0.7, 1.0, 1.3, 1.6, 2.0, 2.5, 3.0):
        print(f"piper {voice} length_scale {scale}: {piper_wpm(engine, texts, scale):.0f} wpm", flush=True)


if __name__ == "__main__":
    main()
