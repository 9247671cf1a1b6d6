"""Speech recognition: one streaming interface, two engines (Vosk, faster-whisper).

``load_recognizer(model)`` loads a model's weights into a ``Recognizer``, which
belongs to the caller: it closes it (``close()``, or ``with``) when done, which
for Whisper also ends its decoding thread. ``recognizer.stream(grammar)`` gives
a stream; ``accept(pcm)`` takes 16 kHz mono int16 chunks and may return a
``Partial``; ``finish()`` returns the ``Transcript``. There is no cache of
loaded models: each command loads the one it needs once, and passes it on.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np
from pydantic import BaseModel

from assistant.audio import SAMPLE_RATE
from assistant.errors import UserError
from assistant.models import InstalledModel
from assistant.text import normalize, normalize_words
from assistant.words import Word


class Transcript(BaseModel):
    text: str
    words: list[Word]
    engine: str
    model: str
    audio_seconds: float
    processing_seconds: float


class Partial(BaseModel):
    text: str


class RecognizerStream(Protocol):
    def accept(self, pcm: np.ndarray) -> Partial | None: ...
    def finish(self) -> Transcript: ...


class Recognizer(Protocol):
    engine: str
    model: InstalledModel

    # read-only, so that a recognizer may have them as properties (BackgroundRecognizer's wait for the load)
    @property
    def language(self) -> str:
        """Of the speech, as the engine takes it; transcripts are compared in it."""

    @property
    def supports_grammar(self) -> bool: ...

    def stream(self, grammar: list[str] | None = None, hints: list[str] | None = None, live: bool = True,
               context: str | None = None) -> RecognizerStream:
        """``grammar``: only these phrases may come out. ``hints``: phrases that are
        likely (e.g. voice commands); engines that can be biased towards them are.
        ``live``: audio arrives as it is spoken, and the transcript is wanted as
        soon as it ends (engines may then decode during the speech); a file
        (``live=False``) is better decoded whole. ``context``: text that makes the
        answer's words likely (the question, its choices); engines that take a
        prompt may use it."""

    def loaded(self) -> Recognizer:
        """The recognizer with its weights in memory: waits for a load in the
        background (``BackgroundRecognizer``) and raises its error."""

    def bare_decode(self, pcm: np.ndarray) -> object:
        """The engine's own call on a whole recording, with the settings this
        recognizer's streams use, and nothing of ours around it (no stream, no
        words made, no thread): the benchmark's baseline for what our pipeline
        costs. Gives the engine's raw result."""

    def close(self) -> None:
        """Free the weights and end any thread of the recognizer's own; streams
        cannot be made after it. Closing twice is harmless."""

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc) -> None: ...


class _Closable:
    """A recognizer as a context manager: ``with load_recognizer(m) as r:``."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


def load_recognizer(model: InstalledModel) -> Recognizer:
    """Load an installed model's weights (seconds for a large model): a recognizer
    that belongs to the caller, who closes it. It hears ``model.language``, which
    ``choose_model`` sets to the session's language for a multilingual model; a
    model folder of unknown language (a path given to --model) is taken as
    English, the language the assistant's dialogues start in."""
    if model.engine == "vosk":
        return VoskRecognizer(model)
    return WhisperRecognizer(model, model.language if model.language not in ("unknown", "multi") else "en")


class BackgroundRecognizer(_Closable):
    """A recognizer whose weights load on a background thread, so that a session
    speaks its first prompt meanwhile; the first ``stream()`` waits for the load
    and raises its error, if any. Closing it closes what was loaded, also when
    the load is still under way (the loader then closes it when it is done)."""

    def __init__(self, model: InstalledModel, load: Callable[[InstalledModel], Recognizer] = load_recognizer):
        self.model, self.engine = model, model.engine
        self._done = threading.Event()
        self._lock = threading.Lock()  # between the loader handing the recognizer over and close()
        self._recognizer: Recognizer | None = None
        self._error: BaseException | None = None
        self._closed = False
        threading.Thread(target=self._load, args=(load,), name="load-recognizer", daemon=True).start()

    def _load(self, load: Callable[[InstalledModel], Recognizer]) -> None:
        try:
            recognizer = load(self.model)
        except BaseException as e:  # handed to the caller of stream()
            self._error = e
        else:
            with self._lock:
                closed = self._closed
                if not closed:
                    self._recognizer = recognizer
            if closed:
                recognizer.close()
        finally:
            self._done.set()

    def loaded(self) -> Recognizer:
        self._done.wait()
        if self._error is not None:
            raise self._error
        with self._lock:
            if self._recognizer is None:
                raise RuntimeError(f"the recognizer for {self.model.name} is closed")
            return self._recognizer

    @property
    def supports_grammar(self) -> bool:
        return self.loaded().supports_grammar

    @property
    def language(self) -> str:
        return self.loaded().language

    def stream(self, grammar: list[str] | None = None, hints: list[str] | None = None, live: bool = True,
               context: str | None = None) -> RecognizerStream:
        inner = self.loaded()
        return inner.stream(grammar, hints, live, context) if context else inner.stream(grammar, hints, live)

    def bare_decode(self, pcm: np.ndarray) -> object:
        return self.loaded().bare_decode(pcm)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            recognizer, self._recognizer = self._recognizer, None
        if recognizer is not None:
            recognizer.close()


