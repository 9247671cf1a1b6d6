"""The word lit on the student's page comes with its sound: a spoken session on the
virtual devices (`session --screen browser --no-open` on the `pulse` fixture), its
page open in headless chromium, the speaker's monitor recorded, until the app first
listens (the greeting and the first question are enough).

This test asserts timing, as the issue asks: each word's highlight within 150 ms of
its sound at the median, none worse than 300 ms. When the page lit each word is
taken in the page (``bench.screen.WATCH_PAGE``: ``Date.now()`` as the word gains its
highlight) and put on ``time.perf_counter``, the recording's clock; where each word's
sound is in the recording: ``tts.word_offsets_in_recording``, from the line's cache
file, the audio the session played (``bench.screen.cached_line``)."""

from __future__ import annotations

import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.bench import screen
from assistant.bench.program import _read_lines, _wait_for_line
from assistant.recordings import StudentFiles
from assistant.speech.tts import Speaker
from assistant.store import Store
from tests.conftest import ROOT

RATE = 165


@pytest.mark.slow  # a real browser, a spoken session on virtual audio devices
def test_each_word_is_lit_when_it_is_heard(cli, pulse, tmp_path):
    why = screen.missing()
    if why:
        print(f"not measured: {why}")
        pytest.skip(why)
    data = tmp_path / "data"
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(data))
    assert cli("student", "add", "Sam", "--grade", "5", env=env).returncode == 0
    driver = screen.browser(tmp_path / "profile")
    try:
        with pulse.watch("speaker.monitor", keep=True) as heard:
            epoch_to_perf = time.perf_counter() - time.time()  # the page's Date.now() to this clock
            proc = subprocess.Popen([sys.executable, "-m", "assistant", "session", "--student", "Sam", "--screen",
                                     "browser", "--no-open", "--input-device", "pulse", "--output-device", "pulse",
                                     "--rate", str(RATE)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                driver.get(screen._address(proc.stderr))
                lines: queue.Queue = queue.Queue()
                threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
                _wait_for_line(lines, "(listening)", 180)  # the first question has been said
            finally:
                proc.terminate()
                proc.wait(30)
            lit = screen.lit(driver, epoch_to_perf)
            store = Store(data)
            try:
                sid = store.roster.find("Sam").id
            finally:
                store.close()
            # the session's voice and rate and both its caches: its lines are found there, not made again
            speaker = Speaker(rate=RATE, play=False, cache=Path(env["XDG_CACHE_HOME"]) / "iep-assistant" / "prompts",
                              private_cache=StudentFiles(data, sid).speech_cache())
            try:
                offsets, measured, notes = screen.highlight_offsets(lit, heard, speaker)
            finally:
                speaker.close()
    finally:
        driver.quit()
    for note in notes:
        print(note)
    assert any("?" in text for text in measured), f"the first question was not measured: {notes}"
    figures = screen.spread(offsets)
    ms = sorted(round(x * 1000) for x in offsets)
    print(f"highlight minus sound over {figures['n']} words of {len(measured)} lines (ms): median "
          f"{statistics.median(ms):+.0f}, min {ms[0]:+d}, max {ms[-1]:+d}; |offset| median {figures['median'] * 1000:.0f}, "
          f"90th {figures['p90'] * 1000:.0f}, max {figures['max'] * 1000:.0f}")
    assert figures["median"] <= 0.150, ms
    assert figures["max"] <= 0.300, ms
