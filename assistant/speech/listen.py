"""Listen for one answer: microphone -> end-pointing -> streaming recognition."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.devices import Microphone
from assistant.speech.asr import Partial, Recognizer, Transcript
from assistant.speech.endpoint import EndpointConfig, Endpointer, State


@dataclass
class Heard:
    transcript: Transcript
    audio: np.ndarray  # everything recorded, 16 kHz mono int16
    state: State  # why listening stopped
    speech_start: float | None
    speech_end: float | None
    overflows: int
    cancelled: bool = False  # ``cancel`` said to stop (a button pressed on the student's screen): nothing was decoded


Progress = Callable[[float, float, str], None]  # (seconds, level dBFS, partial text)


class AudioSource(Protocol):
    """A microphone, or anything that behaves like one: a context manager whose
    ``chunks()`` yields 16 kHz mono int16 chunks as they are recorded."""

    overflows: int

    def __enter__(self) -> AudioSource: ...
    def __exit__(self, *exc) -> None: ...
    def chunks(self) -> Iterator[np.ndarray]: ...


def listen(recognizer: Recognizer, source: AudioSource | str | int | None = None, config: EndpointConfig | None = None,
           grammar: list[str] | None = None, on_progress: Progress | None = None,
           hints: list[str] | None = None, context: str | None = None,
           cancel: Callable[[], bool] | None = None) -> Heard:
    """Record until the speaker has finished (or a limit is hit) and transcribe.

    Audio goes to the recognizer as it arrives, so with a streaming engine the
    transcript is nearly ready when the speaker stops. ``context``: what the
    question makes likely (its wording, its choices), for engines that take it.
    ``cancel`` is asked for every chunk: when it says True, listening stops at
    once and nothing is decoded (the student answered another way: a button).
    """
    endpointer = Endpointer(config)
    # context only when there is one: recognizers written before it (test doubles) keep working
    stream = recognizer.stream(grammar, hints, context=context) if context else recognizer.stream(grammar, hints)
    chunks: list[np.ndarray] = []
    partial = ""
    cancelled = False
    # a device (its name or number; None: the default) is opened here, anything else is a source already
    mic = Microphone(source) if source is None or isinstance(source, str | int) else source
    with mic:
        for chunk in mic.chunks():
            if cancel is not None and cancel():
                cancelled = True
                break
            chunks.append(chunk)
            endpointer.feed(chunk)
            result: Partial | None = stream.accept(chunk)
            if result is not None:
                partial = result.text
            if on_progress:
                on_progress(endpointer.seconds, endpointer.level_db, partial)
            if endpointer.finished:
                break
        overflows = mic.overflows
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    if cancelled:
        # not finish(): its decode of the last stretch would only delay what the student pressed
        empty = Transcript(text="", words=[], engine="", model="", audio_seconds=round(len(audio) / SAMPLE_RATE, 3),
                           processing_seconds=0.0)
        return Heard(empty, audio, endpointer.state, endpointer.speech_start, endpointer.speech_end, overflows, True)
    transcript = stream.finish()
    return Heard(transcript, audio, endpointer.state, endpointer.speech_start, endpointer.speech_end, overflows)