def transcribe_pcm(recognizer: Recognizer, pcm: np.ndarray, grammar: list[str] | None = None,
                   chunk: int = SAMPLE_RATE * 30, hints: list[str] | None = None, context: str | None = None) -> Transcript:
    """Run a whole int16 signal through the streaming interface, in chunks of 30 s
    (a file has no one waiting for partial results; fewer calls cost less)."""
    s = recognizer.stream(grammar, hints, live=False, context=context)
    for i in range(0, len(pcm), chunk):
        s.accept(pcm[i : i + chunk])
    return s.finish()


# ---------------------------------------------------------------- Vosk

class VoskRecognizer(_Closable):
    engine = "vosk"

    def loaded(self) -> Recognizer:
        return self  # loaded in the constructor

    def __init__(self, model: InstalledModel):
        import vosk

        # only models with a separate grammar graph (Gr.fst) can take a grammar;
        # others get one by matching their free transcript (match_grammar)
        self.supports_grammar = (model.path / "graph" / "Gr.fst").is_file()
        vosk.SetLogLevel(-2)  # keep Kaldi's info and warnings (e.g. "[unk]" not in a vocabulary) off the screen
        self.model = model
        self.language = model.language
        self._vosk = vosk
        try:
            self._model = vosk.Model(str(model.path.resolve()))
        except Exception as e:  # vosk raises a bare Exception when Kaldi fails to load
            raise UserError(f"Vosk could not load the model '{model.name}' at {model.path} ({e}); check it with "
                            f"`iep-assistant models verify {model.name}`") from None

    def kaldi(self, grammar: list[str] | None = None):
        """A new Kaldi decoder on this model, with word times (and a grammar)."""
        if self._model is None:
            raise RuntimeError(f"the Vosk recognizer for {self.model.name} is closed")
        if grammar:
            # "[unk]" lets anything outside the grammar come out as unknown rather
            # than being forced onto the nearest allowed word.
            rec = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE, json.dumps([*grammar, "[unk]"], ensure_ascii=False))
        else:
            rec = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        rec.SetWords(True)
        return rec

    def stream(self, grammar: list[str] | None = None, hints: list[str] | None = None, live: bool = True,
               context: str | None = None) -> VoskStream:
        # Vosk decodes as the audio arrives either way; its free recognition takes no hints nor context
        return VoskStream(self, grammar, live)

    def bare_decode(self, pcm: np.ndarray) -> str:
        """The whole recording in one AcceptWaveform, then FinalResult (its JSON)."""
        rec = self.kaldi()
        rec.AcceptWaveform(np.asarray(pcm, np.int16).tobytes())
        return rec.FinalResult()

    def close(self) -> None:
        self._model = None  # Vosk frees the model when the last decoder on it goes


