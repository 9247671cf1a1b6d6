"""Text-to-speech through pyttsx3 and espeak-ng: rendering, caching, voices."""

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
    first = speaker.render(text)
    mtime = first.stat().st_mtime_ns
    speaker.close()  # no speech engine running now
    again = speaker.render("  What are you   good at? ")  # the same words
    assert again == first and again.stat().st_mtime_ns == mtime
    assert speaker._worker._proc is None  # served from the cache, no synthesis
    speaker.rate = 120
    slower = speaker.render(text)
    assert slower != first and read_wav(slower).seconds > read_wav(first).seconds


def test_voice_and_language(speaker):
    ids = {v["id"] for v in speaker.voices()}
    assert {"gmw/en-us", "roa/es"} <= ids
    text = "Hola, me gusta dibujar."
    english = read_wav(speaker.render(text)).samples
    speaker.voice = "es"
    spanish = read_wav(speaker.render(text)).samples
    assert len(spanish) != len(english) or not (spanish == english).all()
