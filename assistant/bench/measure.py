"""Measuring helpers: medians with their spread, paired timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np


def summary(values: list[float]) -> dict:
    """Median and spread of repeated measurements."""
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation."""
    if not values:
        raise ValueError("no values")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def paired(ours: Callable[[], object], bare: Callable[[], object], reps: int,
           wall: Callable[[], float] = time.perf_counter, cpu: Callable[[], float] = time.process_time) -> dict:
    """Time ``ours`` and ``bare`` alternately (ours-bare, bare-ours, ...) so that a
    change in the machine's load falls on both, in wall-clock and CPU seconds.
    Gives each side's wall-clock summary and the summaries of the per-pair ratios
    (ours / bare), which are steadier than a ratio of two medians."""
    times: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in ("ours", "bare")}
    for i in range(reps):
        order = [("ours", ours), ("bare", bare)]
        for name, fn in order if i % 2 == 0 else order[::-1]:
            w0, c0 = wall(), cpu()
            fn()
            times[name]["wall"].append(wall() - w0)
            times[name]["cpu"].append(cpu() - c0)

    def ratios(kind: str) -> list[float]:
        return [o / b for o, b in zip(times["ours"][kind], times["bare"][kind], strict=True) if b > 0]

    return {"ours": summary(times["ours"]["wall"]), "bare": summary(times["bare"]["wall"]),
            "ratio": summary(ratios("wall")), "cpu_ratio": summary(ratios("cpu"))}