class VoskStream:
    """``live``: partial transcripts (for the screen) come out at most every
    PARTIAL_EVERY seconds of audio, since each one searches the whole lattice so
    far; a file (``live=False``) gets none."""

    PARTIAL_EVERY = 0.5

    def __init__(self, owner: VoskRecognizer, grammar: list[str] | None, live: bool = True):
        self._owner = owner
        self._live = live
        self._next_partial = 0
        self._grammar = grammar if grammar and not owner.supports_grammar else None
        self._rec = owner.kaldi(grammar if owner.supports_grammar else None)
        self._words: list[Word] = []
        self._texts: list[str] = []
        self._samples = 0
        self._busy = 0.0

    def _collect(self, result_json: str) -> None:
        r = json.loads(result_json)
        for w in r.get("result", []):
            if w["word"] == "[unk]":
                continue
            self._words.append(Word(word=w["word"], start=round(w["start"], 3), end=round(w["end"], 3),
                                    confidence=float(min(1.0, max(0.0, w.get("conf", 1.0))))))
        text = " ".join(t for t in r.get("text", "").split() if t != "[unk]")
        if text:
            self._texts.append(text)

    def accept(self, pcm: np.ndarray) -> Partial | None:
        t0 = time.perf_counter()
        pcm = np.asarray(pcm, dtype=np.int16)
        self._samples += len(pcm)
        out = None
        if self._rec.AcceptWaveform(pcm.tobytes()):
            self._collect(self._rec.Result())  # an endpoint: keep these words
            if self._live:
                out = Partial(text=" ".join(self._texts))
        elif self._live and self._samples >= self._next_partial:
            self._next_partial = self._samples + int(self.PARTIAL_EVERY * SAMPLE_RATE)
            part = json.loads(self._rec.PartialResult()).get("partial", "")
            out = Partial(text=" ".join([*self._texts, part]).strip())
        self._busy += time.perf_counter() - t0
        return out

    def finish(self) -> Transcript:
        t0 = time.perf_counter()
        self._collect(self._rec.FinalResult())
        self._busy += time.perf_counter() - t0
        m = self._owner.model
        text, words = " ".join(self._texts), self._words
        if self._grammar is not None:
            text, words = match_grammar(text, words, self._grammar, self._owner.language)
        return Transcript(text=text, words=words, engine="vosk", model=m.name,
                          audio_seconds=round(self._samples / SAMPLE_RATE, 3), processing_seconds=round(self._busy, 3))


# ---------------------------------------------------------------- Whisper

@dataclass(frozen=True)
class DecodeSettings:
    """How faster-whisper decodes; every stream and ``bare_decode`` use the same.

    The defaults are what the benchmark measured (docs/benchmarks.md, "Decoding
    settings, one change at a time"; Whisper base on the same answers):
    - ``temperatures``: (0.0,) decodes once. faster-whisper's own default falls
      back to sampling at 0.2 ... 1.0 whenever a decode looks unsure (low log
      probability, repetitive), and each fallback is a whole new decode: on a
      loaded machine a short answer took 15-90 s that way, and the sampled
      re-decodes are where invented text comes from. Same WER on the material.
    - ``tokens_per_second``: at most ``16 + tokens_per_second * seconds`` tokens
      a 30 s window, so a decode stuck repeating itself stops at about the length
      the audio can hold (people say 3-4 words a second) instead of 448 tokens.
    - ``without_timestamps`` stays off: without timestamp tokens base went on
      after the speech ("you", "off." after LibriVox clips: WER 0.014 -> 0.056;
      answers 0.072 -> 0.145, the worst answer taking 32 s instead of 9).
    - ``vad_filter`` stays on: on clean answers it only costs time, but it is
      what keeps a recording's silence and room noise from being decoded into
      words ("Thank you.") and an empty answer empty.
    - ``context`` (the question as the initial prompt) stays off: it saved one
      word of about 80 on the measured answers, too little to choose on, and
      with tiny.en it made natural speech worse ("audio books"). Callers may
      still pass a context; it is used when this is on.
    """

    temperatures: tuple[float, ...] = (0.0,)
    tokens_per_second: float | None = 8.0
    without_timestamps: bool = False
    vad_filter: bool = True
    context: bool = False

    def max_new_tokens(self, seconds: float) -> int | None:
        if self.tokens_per_second is None:
            return None
        return min(200, 16 + math.ceil(self.tokens_per_second * min(30.0, seconds)))


# what the assistant decoded with before the settings were measured: the benchmark's "before"
FASTER_WHISPER_DEFAULTS = DecodeSettings(temperatures=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), tokens_per_second=None,
                                         without_timestamps=False, vad_filter=True, context=False)


