"""The espeak-ng child process (speech/tts_worker.py) renders each line with the
voice and rate asked for, whatever it rendered before."""

from __future__ import annotations

import subprocess

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


def test_a_spanish_voice_says_iep_letter_by_letter(tmp_path):
    """espeak-ng's Spanish reads "IEP" as the word "yep" in many places ("Tu IEP, ..."); the
    Spanish voice is given it with dots (one word still, for word timing), so each
    letter is said. The text shown and cached is the one written."""
    from assistant.speech.tts import Speaker
    from assistant.text import spoken_form

    assert spoken_form("Tu IEP, el plan del IEP.", "es") == "Tu I.E.P., el plan del I.E.P.."
    assert spoken_form("Tu IEP", "en") == "Tu IEP" and spoken_form("IEPs y PEIs", "es") == "IEPs y PEIs"
    spanish = Speaker(cache=tmp_path / "a", language="es", play=False)
    spelled = Speaker(cache=tmp_path / "b", language="es", play=False)
    try:
        said = spanish.audio("Tu IEP, el plan").samples
        assert said.tobytes() == spelled.audio("Tu I.E.P., el plan").samples.tobytes()
        # what espeak-ng makes of each: "yep" as written, the three letters with dots
        phonemes = [subprocess.run(["espeak-ng", "-q", "-x", "-v", "roa/es-419", t], capture_output=True,
                                   text=True).stdout for t in ("Tu IEP, el plan", "Tu I.E.P., el plan")]
        assert "j'ep" in phonemes[0] and "j'ep" not in phonemes[1] and "p'e" in phonemes[1], phonemes
    finally:
        spanish.close()
        spelled.close()
