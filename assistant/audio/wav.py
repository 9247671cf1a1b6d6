"""Read any PCM or float WAV and normalise it to 16 kHz mono int16; write WAVs."""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.resample import resample
from assistant.errors import UserError

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``rate``."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def to_pcm16(self, rate: int = SAMPLE_RATE) -> np.ndarray:
        """Resample to ``rate`` and convert to int16."""
        return float_to_int16(resample(self.samples, self.rate, rate))


def float_to_int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).round().astype(np.int16)


def int16_to_float(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32) / 32768.0


def read_wav(path: str | Path) -> Audio:
    """Read a WAV file (8/16/24/32-bit PCM or 32/64-bit float, any rate and
    channel count), mixing channels down to mono.

    Raises UserError with a one-line reason for a missing, non-WAV or empty file.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a WAV file")
    data = path.read_bytes()
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RF64") or data[8:12] != b"WAVE":
        raise UserError(f"{path}: not a WAV file (expected a RIFF/WAVE header); convert it with e.g. `sox in.mp3 out.wav`")
    fmt = None
    payload = None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            # Streams written live may leave the size at 0 or 0xFFFFFFFF: take what is there.
            payload = data[pos + 8 :] if size in (0, 0xFFFFFFFF) else body
            if fmt is not None:
                break
        pos += 8 + size + (size & 1)
    if fmt is None or len(fmt) < 16 or payload is None:
        raise UserError(f"{path}: damaged WAV file (no 'fmt ' or 'data' section)")
    tag, channels, rate, _, block, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if channels < 1 or not 1000 <= rate <= 384000 or block < 1 or block % channels:
        raise UserError(f"{path}: damaged WAV header ({channels} channels at {rate} Hz, {block}-byte frames)")
    frames = len(payload) // block
    raw = payload[: frames * block]
    width = block // channels
    if tag == _PCM and width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == _PCM and width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif tag == _PCM and width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float32) / float(1 << 23)
    elif tag == _PCM and width == 4:
        x = (np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    elif tag == _FLOAT and width == 4:
        x = np.frombuffer(raw, "<f4").astype(np.float32)
    elif tag == _FLOAT and width == 8:
        x = np.frombuffer(raw, "<f8").astype(np.float32)
    else:
        raise UserError(f"{path}: unsupported WAV encoding (format {tag}, {bits} bits); convert it to 16-bit PCM with "
                        "`sox in.wav -b 16 out.wav`")
    if frames == 0:
        raise UserError(f"{path}: the WAV file holds no audio (0 samples)")
    x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    x = x.reshape(-1, channels).mean(axis=1) if channels > 1 else x
    return Audio(np.ascontiguousarray(x, dtype=np.float32), rate)


def write_wav(path, samples: np.ndarray, rate: int):
    """Write mono samples (int16, or float in [-1, 1]) as 16-bit PCM, to a path or
    a binary file object."""
    pcm = samples if samples.dtype == np.int16 else float_to_int16(samples)
    if isinstance(path, (str, Path)):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path) if isinstance(path, Path) else path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path
