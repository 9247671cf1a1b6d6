"""Audio devices through sounddevice (PortAudio): listing, choosing, recording, playing.

The sounddevice callback only copies into a queue; all work happens elsewhere.
Devices are opened at their own default rate and the audio is resampled, since
many devices refuse 16 kHz (PortAudio error -9997).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.resample import StreamResampler, resample
from assistant.audio.wav import float_to_int16
from assistant.errors import UserError


def _sd():
    """Import sounddevice lazily, turning a missing PortAudio into advice."""
    try:
        import sounddevice as sd
    except OSError as e:  # the PortAudio shared library is missing
        raise UserError(f"audio is unavailable ({e}); install PortAudio: sudo apt-get install libportaudio2") from None
    return sd


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_rate: int
    is_default_input: bool
    is_default_output: bool


def list_devices() -> list[Device]:
    sd = _sd()
    try:
        raw = sd.query_devices()
        apis = sd.query_hostapis()
        din, dout = sd.default.device
    except sd.PortAudioError as e:
        raise UserError(f"cannot list audio devices: {e}") from None
    return [
        Device(
            index=i,
            name=d["name"],
            hostapi=apis[d["hostapi"]]["name"],
            inputs=d["max_input_channels"],
            outputs=d["max_output_channels"],
            default_rate=int(d["default_samplerate"]),
            is_default_input=(i == din),
            is_default_output=(i == dout),
        )
        for i, d in enumerate(raw)
    ]


def resolve(spec: str | int | None, kind: str) -> Device:
    """Find the input or output device named by ``spec`` (index, exact name or
    a unique part of a name); ``None`` means the system default."""
    assert kind in ("input", "output")
    devices = [d for d in list_devices() if (d.inputs if kind == "input" else d.outputs) > 0]
    if not devices:
        raise UserError(f"no audio {kind} device found: plug in a headset, or check that the sound system (PulseAudio/PipeWire) is running; `iep-assistant devices` lists what is seen")
    if spec is None or spec == "":
        for d in devices:
            if (d.is_default_input if kind == "input" else d.is_default_output):
                return d
        return devices[0]
    text = str(spec)
    if text.isdigit():
        for d in devices:
            if d.index == int(text):
                return d
        raise UserError(f"no {kind} device with number {text}; `iep-assistant devices` lists the devices")
    exact = [d for d in devices if d.name == text]
    if exact:
        return exact[0]
    partial = [d for d in devices if text.lower() in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"{d.index}: {d.name}" for d in partial)
        raise UserError(f"{kind} device '{text}' is ambiguous ({names}); give its number")
    raise UserError(f"no {kind} device named '{text}'; `iep-assistant devices` lists the devices")


class Microphone:
    """Records from an input device; yields 16 kHz mono int16 chunks.

    Use as a context manager. ``overflows`` counts buffers the system dropped
    because we read too slowly.
    """

    def __init__(self, device: str | int | None = None, chunk_seconds: float = 0.05):
        self.device = resolve(device, "input")
        self.rate = self.device.default_rate or SAMPLE_RATE
        self._blocksize = max(1, int(self.rate * chunk_seconds))
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._resampler = StreamResampler(self.rate, SAMPLE_RATE)
        self.overflows = 0
        self._stream = None

    def _callback(self, indata, frames, time, status):  # runs on PortAudio's thread
        if status.input_overflow:
            self.overflows += 1
        self._queue.put(indata[:, 0].copy())

    def __enter__(self) -> Microphone:
        sd = _sd()
        try:
            self._stream = sd.InputStream(
                device=self.device.index, channels=1, samplerate=self.rate, dtype="float32",
                blocksize=self._blocksize, callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as e:
            if self._stream is not None:
                self._stream.close()
                self._stream = None
            raise UserError(f"cannot open the microphone '{self.device.name}': {e}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def chunks(self, timeout: float = 3.0) -> Iterator[np.ndarray]:
        """Yield int16 chunks at 16 kHz until the caller stops iterating.

        If the device stops delivering audio (a stalled sound server, a headset
        unplugged and plugged back), the stream is reopened once before giving up."""
        reopened = False
        while True:
            try:
                block = self._queue.get(timeout=timeout)
            except queue.Empty:
                if reopened:
                    raise UserError(f"the microphone '{self.device.name}' stopped sending sound; check the connection") from None
                reopened = True
                self.__exit__()
                self.__enter__()
                continue
            reopened = False
            out = self._resampler.process(block)
            if len(out):
                yield float_to_int16(out)


class Player:
    """Plays mono float audio on an output device. Setting ``stop`` (from any
    thread) interrupts playback; it is never cleared here, so a stop that comes
    before playback starts is not lost."""

    LATENCY = 0.1

    def __init__(self, device: str | int | None = None):
        self.device = resolve(device, "output")

    def play(self, samples: np.ndarray, rate: int, stop: threading.Event | None = None) -> float:
        """Play and block until done or stopped; returns the seconds played."""
        sd = _sd()
        stop = stop or threading.Event()
        if stop.is_set():
            return 0.0
        out_rate = self.device.default_rate or rate
        data = resample(np.asarray(samples, dtype=np.float32), rate, out_rate)
        done = threading.Event()
        pos = 0

        def callback(outdata, frames, time, status):
            nonlocal pos
            chunk = data[pos : pos + frames]
            outdata[: len(chunk), 0] = chunk
            outdata[len(chunk) :, 0] = 0.0
            pos += len(chunk)
            if pos >= len(data) or stop.is_set():
                raise sd.CallbackStop

        try:
            # A 100 ms buffer: PortAudio's "high" default (about 35 ms) ran dry
            # against a sound server with a short latency (hundreds of ALSA
            # underruns, and most of a prompt skipped). It does not delay the
            # first sound: the buffer is filled from the start of the audio.
            with sd.OutputStream(device=self.device.index, channels=1, samplerate=out_rate, dtype="float32",
                                 callback=callback, finished_callback=done.set, latency=self.LATENCY):
                while not done.wait(0.05):
                    if stop.is_set():
                        break
        except sd.PortAudioError as e:
            raise UserError(f"cannot play on '{self.device.name}': {e}") from None
        return pos / out_rate
