"""Text-to-speech through pyttsx3 and espeak-ng: rendering, caching, voices."""

import time

import pytest

from assistant.audio.level import dbfs
from assistant.audio.wav import read_wav
from assistant.speech.tts import Speaker


@pytest.fixture
def speaker(tmp_path):
    s = Speaker(cache=tmp_path / "tts")
    yield s
    s.close()


def test_long_prompts_are_rendered_whole(speaker):
    """pyttsx3's espeak loop can return before a long text is done; each render must be complete."""
    long = " ".join(["This is a long prompt that goes on for a while."] * 8)
    short = "Yes or no?"
    a, b = speaker.audio(long), speaker.audio(short)
    assert a.seconds > 15 and b.seconds < 3
    assert dbfs(a.samples[-int(a.rate * 3) : -int(a.rate * 0.5)]) > -40  # speech right up to the end


def test_renders_are_cached(speaker):
    text = "What are you good at?"
    t0 = time.perf_counter()
    first = speaker.render(text)
    t1 = time.perf_counter()
    again = speaker.render("  What are you   good at? ")  # the same words
    t2 = time.perf_counter()
    assert first == again and first.stat().st_size > 10000
    assert (t2 - t1) < (t1 - t0)
    speaker.rate = 120
    assert speaker.render(text) != first  # another rate is another recording


def test_voice_and_language(speaker):
    ids = {v["id"] for v in speaker.voices()}
    assert {"gmw/en-us", "sit/cmn", "roa/es"} <= ids or len(ids) > 50
    speaker.voice = "es"
    spanish = read_wav(speaker.render("Hola, ¿qué te gusta hacer?"))
    assert spanish.seconds > 1
