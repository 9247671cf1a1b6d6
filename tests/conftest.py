"""Shared test fixtures: the CLI, espeak-ng speech, and a real PulseAudio
daemon with a virtual microphone and speaker."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run ./setup.sh (or sudo apt-get install {package})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory) -> Path:
    """A private cache (TTS renders, verified hashes) for the whole test run."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def base_env(cache_home) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(cache_home)
    env["PYTHONPATH"] = str(ROOT)
    # no sound server unless a test starts one
    env["PULSE_SERVER"] = "unix:/nonexistent/pulse/native"
    return env


@pytest.fixture(scope="session")
def cli(base_env):
    """Run ``iep-assistant ARGS`` in a child process, as a user would."""

    def run(*args: str, env: dict | None = None, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assistant", *map(str, args)], capture_output=True, text=True,
                              env=env or base_env, timeout=timeout, cwd=ROOT, **kw)

    return run


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    """Make a WAV of ``text`` spoken by espeak-ng (a simulated speaker)."""
    espeak = need("espeak-ng", "espeak-ng")
    folder = tmp_path_factory.mktemp("speech")
    count = iter(range(10**6))

    def make(text: str, voice: str = "en-us", speed: int = 150, gap_ms: int | None = None) -> Path:
        out = folder / f"s{next(count)}.wav"
        cmd = [espeak, "-v", voice, "-s", str(speed), "-w", str(out)]
        if gap_ms is not None:
            cmd += ["-g", str(gap_ms // 10)]
        subprocess.run([*cmd, text], check=True, capture_output=True)
        return out

    return make


class Pulse:
    """A PulseAudio daemon of our own: sink ``speaker`` (the app's output, default),
    sink ``mic_feed`` whose monitor is remapped into the source ``mic`` (the
    virtual microphone, default). What is played into ``mic_feed`` is heard by
    any program recording from the default input."""

    def __init__(self, runtime: Path):
        self.runtime = runtime
        self.socket = runtime / "pulse" / "native"
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), HOME=str(runtime), PULSE_SERVER=f"unix:{self.socket}")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        need("pulseaudio", "pulseaudio")
        need("pactl", "pulseaudio-utils")
        self.proc = subprocess.Popen(
            ["pulseaudio", "--system=false", "--daemonize=no", "-n", "--exit-idle-time=-1", "--disallow-exit",
             "--use-pid-file=false", f"--log-target=file:{self.runtime / 'pulse.log'}",
             f"--load=module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
             "--load=module-null-sink sink_name=speaker rate=48000 sink_properties=device.description=VirtualSpeaker",
             "--load=module-null-sink sink_name=mic_feed rate=48000 sink_properties=device.description=MicFeed",
             "--load=module-remap-source master=mic_feed.monitor source_name=mic source_properties=device.description=VirtualMic",
             ],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
        log = (self.runtime / "pulse.log").read_text(errors="replace")[-2000:] if (self.runtime / "pulse.log").exists() else ""
        self.stop()
        pytest.fail(f"PulseAudio did not start; its log ends:\n{log}", pytrace=False)

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, check=True).stdout

    def play_into_mic(self, wav: Path) -> None:
        """Play a WAV into the virtual microphone; returns when it has been played."""
        subprocess.run(["paplay", "--device=mic_feed", str(wav)], env=self.env, check=True, timeout=300)

    def start_playing_into_mic(self, wav: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", "--device=mic_feed", str(wav)], env=self.env)

    def record_speaker(self, out: Path) -> subprocess.Popen:
        """Start recording what is played on the virtual speaker; stop with ``stop_recording``."""
        return subprocess.Popen(["parecord", "--device=speaker.monitor", "--rate=16000", "--channels=1",
                                 "--format=s16le", "--file-format=wav", str(out)], env=self.env)

    @staticmethod
    def stop_recording(proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


@pytest.fixture(scope="session")
def pulse(tmp_path_factory, base_env):
    p = Pulse(tmp_path_factory.mktemp("pulse"))
    p.env.update({k: v for k, v in base_env.items() if k in ("XDG_CACHE_HOME", "PYTHONPATH")})
    p.start()
    yield p
    p.stop()
