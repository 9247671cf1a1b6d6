"""The whole benchmark: every installed engine, then the program around it; the
results written to ``out_dir`` (benchmarks.json, .md, .png). Everything it makes
on the way (speech, data folders, a PulseAudio daemon's runtime folder) is in a
temporary folder removed at the end, also when a measure fails."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistant.bench import hearing, program, recognition, screen
from assistant.bench.material import (
    ANSWERS,
    KOREAN,
    LIBRIVOX,
    SPANISH_ANSWERS,
    SYNTHETIC,
    MissingMaterial,
    espeak,
    librivox,
)
from assistant.bench.report import plot, report
from assistant.evaluate import wer
from assistant.speech.asr import transcribe_pcm


def run(quick: bool, out_dir: Path, librivox_dir: Path = LIBRIVOX, log: Callable[[str], None] = print) -> dict:
    """Measure, write the results to ``out_dir``, and return them. ``quick``: fewer
    repeats and shorter answers (a check that it all works, for CI)."""
    with tempfile.TemporaryDirectory(prefix="iep-bench-") as folder:
        results = _measure(quick, Path(librivox_dir), Path(folder), log)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmarks.json").write_text(json.dumps(results, indent=1))
    plot(results, out_dir / "benchmarks.png")
    (out_dir / "benchmarks.md").write_text(report(results))
    return results


BEFORE_MODEL = "whisper-tiny.en"  # the English default before Whisper base could be installed
SNR_DB = 15.0  # room noise: pink noise 15 dB below the speech


def _before(rec, clips, human, said, voices, answers, budget_s, log) -> dict:
    """tiny.en with the settings the assistant had (faster-whisper's own defaults for
    temperature and token limit): accuracy on clean answers and LibriVox, and latency once."""
    from assistant.speech.asr import FASTER_WHISPER_DEFAULTS

    old = hearing.with_settings(rec, FASTER_WHISPER_DEFAULTS)
    log("bench:   before: tiny.en with the earlier decoding settings")
    try:
        out: dict = {"model": rec.model.name, "settings": dataclasses.asdict(FASTER_WHISPER_DEFAULTS)}
        if human is not None:
            out["wer_librivox"] = wer([r for _, r in human], [transcribe_pcm(rec, p).text for p, _ in human], "en")
        out["answers"] = hearing.answers(rec, said, voices, answers, [None], log, budget_s=budget_s)
        out["latency"] = recognition.latency(rec, clips, [5], 1, log)
    finally:
        hearing.with_settings(rec, old)
    return out


def _spanish(quick: bool, said: hearing.Speech, log: Callable[[str], None], budget_s: float | None = None) -> dict:
    """A Spanish student heard as a Spanish session hears them: the model
    ``choose_model`` picks for Spanish (multilingual Whisper base, decoding in
    Spanish), every phrase of the Spanish vocabulary through the live path with the
    Spanish grammar and hot words, and the Spanish answers' WER, in espeak-ng's
    Spanish voices (no Piper voice speaks Spanish here). ``quick``: a spread of the
    phrases (about 8, whatever the vocabulary's size: about 40 s on two idle
    cores) and answers; else all of them in every voice, or what ``budget_s``
    seconds a voice allow (a fixed shuffled spread; ``n`` says how many)."""
    from assistant.errors import UserError
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer

    phrases = hearing.spoken_phrases("es")
    voices = hearing.SPANISH_VOICES
    answers = SPANISH_ANSWERS[::8] if quick else SPANISH_ANSWERS
    answer_voices = voices[:1] if quick else voices
    measured = phrases[:: max(1, len(phrases) // 8)] if quick else phrases
    try:
        model = choose_model("whisper", None, "es")
    except UserError as e:
        log(f"bench: Spanish left out: {e}")
        return {"missing": str(e)}
    log(f"bench: Spanish, {model.name}")
    out: dict = {"model": model.name, "voices": [v.name for v in voices], "answer_voices": [v.name for v in answer_voices],
                 "phrases": len(measured), "of_phrases": len(phrases), "answers": len(answers),
                 "of_answers": len(SPANISH_ANSWERS)}
    with load_recognizer(model) as rec:
        log("bench:   Spanish commands and yes/no")
        out["commands"] = hearing.commands(rec, said, voices, measured, log, budget_s, language="es")
        log("bench:   Spanish answers")
        out["answers_wer"] = hearing.answers(rec, said, answer_voices, answers, [None], log, budget_s=budget_s,
                                             language="es")["clean"]
    return out


def _measure(quick: bool, librivox_dir: Path, tmp: Path, log: Callable[[str], None]) -> dict:
    from assistant.models import MULTILINGUAL, choose_model, installed_models
    from assistant.speech.asr import load_recognizer

    reps = 2 if quick else 3
    # short answers take a fraction of a second each and are the noisiest: they get more pairs,
    # so each row is measured for about as long as the others
    # The scale is what two shared cores finish in about an hour with three models
    # (Whisper base decodes a short answer in 1-5 s there): see docs/benchmarks.md.
    def pairs_for(secs: int) -> int:
        return 2 if quick else (6 if secs <= 5 else 2)
    # --quick leaves out the 30 s clips: they were a fifth of its time (Vosk's pair alone 46 s under load)
    lengths = [5] if quick else [5, 30]
    latency_lengths, latency_repeats = ([5], 1) if quick else ([5, 30], 2)
    voices = [("en-us", 150)] if quick else [("en-us", 150), ("en", 150)]
    sentences = SYNTHETIC[: 3 if quick else None]
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                                 "load_at_start": os.getloadavg()[0]},
                     "quick": quick, "repeats": reps}

    try:
        human = librivox(librivox_dir)
        english = [pcm for pcm, _ in human]
        results["librivox"] = {"folder": str(librivox_dir), "clips": len(human)}
    except MissingMaterial as e:
        # the benchmark goes on without them: English is then measured on espeak-ng speech
        log(f"bench: {e}; the LibriVox word error rate is left out, and English is measured on espeak-ng speech")
        human = None
        english = [espeak(t, "en-us", 150, tmp) for t in SYNTHETIC]
        results["librivox"] = {"folder": str(librivox_dir), "clips": 0, "missing": str(e)}
    korean = [espeak(t, "ko", 140, tmp) for t in KOREAN]
    speech = {"en": english, "ko": korean}

    results["engines"], results["not_measured"] = {}, {}
    results["default_model"] = choose_model("whisper", None, "en").name
    # what the students say: rendered once, heard by every model and setting
    said = hearing.Speech()
    phrases = hearing.spoken_phrases()
    # one natural and one espeak-ng voice (the full sets: hearing.NATURAL_VOICES, ESPEAK_VOICES)
    voice_pair = [hearing.NATURAL_VOICES[0], hearing.ESPEAK_VOICES[0]]
    # --quick checks that every measure works (the test suite runs it), on a few
    # items each: it took 12 of CI's 41 minutes with a tenth of the phrases
    answers = ANSWERS[::15] if quick else ANSWERS
    if quick:
        phrases = phrases[::30]
    step_answers = ANSWERS[::22] if quick else ANSWERS[::6]
    # time budgets (s) for one voice (and noise): a spread of the material is measured in it, and the
    # report says how much (None: all of it)
    command_budget, answer_budget = (None, None) if quick else (240.0, 120.0)
    results["hearing"] = {"phrases": len(phrases), "answers": len(answers), "snr_db": SNR_DB,
                          "natural_voices": [voice_pair[0].name], "espeak_voices": [voice_pair[1].name],
                          "steps_material": {"answers": len(step_answers), "voices": [voice_pair[0].name],
                                             "noise": "clean"},
                          "budgets_s": {"commands": command_budget, "answers": answer_budget}}
    try:
        for m in installed_models():
            if m.engine not in ("whisper", "vosk"):
                continue
            log(f"bench: {m.engine} {m.name}")
            language = "en" if m.language == MULTILINGUAL else m.language  # a multilingual model measured in English
            t0 = time.perf_counter()
            with load_recognizer(choose_model(m.engine, m.name, language)) as rec:
                load = time.perf_counter() - t0
                if rec.language not in speech:
                    log(f"bench:   no test speech in '{rec.language}': left out")
                    results["not_measured"][m.name] = f"no test speech in '{rec.language}'"
                    continue
                clips = speech[rec.language]
                entry: dict = {"language": rec.language, "load_seconds": load}
                default = m.name == results["default_model"]
                if m.engine == "whisper" and rec.language == "en":
                    entry["settings"] = dataclasses.asdict(rec.settings)  # type: ignore[attr-defined]
                    if m.name == BEFORE_MODEL:
                        # before: the settings the assistant decoded with until this benchmark chose others
                        results["before"] = _before(rec, clips, human, said, voice_pair[:1], answers, answer_budget, log)
                    if default:
                        log("bench:   decoding settings, one change after another")
                        entry["settings_steps"] = hearing.settings_steps(rec, said, voice_pair[:1], step_answers, [None], log)
                entry["rtf"], entry["overhead"] = recognition.speed(rec, clips, lengths, pairs_for, log)
                entry["latency"] = recognition.latency(rec, clips, latency_lengths, latency_repeats, log)
                if rec.language == "en":
                    entry.update(recognition.accuracy_english(rec, human, voices, sentences, tmp, log))
                    if m.engine == "whisper":
                        if default or quick:
                            # every phrase: what a session must never get wrong (the default model's; the
                            # other's only when time allows, see the scale above)
                            log("bench:   commands and yes/no")
                            entry["commands"] = hearing.commands(rec, said, voice_pair, phrases, log, command_budget)
                        log("bench:   answers")
                        noises: list[float | None] = [None, SNR_DB] if default or quick else [None]
                        entry["answers"] = hearing.answers(rec, said, voice_pair, answers, noises, log,
                                                           budget_s=answer_budget)
                else:
                    entry.update(recognition.accuracy_korean(rec, KOREAN, korean, log))
            if m.engine == "whisper":
                entry["peak_rss_mb"] = program.transcribe_rss(m.name, tmp)
            results["engines"][m.name] = entry
        results["spanish"] = _spanish(quick, said, log)
    finally:
        said.close()

    results["tts"] = program.tts(reps)
    results["storage"] = program.storage(tmp, 50 if quick else 200)
    results["startup"] = program.startup(tmp, 1 if quick else 3)
    log("bench: a spoken session on virtual devices")
    results["spoken"] = program.spoken(tmp, 2 if quick else 3, log)
    log("bench: the student's screen in a browser on virtual devices")
    # --quick: one run shows every measure works; the page's timing has its own test (test_screen_spoken)
    results["screen"] = screen.screen(tmp, 1 if quick else 3, log)
    if not quick:
        results["session_rss"] = program.session_rss(tmp)
    # other work on the machine slows every decode: the load (runnable processes, 1-minute average) says how much
    results["machine"]["load_at_end"] = os.getloadavg()[0]
    return results
