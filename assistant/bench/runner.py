"""The whole benchmark: every installed engine, then the program around it; the
results written to ``out_dir`` (benchmarks.json, .md, .png). Everything it makes
on the way (speech, data folders, a PulseAudio daemon's runtime folder) is in a
temporary folder removed at the end, also when a measure fails."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistant.bench import program, recognition
from assistant.bench.material import (
    KOREAN,
    LIBRIVOX,
    SYNTHETIC,
    MissingMaterial,
    espeak,
    librivox,
)
from assistant.bench.report import plot, report


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


def _measure(quick: bool, librivox_dir: Path, tmp: Path, log: Callable[[str], None]) -> dict:
    from assistant.models import choose_model, installed_models
    from assistant.speech.asr import load_recognizer

    reps = 2 if quick else 3
    # short answers take a fraction of a second each and are the noisiest: they get more pairs,
    # so each row is measured for about as long as the others
    def pairs_for(secs: int) -> int:
        return 2 if quick else (18 if secs <= 5 else 6)
    lengths = [5, 30] if quick else [5, 30, 120]
    latency_lengths, latency_repeats = ([5], 1) if quick else ([5, 30], 3)
    voices = [("en-us", 150)] if quick else [("en-us", 130), ("en-us", 170), ("en", 150), ("en-gb-x-rp", 150)]
    sentences = SYNTHETIC[: 3 if quick else None]
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
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
    for m in installed_models():
        if m.engine not in ("whisper", "vosk"):
            continue
        log(f"bench: {m.engine} {m.name}")
        t0 = time.perf_counter()
        with load_recognizer(choose_model(m.engine, m.name, m.language)) as rec:
            load = time.perf_counter() - t0
            if rec.language not in speech:
                log(f"bench:   no test speech in '{rec.language}': left out")
                results["not_measured"][m.name] = f"no test speech in '{rec.language}'"
                continue
            clips = speech[rec.language]
            entry: dict = {"language": rec.language, "load_seconds": load}
            entry["rtf"], entry["overhead"] = recognition.speed(rec, clips, lengths, pairs_for, log)
            entry["latency"] = recognition.latency(rec, clips, latency_lengths, latency_repeats, log)
            if rec.language == "en":
                entry.update(recognition.accuracy_english(rec, human, voices, sentences, tmp, log))
            else:
                entry.update(recognition.accuracy_korean(rec, KOREAN, korean, log))
        results["engines"][m.name] = entry

    results["tts"] = program.tts(reps)
    results["storage"] = program.storage(tmp, 50 if quick else 200)
    results["startup"] = program.startup(tmp, 1 if quick else 3)
    log("bench: a spoken session on virtual devices")
    results["spoken"] = program.spoken(tmp, 2 if quick else 5, log)
    if not quick:
        results["session_rss"] = program.session_rss(tmp)
    return results
