"""Whisper (tiny.en, the English default, and base) on real human speech, natural
synthetic speech and our own TTS; the live path's decoding during the answer."""

import json
import re
import threading

import numpy as np
import pytest

from assistant.audio.wav import read_wav, write_wav
from assistant.evaluate import normalize_words, wer
from tests.conftest import LIBRIVOX


def _references() -> dict[str, str]:
    text = (LIBRIVOX / "transcription").read_text()
    refs = {}
    for line in text.splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    return refs


@pytest.fixture(scope="module")
def whisper():
    """The default English Whisper model, loaded once for this module's tests that decode in-process."""
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer

    with load_recognizer(choose_model()) as recognizer:
        yield recognizer


@pytest.mark.slow  # five LibriVox clips, Whisper base (~15 s)
def test_whisper_base_transcribes_real_human_speech(cli):
    """Whisper base, joined from its two packages, hears the five LibriVox clips
    nearly word for word (at most the issue's 0.06), and in the language asked."""
    refs = _references()
    assert len(refs) == 5, f"expected the five LibriVox clips in {LIBRIVOX}: sudo apt-get install pocketsphinx-testdata"
    r = cli("transcribe", "--json", "--model", "whisper-base", "--language", "en", *[LIBRIVOX / f"{k}.wav" for k in refs])
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    assert {res["model"] for res in results} == {"whisper-base"}
    hyps = {res["file"].rsplit("/", 1)[-1][:-4]: res["text"] for res in results}
    rate = wer(list(refs.values()), [hyps[k] for k in refs])
    print(f"Whisper base, LibriVox WER over five clips: {rate:.3f}")
    assert rate <= 0.06, hyps


@pytest.mark.slow  # real speech recognition of five LibriVox clips (~6 s)
def test_librivox_word_error_rate(cli):
    refs = _references()
    assert len(refs) == 5, f"expected the five LibriVox clips in {LIBRIVOX}: sudo apt-get install pocketsphinx-testdata"
    files = [LIBRIVOX / f"{name}.wav" for name in refs]
    r = cli("transcribe", "--json", *files)
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    assert [res["engine"] for res in results] == ["whisper"] * 5  # the default with no English Vosk model
    hyps = {res["file"].rsplit("/", 1)[-1][:-4]: res["text"] for res in results}
    rate = wer(list(refs.values()), [hyps[k] for k in refs])
    print(f"LibriVox WER over five clips: {rate:.3f}")
    assert rate <= 0.15
    for res in results:
        starts = [w["start"] for w in res["words"]]
        assert starts == sorted(starts)
        assert all(0 <= w["confidence"] <= 1 for w in res["words"])
        assert abs(res["audio_seconds"] - read_wav(res["file"]).seconds) < 0.01  # the whole clip
        assert res["processing_seconds"] > 0


@pytest.mark.slow  # ~3 s
def test_say_then_transcribe_round_trip(cli, tmp_path):
    """What `say` writes is a WAV the recognizer reads back, and the sentence said by
    a natural voice (Piper, as a student sounds) comes back nearly word for word.
    The student is a natural voice because espeak-ng's formant voice is what the
    recognizer misheard here ("good at" heard "going to be"), not the pipeline."""
    from assistant.simulate.voices import NATURAL, StudentVoices

    sentence = "My name is Maya and I am good at drawing, building with Lego and helping my friends."
    out = tmp_path / "said.wav"
    r = cli("say", "--out", out, sentence)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""  # pyttsx3's "Audio saved to ..." chatter stays off the screen
    r = cli("transcribe", out)
    assert r.returncode == 0 and r.stdout.strip(), r.stderr  # our own TTS output is read and heard
    voices = StudentVoices()
    try:
        student = write_wav(tmp_path / "student.wav", voices.pcm(sentence, NATURAL[0]), 16000)
    finally:
        voices.close()
    r = cli("transcribe", student)
    assert r.returncode == 0, r.stderr
    said, heard = normalize_words(sentence), set(normalize_words(r.stdout))
    kept = sum(w in heard for w in said) / len(said)
    assert kept >= 0.9, (kept, r.stdout)


