"""Accuracy measures: word and character error rates.

What counts as the same word is ``assistant.text.normalize_words``, the one
normaliser, in the language of the speech: English references spell numbers
out ("21" is "twenty one"), Spanish ones too, in Spanish ("21" is "veintiuno"),
and compare without accents ("mas" is "más", "ano" is not "año"); Korean ones
keep their digits.
"""

from __future__ import annotations

from collections.abc import Callable

# number_words and normalize_words are re-exported: callers measuring accuracy
# import everything they compare with from here
from assistant.text import normalize_words, number_words

__all__ = ["cer", "edit_distance", "normalize_chars", "normalize_words", "number_words", "wer"]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def _error_rate(references: list[str], hypotheses: list[str], tokens: Callable[[str], list[str]]) -> float:
    """Corpus error rate: total edits over total reference tokens."""
    edits = sum(edit_distance(tokens(r), tokens(h)) for r, h in zip(references, hypotheses, strict=True))
    return edits / max(1, sum(len(tokens(r)) for r in references))


def wer(references: list[str], hypotheses: list[str], language: str = "en") -> float:
    """Corpus word error rate: total edits over total reference words."""
    return _error_rate(references, hypotheses, lambda text: normalize_words(text, language))


def normalize_chars(text: str, language: str = "en") -> list[str]:
    """The characters of ``text`` without spaces or punctuation (for Korean, the syllables)."""
    return [c for c in " ".join(normalize_words(text, language)) if c not in " '"]


def cer(references: list[str], hypotheses: list[str], language: str = "en") -> float:
    """Corpus character error rate, spaces ignored. For languages such as Korean, whose
    recognizers split words into morphemes where the reference has none, a word rate
    counts every split as an error; characters do not."""
    return _error_rate(references, hypotheses, lambda text: normalize_chars(text, language))
