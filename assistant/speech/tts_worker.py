"""Child process that renders speech with pyttsx3 (espeak-ng on Linux).

pyttsx3 is not re-entrant, can hang in ``runAndWait`` and prints to stdout, and
espeak-ng exits the whole process when its data is missing. So it runs here,
alone, answering one JSON line per request on a private copy of stdout while its
own stdout goes to /dev/null. The parent (``tts.TTSWorker``) applies timeouts.

Requests: {"op": "voices"} | {"op": "render", "text", "voice", "rate", "out"}.
"""

from __future__ import annotations

import json
import os
import sys


def render(engine, synchronize, text: str, out: str, attempts: int = 3) -> None:
    for _ in range(attempts):
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
        if sys.platform.startswith("linux"):
            from pyttsx3.drivers import _espeak

            synchronize = _espeak.Synchronize
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
                render(engine, synchronize, req["text"], req["out"])
                reply(ok=True)
            else:
                reply(error=f"unknown request {req['op']!r}")
        except Exception as e:
            reply(error=f"{type(e).__name__}: {e}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
