"""Stand-ins for what is outside the computer: a student who answers aloud, a
microphone that replays a recording, and sound devices for a machine that has
none (a private PulseAudio daemon).

The demo (``iep-assistant demo``), the benchmark and the tests use them, so they
ship with the package; the product's own path (a session with a real student)
never imports them.

- ``microphone``: ``SimulatedMicrophone`` (a recording, then a faint hiss) and
  ``RealtimeFeed`` (a recording at the pace it was spoken), both read by
  ``assistant.speech.listen`` as it reads a real microphone
- ``student``: ``SimulatedStudent``, who hears the program's lines and answers
  through a simulated microphone
- ``pulse``: ``VirtualAudio`` (a virtual speaker and microphone) and
  ``SoundWatcher`` (when sound is heard on them)
"""
