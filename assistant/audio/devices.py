"""Audio devices through sounddevice (PortAudio): listing, choosing, recording, playing.

The sounddevice callback only copies into a queue; all work happens elsewhere.
Devices are opened at their own default rate and the audio is resampled, since
many devices refuse 16 kHz (PortAudio error -9997).

A microphone that stops sending sound raises ``DeviceLost``; ``wait_for_input``
waits until it (or the system default input) works again. What can be seen of an
unplugged headset depends on the sound system. Measured with PulseAudio 16 through
ALSA's ``pulse`` device: when a source goes away, a recording that follows the
default source is moved to the new default (another microphone, or the monitor of
a speaker) and PortAudio reports nothing, so that case cannot be told from a quiet
room. A recording the server drops (or a device opened through ALSA directly)
ends: PortAudio's callback thread fails, no more audio comes, and opening the
device fails until it is back. That case is what ``Microphone`` detects.
"""

from __future__ import annotations

import collections
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.resample import StreamResampler, resample
from assistant.audio.wav import float_to_int16
from assistant.errors import UserError


def _sd():
    """Import sounddevice lazily, turning a missing PortAudio into advice."""
    try:
        with _quiet_stderr():  # the import starts PortAudio, which scans the devices
            import sounddevice as sd
    except OSError as e:  # the PortAudio shared library is missing
        raise UserError(f"audio is unavailable ({e}); install PortAudio: sudo apt-get install libportaudio2") from None
    _silence_alsa()
    return sd


_alsa_handler: Any = None


def _silence_alsa() -> None:
    """Send ALSA's error messages nowhere. ALSA prints them on stderr from whatever
    thread meets the trouble: PortAudio's audio thread, during a prompt, prints
    "ALSA lib pcm.c:...:(snd_pcm_recover) underrun occurred" when it was late once
    (a busy machine). The student must never see these, and stderr cannot be
    silenced for the whole of a prompt (our own messages go there). What went wrong
    reaches us anyway, as PortAudio's errors and the callback's status."""
    global _alsa_handler
    if _alsa_handler is not None:
        return
    import ctypes
    import ctypes.util

    try:
        asound = ctypes.CDLL(ctypes.util.find_library("asound") or "libasound.so.2")
    except OSError:
        _alsa_handler = False  # no ALSA (another system): nothing to silence
        return
    # void handler(const char *file, int line, const char *function, int err, const char *fmt, ...):
    # the variadic rest is not read, which the C calling conventions allow
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
    _alsa_handler = handler_type(lambda *args: None)  # kept: ALSA holds a pointer to it
    asound.snd_lib_error_set_handler(_alsa_handler)


class DeviceLost(UserError):
    """The microphone stopped sending sound (unplugged, or dropped by the sound
    server) and reopening it did not help."""


# PortAudio reads the list of devices once, when it starts: a headset plugged in
# later is seen only after re-initialising it. That closes every stream still open,
# whatever thread uses it (a prompt playing elsewhere stops with "Invalid stream
# pointer", -9988), so our streams are counted and the list is re-read only when
# none is open. Device numbers may change then: ``_generation`` tells a Player to
# find its device again by name.
_lock = threading.Lock()
_open_streams = 0
_generation = 0


def _count_stream(delta: int) -> None:
    global _open_streams
    with _lock:
        _open_streams += delta


def rescan() -> bool:
    """Re-read the list of devices, so that devices plugged in or out since the
    program started are seen. Skipped (False) while one of our streams is open."""
    global _generation
    sd = _sd()
    with _lock:
        if _open_streams:
            return False
        if sd._initialized:
            sd._terminate()
        try:
            sd._initialize()  # sounddevice's own; it keeps PortAudio's scan messages off stderr
        except sd.PortAudioError:
            return False  # tried again at the next rescan
        _generation += 1
    return True


