"""The speech the benchmark measures: human English (the LibriVox clips of
Debian's pocketsphinx-testdata), espeak-ng sentences in English and Korean, and
answers of a given length made of them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import read_wav
from assistant.errors import UserError
from assistant.paths import LIBRIVOX

SYNTHETIC = [
    "I am good at drawing and building things with Lego",
    "Reading long chapters is hard for me and I get nervous on tests",
    "I learn best when the teacher shows me an example first",
    "I want to be a mechanic and have my own repair shop",
    "Extended time helps me a lot on math tests",
    "I wish I could listen to audiobooks in English class",
]
KOREAN = ["저는 그림 그리기를 좋아해요", "수학은 조금 어려워요", "친구들과 축구를 해요"]


class MissingMaterial(UserError):
    """Speech the benchmark would measure is not on this computer."""


def librivox(folder: Path = LIBRIVOX) -> list[tuple[np.ndarray, str]]:
    """The LibriVox clips in ``folder`` (16 kHz int16) with their reference transcripts."""
    folder = Path(folder)
    listing = folder / "transcription"
    hint = "sudo apt-get install pocketsphinx-testdata, or give their folder with --librivox DIR"
    if not listing.is_file():
        raise MissingMaterial(f"no LibriVox clips in {folder} (no 'transcription' file there): {hint}")
    refs = {}
    for line in listing.read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    missing = [f"{k}.wav" for k in refs if not (folder / f"{k}.wav").is_file()]
    if not refs or missing:
        raise MissingMaterial(f"the LibriVox clips in {folder} are incomplete "
                              f"({', '.join(missing) or 'no clips listed'}): {hint}")
    return [(read_wav(folder / f"{k}.wav").to_pcm16(), v) for k, v in refs.items()]


def answer_of(clips: list[np.ndarray], seconds: float) -> np.ndarray:
    """An answer of about ``seconds`` made of real speech clips with short pauses."""
    gap = np.zeros(int(SAMPLE_RATE * 0.4), np.int16)
    out, n, i = [], 0, 0
    while n < seconds * SAMPLE_RATE:
        out += [clips[i % len(clips)], gap]
        n += len(clips[i % len(clips)]) + len(gap)
        i += 1
    return np.concatenate(out)[: int(seconds * SAMPLE_RATE)]


def espeak(text: str, voice: str, speed: int, folder: Path) -> np.ndarray:
    """``text`` said by espeak-ng (written to a WAV in ``folder``), as 16 kHz int16."""
    out = folder / f"{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True, capture_output=True)
    return read_wav(out).to_pcm16()
