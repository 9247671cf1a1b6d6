"""Audio at the boundary: WAV formats, resampling, levels and end-pointing, on real speech."""

import subprocess

import numpy as np
import pytest

from assistant.audio.level import assess
from assistant.audio.resample import StreamResampler, resample
from assistant.audio.wav import read_wav, write_wav
from assistant.speech.endpoint import EndpointConfig, Endpointer, State
from tests.conftest import need


@pytest.fixture(scope="module")
def sentence(speech):
    return speech("I am good at drawing and building things.")


@pytest.mark.parametrize("sox_args", [
    ["-r", "8000", "-b", "8", "-e", "unsigned-integer"],
    ["-r", "44100", "-b", "16", "-c", "2"],
    ["-r", "48000", "-b", "24"],
    ["-r", "16000", "-b", "32", "-e", "signed-integer", "-c", "2"],
    ["-r", "32000", "-b", "32", "-e", "floating-point"],
], ids=["8k-u8", "44k-16bit-stereo", "48k-24bit", "16k-32bit-stereo", "32k-float"])
def test_any_wav_becomes_16k_mono(sentence, tmp_path, sox_args):
    sox = need("sox", "sox")
    out = tmp_path / "converted.wav"
    subprocess.run([sox, str(sentence), *sox_args, str(out)], check=True)
    ref = read_wav(sentence).to_pcm16().astype(np.float64)
    got = read_wav(out).to_pcm16().astype(np.float64)
    assert abs(len(got) - len(ref)) <= 16000 * 0.01  # same duration, within 10 ms
    n = min(len(ref), len(got))
    corr = np.corrcoef(ref[:n], got[:n])[0, 1]
    assert corr > 0.9, corr  # the same speech (8 kHz keeps only its low half)


def test_stream_resampler_has_no_seams():
    rate_in, rate_out = 44100, 16000
    t = np.arange(rate_in * 2) / rate_in
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    r = StreamResampler(rate_in, rate_out)
    sizes = [1, 7, 441, 1000, 4410, 3]
    pieces, i = [], 0
    while i < len(x):
        n = sizes[len(pieces) % len(sizes)]
        pieces.append(r.process(x[i : i + n]))
        i += n
    y = np.concatenate(pieces)
    assert abs(len(y) - 2 * rate_out) <= 16  # less the filter delay (about 0.7 ms)
    whole = resample(x, rate_in, rate_out)[: len(y)]
    # away from the edges, chunked and whole-signal resampling agree, in time and value
    assert np.sqrt(np.mean((y[200:-200] - whole[200:-200]) ** 2)) < 0.01
    # and the tone is still 440 Hz
    spectrum = np.abs(np.fft.rfft(y[1000:17000]))
    assert abs(np.argmax(spectrum) * rate_out / 16000 - 440) < 2