def test_say_rate_changes_the_duration(cli, tmp_path):

    slow, fast = tmp_path / "slow.wav", tmp_path / "fast.wav"
    text = "Does extended time help you? Yes, no, or not sure?"
    assert cli("say", "--rate", "110", "--out", slow, text).returncode == 0
    assert cli("say", "--rate", "220", "--out", fast, text).returncode == 0
    assert read_wav(slow).seconds > 1.5 * read_wav(fast).seconds


def test_silence_gives_an_empty_transcript(cli, tmp_path):
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(16000 * 3, np.int16), 16000)
    r = cli("transcribe", "--json", quiet)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["text"] == ""
    assert "no speech" in r.stderr


@pytest.mark.slow  # ~4 s
def test_whisper_grammar_maps_free_text_to_an_allowed_answer(cli, speech):
    r = cli("transcribe", "--grammar", "yes,no,not sure", speech("yes"), speech("not sure"), speech("purple elephants"))
    assert r.returncode == 0, r.stderr
    lines = [ln.split(": ", 1)[1] if ": " in ln else "" for ln in r.stdout.splitlines()]
    assert lines == ["yes", "not sure", ""], r.stdout


@pytest.mark.slow  # two minutes of real speech recognised (~25 s)
def test_a_ten_minute_answer_is_capped_and_nothing_crashes(whisper):
    """The live path stops recording at the cap (2 minutes) and still transcribes it."""
    from assistant.simulate.microphone import SimulatedMicrophone
    from assistant.speech.endpoint import EndpointConfig, State
    from assistant.speech.listen import listen

    clip = read_wav(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav").to_pcm16()
    ten_minutes = np.tile(clip, int(600 * 16000 / len(clip)) + 1)
    heard = listen(whisper, SimulatedMicrophone(ten_minutes), EndpointConfig(max_seconds=120))
    assert heard.state == State.CAPPED
    assert 119.5 < len(heard.audio) / 16000 <= 120.5
    assert heard.transcript.text.lower().count("dashwood") >= 5


@pytest.mark.slow  # a 30 s answer recognised
def test_whisper_decodes_during_a_long_answer(whisper):
    """A long answer is decoded in stretches while it is spoken; the words keep
    their times in the whole recording, and the wait after the answer is short."""
    from assistant.bench.material import answer_of, librivox
    from assistant.evaluate import normalize_words

    rec = whisper
    clips = librivox()
    pcm = answer_of([p for p, _ in clips], 30)
    stream = rec.stream()
    for i in range(0, len(pcm), 1600):
        stream.accept(pcm[i : i + 1600])
    decoded_before_the_end = len(stream._segments)
    t = stream.finish()
    assert decoded_before_the_end >= 2  # stretches went to the decoder during the speech
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and starts[-1] > 20  # times are in the whole answer, not per stretch
    said = set(normalize_words(t.text))
    assert {"dashwood", "selfish", "respectable", "amiable"} <= said  # words from the first, middle and last clips


@pytest.mark.slow  # two answers recognised, one decoded twice (~5 s)
def test_a_short_answer_is_decoded_during_the_hang_over(whisper, speech):
    """After a pause, the stretch since the last cut is decoded speculatively: if
    the student says nothing more, that decode is the transcript and finish() has
    nothing left to decode; if they go on, it is dropped and nothing is lost."""
    from assistant.evaluate import normalize_words

    rec = whisper
    silence = np.zeros(16000, np.int16)  # more than the 0.35 s pause, less than the 1.2 s hang-over
    first = read_wav(speech("I like drawing and reading", speed=150)).to_pcm16()
    second = read_wav(speech("and swimming in the lake", speed=150)).to_pcm16()

    def feed(stream, pcm):
        for i in range(0, len(pcm), 800):
            stream.accept(pcm[i : i + 800])

    ended = rec.stream()
    feed(ended, np.concatenate([first, silence]))
    t = ended.finish()
    assert {"drawing", "reading"} <= set(normalize_words(t.text)), t.text
    assert ended.dropped == 0 and ended.ended_at_pause  # nothing was left to decode

    went_on = rec.stream()
    feed(went_on, np.concatenate([first, silence, second, silence]))
    t = went_on.finish()
    assert went_on.dropped == 1 and not went_on.ended_at_pause  # the pause after "reading" was not the end
    assert {"drawing", "swimming", "lake"} <= set(normalize_words(t.text)), t.text
    assert t.words[-1].start > len(first) / 16000  # times in the whole answer

    # a sound too short to start an answer (60 ms) still means the pause was not the end
    blip = (8000 * np.sin(np.arange(960) / 16000 * 2 * np.pi * 300)).astype(np.int16)
    short = rec.stream()
    feed(short, np.concatenate([first, silence, blip, silence]))
    short.finish()
    assert short.dropped == 1  # the decode that ended at the pause was replaced by one that has the blip


def whisper_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("whisper")]


