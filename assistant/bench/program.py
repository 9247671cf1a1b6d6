"""The program as a user meets it, measured from outside: speech output, storing
an answer, start-up, a spoken session on virtual audio devices timed by what is
heard, and the peak memory of a whole demo session. Sessions run as child
processes (``python -m assistant``) in folders of their own under ``tmp``."""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import assistant
from assistant.bench.measure import summary, timed
from assistant.words import Word

# Child processes run `python -m assistant` from the folder this package was
# imported from, so they run this same code (a checkout's, when the benchmark
# runs from one) rather than another copy that is installed.
PACKAGE_HOME = Path(assistant.__file__).resolve().parent.parent


def tts(reps: int) -> dict:
    """Text-to-speech without a device: a new prompt rendered, the same read from
    the cache, and the first prompt of a process (which starts the speech engine)."""
    from assistant.speech.tts import Speaker

    with tempfile.TemporaryDirectory() as cache:
        speaker, cold = Speaker(cache=Path(cache)), Speaker(cache=Path(cache) / "cold")
        try:
            speaker.render("Warming up the speech engine.")
            prompts = [f"What are you good at, in school or outside of school? ({i})" for i in range(reps)]
            first = [timed(partial(speaker.audio, prompt)) for prompt in prompts]
            cached = [timed(partial(speaker.audio, prompt)) for prompt in prompts]
            cold_start = timed(lambda: cold.audio("Hello! I am going to ask you some questions."))
        finally:
            speaker.close()
            cold.close()
    return {"first_render": summary(first), "cached": summary(cached), "cold_start_first_prompt": cold_start}


def storage(tmp: Path, n: int) -> dict:
    """Storing one answer as a session does: added, then committed (fsync)."""
    from assistant.store import Store

    store = Store(tmp / "storage-bench")
    try:
        student = store.roster.add("Bench", 5)
        session = store.transcripts.start(student.id, "en-3-5")
        words = [Word(word="math", start=0.1, end=0.4, confidence=0.9)]
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            aid = store.transcripts.add_answer(session.id, f"step{i}", "strengths", "q", "answer", "I am good at math", words)
            store.transcripts.commit_answer(aid, f"step{i + 1}", supersede_step=f"step{i}")
            times.append(time.perf_counter() - t0)
    finally:
        store.close()
    return {"commit_answer": summary(times)}


def startup(tmp: Path, reps: int) -> dict:
    """From starting the command to the first prompt shown (typed front end, no
    speech output) and to its speech being ready to play."""
    env = dict(os.environ, IEP_ASSISTANT_DATA=str(tmp / "startup"), XDG_CACHE_HOME=str(tmp / "cache-startup"))
    subprocess.run([sys.executable, "-m", "assistant", "student", "add", "Start", "--grade", "5"], env=env,
                   capture_output=True, check=True, cwd=PACKAGE_HOME)
    shown = []
    for _ in range(reps):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "assistant", "session",
                              "--student", "Start", "--text", "--no-voice", "--new"],
                             env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=PACKAGE_HOME)
        stdin, stdout = p.stdin, p.stdout
        assert stdin is not None and isinstance(stdout, io.BufferedReader)  # pipes, buffered (Popen's default)
        buf = b""
        while b"> " not in buf:
            chunk = stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
        shown.append(time.perf_counter() - t0)
        stdin.write(b"stop\n")
        stdin.close()
        p.wait(30)
    return {"to_first_prompt_shown": summary(shown)}


