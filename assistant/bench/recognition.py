"""Each engine measured through our pipeline: speed by answer length against the
bare engine (paired runs), turn-taking latency with audio fed in real time
through the live path, and error rates."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from assistant.bench.material import answer_of, espeak
from assistant.bench.measure import paired, summary
from assistant.evaluate import cer, wer
from assistant.simulate.microphone import RealtimeFeed
from assistant.speech.asr import Recognizer, transcribe_pcm
from assistant.speech.endpoint import EndpointConfig
from assistant.speech.listen import listen

Log = Callable[[str], None]


def speed(rec: Recognizer, clips: list[np.ndarray], lengths: list[int], pairs_for: Callable[[int], int],
          log: Log) -> tuple[dict, dict]:
    """Files decoded whole (``transcribe_pcm``) against ``rec.bare_decode`` on the
    same audio, alternately: the real-time factor by answer length, and ours /
    bare in wall-clock and CPU time."""
    rtf, overhead = {}, {}
    for secs in lengths:
        pcm = answer_of(clips, secs)
        pair = paired(partial(transcribe_pcm, rec, pcm), partial(rec.bare_decode, pcm), pairs_for(secs))
        rtf[str(secs)] = {k: (v / secs if k != "n" and v is not None else v) for k, v in pair["ours"].items()}
        overhead[str(secs)] = {"ours_rtf": pair["ours"]["median"] / secs, "bare_rtf": pair["bare"]["median"] / secs,
                               "ratio": pair["ratio"]["median"], "ratio_spread": [pair["ratio"]["min"], pair["ratio"]["max"]],
                               "cpu_ratio": pair["cpu_ratio"]["median"], "pairs": pair["ratio"]["n"]}
        log(f"bench:   {secs:>4} s answer: RTF {pair['ours']['median'] / secs:.3f} (bare {pair['bare']['median'] / secs:.3f}), "
            f"ours/bare {pair['ratio']['median']:.3f} wall, {pair['cpu_ratio']['median']:.3f} CPU")
    return rtf, overhead


def latency(rec: Recognizer, clips: list[np.ndarray], lengths: list[int], repeats: int, log: Log) -> dict:
    """Answers fed at the pace they were spoken through ``listen``: from the
    end-point (and from the end of speech) to the transcript, and the computing
    of the live path against decoding the same recording whole."""
    out = {}
    for secs in lengths:
        pcm = answer_of(clips, secs)
        lat, full, cpu_live, cpu_whole = [], [], [], []
        for _ in range(repeats):
            feed = RealtimeFeed(pcm)
            c0 = time.process_time()
            heard = listen(rec, feed, EndpointConfig(hangover=1.2, max_seconds=secs + 10))
            ready = time.perf_counter()
            # both set: listening ends in the quiet after the speech, so every chunk of speech was delivered
            assert feed.last_delivered_at is not None and feed.speech_ended_at is not None
            cpu_live.append(time.process_time() - c0)
            lat.append(ready - feed.last_delivered_at)  # the end-point was decided on the last chunk
            full.append(ready - feed.speech_ended_at)
            # the same recording decoded whole, as a file: the computing that decoding during the speech costs extra
            c0 = time.process_time()
            transcribe_pcm(rec, heard.audio)
            cpu_whole.append(time.process_time() - c0)
        ratios = [a / b for a, b in zip(cpu_live, cpu_whole, strict=True) if b > 0]
        out[str(secs)] = {"after_endpoint": summary(lat), "after_speech_end": summary(full),
                          "cpu_live_over_whole": summary(ratios)}
        log(f"bench:   latency after the end-point, {secs} s answer: {statistics.median(lat):.3f} s; "
            f"CPU live / whole {statistics.median(ratios):.2f}")
    return out


def accuracy_english(rec: Recognizer, librivox: list[tuple[np.ndarray, str]] | None, voices: list[tuple[str, int]],
                     sentences: list[str], folder: Path, log: Log) -> dict:
    """Word error rate on the LibriVox clips (left out without them), and word and
    character error rates on ``sentences`` said by espeak-ng ``voices``."""
    out: dict = {}
    if librivox is not None:
        out["wer_librivox"] = wer([r for _, r in librivox], [transcribe_pcm(rec, p).text for p, _ in librivox], "en")
    refs, hyps = [], []
    for voice, speed_wpm in voices:
        for text in sentences:
            refs.append(text)
            hyps.append(transcribe_pcm(rec, espeak(text, voice, speed_wpm, folder)).text)
    out["wer_synthetic"], out["cer_synthetic"] = wer(refs, hyps, "en"), cer(refs, hyps, "en")
    lv = f"{out['wer_librivox']:.3f}" if "wer_librivox" in out else "not measured"
    log(f"bench:   WER LibriVox {lv}, synthetic {out['wer_synthetic']:.3f}")
    return out


def accuracy_korean(rec: Recognizer, said: list[str], pcm: list[np.ndarray], log: Log) -> dict:
    """Error rates on Korean sentences said by espeak-ng, compared as Korean (no
    English number words), with what was heard of each."""
    hyps = [transcribe_pcm(rec, p).text for p in pcm]
    out = {"wer_synthetic": wer(said, hyps, "ko"), "cer_synthetic": cer(said, hyps, "ko"),
           "synthetic_examples": [{"said": r, "heard": h} for r, h in zip(said, hyps, strict=True)]}
    log(f"bench:   synthetic Korean: CER {out['cer_synthetic']:.3f}, WER {out['wer_synthetic']:.3f}")
    return out