def test_closing_whisper_ends_its_decoding_thread():
    """Who loads a recognizer closes it; for Whisper that ends its decoding thread."""
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer, transcribe_pcm

    before = whisper_threads()
    with load_recognizer(choose_model()) as rec:
        transcribe_pcm(rec, np.zeros(16000, np.int16))  # silence: a decode on the recognizer's thread
        stream = rec.stream()
        stream.accept(np.zeros(1600, np.int16))
        stream.finish()
        assert len(whisper_threads()) > len(before)
    assert whisper_threads() == before
    with pytest.raises(RuntimeError, match="closed"):
        rec.stream()
    rec.close()  # closing twice is harmless


def test_the_bare_engine_call_hears_what_our_pipeline_hears(whisper, speech):
    """The benchmark's baseline (bare_decode) is the engine with our settings: same words."""
    from assistant.speech.asr import transcribe_pcm

    pcm = read_wav(speech("I am good at drawing and building things", speed=150)).to_pcm16()
    bare = " ".join(s.text.strip() for s in whisper.bare_decode(pcm))
    assert bare and bare == transcribe_pcm(whisper, pcm).text


@pytest.mark.slow  # Whisper base loaded, two short decodes (~10 s)
def test_the_multilingual_model_hears_the_language_it_is_given(cli, speech):
    """base takes the session's language: Spanish speech asked for as Spanish comes
    back in Spanish words (the model layer assumes no English)."""
    wav = speech("me gusta dibujar y jugar al fútbol con mis amigos", voice="es", speed=140)
    r = cli("transcribe", "--json", "--model", "whisper-base", "--language", "es", wav)
    assert r.returncode == 0, r.stderr
    heard = set(normalize_words(json.loads(r.stdout)["text"], "es"))
    # espeak-ng's "dibujar" is misheard; the language is not (compared as Spanish is: "fútbol" is "futbol")
    assert set(normalize_words("gusta amigos fútbol", "es")) <= heard, heard


def test_the_token_bound_follows_the_audio_length():
    """A decode stuck repeating itself stops near what the audio can hold, not at 448 tokens."""
    from assistant.speech.asr import FASTER_WHISPER_DEFAULTS, DecodeSettings

    kept = DecodeSettings()
    assert kept.temperatures == (0.0,)  # one decode: no fallback re-decoding at higher temperatures
    assert kept.max_new_tokens(1.0) == 24 and kept.max_new_tokens(5.0) == 56
    assert kept.max_new_tokens(30.0) == kept.max_new_tokens(120.0) == 200  # per 30 s window, within Whisper's 448
    assert FASTER_WHISPER_DEFAULTS.max_new_tokens(5.0) is None