@contextmanager
def _quiet_stderr():
    """Keep ALSA's and PortAudio's own messages (several lines for each failed open)
    off the terminal while a lost device is tried again and again. It silences the
    whole process's stderr, so it is used only around a short try."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


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
        raise UserError(f"no audio {kind} device found: plug in a headset, or check that the sound system (PulseAudio/PipeWire) "
                        "is running; `iep-assistant devices` lists what is seen")
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
    because we read too slowly. A device that cannot be opened, or stops sending
    sound and cannot be reopened, raises ``DeviceLost``.
    """

    def __init__(self, device: str | int | None = None, chunk_seconds: float = 0.05):
        self.device = resolve(device, "input")
        self.rate = self.device.default_rate or SAMPLE_RATE
        self._blocksize = max(1, int(self.rate * chunk_seconds))
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue()
        self._resampler = StreamResampler(self.rate, SAMPLE_RATE)
        self.overflows = 0
        self._stream: Any = None  # a sounddevice.InputStream while open

    def _callback(self, indata, frames, time, status):  # runs on PortAudio's thread
        if status.input_overflow:
            self.overflows += 1
        self._queue.put(indata[:, 0].copy())

    def __enter__(self) -> Microphone:
        sd = _sd()
        # a fresh queue for each stream: None in it means this stream has ended
        # (PortAudio calls finished_callback when its thread fails, e.g. the device
        # went away, and also when we stop it)
        ended: queue.Queue[np.ndarray | None] = queue.Queue()
        self._queue = ended
        _count_stream(+1)
        try:
            with _quiet_stderr():  # a failed open prints several lines of ALSA's and PortAudio's own
                self._stream = sd.InputStream(
                    device=self.device.index, channels=1, samplerate=self.rate, dtype="float32",
                    blocksize=self._blocksize, callback=self._callback, finished_callback=lambda: ended.put(None),
                )
                self._stream.start()
        except sd.PortAudioError as e:
            if self._stream is not None:
                with _quiet_stderr():
                    self._stream.close()
                self._stream = None
            _count_stream(-1)
            raise DeviceLost(f"cannot open the microphone '{self.device.name}': {e}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                with _quiet_stderr():
                    stream.abort()
                    stream.close()
            except _sd().PortAudioError:
                pass  # a stream whose device has gone: closing it is all that is left to do
            finally:
                _count_stream(-1)

    def chunks(self, timeout: float = 3.0) -> Iterator[np.ndarray]:
        """Yield int16 chunks at 16 kHz until the caller stops iterating.

        If the device stops delivering audio (nothing for ``timeout`` seconds, or
        the stream ended: a stalled sound server, a headset unplugged), the stream
        is reopened once; if that does not bring sound back, ``DeviceLost``."""
        reopened = False
        while True:
            try:
                block = self._queue.get(timeout=timeout)
            except queue.Empty:
                block = None
            if block is None:
                if reopened:
                    raise DeviceLost(f"the microphone '{self.device.name}' stopped sending sound; check that it is plugged in")
                reopened = True
                self.__exit__()
                with _quiet_stderr():  # a failure's reason is in DeviceLost's message
                    self.__enter__()
                continue
            reopened = False
            out = self._resampler.process(block)
            if len(out):
                yield float_to_int16(out)


def working_input(spec: str | int | None, seconds: float = 5.0) -> Device | None:
    """The input device ``spec`` names (None: the system default) if it opens and
    sends sound within ``seconds``; None if it does not. (A new recording through
    ALSA's ``pulse`` device sent its first sound after 1.8 to 2.1 s on a busy
    machine; a device that is gone fails to open at once.)"""
    try:
        with _quiet_stderr():
            mic = Microphone(spec)
            with mic:
                return mic.device if mic._queue.get(timeout=seconds) is not None else None
    except (UserError, queue.Empty):
        return None


def wait_for_input(name: str | None, timeout: float, poll: float = 1.0,
                   pause: Callable[[float], bool] | None = None) -> Device | None:
    """Wait until the input named ``name`` (None: whichever input is the system
    default) opens and sends sound again, re-reading the list of devices each
    time. Returns the device; None after ``timeout`` seconds, or at once when
    ``pause(seconds)``, which waits between tries (``time.sleep`` by default),
    returns True."""
    deadline = time.monotonic() + timeout
    while True:
        rescan()
        device = working_input(name)
        if device is not None:
            return device
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if pause is None:
            time.sleep(min(poll, left))
        elif pause(min(poll, left)):
            return None


class Player:
    """Plays mono float audio on an output device. Setting ``stop`` (from any
    thread) interrupts playback; it is never cleared here, so a stop that comes
    before playback starts is not lost.

    ``play_stream`` plays audio that is still being made (a long prompt, one
    sentence at a time): it starts with the first piece and takes the rest while
    it plays. ``starved`` is how many seconds of silence the last play had to put
    in because the next piece was not ready (0 for a ``play``).

    Marks: a piece may come with marks, ``(samples, [(seconds into the piece, value), ...])``;
    ``on_mark(value)`` is called when that sample reaches the device (a word's
    highlight), from a thread of its own, never from the audio callback."""

    # A 250 ms buffer: PortAudio's "high" default (about 35 ms) ran dry against a
    # sound server with a short latency (hundreds of ALSA underruns, and most of a
    # prompt skipped), and 100 ms ran dry twice in a prompt played while Whisper
    # decoded and a NumPy loop ran (tests/test_speech_output.py). It does not delay
    # the first sound: the stream opens with its first audio already there, and the
    # buffer is filled from the start of it; a stop aborts at once.
    LATENCY = 0.25

    def __init__(self, device: str | int | None = None):
        with _quiet_stderr():  # PortAudio's first use scans the devices: ALSA's complaints go to fd 2
            self.device = resolve(device, "output")
        self._chosen = device not in (None, "")
        self._generation = _generation
        self.starved = 0.0
        self.underflows = 0  # of the last play: times the device ran dry because the callback came late

    def play(self, samples: np.ndarray, rate: int, stop: threading.Event | None = None) -> float:
        """Play and block until done or stopped; returns the seconds played."""
        return self.play_stream([samples], rate, stop)

    def play_stream(self, pieces: Iterable[np.ndarray | tuple[np.ndarray, Sequence[tuple[float, Any]]]], rate: int,
                    stop: threading.Event | None = None, on_mark: Callable[[Any], None] | None = None) -> float:
        """Play ``pieces`` (float samples at ``rate``) one after another, as one sound;
        blocks until all is played or ``stop`` is set; returns the seconds played.
        The first piece is waited for here; the others are taken from ``pieces`` on a
        thread of their own while the sound plays, so a generator that renders
        sentence by sentence is heard from its first sentence. A piece that is late
        leaves a silence (counted in ``starved``), never a skip."""
        sd = _sd()
        stop = stop or threading.Event()
        self.starved = 0.0
        if stop.is_set():
            return 0.0
        if self._generation != _generation:  # the list was re-read (rescan): numbers may have moved
            with _quiet_stderr():
                self.device = resolve(self.device.name if self._chosen else None, "output")
            self._generation = _generation
        out_rate = self.device.default_rate or rate
        source = iter(pieces)
        marks = _Marks(out_rate, stop, on_mark) if on_mark is not None else None
        queued = 0  # output samples put in the feed so far

        def convert(x) -> np.ndarray:
            nonlocal queued
            piece_marks: Sequence[tuple[float, Any]] = ()
            if isinstance(x, tuple):
                x, piece_marks = x
            # each piece whole: a sentence begins and ends in quiet, so no seam is heard
            out = resample(np.asarray(x, dtype=np.float32), rate, out_rate)
            if marks is not None:
                for seconds, value in piece_marks:
                    marks.add(queued + min(len(out) - 1, max(0, round(seconds * out_rate))), value)
            queued += len(out)
            return out

        first = next(source, None)
        if first is None or stop.is_set():
            return 0.0
        buffer = _Feed(convert(first))
        feeder: threading.Thread | None = None
        if not isinstance(pieces, (list, tuple)) or len(pieces) > 1:
            def feed() -> None:
                try:
                    for piece in source:
                        if stop.is_set() or buffer.abandoned:
                            return
                        buffer.put(convert(piece))
                except BaseException as e:  # handed to the caller, which re-raises it
                    buffer.error = e
                finally:
                    buffer.end()
                    if marks is not None:
                        marks.end()

            feeder = threading.Thread(target=feed, name="player-feed", daemon=True)
            feeder.start()
        else:
            buffer.end()
            if marks is not None:
                marks.end()
        done = threading.Event()
        # After the last sample, this much quiet: stopping the stream drops what the
        # sound server still holds (measured on PulseAudio through ALSA: the last
        # 100 ms of a prompt were never heard), and the server holds about a buffer.
        tail = int(out_rate * (self.LATENCY + 0.05))
        quiet_after = 0

        def callback(outdata, frames, time, status):
            nonlocal quiet_after
            if stop.is_set():
                outdata.fill(0.0)
                raise sd.CallbackStop
            if status.output_underflow:  # we were late: the sound had a gap
                buffer.underflows += 1
            start = buffer.played
            n = buffer.take(outdata[:, 0], frames)
            if marks is not None:
                marks.anchor(start, n, time.currentTime, time.outputBufferDacTime)
            if n < frames:
                outdata[n:, 0] = 0.0
                if buffer.finished():
                    quiet_after += frames - n
                    if quiet_after >= tail:
                        raise sd.CallbackStop
                else:
                    buffer.starved += frames - n

        _count_stream(+1)
        try:
            # opening and closing: PortAudio's and ALSA's own lines (a failed open
            # prints several) stay off the terminal; what is said while it plays
            # (underruns) goes to ALSA's error handler, silenced in _sd()
            with _quiet_stderr():
                stream = sd.OutputStream(device=self.device.index, channels=1, samplerate=out_rate, dtype="float32",
                                         callback=callback, finished_callback=done.set, latency=self.LATENCY)
            if marks is not None:
                marks.latency = float(stream.latency)
                marks.start()
            try:
                with _quiet_stderr():
                    stream.start()
                if marks is not None:
                    marks.running = True
                try:
                    while not done.wait(0.05):
                        if stop.is_set():
                            break
                except BaseException:
                    # Ctrl+C while it plays: stop at once (abort, not a play-out of the
                    # buffers), and the piece being made is the last one
                    stop.set()
                    raise
            finally:
                with _quiet_stderr():
                    if stop.is_set():
                        stream.abort()  # at once: what is still buffered is not played
                    else:
                        stream.stop()  # the last buffers are played
                    stream.close()
        except sd.PortAudioError as e:
            raise UserError(f"cannot play on '{self.device.name}': {e}") from None
        finally:
            _count_stream(-1)
            buffer.abandoned = True
            if feeder is not None:
                feeder.join()  # the piece being made is finished (a sentence), then it stops
            if marks is not None:
                marks.finish(buffer.played)  # the marks of what was played are given before this returns
        self.starved = buffer.starved / out_rate
        self.underflows = buffer.underflows
        if buffer.error is not None:
            raise buffer.error
        if marks is not None and marks.error is not None:
            raise marks.error
        return buffer.played / out_rate


class _Marks:
    """Gives each mark when its sample reaches the device, on a thread of its own.

    PortAudio's callback says, for each buffer it is given, when the buffer's first
    sample will reach the DAC (``outputBufferDacTime``, on the stream's clock, which
    it also reads at the call: ``currentTime``). The callback only notes (where
    in the sound the buffer starts, how long, that DAC time) in a deque: no waiting,
    no work. This thread finds the buffer each mark's sample is in (buffers are
    filled a latency ahead, so it is known before it sounds), turns its DAC time
    into ``time.monotonic()`` and sleeps until then. Silence put in when a piece
    was late does not move the marks: each buffer says where its own sound is.

    The stream's clock is turned into the monotonic one by the smallest difference
    seen between them at a callback (a callback that starts late, waiting for
    Python's lock, only makes the difference larger). A DAC time that is missing or
    makes no sense (some host APIs give 0) is taken as the stream's latency from now.

    The first buffers are filled before the stream starts (PortAudio primes the
    device inside ``start()``), and their DAC times assume it starts at once: with
    PulseAudio through ALSA, the sound began 0.4 to 1.6 s after them (measured
    against the next callbacks' times and the speaker's monitor). So the marks in
    them wait for the first buffer filled while the stream runs, and are timed
    back from it: the primed sound plays without a break before it."""

    def __init__(self, rate: int, stop: threading.Event, on_mark: Callable[[Any], None]):
        self.rate = rate
        self.stop = stop
        self.on_mark = on_mark
        self.latency = 0.0
        self.error: BaseException | None = None
        self._marks: collections.deque[tuple[int, Any]] = collections.deque()
        self._anchors: collections.deque[tuple[int, int, float, bool]] = collections.deque()
        self.running = False  # the stream has started: buffers now are not the primed ones
        self._offset = float("inf")  # monotonic minus the stream's clock
        self._ended = False  # every mark has been added
        self._played: int | None = None  # the stream is over: this many samples were played
        self._thread: threading.Thread | None = None

    def add(self, position: int, value: Any) -> None:
        self._marks.append((position, value))

    def end(self) -> None:
        self._ended = True

    def anchor(self, position: int, frames: int, now: float, dac: float) -> None:  # on PortAudio's thread
        clock = time.monotonic()
        ahead = dac - now if now > 0 and dac > 0 else -1.0
        if not 0 <= ahead < 5:
            self._anchors.append((position, frames, clock + self.latency, self.running))
            return
        self._offset = min(self._offset, clock - now)
        self._anchors.append((position, frames, dac + self._offset, self.running))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="player-marks", daemon=True)
        self._thread.start()

    def finish(self, played: int) -> None:
        self._played = played
        if self._thread is not None:
            self._thread.join()

    def _when(self, position: int) -> float | None:
        """The monotonic time ``position`` sounds, once its buffer is known."""
        while self._anchors:
            start, frames, t, running = self._anchors[0]
            if position < start + frames:
                if running:
                    return t + (position - start) / self.rate
                for later, _, t2, running2 in list(self._anchors):  # a primed buffer: timed from a running one
                    if running2:
                        return t2 - (later - position) / self.rate
                return None
            if len(self._anchors) == 1:
                return None  # the next buffer is not there yet
            self._anchors.popleft()
        return None

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                if not self._marks:
                    if self._ended or self._played is not None:
                        return
                    self.stop.wait(0.005)
                    continue
                position, value = self._marks[0]
                when = self._when(position)
                if when is None:
                    if self._played is not None:  # the stream is over without reaching it
                        return
                    self.stop.wait(0.005)
                    continue
                if self.stop.wait(max(0.0, when - time.monotonic())):
                    return
                self._marks.popleft()
                self.on_mark(value)
        except BaseException as e:  # handed to the caller, which re-raises it
            self.error = e


