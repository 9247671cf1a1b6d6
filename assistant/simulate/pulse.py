"""Virtual audio devices: a private PulseAudio daemon with a speaker and a
microphone, for machines with no sound card (the tests, the benchmark).

Sink ``speaker`` is the default output; sink ``mic_feed`` has its monitor
remapped into the source ``mic``, the default input. What is played into
``mic_feed`` is heard by any program recording from the default input, and what
a program plays is heard on ``speaker.monitor``. Programs reach the daemon
through the environment in ``VirtualAudio.env`` (PULSE_SERVER), via ALSA's
``pulse`` device. ``unplug_mic`` and ``plug_mic`` take the microphone away and
bring it back, as a headset's cable would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from assistant.errors import UserError


def _need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise UserError(f"{tool} is missing: run ./setup.sh (or sudo apt-get install {package})")
    return path


# the virtual microphone: the module that makes source ``mic`` out of what is played into ``mic_feed``
MIC_MODULE = ("module-remap-source", "master=mic_feed.monitor", "source_name=mic",
              "source_properties=device.description=VirtualMic")


class VirtualAudio:
    """``rescue_streams=False`` makes the daemon drop a recording whose source goes
    away instead of moving it elsewhere (PulseAudio's ``rescue-streams`` setting;
    a stream that follows the default source is moved to the new default anyway)."""

    def __init__(self, runtime: Path, rescue_streams: bool = True):
        self.runtime = Path(runtime)
        self.rescue_streams = rescue_streams
        self.socket = self.runtime / "pulse" / "native"
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(self.runtime), HOME=str(self.runtime), PULSE_SERVER=f"unix:{self.socket}")
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> VirtualAudio:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        _need("pactl", "pulseaudio-utils")
        self.runtime.mkdir(parents=True, exist_ok=True)
        daemon_env = self.env
        if not self.rescue_streams:
            # the system's settings, then ours (the last one read wins)
            system = Path("/etc/pulse/daemon.conf")
            conf = self.runtime / "daemon.conf"
            conf.write_text((system.read_text() if system.exists() else "") + "\nrescue-streams = no\n")
            daemon_env = dict(self.env, PULSE_CONFIG=str(conf))
        self.proc = subprocess.Popen(
            [_need("pulseaudio", "pulseaudio"), "--system=false", "--daemonize=no", "-n", "--exit-idle-time=-1",
             "--disallow-exit",
             "--use-pid-file=false", f"--log-target=file:{self.runtime / 'pulse.log'}",
             f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
             "--load=module-null-sink sink_name=speaker rate=48000 sink_properties=device.description=VirtualSpeaker",
             "--load=module-null-sink sink_name=mic_feed rate=48000 sink_properties=device.description=MicFeed",
             f"--load={' '.join(MIC_MODULE)}",
             ],
            env=daemon_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode == 0:
                self.pactl("set-default-sink", "speaker")
                self.pactl("set-default-source", "mic")
                return
            time.sleep(0.2)
        log_file = self.runtime / "pulse.log"
        log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
        self.stop()
        raise UserError(f"PulseAudio did not start; its log ends:\n{log}")

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, check=True).stdout

    def unplug_mic(self) -> None:
        """Take the microphone away: its source ``mic`` disappears."""
        modules = self.pactl("list", "short", "modules").splitlines()
        index = next(line.split()[0] for line in modules if line.split()[1:2] == [MIC_MODULE[0]])
        self.pactl("unload-module", index)

    def plug_mic(self) -> None:
        """Bring the microphone back, as the default input."""
        self.pactl("load-module", *MIC_MODULE)
        self.pactl("set-default-source", "mic")

    def play_into_mic(self, wav: Path) -> None:
        """Play a WAV into the virtual microphone; returns when it has been played."""
        subprocess.run(["paplay", "--device=mic_feed", str(wav)], env=self.env, check=True, timeout=300)

    def start_playing_into_mic(self, wav: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", "--device=mic_feed", str(wav)], env=self.env)

    def watch_speaker(self, threshold: int = 300) -> SoundWatcher:
        """Note the moments sound starts on the virtual speaker (see ``SoundWatcher``)."""
        return self.watch("speaker.monitor", threshold)

    def watch_mic(self, threshold: int = 300) -> SoundWatcher:
        """Note what is played into the virtual microphone, as it is played."""
        return self.watch("mic_feed.monitor", threshold)

    def watch(self, source: str, threshold: int = 300, keep: bool = False) -> SoundWatcher:
        """Watch ``source`` (see ``SoundWatcher``); ``keep``: keep what it records, too."""
        return SoundWatcher(["parec", f"--device={source}", "--rate=16000", "--channels=1", "--format=s16le",
                             "--latency-msec=10"], self.env, threshold, keep)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


class SoundWatcher:
    """Records a source in 10 ms blocks and notes, on the ``time.perf_counter``
    clock (shared by every process on the machine), when each block arrives and
    whether it is sound (a sample louder than ``threshold``). ``first_sound_after(t)``
    is when sound was first heard after ``t``: the moment a listener hears it,
    give or take one block and the server's recording latency. With ``keep`` it also
    keeps the audio (``samples()``): a recording that has surely started when the
    watcher is made, unlike parecord, which also drops what it holds when stopped."""

    BLOCK = 160  # samples at 16 kHz: 10 ms

    def __init__(self, cmd: list[str], env: dict, threshold: int, keep: bool = False):
        self.threshold = threshold
        self._audio: list[np.ndarray] | None = [] if keep else None
        self._proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._lock = threading.Lock()
        self._blocks: list[tuple[float, bool]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        deadline = time.perf_counter() + 15  # the server takes a moment (up to ~2 s seen) to start a recording
        while not self._blocks:
            if time.perf_counter() > deadline or self._proc.poll() is not None:
                self.close()
                raise UserError(f"recording '{cmd[1].removeprefix('--device=')}' gave no audio: is PulseAudio running? (parec)")
            time.sleep(0.01)

    def _read(self) -> None:
        size = self.BLOCK * 2
        out = self._proc.stdout
        assert out is not None  # started with stdout=PIPE
        while True:
            data = out.read(size)
            if not data or len(data) < size:
                return
            now = time.perf_counter()
            block = np.frombuffer(data, np.int16)
            loud = bool(np.abs(block).max() > self.threshold)
            with self._lock:
                self._blocks.append((now, loud))
                if self._audio is not None:
                    self._audio.append(block)

    def samples(self) -> np.ndarray:
        """Everything recorded so far (16 kHz mono int16), when made with ``keep``."""
        if self._audio is None:
            raise ValueError("this watcher keeps no audio: make it with keep=True")
        with self._lock:
            return np.concatenate(self._audio)

    def recorded(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything recorded so far (``keep``) with each block's arrival time, taken
        together: the samples and the times of the blocks they came in."""
        if self._audio is None:
            raise ValueError("this watcher keeps no audio: make it with keep=True")
        with self._lock:
            samples = np.concatenate(self._audio)
            arrivals = np.array([when for when, _ in self._blocks[: len(self._audio)]])
        return samples, arrivals

    def first_sound_after(self, t: float, timeout: float = 30.0) -> float | None:
        deadline = time.perf_counter() + timeout
        seen = 0
        while time.perf_counter() < deadline:
            with self._lock:
                blocks = self._blocks[seen:]
                seen += len(blocks)
            for when, loud in blocks:
                if loud and when >= t:
                    return when
            time.sleep(0.005)
        return None

    def last_sound_before(self, t: float) -> float | None:
        """When the last sound before ``t`` was heard (the end of what was said)."""
        with self._lock:
            loud = [when for when, is_loud in self._blocks if is_loud and when <= t]
        return loud[-1] if loud else None

    def quiet_since(self, seconds: float) -> bool:
        """True when the last ``seconds`` of blocks were all silent."""
        with self._lock:
            recent = [loud for when, loud in self._blocks if when >= time.perf_counter() - seconds]
        return bool(recent) and not any(recent)

    def wait_for_quiet(self, seconds: float, timeout: float) -> bool:
        """Wait until the last ``seconds`` were silent (e.g. the previous sound has
        died away), at most ``timeout`` seconds; whether it came."""
        deadline = time.perf_counter() + timeout
        while not self.quiet_since(seconds):
            if time.perf_counter() > deadline:
                return False
            time.sleep(0.05)
        return True

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._thread.join(timeout=5)

    def __enter__(self) -> SoundWatcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
