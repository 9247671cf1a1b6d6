"""Sample-rate conversion: whole signals (polyphase) and streams (stateful).

NumPy only: importing SciPy's signal package takes about 1.7 s, more than half
of the 3 s the program has from the command to its first spoken prompt.
``resample`` gives the output of SciPy's ``resample_poly`` (a test checks it
against SciPy, which only the tests need).
"""

from __future__ import annotations

from math import gcd

import numpy as np


def lowpass(taps: int, cutoff: float, fs: float, window: np.ndarray | None = None) -> np.ndarray:
    """A windowed-sinc low-pass FIR with unity gain at 0 Hz (as scipy's ``firwin``;
    Hamming window unless one is given)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff / fs * n) * (np.hamming(taps) if window is None else window)
    return h / h.sum()


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a whole float signal with a polyphase anti-aliasing filter: up by
    ``up``, low-pass, down by ``down``, computing only the output samples (the
    same design as scipy's ``resample_poly``: Kaiser window, beta 5, 10 zero
    crossings a side). Output sample m lies at input time m * rate_in / rate_out."""
    x = np.asarray(x, dtype=np.float64)
    if rate_in == rate_out or len(x) == 0:
        return x.astype(np.float32)
    g = gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    half = 10 * max(up, down)
    taps = 2 * half + 1
    h = lowpass(taps, 0.5 / max(up, down), 1.0, np.kaiser(taps, 5.0)) * up
    n_out = -(-len(x) * up // down)  # ceil
    per_phase = -(-taps // up)  # taps of h that meet input samples, per output sample
    h = np.concatenate([h, np.zeros(per_phase * up - taps)])
    # Outputs m = k * span + o share the filter phase of o % up, and read the
    # input at k * group * down + first(o) - j for taps j: one matrix product of a
    # strided view of the input (row k: the inputs from k * group * down on) with
    # the taps laid out by (input offset, o). A row holds ``group`` periods of
    # ``up`` outputs, so that small ratios (22050 -> 44100) have few, wide rows.
    group = max(1, 256 // up)
    span = group * up
    o = np.arange(span)
    phase, first = (o * down + half) % up, (o * down + half) // up
    pad = per_phase
    width = int(first.max()) + pad + 1
    w = np.zeros((width, span))
    for j in range(per_phase):
        w[first - j + pad, o] = h[phase + j * up]
    rows = -(-n_out // span)
    xp = np.zeros((rows - 1) * group * down + width)
    xp[pad : pad + len(x)] = x[: len(xp) - pad]
    view = np.lib.stride_tricks.as_strided(xp, shape=(rows, width), strides=(group * down * xp.strides[0], xp.strides[0]),
                                           writeable=False)
    y = (view @ w).reshape(-1)[:n_out]
    return y.astype(np.float32)


class StreamResampler:
    """Resample a stream chunk by chunk with no seams between chunks.

    A low-pass FIR (state carried across chunks) removes what the lower rate
    cannot hold, then linear interpolation picks the output instants. The
    fractional read position is carried too, so chunk boundaries are invisible.
    """

    def __init__(self, rate_in: int, rate_out: int, taps: int = 63):
        self.rate_in, self.rate_out = rate_in, rate_out
        self._step = rate_in / rate_out
        self._taps = None
        if rate_out < rate_in:
            self._taps = lowpass(taps, 0.45 * rate_out, rate_in)
            self._history = np.zeros(len(self._taps) - 1)  # the last inputs, for the filter's memory
        self._prev = np.zeros(0, dtype=np.float64)
        # start reading one group delay in, so the output is not late by the filter
        self._pos = (taps - 1) / 2 if self._taps is not None else 0.0

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.rate_in == self.rate_out:
            return x.astype(np.float32)
        if self._taps is not None:
            padded = np.concatenate([self._history, x])
            self._history = padded[len(padded) - len(self._history) :]
            x = np.convolve(padded, self._taps, mode="valid")
        buf = np.concatenate([self._prev, x])
        last = len(buf) - 1
        if last < self._pos or len(buf) == 0:
            self._prev = buf
            return np.zeros(0, dtype=np.float32)
        n = int((last - self._pos) // self._step) + 1
        where = self._pos + self._step * np.arange(n)
        y = np.interp(where, np.arange(len(buf)), buf)
        self._pos = self._pos + self._step * n - last
        self._prev = buf[-1:]
        return y.astype(np.float32)