class _Feed:
    """The audio a playing stream takes from: pieces put in by one thread, taken
    by PortAudio's callback (which must never wait: it only copies)."""

    def __init__(self, first: np.ndarray):
        self._pieces: collections.deque[np.ndarray] = collections.deque([first])
        self._offset = 0  # into the first piece
        self._ended = False
        self._lock = threading.Lock()
        self.played = 0
        self.starved = 0
        self.underflows = 0
        self.abandoned = False  # the player is done with it: making more is wasted
        self.error: BaseException | None = None

    def put(self, piece: np.ndarray) -> None:
        with self._lock:
            self._pieces.append(piece)

    def end(self) -> None:
        with self._lock:
            self._ended = True

    def finished(self) -> bool:
        with self._lock:
            return self._ended and not self._pieces

    def take(self, out: np.ndarray, frames: int) -> int:
        """Copy up to ``frames`` samples into ``out``; how many there were."""
        n = 0
        with self._lock:
            while n < frames and self._pieces:
                piece = self._pieces[0]
                k = min(frames - n, len(piece) - self._offset)
                out[n : n + k] = piece[self._offset : self._offset + k]
                n += k
                self._offset += k
                if self._offset >= len(piece):
                    self._pieces.popleft()
                    self._offset = 0
        self.played += n
        return n
