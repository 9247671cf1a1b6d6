"""Sample-rate conversion: whole signals (polyphase) and streams (stateful)."""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import firwin, lfilter, resample_poly


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a whole float signal with a polyphase anti-aliasing filter."""
    if rate_in == rate_out or len(x) == 0:
        return np.asarray(x, dtype=np.float32)
    g = gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // g, rate_in // g).astype(np.float32)


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
            self._taps = firwin(taps, 0.45 * rate_out, fs=rate_in).astype(np.float64)
            self._zi = np.zeros(len(self._taps) - 1)
        self._prev = np.zeros(0, dtype=np.float64)
        # start reading one group delay in, so the output is not late by the filter
        self._pos = (taps - 1) / 2 if self._taps is not None else 0.0

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.rate_in == self.rate_out:
            return x.astype(np.float32)
        if self._taps is not None:
            x, self._zi = lfilter(self._taps, 1.0, x, zi=self._zi)
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
