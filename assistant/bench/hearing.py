"""Does the assistant hear the student right? Commands and yes/no words, and
answers, said by natural voices (Piper) and espeak-ng voices, clean and with
room noise, recognized as a session recognizes them; and the decoding settings
and the question's context, each measured on the same material.

The phrases and what they mean come from the one vocabulary
(``assistant.dialogue.vocabulary``), and a transcript is read as the session
reads it (``session.heard_at_yes_no``, ``commands.command_of``, ``lexicon.yes_no``).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.evaluate import wer
from assistant.session import heard_at_yes_no
from assistant.simulate.voices import JOE, ROBOTIC, SPANISH, StudentVoices, VoiceSpec
from assistant.speech.asr import DecodeSettings, Recognizer, transcribe_pcm

Log = Callable[[str], None]

# 2 natural voices x 2 rates (the child-like voice is the same Piper voice pitched up a third)
NATURAL_VOICES = [
    VoiceSpec("piper joe", "piper", JOE, length_scale=1.0),
    VoiceSpec("piper joe slow", "piper", JOE, length_scale=1.25),
    VoiceSpec("piper child-like", "piper", JOE, length_scale=1.0, pitch=1.25),
    VoiceSpec("piper child-like slow", "piper", JOE, length_scale=1.25, pitch=1.25),
]
ESPEAK_VOICES = ROBOTIC
# Spanish: espeak-ng's Latin American, Spain's and a woman's variant (no Piper voice
# speaks Spanish here), so a phrase is right in more than one voice before it counts
SPANISH_VOICES = SPANISH


@dataclass(frozen=True)
class Phrase:
    text: str
    meaning: str  # a command's value ("that's all"), or "yes" / "no" / "not sure"
    asked: str  # "open": said at an open question; "yes_no": said to a yes/no question


def spoken_phrases(language: str = "en") -> list[Phrase]:
    """Every phrase of the vocabulary in ``language`` (read from it: the list grows
    with it): a command is said at an open question, yes, no and not sure to a
    yes/no question."""
    from assistant.dialogue.vocabulary import ANSWERS, phrases

    return [Phrase(text, meaning.value, "yes_no" if meaning in ANSWERS else "open") for text, meaning in phrases(language)]


def meaning_of(text: str, asked: str, language: str = "en") -> str | None:
    """What the session takes ``text`` to mean: a command (at any question), else at
    a yes/no question yes, no or not sure; None: an answer (open question) or
    nothing understood (yes/no question)."""
    from assistant.dialogue.commands import command_of
    from assistant.lexicon import yes_no

    command = command_of(text, language)
    if command is not None and not (asked == "yes_no" and yes_no(text, language)):
        return command.value
    return yes_no(text, language) if asked == "yes_no" else None


def session_listening(asked: str, language: str = "en") -> tuple[list[str] | None, list[str]]:
    """The grammar and hints a session listens with (``session.ListeningEars``): the
    vocabulary's, in the session's language."""
    from assistant.dialogue import vocabulary
    from assistant.session import yes_no_grammar

    return (yes_no_grammar(language) if asked == "yes_no" else None), vocabulary.hints(language)


# ---------------------------------------------------------------- material

class Speech:
    """Renders (and keeps) what the simulated students say, so every model and
    setting hears the very same audio."""

    def __init__(self) -> None:
        self._voices = StudentVoices()
        self._kept: dict[tuple[str, VoiceSpec], np.ndarray] = {}

    def pcm(self, text: str, spec: VoiceSpec) -> np.ndarray:
        key = (text, spec)
        if key not in self._kept:
            pcm = self._voices.pcm(text, spec)
            # a student takes a breath before and after: 0.3 s of quiet each side
            pad = np.zeros(int(0.3 * SAMPLE_RATE), np.int16)
            self._kept[key] = np.concatenate([pad, pcm, pad])
        return self._kept[key]

    def close(self) -> None:
        self._voices.close()


def pink_noise(n: int, seed: int) -> np.ndarray:
    """Seeded pink (1/f) noise, unit RMS: the spectrum of a room's hum and chatter,
    the same every run."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum /= np.sqrt(np.maximum(f, 20.0))  # 1/f power below 20 Hz kept flat
    x = np.fft.irfft(spectrum, n)
    return x / (np.sqrt(np.mean(x**2)) or 1.0)


