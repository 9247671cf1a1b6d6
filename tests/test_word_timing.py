"""Word events for the student's screen: when each word of a spoken line starts in
its audio (Piper's alignment, espeak-ng's word events), kept with the cached audio,
and given when the word's sound reaches the speaker (virtual devices)."""

from __future__ import annotations

import difflib
import json
import re
import statistics
import subprocess
import sys

import numpy as np
import pytest

from assistant.audio import SAMPLE_RATE
from assistant.audio.resample import resample
from assistant.audio.wav import read_wav, write_wav
from assistant.speech.piper import PiperEngine, align_phonemes, map_words
from assistant.speech.tts import Speaker, read_word_times, word_times_source
from assistant.text import display_words
from tests.conftest import ROOT

JOE = "en_US-joe-medium"
TRICKY = "Hello, Maya! I have 3 questions about the well-known IEP, 25 minutes — no more. What are you good at?"


# ---------------------------------------------------------------- Piper's words to the display words


def test_display_words_map_exactly_when_the_spoken_counts_agree():
    words = ["I", "have", "25", "—", "minutes."]
    # "25" is two spoken words, the dash none: "minutes" is the fourth spoken word
    assert map_words(words, [1, 1, 2, 0, 1], 5) == [0, 1, 2, 4, 4]
    assert map_words(["wait", "—"], [1, 0], 1) == [0, 0]  # a dash at the end: with the word before
    assert map_words(["..."], [0], 0) == [0]


def test_display_words_are_found_in_the_lines_phonemes_when_the_counts_differ():
    """espeak-ng joins "no more" into one spoken word in a sentence, and reads "IEP"
    as "aɪiːpiː" there but "iːp" alone: the words are found in the line's phonemes."""
    assert map_words(["no", "more."], [1, 1], 1) is None
    spoken = ["wɛlnoʊn", "aɪiːpiː", "twɛnti", "faɪv", "mɪnɪts", "noʊmɔːɹ"]
    line = "".join(spoken)
    heads = [line.index(w) for w in spoken]
    alone = ["wɛlnoʊn", "iːp", "twɛntifaɪv", "mɪnɪts", "", "noʊ", "mɔːɹ"]
    at = align_phonemes(alone, line, heads)
    assert at == [0, line.index("aɪ"), line.index("tw"), line.index("mɪ"), line.index("noʊm"),
                  line.index("noʊm"), line.index("mɔ")]
    assert align_phonemes(["a", "b"], "") == [0, 0]


@pytest.fixture(scope="module")
def joe():
    engine = PiperEngine(JOE)
    yield engine
    engine.close()


def timed(engine: PiperEngine, text: str) -> list[float]:
    """Each display word's start in the line Piper makes (seconds; sentences back to back)."""
    starts: dict[int, float] = {}
    offset = 0
    for audio, marks in engine.timed_sentences(text, noise_scale=0.0, noise_w_scale=0.0):
        for index, at in marks:
            starts[index] = (offset + at) / engine.rate
        offset += len(audio)
    return [starts[i] for i in range(len(display_words(text)))]


def test_piper_numbers_and_punctuation_get_their_words(joe):
    """A real render: one start per display word, in order; "3" is "three" (one
    spoken word), "25" is "twenty five" (two: it lasts longer), the dash has no sound
    of its own and shares the next word's start."""
    words = display_words(TRICKY)
    starts = timed(joe, TRICKY)
    assert len(starts) == len(words) and starts == sorted(starts)
    at = {w: i for i, w in enumerate(words)}
    assert starts[at["—"]] == starts[at["no"]]
    # espeak-ng says "no more" as one word: "more." is found inside it, not at its start
    assert 0.1 < starts[at["more."]] - starts[at["no"]] < 0.6
    three = starts[at["questions"]] - starts[at["3"]]
    twenty_five = starts[at["minutes"]] - starts[at["25"]]
    assert twenty_five > 1.5 * three, (three, twenty_five)
    # the sentences are Piper's: "What" starts the third, after the pause at "more."
    assert starts[at["What"]] - starts[at["more."]] > starts[at["more."]] - starts[at["no"]]


