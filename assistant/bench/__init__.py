"""`iep-assistant bench`: speed, latency, accuracy and footprint, measured side by
side in one run, written to benchmarks.md (+ .json and .png) in ``--out`` (the
published ones: ``iep-assistant bench --out docs`` in a checkout).

Machines here are shared and noisy: every figure is a median over repeats with
its spread (min-max), and comparisons are ratios measured in the same run.

- ``measure``: medians and spreads, paired timing (unit-tested)
- ``material``: the speech measured: LibriVox clips, espeak-ng sentences, answers of a length
- ``recognition``: each engine's speed against the bare engine, latency through the live path, error rates
- ``program``: the program as a user meets it, in child processes and on virtual
  devices: speech output, storage, start-up, a spoken session timed by what is heard, peak memory
- ``report``: benchmarks.md and the plot, with the targets
- ``runner``: ``run``, the whole benchmark in a temporary folder
"""
