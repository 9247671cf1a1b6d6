"""Audio at the boundary: files, devices, resampling and levels.

Everything past this package sees 16 kHz mono int16 PCM (``SAMPLE_RATE``).
"""

SAMPLE_RATE = 16000