@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_word_starts_are_where_the_sound_comes_back(tmp_path, voice):
    """A word that follows a pause starts where the sound comes back: the times are
    in samples of this audio (Piper's alignment, espeak-ng's audio positions), not a
    guess spread over the line. Measured: within 3-20 ms (a "T" starts with 50 ms
    of closure before its burst, so "Tell" is not one of these words)."""
    speaker = Speaker(voice=voice, cache=tmp_path)
    try:
        for text, index in [("Yes. Now.", 1), ("Okay, so. Maybe, then.", 2)]:
            path = speaker.render(text)
            audio, starts = read_wav(path), read_word_times(path)
            assert starts is not None
            frame = int(0.005 * audio.rate)
            x = np.abs(audio.samples[: len(audio.samples) // frame * frame]).reshape(-1, frame).max(axis=1)
            loud = np.flatnonzero(x > 0.03 * x.max())
            # the end of the longest quiet between the first sound and the last: the pause before the word
            back = int(loud[int(np.argmax(np.diff(loud))) + 1]) * 0.005
            print(f"{voice} {display_words(text)[index]!r} starts at {starts[index]:.3f} s; its sound at {back:.3f} s")
            assert abs(starts[index] - back) < 0.04
    finally:
        speaker.close()


# ---------------------------------------------------------------- kept with the audio, in both caches


def test_word_times_are_cached_with_the_audio(tmp_path):
    public, private = tmp_path / "prompts", tmp_path / "student-1"
    speaker = Speaker(cache=public, private_cache=private)
    try:
        path = speaker.render(TRICKY)
        mine = speaker.render("I heard: I like drawing — and 3 dogs. Is that right?", private=True)
    finally:
        speaker.close()
    assert word_times_source(path) == word_times_source(mine) == "piper-alignment"
    assert len(read_word_times(path) or []) == len(display_words(TRICKY))
    assert mine.parent == private and sorted(p.name for p in private.iterdir()) == [mine.name]  # one file
    assert read_wav(path).seconds > 5  # still a WAV that reads
    again = Speaker(cache=public)
    try:
        assert again.render(TRICKY) == path and again._piper is None  # from the cache: the voice never loaded
    finally:
        again.close()


def test_a_line_cached_without_word_times_is_made_again(tmp_path):
    speaker = Speaker(voice="espeak", cache=tmp_path)
    try:
        path = speaker.render("Is that right?")
        old = read_wav(path)
        write_wav(path, old.samples, old.rate)  # as cached before word times were kept
        assert read_word_times(path) is None
        assert speaker.render("Is that right?") == path
    finally:
        speaker.close()
    assert read_word_times(path) is not None


def test_espeak_word_times_come_from_its_word_events(tmp_path):
    speaker = Speaker(voice="espeak", cache=tmp_path)
    try:
        path = speaker.render(TRICKY)
    finally:
        speaker.close()
    starts = read_word_times(path)
    assert word_times_source(path) == "espeak-events"
    assert starts is not None and len(starts) == len(display_words(TRICKY)) and starts == sorted(starts)
    assert starts[0] < 0.1 and starts[-1] < read_wav(path).seconds


# ---------------------------------------------------------------- against Whisper's word timestamps


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


LINES = ["What are you good at, in school or outside of school?",
         "Thank you. Your teacher will look at your answers with you before your meeting.",
         "Some students get extra time on tests, a quiet room, or someone who reads the questions aloud.",
         "I heard: I like building things with my brother on weekends. Is that right?"]


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_word_times_agree_with_whisper(tmp_path, voice):
    """Whisper's word timestamps on the rendered audio are an independent measure of
    where each word starts; ours agree within 120 ms at the median and 250 ms for
    nine words in ten. Whisper's own timestamps are only about that precise (they
    come from its attention, in 20 ms steps): measured, it puts words 40 ms (Piper)
    and 100 ms (espeak-ng) later than ours at the median, with a few 0.5-0.7 s off,
    where ours match the sound's onset after a pause within 20-50 ms
    (test_word_starts_are_where_the_sound_comes_back)."""
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer

    speaker = Speaker(voice=voice, cache=tmp_path)
    recognizer = load_recognizer(choose_model("whisper", None, "en"))
    diffs: list[float] = []
    try:
        for text in LINES:
            path = speaker.render(text)
            audio = read_wav(path)
            starts = read_word_times(path)
            assert starts is not None
            _, heard = recognizer.decode(resample(audio.samples, audio.rate, SAMPLE_RATE))  # type: ignore[attr-defined]
            words = [_norm(w) for w in display_words(text)]
            said = [_norm(w.word) for w in heard]
            # the words Whisper heard as written, in runs that agree (a misheard word is left out)
            for a, b, n in difflib.SequenceMatcher(None, words, said, autojunk=False).get_matching_blocks():
                for t in range(n):
                    diffs.append(starts[a + t] - heard[b + t].start)
                    if abs(diffs[-1]) > 0.1:
                        print(f"  {voice} {words[a + t]!r}: ours {starts[a + t]:.3f} s, Whisper's {heard[b + t].start:.3f} s")
    finally:
        recognizer.close()
        speaker.close()
    total = sum(len(display_words(t)) for t in LINES)
    errors = sorted(abs(d) for d in diffs)
    print(f"{voice}: {len(diffs)} of {total} words matched; ours minus Whisper's start: median "
          f"{statistics.median(diffs) * 1000:+.0f} ms; |error| median {statistics.median(errors) * 1000:.0f} ms, "
          f"90th {errors[int(0.9 * (len(errors) - 1))] * 1000:.0f} ms, max {errors[-1] * 1000:.0f} ms")
    assert len(diffs) >= 0.8 * total
    assert statistics.median(errors) < 0.12 and errors[int(0.9 * (len(errors) - 1))] < 0.25


# ---------------------------------------------------------------- on time at the speaker

ON_TIME = """
import json, sys
from pathlib import Path
from assistant.simulate.pulse import VirtualAudio
from assistant.speech.tts import Speaker, measure_word_offsets
va = VirtualAudio(Path(sys.argv[1]))  # the test's daemon, already running: its address
speaker = Speaker(voice=sys.argv[2], output_device="pulse", cache=Path(sys.argv[3]))
for text in sys.argv[4:]:
    with va.watch("speaker.monitor", keep=True) as watcher:
        print(json.dumps(measure_word_offsets(speaker, text, watcher)), flush=True)
speaker.close()
"""

PROMPT = ("Thank you. Next, we will talk about the help you get in class, like extra time on tests, "
          "or a quiet room. Which of these help you the most?")


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_word_events_come_when_the_words_are_heard(pulse, tmp_path, voice):
    """The issue's figures, measured on the virtual speaker (a timed assertion, as the
    issue asks): each word's event within 150 ms of its sound at the median, none
    worse than 300 ms. The line is said three times: new (Piper makes it while it
    plays), then from the cache, twice. How each word's sound is found in the
    recording, and the recorder's own latency: ``tts.measure_word_offsets``."""
    out = subprocess.run([sys.executable, "-c", ON_TIME, str(pulse.runtime), voice, str(tmp_path / "cache"),
                          PROMPT, PROMPT, PROMPT], env=pulse.env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(runs) == 3 and all(len(r) == len(display_words(PROMPT)) for r in runs)
    offsets = [x for r in runs for x in r]
    ms = sorted(round(x * 1000) for x in offsets)
    print(f"{voice}: event minus sound over {len(ms)} words (ms): median {statistics.median(ms):+.0f}, "
          f"10th {ms[len(ms) // 10]:+d}, 90th {ms[len(ms) * 9 // 10]:+d}, min {ms[0]:+d}, max {ms[-1]:+d}; "
          f"per play medians {[round(statistics.median(r) * 1000) for r in runs]}")
    assert abs(statistics.median(offsets)) <= 0.150
    assert max(abs(x) for x in offsets) <= 0.300


STOPPER = """
import json, sys, threading, time
from pathlib import Path
from assistant.speech.tts import Speaker
speaker = Speaker(voice=sys.argv[1], output_device="pulse", cache=Path(sys.argv[2]))
events = []
def word(i):
    events.append((i, time.monotonic()))
    if i == 0:  # a second into the line (the voice may take a while to load first)
        threading.Timer(1.0, lambda: (speaker.stop(), events.append(("stopped", time.monotonic())))).start()
played = speaker.speak(sys.argv[3], on_word=word)
time.sleep(1.0)  # anything still to come would come now
print(json.dumps({"events": events, "played": played}))
speaker.close()
"""


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_no_word_events_after_stop(pulse, tmp_path, voice):
    out = subprocess.run([sys.executable, "-c", STOPPER, voice, str(tmp_path), PROMPT], env=pulse.env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout)
    names = [e[0] for e in result["events"]]
    print(f"{voice}: {names}, {result['played']:.2f} s played")
    assert names[-1] == "stopped", names  # nothing after the stop
    words = names[:-1]
    assert words == list(range(len(words))) and 0 < len(words) < len(display_words(PROMPT))


@pytest.mark.slow
def test_events_are_given_while_it_plays_not_all_at_once(pulse, tmp_path):
    """The events come spread over the line as its words are, from the player's own
    thread: a listener that takes its time (100 ms) delays none after it by more."""
    script = """
import json, sys, threading, time
from pathlib import Path
from assistant.speech.tts import Speaker
speaker = Speaker(voice="espeak", output_device="pulse", cache=Path(sys.argv[1]))
events = []
def slow(i):
    events.append((i, time.monotonic(), threading.current_thread().name))
    time.sleep(0.1)
t0 = time.monotonic()
speaker.speak(sys.argv[2], on_word=slow)
print(json.dumps({"events": events, "t0": t0, "main": threading.current_thread().name}))
speaker.close()
"""
    text = "One, two, three, four, five."
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path), text], env=pulse.env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout)
    times = [t for _, t, _ in r["events"]]
    assert [i for i, _, _ in r["events"]] == list(range(5))
    assert all(name != r["main"] for _, _, name in r["events"])
    gaps = np.diff(times)
    print(f"gaps between word events: {[round(g, 3) for g in gaps]}")
    assert gaps.min() > 0.15  # one word at a time, as spoken (espeak-ng's words here are 0.4 s apart)