class WhisperRecognizer(_Closable):
    """faster-whisper on the CPU (int8, one thread a core).

    Whisper has no grammar: with one, the free transcript is matched to the
    allowed phrases (``match_grammar``) and anything else comes out empty.
    Decodes run one at a time, in order, on the recognizer's own thread, which
    ``close()`` ends.
    """

    engine = "whisper"
    supports_grammar = False

    def loaded(self) -> Recognizer:
        return self  # loaded in the constructor

    def __init__(self, model: InstalledModel, language: str = "en", settings: DecodeSettings | None = None):
        from faster_whisper import WhisperModel

        self.model = model
        self.settings = settings or DecodeSettings()
        try:
            self._model = WhisperModel(str(model.path), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)
        except Exception as e:  # ctranslate2 raises RuntimeError / ValueError for bad files
            raise UserError(f"Whisper could not load the model '{model.name}' at {model.path} ({e}); check it with "
                            f"`iep-assistant models verify {model.name}`") from None
        self.multilingual = bool(self._model.model.is_multilingual)
        self.language = language if self.multilingual else "en"  # an English-only model hears English
        # streams hand their stretches to this one thread: one decode at a time, in order
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")

    def stream(self, grammar: list[str] | None = None, hints: list[str] | None = None, live: bool = True,
               context: str | None = None) -> WhisperStream:
        if self._model is None:
            raise RuntimeError(f"the Whisper recognizer for {self.model.name} is closed")
        return WhisperStream(self, grammar, hints, live, context)

    def submit(self, fn: Callable, *args):
        """Run ``fn(*args)`` on the decoding thread, after the decodes submitted before."""
        return self._executor.submit(fn, *args)

    def _transcribe(self, audio: np.ndarray, hints: list[str] | None = None, context: str | None = None):
        # the one call of the engine: streams and bare_decode decode with the same settings
        if self._model is None:
            raise RuntimeError(f"the Whisper recognizer for {self.model.name} is closed")
        s = self.settings
        return self._model.transcribe(
            audio, language=self.language, beam_size=1,
            word_timestamps=True, vad_filter=s.vad_filter, condition_on_previous_text=False,
            temperature=list(s.temperatures), without_timestamps=s.without_timestamps,
            max_new_tokens=s.max_new_tokens(len(audio) / SAMPLE_RATE),
            initial_prompt=context if s.context and context else None,
            hotwords=" ".join(hints) if hints else None,
        )

    def decode(self, audio: np.ndarray, hints: list[str] | None = None, context: str | None = None) -> tuple[str, list[Word]]:
        segments, _info = self._transcribe(audio, hints, context)
        words: list[Word] = []
        texts: list[str] = []
        for seg in segments:
            texts.append(seg.text.strip())
            for w in seg.words or []:
                if w.word.strip():
                    words.append(Word(word=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3),
                                      confidence=round(float(w.probability), 4)))
        return " ".join(t for t in texts if t), words

    def bare_decode(self, pcm: np.ndarray, context: str | None = None) -> list:
        """faster-whisper's ``transcribe`` on the whole recording, on the calling
        thread, its segments read (they are decoded as they are read)."""
        segments, _info = self._transcribe(np.asarray(pcm, np.int16).astype(np.float32) / 32768.0, context=context)
        return list(segments)

    def close(self) -> None:
        # a decode under way is let finish (it holds the model); queued ones are dropped
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._model = None


