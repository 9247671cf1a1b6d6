"""A word as the recognizer heard it, with its time in the recording: the one shape
of a word from recognition (``Transcript``) through the engine (``Utterance``) and
the store (``Answer``, JSON in the database) to the draft (an item's time in its
recording). Kept apart from the speech engines so that the store and the draft
need not import them."""

from __future__ import annotations

from pydantic import BaseModel


class Word(BaseModel):
    word: str
    start: float  # seconds into the recording
    end: float
    confidence: float  # 0..1