@pytest.mark.parametrize("rate_in,rate_out", [(22050, 48000), (44100, 16000), (8000, 16000), (48000, 44100), (96000, 16000)])
def test_resample_matches_scipy_resample_poly(rate_in, rate_out):
    """Our NumPy polyphase resampler (SciPy's signal package is too slow to import
    at start-up) computes what scipy.signal.resample_poly does, at any length."""
    from math import gcd

    from scipy.signal import firwin, resample_poly

    from assistant.audio.resample import lowpass

    rng = np.random.default_rng(7)
    g = gcd(rate_in, rate_out)
    for n in (1, 2, 146, 147, 1000, rate_in):
        x = rng.normal(0, 0.3, n)
        ours, ref = resample(x, rate_in, rate_out), resample_poly(x, rate_out // g, rate_in // g)
        assert len(ours) == len(ref), n
        assert np.abs(ours - ref).max() < 1e-6, n
    assert np.allclose(lowpass(63, 7200, 48000), firwin(63, 7200, fs=48000))


def test_stream_resampler_removes_what_16k_cannot_hold():
    rate_in = 48000
    t = np.arange(rate_in) / rate_in
    tone = (0.5 * np.sin(2 * np.pi * 12000 * t)).astype(np.float32)  # above 8 kHz
    y = StreamResampler(rate_in, 16000).process(tone)
    assert np.sqrt(np.mean(y[500:] ** 2)) < 0.05  # no 4 kHz alias left


def test_leading_silence_is_trimmed_to_the_sound():
    from assistant.audio.level import trim_leading_silence

    rate = 22050
    quiet = np.random.default_rng(0).normal(0, 0.0005, rate // 10)  # 100 ms below -50 dBFS
    tone = 0.3 * np.cos(np.arange(rate // 2) / rate * 2 * np.pi * 300)  # loud from its first sample
    out = trim_leading_silence(np.concatenate([quiet, tone]), rate)
    assert len(out) == len(tone) + int(0.01 * rate)  # 10 ms of the quiet kept
    assert np.array_equal(out[-len(tone):], tone)
    silent = np.zeros(rate)
    assert trim_leading_silence(silent, rate) is silent


def test_levels_in_words(sentence):
    voice = read_wav(sentence)
    assert assess(voice.samples, voice.rate).verdict == "good"
    assert assess(voice.samples * 0.02, voice.rate).verdict == "too quiet"
    assert assess(np.zeros(16000, np.float32), 16000).verdict == "silent"
    assert assess(np.clip(voice.samples * 20, -1, 1), voice.rate).verdict == "too loud"


def _feed(endpointer, pcm, chunk=800):
    for i in range(0, len(pcm), chunk):
        endpointer.feed(pcm[i : i + chunk])
        if endpointer.finished:
            return i + chunk
    return len(pcm)


def test_endpoint_waits_through_a_childs_pause(speech):
    first = read_wav(speech("I like math")).to_pcm16()
    second = read_wav(speech("and drawing")).to_pcm16()
    pause = np.zeros(int(16000 * 0.5), np.int16)  # with espeak's own trailing quiet, about 0.9 s without speech
    tail = np.zeros(16000 * 3, np.int16)
    pcm = np.concatenate([first, pause, second, tail])
    ep = Endpointer(EndpointConfig(hangover=1.2))
    used = _feed(ep, pcm)
    assert ep.state == State.DONE
    speech_end = (len(first) + len(pause) + len(second)) / 16000
    # it did not stop in the pause: it heard the second part, then 1.2 s of quiet
    assert ep.speech_end is not None and ep.speech_end > (len(first) + len(pause)) / 16000
    assert speech_end - 0.6 < used / 16000 - 1.2 < speech_end + 0.2
    # with a short hang-over the same pause ends the answer early
    ep2 = Endpointer(EndpointConfig(hangover=0.5))
    _feed(ep2, pcm)
    assert ep2.speech_end < (len(first) + len(pause)) / 16000


def test_endpoint_ignores_a_click_and_gives_up_on_silence():
    pcm = np.zeros(16000 * 4, np.int16)
    pcm[8000:8160] = 20000  # a 10 ms click
    ep = Endpointer(EndpointConfig(no_speech_timeout=3.0))
    _feed(ep, pcm)
    assert ep.state == State.NO_SPEECH


def test_endpoint_caps_a_long_answer(speech):
    talk = read_wav(speech("I am talking and talking and talking without any pause at all " * 3)).to_pcm16()
    ep = Endpointer(EndpointConfig(max_seconds=2.0))
    _feed(ep, talk)
    assert ep.state == State.CAPPED and abs(ep.seconds - 2.0) < 0.05


def test_write_then_read_roundtrip(tmp_path):
    x = (np.sin(np.arange(16000) / 5) * 10000).astype(np.int16)
    a = read_wav(write_wav(tmp_path / "x.wav", x, 16000))
    assert a.rate == 16000 and np.array_equal(a.to_pcm16(), x)


def test_endpoint_ends_in_steady_background_noise(speech):
    """A fan or a noisy classroom must not keep the answer open forever."""
    rng = np.random.default_rng(1)
    talk = read_wav(speech("I like science and I like to build things")).to_pcm16().astype(np.float64)
    noise_level = 10 ** (-44 / 20) * 32768  # steady noise at -44 dBFS
    pcm = np.concatenate([talk, np.zeros(16000 * 10)])
    pcm = pcm + rng.normal(0, noise_level, len(pcm))
    ep = Endpointer(EndpointConfig(hangover=1.2))
    used = _feed(ep, np.clip(pcm, -32768, 32767).astype(np.int16))
    assert ep.state == State.DONE
    assert ep.speech_start is not None and ep.speech_start < 0.5
    assert ep.speech_end <= len(talk) / 16000  # the noise after the talk is not taken for speech
    assert abs(used / 16000 - (ep.speech_end + 1.2)) < 0.1  # it ends one hang-over after the talk
