"""Offline, voice-first assistant for student-led IEPs."""

__version__ = "0.1.0"