def with_noise(pcm: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """``pcm`` with pink noise at ``snr_db`` below the speech (its loud frames'
    power, so the padding around the speech does not count as speech)."""
    x = pcm.astype(np.float64)
    frames = x[: len(x) // 480 * 480].reshape(-1, 480)
    power = np.mean(frames**2, axis=1)
    speech_power = float(np.mean(power[power > 0.1 * power.max()])) if power.size and power.max() > 0 else 0.0
    noise = pink_noise(len(x), seed) * np.sqrt(speech_power / 10 ** (snr_db / 10))
    return np.clip(x + noise, -32768, 32767).astype(np.int16)


# ---------------------------------------------------------------- measures

def _taken(items: list, budget_s: float | None):
    """Yield ``items`` (shuffled, fixed order) until ``budget_s`` seconds have passed."""
    order = list(items)
    random.Random(11).shuffle(order)
    started = time.monotonic()
    for x in order:
        if budget_s is not None and time.monotonic() - started >= budget_s:
            return
        yield x


def commands(rec: Recognizer, speech: Speech, voices: list[VoiceSpec], phrases: list[Phrase], log: Log,
             budget_s: float | None = None, language: str = "en") -> dict:
    """Each phrase in each voice, recognized as a session does (the grammar and hot
    words of ``session_listening``), judged by ``meaning_of``: right when it means
    what was said; "stored" when a command came out as an answer at an open
    question (the session would keep it as the student's words). ``budget_s``: at
    most this long a voice (the phrases measured are then a spread of them, and
    ``n`` says how many)."""
    out: dict = {}
    for spec in voices:
        right, stored, wrong = 0, 0, []
        n = 0
        for ph in _taken(phrases, budget_s):
            n += 1
            grammar, hints = session_listening(ph.asked, language)
            # as ListeningEars: a recognizer with a grammar graph decodes within it; the
            # others decode freely and their transcript is read as the session reads it
            constrained = grammar if grammar is not None and rec.supports_grammar else None
            heard = transcribe_live(rec, speech.pcm(ph.text, spec), constrained, hints)
            if grammar is not None and constrained is None:
                heard, _ = heard_at_yes_no(heard, [], grammar, language)
            meaning = meaning_of(heard, ph.asked, language)
            if meaning == ph.meaning:
                right += 1
            else:
                wrong.append({"said": ph.text, "heard": heard})
                log(f"bench:       {spec.name}: \"{ph.text}\" heard \"{heard}\"")
                stored += ph.asked == "open" and meaning is None and bool(heard.strip())
        out[spec.name] = {"right": right, "n": n, "of": len(phrases), "stored_as_answer": stored, "wrong": wrong}
        log(f"bench:     {spec.name}: {right}/{n} right, {stored} stored as an answer")
    return out


def transcribe_live(rec: Recognizer, pcm: np.ndarray, grammar: list[str] | None, hints: list[str] | None,
                    context: str | None = None) -> str:
    """What a live stream makes of ``pcm`` (in 50 ms chunks, at once): a session's
    short utterance goes through the live path, speculative decode and hot-word
    second pass included."""
    s = rec.stream(grammar, hints, live=True, context=context)
    for i in range(0, len(pcm), 800):
        s.accept(pcm[i : i + 800])
    s.accept(np.zeros(int(1.3 * SAMPLE_RATE), np.int16))  # the hang-over's quiet: the pause is seen
    return s.finish().text


def answers(rec: Recognizer, speech: Speech, voices: list[VoiceSpec], material: list[tuple[str, str]],
            noises: list[float | None], log: Log, context: bool = False, budget_s: float | None = None,
            language: str = "en") -> dict:
    """Word error rate of ``material`` (question, answer) in each voice, clean
    (None) and at each SNR, decoded as a file; per voice and noise, with the
    decoding time (sum and worst). ``budget_s``: at most this long a voice and
    noise (a spread of the answers is then measured; ``n`` answers, ``words``)."""
    out: dict = {}
    for noise in noises:
        key = "clean" if noise is None else f"snr{noise:g}"
        out[key] = {}
        for spec in voices:
            refs, hyps, times = [], [], []
            for i, question, text in _taken([(i, q, t) for i, (q, t) in enumerate(material)], budget_s):
                pcm = speech.pcm(text, spec)
                if noise is not None:
                    pcm = with_noise(pcm, noise, seed=i)
                t0 = time.perf_counter()
                heard = transcribe_pcm(rec, pcm, context=question if context else None).text
                times.append(time.perf_counter() - t0)
                refs.append(text)
                hyps.append(heard)
            errors = [{"said": r, "heard": h} for r, h in zip(refs, hyps, strict=True) if wer([r], [h], language) > 0]
            out[key][spec.name] = {"wer": wer(refs, hyps, language), "n": len(refs), "of": len(material),
                                   "words": sum(len(r.split()) for r in refs), "decode_s": sum(times),
                                   "worst_decode_s": max(times), "errors": errors[:8]}
            log(f"bench:     {key} {spec.name}: WER {out[key][spec.name]['wer']:.3f}, decoding {sum(times):.1f} s "
                f"(worst {max(times):.2f} s)")
    return out


def pooled(by_voice: dict, natural: bool) -> float | None:
    """The WER over every voice of a kind (natural or espeak-ng), weighted by words."""
    names = {v.name for v in (NATURAL_VOICES if natural else ESPEAK_VOICES)}
    rows = [r for name, r in by_voice.items() if name in names]
    weight = [r.get("words", r["n"]) for r in rows]
    return sum(r["wer"] * w for r, w in zip(rows, weight, strict=True)) / sum(weight) if rows and sum(weight) else None


def share_right(by_voice: dict, natural: bool | None) -> float | None:
    """The share of phrases right over every voice of a kind (None: every voice there is)."""
    names = {v.name for v in (NATURAL_VOICES if natural else ESPEAK_VOICES)}
    rows = [r for name, r in by_voice.items() if natural is None or name in names]
    return sum(r["right"] for r in rows) / sum(r["n"] for r in rows) if rows and sum(r["n"] for r in rows) else None


def pooled_all(by_voice: dict) -> float | None:
    """The WER over every voice there is, weighted by words."""
    rows = list(by_voice.values())
    weight = [r.get("words", r["n"]) for r in rows]
    return sum(r["wer"] * w for r, w in zip(rows, weight, strict=True)) / sum(weight) if rows and sum(weight) else None


def with_settings(rec: Recognizer, settings: DecodeSettings | None) -> DecodeSettings | None:
    """Decode with ``settings`` from now on (a Whisper recognizer); gives the ones it
    had. Other engines have no such settings: None."""
    old = getattr(rec, "settings", None)
    if old is not None and settings is not None:
        rec.settings = settings  # type: ignore[attr-defined]
    return old


KEPT = {"temperatures": (0.0,), "tokens_per_second": 8.0}  # what the steps below showed helps (DecodeSettings())
SETTINGS_STEPS: list[tuple[str, dict]] = [
    ("before: faster-whisper's defaults (temperature fallback 0-1.0, no token bound)", {}),
    ("temperature 0 only", {"temperatures": (0.0,)}),
    ("+ max_new_tokens bounded by the audio's length (kept: the default)", KEPT),
    ("kept + without_timestamps", {**KEPT, "without_timestamps": True}),
    ("kept, no VAD filter", {**KEPT, "vad_filter": False}),
    ("kept + the question as initial prompt", {**KEPT, "context": True}),
]


def settings_steps(rec: Recognizer, speech: Speech, voices: list[VoiceSpec], material: list[tuple[str, str]],
                   noises: list[float | None], log: Log) -> list[dict]:
    """Each decoding change, one after the other, on the same material: WER by kind
    of voice and noise, and decoding time."""
    from assistant.speech.asr import FASTER_WHISPER_DEFAULTS

    old = getattr(rec, "settings", None)
    rows = []
    try:
        for label, change in SETTINGS_STEPS:
            settings = dataclasses.replace(FASTER_WHISPER_DEFAULTS, **change)
            with_settings(rec, settings)
            log(f"bench:   settings: {label}")
            r = answers(rec, speech, voices, material, noises, log, context=settings.context)
            rows.append({"label": label, "settings": dataclasses.asdict(settings), "results": r})
    finally:
        with_settings(rec, old)
    return rows


# ---------------------------------------------------------------- on its own

def main(argv: list[str] | None = None) -> int:
    """``python -m assistant.bench.hearing --out FILE.json [--models A,B]``: the
    hearing measures alone, on ALL the material (no time budget): every phrase of
    the vocabulary in two natural voices (piper joe at two rates) and one espeak-ng
    voice with the default model, and every answer, clean and at 15 dB SNR, in a
    natural and an espeak-ng voice, for each model. For a machine with the time
    to spare; ``iep-assistant bench`` measures a spread of the same within budgets."""
    import argparse
    import json
    from pathlib import Path

    from assistant.bench.material import ANSWERS
    from assistant.models import find_model
    from assistant.speech.asr import load_recognizer

    p = argparse.ArgumentParser(prog="python -m assistant.bench.hearing")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--models", default="whisper-base,whisper-tiny.en", help="the first one's commands are measured too")
    p.add_argument("--language", default="en", choices=["en", "es"],
                   help="es: the Spanish measures alone (the model a Spanish session uses, every phrase and answer "
                        "in every Spanish voice)")
    p.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                   help="with --language es: at most this long a voice for the commands, and for the answers (a fixed "
                        "shuffled spread is measured; the results say how much)")
    args = p.parse_args(argv)
    log: Log = lambda line: print(line, flush=True)  # noqa: E731
    if args.language == "es":
        from assistant.bench.runner import _spanish

        speech = Speech()
        try:
            spanish = _spanish(False, speech, log, args.budget)
        finally:
            speech.close()
        args.out.write_text(json.dumps(spanish, indent=1, ensure_ascii=False))
        return 0
    speech = Speech()
    results: dict = {"phrases": len(spoken_phrases()), "answers": len(ANSWERS), "models": {}}
    try:
        for i, name in enumerate(args.models.split(",")):
            with load_recognizer(find_model(name)) as rec:
                entry: dict = {}
                if i == 0:
                    log(f"{name}: commands and yes/no")
                    entry["commands"] = commands(rec, speech, [*NATURAL_VOICES[:2], ESPEAK_VOICES[0]], spoken_phrases(), log)
                log(f"{name}: answers")
                entry["answers"] = answers(rec, speech, [NATURAL_VOICES[0], ESPEAK_VOICES[0]], ANSWERS, [None, 15.0], log)
                results["models"][name] = entry
    finally:
        speech.close()
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