@pytest.mark.slow
def test_stop_waits_for_a_word_event_under_way(pulse, tmp_path):
    """stop() from another thread while on_word runs returns after it: no word event
    begins or is still running once stop() has returned."""
    script = """
import json, sys, threading, time
from pathlib import Path
from assistant.speech.tts import Speaker
speaker = Speaker(voice="espeak", output_device="pulse", cache=Path(sys.argv[1]))
log = []
def slow(i):
    log.append(("begin", i, time.monotonic()))
    if i == 1:
        threading.Thread(target=lambda: (speaker.stop(), log.append(("stopped", -1, time.monotonic())))).start()
        time.sleep(0.3)
    log.append(("end", i, time.monotonic()))
speaker.speak(sys.argv[2], on_word=slow)
time.sleep(0.5)
print(json.dumps(log))
speaker.close()
"""
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path), "One, two, three, four, five."], env=pulse.env,
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    log = [tuple(e[:2]) for e in json.loads(out.stdout)]
    assert log == [("begin", 0), ("end", 0), ("begin", 1), ("end", 1), ("stopped", -1)], log


def test_speak_without_a_device_gives_no_word_events(tmp_path):
    """play=False (a machine with no sound card): nothing is heard, so no word is lit."""
    speaker = Speaker(voice="espeak", cache=tmp_path, play=False)
    got: list[int] = []
    try:
        assert speaker.speak("Is that right?", on_word=got.append) == 0.0
    finally:
        speaker.close()
    assert got == []

