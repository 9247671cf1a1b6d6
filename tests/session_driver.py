"""Drive `iep-assistant session --text` like a student at a keyboard: read what
the program shows up to its "> " prompt, then type the next answer."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

from tests.conftest import ROOT


class TypedSession:
    def __init__(self, env: dict, *args: str, voice: bool = False):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "session", "--text", *([] if voice else ["--no-voice"]), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        self.transcript = ""

    def read_prompt(self, timeout: float = 60) -> str:
        """Everything shown since the last answer, up to the next "> " prompt."""
        return self._read(b"> ", timeout, trim=2, at_end=True)

    def read_until(self, text: str, timeout: float = 60) -> str:
        """Everything shown since the last read, up to and with ``text`` (the program
        may still be working: e.g. waiting for a full disk to have room)."""
        return self._read(text.encode(), timeout, trim=0)

    def _read(self, marker: bytes, timeout: float, trim: int, at_end: bool = False) -> str:
        """Up to ``marker``: its first appearance, or (``at_end``) the output read so
        far ending with it, as the "> " prompt does when the program waits for input."""
        out, self._rest = getattr(self, "_rest", b""), b""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        # the screen wraps long lines: the words of the marker may be split by any white space
        pattern = re.compile(rb"\s+".join(re.escape(w) for w in marker.split()))
        while not (out.endswith(marker) if at_end else pattern.search(out)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no prompt within {timeout} s; shown so far:\n{out.decode()}")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise EOFError(out.decode())
                out += chunk
        end = len(out) if at_end else pattern.search(out).end()
        out, self._rest = out[:end], out[end:]
        text = out.decode()
        self.transcript += text
        return " ".join(text[: len(text) - trim].split())

    def answer(self, line: str) -> None:
        self.transcript += line + "\n"
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        self.proc.stdin.close()
        out = (getattr(self, "_rest", b"") + self.proc.stdout.read()).decode()
        self.transcript += out
        err = self.proc.stderr.read().decode()
        return self.proc.wait(timeout), out, err
