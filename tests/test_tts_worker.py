"""The espeak-ng child process (speech/tts_worker.py) renders each line with the
voice and rate asked for, whatever it rendered before."""

from __future__ import annotations

from assistant.audio.wav import read_wav
from assistant.speech.tts import TTSWorker


def test_each_render_has_the_rate_asked_for_not_the_one_before(tmp_path):
    """espeak-ng queues a rate change in its asynchronous mode: a render that did not
    wait for it now and then came out at the rate before (13 of 40 at 165 after one
    at 100). Alternating rates in one process shows it within a few renders."""
    worker = TTSWorker()
    seconds: dict[int, list[float]] = {100: [], 165: []}
    try:
        for i in range(12):
            for rate in (100, 165):
                out = tmp_path / f"{i}-{rate}.wav"
                reply = worker.request(20, op="render", text="Is that right?", voice="gmw/en-us", rate=rate, out=str(out))
                assert reply.get("ok"), reply
                seconds[rate].append(read_wav(out).seconds)
    finally:
        worker.close()
    # at 165 words a minute the line is about 40% shorter than at 100: every render, not most
    assert max(seconds[165]) < 0.75 * min(seconds[100]), seconds
