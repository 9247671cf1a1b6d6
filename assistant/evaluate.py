"""Accuracy measures: text normalisation, word and character error rates."""

from __future__ import annotations

import re

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ABBREV = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ms": "miss"}


def number_words(n: int) -> str:
    """Spell out 0..999999 the way a reference transcript would."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    if n < 1_000_000:
        return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    return str(n)


def normalize_words(text: str) -> list[str]:
    """Lower case, numbers spelled out, common abbreviations expanded, hyphens
    split, other punctuation dropped."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    words = re.sub(r"[^\w' ]+", " ", text).split()
    return [_ABBREV.get(w, w) for w in (w.strip("'") for w in words) if w]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def _error_rate(references: list[str], hypotheses: list[str], tokens) -> float:
    """Corpus error rate: total edits over total reference tokens."""
    edits = sum(edit_distance(tokens(r), tokens(h)) for r, h in zip(references, hypotheses, strict=True))
    return edits / max(1, sum(len(tokens(r)) for r in references))


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate: total edits over total reference words."""
    return _error_rate(references, hypotheses, normalize_words)


def normalize_chars(text: str) -> list[str]:
    """The characters of ``text`` without spaces or punctuation (for Korean, the syllables)."""
    return [c for c in " ".join(normalize_words(text)) if c not in " '"]


def cer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus character error rate, spaces ignored. For languages such as Korean, whose
    recognizers split words into morphemes where the reference has none, a word rate
    counts every split as an error; characters do not."""
    return _error_rate(references, hypotheses, normalize_chars)
