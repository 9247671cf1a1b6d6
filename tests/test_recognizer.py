"""Who opens a recognizer closes it: a recognizer loading in the background is
closed too, also when it is closed before its load has finished (a fake loader:
no model is loaded here). Closing Whisper itself is tested in test_whisper.py:
a Whisper model loaded in this process before test_vosk.py changes what the
Korean Vosk model hears."""

import threading
import time

import pytest

from assistant.models import choose_model
from assistant.speech.asr import BackgroundRecognizer


class FakeRecognizer:
    engine, language, supports_grammar = "fake", "en", False

    def __init__(self, model):
        self.model = model
        self.closed = False

    def loaded(self):
        return self

    def stream(self, grammar=None, hints=None, live=True, context=None):
        return "a stream"

    def close(self):
        self.closed = True


def test_a_background_load_closed_before_it_ends_is_closed_by_the_loader():
    model = choose_model()
    may_finish, made = threading.Event(), []

    def slow_load(m):
        may_finish.wait(10)
        made.append(FakeRecognizer(m))
        return made[-1]

    rec = BackgroundRecognizer(model, load=slow_load)
    rec.close()  # the session ended (e.g. typed "stop") before the model was in memory
    may_finish.set()
    deadline = time.monotonic() + 10
    while not (made and made[0].closed) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert made and made[0].closed
    with pytest.raises(RuntimeError, match="closed"):
        rec.stream()


def test_a_background_recognizer_hands_over_and_closes_what_it_loaded():
    with BackgroundRecognizer(choose_model(), load=FakeRecognizer) as rec:
        assert rec.stream() == "a stream" and rec.language == "en"
        loaded = rec.loaded()
    assert loaded.closed


def test_a_background_load_error_reaches_the_caller():
    def broken(m):
        raise OSError("no such model")

    rec = BackgroundRecognizer(choose_model(), load=broken)
    with pytest.raises(OSError, match="no such model"):
        rec.stream()
    rec.close()