class WhisperStream:
    """Whisper has no streaming decoder, so this stream decodes during the speech.

    Whenever the speaker pauses (``PAUSE`` seconds of quiet):
    - after at least ``MIN_SEGMENT`` seconds of new audio, that stretch is
      decoded in the background while the student goes on;
    - after less, the stretch is decoded *speculatively*: if the student says
      nothing more, the answer is over and that decode, which ran during the
      end-pointer's hang-over, is the last one; if they go on, it is dropped.
    ``finish()`` then has at most the last stretch left to decode, so the wait
    after the answer stays short whatever its length. Decodes run one at a time,
    in order, on the recognizer's own thread. This costs more computing than one
    decode of the whole answer (each decode has its own start-up, and a dropped
    speculative decode is wasted); files (``live=False``) are decoded whole."""

    MIN_SEGMENT = 4.0
    PAUSE = 0.35

    def __init__(self, owner: WhisperRecognizer, grammar: list[str] | None, hints: list[str] | None = None,
                 live: bool = True, context: str | None = None):
        from assistant.speech.endpoint import EndpointConfig, Endpointer

        self._context = context
        self._live = live  # a file is decoded whole: cheaper, and nobody is waiting at its end
        self._owner = owner
        self._grammar = grammar
        self._hints = hints or grammar
        self._allowed = {normalize(h, owner.language) for h in self._hints or []}
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._cut = 0  # samples already sent to the decoder for good
        self._segments: list = []  # futures of (text, words), with their offsets
        self._speculative = None  # future of the stretch since the cut, decoded at a pause
        self.dropped = 0  # speculative decodes dropped because the speaker went on
        self.ended_at_pause = False  # finish() found the last stretch decoded already (speculatively)
        # One loud 30 ms frame counts as speech here (min_speech), so a speculative
        # decode is dropped by any sound after the pause: a short last word is never lost.
        self._pause_config = EndpointConfig(hangover=self.PAUSE, min_speech=0.03, max_seconds=10**6)
        self._new_pauses = lambda: Endpointer(self._pause_config)
        self._pauses = self._new_pauses()

    def _audio(self, start: int, end: int | None = None) -> np.ndarray:
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        self._chunks = [pcm]
        return pcm[start:end].astype(np.float32) / 32768.0

    def _decode_last(self, audio: np.ndarray, whole: bool) -> tuple[str, list[Word]]:
        """Decode the answer's last stretch. When it is the whole answer and short,
        short utterances are often commands ("that's all", "skip") that tiny.en
        mishears: a second pass biased with hot words is kept only when it is
        exactly one of the hinted phrases, so answers are never bent."""
        text, words = self._owner.decode(audio, context=self._context)
        language = self._owner.language
        if whole and self._allowed and text and len(text.split()) <= 4 and normalize(text, language) not in self._allowed:
            hinted, hinted_words = self._owner.decode(audio, self._hints, self._context)
            if normalize(hinted, language) in self._allowed:
                return hinted, hinted_words
        return text, words

    def accept(self, pcm: np.ndarray) -> Partial | None:
        from assistant.speech.endpoint import State

        pcm = np.asarray(pcm, dtype=np.int16)
        self._chunks.append(pcm)
        self._samples += len(pcm)
        if not self._live:
            return None
        state = self._pauses.feed(pcm)
        if state == State.SPEAKING and self._speculative is not None:
            # the speaker went on: the speculative decode is not the end after all
            self._speculative.cancel()
            self._speculative = None
            self.dropped += 1
        if state == State.DONE:
            audio = self._audio(self._cut, self._samples)
            if len(audio) / SAMPLE_RATE >= self.MIN_SEGMENT:
                self._segments.append((self._cut / SAMPLE_RATE,
                                       self._owner.submit(self._owner.decode, audio, None, self._context)))
                self._cut = self._samples
            else:
                self._speculative = self._owner.submit(self._decode_last, audio, not self._segments)
            self._pauses = self._new_pauses()
        return self._partial()

    def _partial(self) -> Partial | None:
        """The text of the stretches decoded so far, in order (live captions on the
        student's screen): the finished decodes up to the first one still running,
        then the speculative one if it is done and nothing follows it yet."""
        texts: list[str] = []
        for _, future in self._segments:
            if not future.done() or future.cancelled() or future.exception() is not None:
                return Partial(text=" ".join(texts)) if texts else None
            text = future.result()[0]
            if text:
                texts.append(text)
        spec = self._speculative
        if spec is not None and spec.done() and not spec.cancelled() and spec.exception() is None:
            text = spec.result()[0]
            if text:
                texts.append(text)
        return Partial(text=" ".join(texts)) if texts else None

    def finish(self) -> Transcript:
        from assistant.speech.endpoint import State

        t0 = time.perf_counter()
        segments = list(self._segments)
        if self._speculative is not None and self._pauses.state == State.WAITING:
            # nothing was said after the pause: the speculative decode is the last stretch
            segments.append((self._cut / SAMPLE_RATE, self._speculative))
            self.ended_at_pause = True
        else:
            if self._speculative is not None:
                self._speculative.cancel()
            tail = self._audio(self._cut)
            if len(tail):
                segments.append((self._cut / SAMPLE_RATE, self._owner.submit(self._decode_last, tail, not self._segments)))
        texts, words = [], []
        for offset, future in segments:
            t, ws = future.result()
            if t:
                texts.append(t)
            words += [w.model_copy(update={"start": round(w.start + offset, 3), "end": round(w.end + offset, 3)}) for w in ws]
        text = " ".join(texts)
        if self._grammar is not None:
            text, words = match_grammar(text, words, self._grammar, self._owner.language)
        return Transcript(text=text, words=words, engine="whisper", model=self._owner.model.name,
                          audio_seconds=round(self._samples / SAMPLE_RATE, 3),
                          processing_seconds=round(time.perf_counter() - t0, 3))


def match_grammar(text: str, words: list[Word], grammar: list[str], language: str = "en") -> tuple[str, list[Word]]:
    """Map a free transcript onto a grammar: the phrase it is, or the one phrase it
    contains (as whole words); anything else is no match (empty). Text is compared
    as ``assistant.text.normalize`` reads it, in the speech's language."""
    said = normalize(text, language)
    phrases = {normalize(p, language): p for p in grammar}
    if said in phrases:
        return phrases[said], words
    hits = [p for n, p in phrases.items() if n and f" {n} " in f" {said} "]
    if len(hits) == 1:
        kept = set(normalize_words(hits[0], language))
        return hits[0], [w for w in words if (ws := normalize_words(w.word, language)) and set(ws) <= kept]
    return "", []
