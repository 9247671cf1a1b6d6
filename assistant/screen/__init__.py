"""The student's screen: a local page that shows what the session says, word by
word as it is spoken, what the microphone hears, where the student is, and big
buttons and a text field that go into the same dialogue engine as the voice.

``hub`` (events and the current state), ``server`` (HTTP on 127.0.0.1 with a
per-launch token; ``StudentScreen`` puts a session's screen together), ``ears``
(the page's input, alone or with the microphone); the page itself is ``static/``.
"""
