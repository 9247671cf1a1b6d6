"""Child process that renders speech with pyttsx3 (espeak-ng on Linux).

pyttsx3 is not re-entrant, can hang in ``runAndWait`` and prints to stdout, and
espeak-ng exits the whole process when its data is missing. So it runs here,
alone, answering one JSON line per request on a private copy of stdout while its
own stdout goes to /dev/null. The parent (``tts.TTSWorker``) applies timeouts.

Requests: {"op": "voices"} | {"op": "render", "text", "voice", "rate", "out"}.
A render's answer holds ``words``: when each display word (``text.split()``) starts
in the audio, in seconds, from espeak-ng's own word events (None without them).
"""

from __future__ import annotations

import bisect
import json
import os
import re
import sys


class WordEvents:
    """espeak-ng's word events as pyttsx3's driver receives them. pyttsx3 passes on
    only a word's place in the text ("started-word"); espeak-ng's event also says
    where the word starts in the audio it makes (``audio_position``, in ms from the
    start of the text's audio: measured equal to the samples delivered before it).
    So the driver's synth callback is wrapped: the events are noted, then the
    driver does what it does."""

    def __init__(self, engine, espeak):
        self.events: list[tuple[int, int]] = []  # (character position in the text, 1-based; ms into the audio)
        driver = engine.proxy._driver
        inner = driver._onSynth

        def callback(wav, numsamples, events):
            i = 0
            while events[i].type != espeak.EVENT_LIST_TERMINATED:
                if events[i].type == espeak.EVENT_WORD:
                    self.events.append((events[i].text_position, events[i].audio_position))
                i += 1
            return inner(wav, numsamples, events)

        espeak.SetSynthCallback(callback)

    def starts(self, text: str) -> list[float] | None:
        """Seconds at which each whitespace-separated word of ``text`` starts; None
        when espeak-ng sent no word event. A number can be two spoken words ("25"):
        its first counts. A word with no event of its own (a lone dash) starts with
        the next word (the last one's, at the end)."""
        if not self.events:
            return None
        ends = [m.end() for m in re.finditer(r"\S+", text)]
        found: list[float | None] = [None] * len(ends)
        for position, ms in self.events:  # in the order of the audio
            if position < 1:  # espeak-ng sends some with no place in the text (seen after a comma's pause)
                continue
            k = min(bisect.bisect_right(ends, position - 1), len(ends) - 1)
            if found[k] is None:
                found[k] = ms / 1000
        out: list[float] = []
        for i in range(len(ends) - 1, -1, -1):  # gaps take the next word's start
            value = found[i]
            out.append(value if value is not None else (out[-1] if out else -1.0))
        out.reverse()
        last = 0.0
        for i, value in enumerate(out):  # gaps at the end: the word before; never backwards
            last = out[i] = max(last, value)
        return out


def render(engine, synchronize, text: str, out: str, attempts: int = 3, words: WordEvents | None = None) -> None:
    for _ in range(attempts):
        if words is not None:
            words.events.clear()
        engine.save_to_file(text, out)
        engine.runAndWait()
        # pyttsx3's espeak driver can end its loop before espeak-ng has delivered
        # all of a long text; the rest (and the file) would only come with the next
        # request. espeak_Synchronize waits for the end of the synthesis.
        if synchronize:
            synchronize()
        # Now and then the driver writes the file before any audio arrived: try again.
        if os.path.exists(out) and os.path.getsize(out) > 44:
            return
    raise RuntimeError("the speech engine wrote no audio")


def main() -> int:
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")

    def reply(**kw) -> None:
        proto.write(json.dumps(kw, ensure_ascii=False) + "\n")

    try:
        import pyttsx3

        engine = pyttsx3.init("espeak" if sys.platform.startswith("linux") else None)
        default_voice = engine.getProperty("voice")
        synchronize = None
        words = None
        if sys.platform.startswith("linux"):
            from pyttsx3.drivers import _espeak

            synchronize = _espeak.Synchronize
            words = WordEvents(engine, _espeak)
    except Exception as e:  # a missing library surfaces as RuntimeError or OSError
        reply(error=f"{type(e).__name__}: {e}")
        return 1
    voices = engine.getProperty("voices")
    known = {k.lower() for v in voices for k in [v.id, v.name, *(str(x) for x in (v.languages or []))]}
    known |= {v.id.split("/")[-1].lower() for v in voices}
    reply(ready=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req["op"] == "voices":
                reply(voices=[{"id": v.id, "name": v.name, "languages": [str(x) for x in (v.languages or [])]}
                              for v in voices])
            elif req["op"] == "render":
                if req.get("voice") and req["voice"].lower() not in known:
                    reply(error="unknown voice", unknown_voice=req["voice"])
                    continue
                engine.setProperty("voice", req.get("voice") or default_voice)
                engine.setProperty("rate", int(req["rate"]))
                # In espeak-ng's asynchronous mode (pyttsx3's) a parameter is queued, and
                # without this wait a render now and then came out at the rate before:
                # 13 of 40 renders at 165 after one at 100 did (/tmp/flk/rep.py), none with it.
                if synchronize:
                    synchronize()
                render(engine, synchronize, req["text"], req["out"], words=words)
                reply(ok=True, words=words.starts(req["text"]) if words is not None else None)
            else:
                reply(error=f"unknown request {req['op']!r}")
        except Exception as e:
            reply(error=f"{type(e).__name__}: {e}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