def spoken(tmp: Path, reps: int, log=print, pause: float = 0.5) -> dict:
    """A real spoken session on virtual devices (assistant.simulate.pulse), timed by
    what is heard: from starting the command to the first prompt's first sound on
    the speaker, and from the end of the student's answer (the last sound played
    into the microphone) to the first sound of its read-back ("I heard: ...").
    The first run starts with an empty speech cache; later runs reuse it."""
    from assistant.simulate.pulse import VirtualAudio

    answer = tmp / "spoken-answer.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(answer), "I am good at drawing and building things"],
                   check=True, capture_output=True)
    startup, readback = [], []
    with VirtualAudio(tmp / "pulse") as va:
        env = dict(va.env, IEP_ASSISTANT_DATA=str(tmp / "spoken"), XDG_CACHE_HOME=str(tmp / "cache-spoken"))
        subprocess.run([sys.executable, "-m", "assistant", "student", "add", "Sam", "--grade", "5"], env=env,
                       capture_output=True, check=True, cwd=PACKAGE_HOME)
        with va.watch_speaker() as speaker, va.watch_mic() as mic:
            heard_tts = _heard_tts(va, speaker, tmp, reps)
            for i in range(reps):
                speaker.wait_for_quiet(0.5, timeout=15)  # the previous run's read-back has died away
                lines: queue.Queue = queue.Queue()
                t_cmd = time.perf_counter()
                p = subprocess.Popen([sys.executable, "-m", "assistant", "session", "--student", "Sam", "--new",
                                      "--input-device", "pulse", "--output-device", "pulse"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=PACKAGE_HOME)
                threading.Thread(target=_read_lines, args=(p.stdout, lines), daemon=True).start()
                try:
                    first = speaker.first_sound_after(t_cmd, timeout=60)
                    if first is None:
                        raise RuntimeError("the session said nothing within 60 s")
                    startup.append(first - t_cmd)
                    _wait_for_line(lines, "(listening)", 120)
                    time.sleep(pause)  # a student takes a moment before answering
                    va.play_into_mic(answer)
                    end_of_speech = mic.last_sound_before(time.perf_counter())
                    if end_of_speech is None:
                        raise RuntimeError("the answer played into the microphone was not heard there")
                    _wait_for_line(lines, "I heard:", 60)
                    heard = speaker.first_sound_after(end_of_speech, timeout=30)
                    if heard is None:
                        raise RuntimeError("the read-back was shown but not heard")
                    readback.append(heard - end_of_speech)
                    log(f"bench:   spoken run {i + 1}: first prompt heard after {startup[-1]:.2f} s, "
                        f"read-back {readback[-1]:.2f} s after the answer ended")
                finally:
                    p.terminate()
                    p.wait(30)
    return {"startup_cold": startup[0], "startup_warm": summary(startup[1:]),
            "readback_after_speech_end": summary(readback), "tts_heard": heard_tts}


SPEAK_CHILD = """
import json, sys, time
from pathlib import Path
from assistant.speech.tts import Speaker
speaker = Speaker(output_device="pulse", cache=Path(sys.argv[1]))
for line in sys.stdin:
    t0 = time.perf_counter()
    speaker.speak(line.strip())
    print(json.dumps({"t0": t0}), flush=True)
"""


def _heard_tts(va, watcher, tmp: Path, reps: int) -> dict:
    """From ``Speaker.speak`` being called to its first sound on the virtual
    speaker, for a prompt never said before (rendered first) and for one said
    before (cached), in a process that has spoken once already (as in a session)."""
    p = subprocess.Popen([sys.executable, "-c", SPEAK_CHILD, str(tmp / "tts-heard-cache")], env=va.env, cwd=PACKAGE_HOME,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdin, stdout = p.stdin, p.stdout
    assert stdin is not None and stdout is not None  # both pipes

    def say(text: str) -> float:
        watcher.wait_for_quiet(0.2, timeout=10)  # the previous sound has died away
        stdin.write(text + "\n")
        stdin.flush()
        reply = stdout.readline()
        if not reply:
            raise RuntimeError("the speaking process ended early")
        t0 = json.loads(reply)["t0"]
        heard = watcher.first_sound_after(t0, timeout=10)
        if heard is None:
            raise RuntimeError(f"'{text}' was not heard on the virtual speaker")
        return heard - t0

    try:
        say("Hello! I am going to ask you some questions.")
        new, cached = [], []
        for i in range(reps):
            prompt = f"Question {i + 1}. What are you good at, in school or outside of school?"
            new.append(say(prompt))
            cached.append(say(prompt))
    finally:
        stdin.close()
        p.wait(30)
    return {"new": summary(new), "cached": summary(cached)}


def _read_lines(out, lines: queue.Queue) -> None:
    for line in out:
        lines.put(line)


def _wait_for_line(lines: queue.Queue, text: str, timeout: float) -> str:
    deadline = time.perf_counter() + timeout
    seen = []
    while time.perf_counter() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return line
    raise RuntimeError(f"the session did not show '{text}' within {timeout:.0f} s; it showed: {''.join(seen)[-500:]}")


RSS_LAUNCHER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(p.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def session_rss(tmp: Path) -> dict:
    """Peak memory of a whole demo session (the default Whisper model), as the kernel counts it
    for that one process (wait4). The demo is started by a small launcher process:
    a child forked straight from this benchmark (over 1 GB with its models loaded)
    would carry the benchmark's RSS at the fork into its own peak."""
    out = subprocess.run([sys.executable, "-c", RSS_LAUNCHER, sys.executable, "-m", "assistant", "demo",
                          "--data-dir", str(tmp / "rss")], capture_output=True, text=True, cwd=PACKAGE_HOME,
                         env=dict(os.environ, PULSE_SERVER="unix:/nonexistent"), check=True).stdout.split()
    code, maxrss_kb = int(out[0]), int(out[1])
    if code != 0:
        raise RuntimeError(f"the demo failed (exit {code})")
    return {"peak_rss_mb": maxrss_kb / 1024}


def transcribe_rss(model: str, tmp: Path) -> float:
    """Peak memory (MB) of `iep-assistant transcribe --model MODEL` on a 30 s answer
    of LibriVox speech (espeak-ng speech without the clips): the model loaded, its
    VAD, one decode of a whole window; measured like ``session_rss``."""
    from assistant.audio.wav import write_wav
    from assistant.bench.material import MissingMaterial, answer_of, librivox
    from assistant.simulate.voices import espeak_pcm

    try:
        clips = [pcm for pcm, _ in librivox()]
    except MissingMaterial:
        clips = [espeak_pcm("I am good at drawing and building things with Lego", "en-us")]
    wav = write_wav(tmp / f"rss-{model}.wav", answer_of(clips, 30), 16000)
    out = subprocess.run([sys.executable, "-c", RSS_LAUNCHER, sys.executable, "-m", "assistant", "transcribe",
                          "--model", model, str(wav)], capture_output=True, text=True, cwd=PACKAGE_HOME,
                         check=True).stdout.split()
    code, maxrss_kb = int(out[0]), int(out[1])
    if code != 0:
        raise RuntimeError(f"transcribe --model {model} failed (exit {code})")
    return maxrss_kb / 1024
