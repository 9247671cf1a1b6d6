"""Shared test fixtures: the CLI, natural (Piper) and espeak-ng speech, and a real PulseAudio
daemon with a virtual microphone and speaker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.simulate.pulse import VirtualAudio

ROOT = Path(__file__).resolve().parent.parent


def _pin_whisper_kernels() -> None:
    """Whisper's int8 arithmetic runs on kernels chosen by the CPU (Intel's MKL on Intel, oneDNN
    elsewhere; AVX-512 or AVX2), and different kernels can decode the same audio to different
    words ("good at" heard "going to be" on one machine, not on another). The tests use the
    kernels of the machines CI runs on (oneDNN, AVX2) on every x86-64 with AVX2, set before
    CTranslate2 loads in this process or any child, so a test's words are the same anywhere."""
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    if "avx2" in flags:
        os.environ.update(CT2_USE_MKL="0", CT2_FORCE_CPU_ISA="AVX2", ONEDNN_MAX_CPU_ISA="AVX2")


_pin_whisper_kernels()

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run ./setup.sh (or sudo apt-get install {package})", pytrace=False)
    return path


def still_running_after(proc: subprocess.Popen, seconds: float) -> bool:
    """Whether ``proc`` is still running ``seconds`` from now; returns at once if it ends
    (a program that must keep waiting, e.g. for a microphone or for room on a disk)."""
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


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
    # no graphical display: a session shows its screen in the terminal (never opens a
    # browser window) unless a test asks for the student's page itself
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
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


@pytest.fixture(scope="session")
def natural_speech(tmp_path_factory):
    """Make a WAV of ``text`` spoken by a natural voice (``voices.NATURAL`` by its slug:
    piper-joe, piper-joe-slow, piper-joe-child-like), the simulated speaker of the
    tests where the student is meant to be understood; ``speech`` (espeak-ng) is the
    hard set. Rendered without Piper's sampling noise, so the same text is the same
    audio in every run and a test's words do not change from run to run."""
    import dataclasses

    from assistant.audio import SAMPLE_RATE
    from assistant.audio.wav import write_wav
    from assistant.simulate.voices import StudentVoices, voice_spec

    folder = tmp_path_factory.mktemp("natural-speech")
    count = iter(range(10**6))
    voices = StudentVoices()

    def make(text: str, voice: str = "piper-joe") -> Path:
        spec = dataclasses.replace(voice_spec(voice), noise=0.0)
        return write_wav(folder / f"n{next(count)}.wav", voices.pcm(text, spec), SAMPLE_RATE)

    yield make
    voices.close()


class Pulse(VirtualAudio):
    """The product's virtual devices (assistant.simulate.pulse): a test fails, with
    PulseAudio's log, if they cannot start."""

    def start(self) -> None:
        need("pulseaudio", "pulseaudio")
        try:
            super().start()
        except UserError as e:
            pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory, base_env):
    p = Pulse(tmp_path_factory.mktemp("pulse"))
    p.env.update({k: v for k, v in base_env.items() if k in ("XDG_CACHE_HOME", "PYTHONPATH")})
    p.start()
    yield p
    p.stop()


# tests/test_bench.py is the benchmark's (another owner's); its end-to-end run is slow
# until that file marks it itself
SLOW_ELSEWHERE = {"tests/test_bench.py::test_bench_quick_writes_its_report"}  # bench --quick: minutes


def pytest_collection_modifyitems(config, items):
    """The ``slow`` split: `pytest -m "not slow"` is the development loop (README)."""
    for item in items:
        if item.nodeid in SLOW_ELSEWHERE:
            item.add_marker(pytest.mark.slow)
        if "pulse" in item.fixturenames and item.get_closest_marker("slow") is None:
            raise pytest.UsageError(f"{item.nodeid} uses real (virtual) audio devices: mark it @pytest.mark.slow")


@pytest.fixture
def browser(tmp_path):
    """A real browser: headless chromium through Selenium (every request 200 ms late)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = need("chromium", "chromium")
    driver_path = need("chromedriver", "chromium-driver")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    # A school network is not instant: every request takes 200 ms more, so a test that looks at the
    # page before the next one has loaded fails every time, not once in a while.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 200,
                                                                "downloadThroughput": -1, "uploadThroughput": -1})
    driver.downloads = downloads
    yield driver
    driver.quit()
