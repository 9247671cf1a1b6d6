"""Drive `iep-assistant session --text` like a student at a keyboard: read what
the program shows up to its "> " prompt, then type the next answer."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

from tests.conftest import ROOT


class TypedSession:
    def __init__(self, env: dict, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "session", "--text", "--no-voice", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        self.transcript = ""

    def read_prompt(self, timeout: float = 60) -> str:
        """Everything shown since the last answer, up to the next "> " prompt."""
        out = b""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while not out.endswith(b"> "):
            if time.monotonic() > deadline:
                raise AssertionError(f"no prompt within {timeout} s; shown so far:\n{out.decode()}")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise EOFError(out.decode())
                out += chunk
        text = out.decode()
        self.transcript += text
        return " ".join(text[:-2].split())

    def answer(self, line: str) -> None:
        self.transcript += line + "\n"
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        self.proc.stdin.close()
        out = self.proc.stdout.read().decode()
        self.transcript += out
        err = self.proc.stderr.read().decode()
        return self.proc.wait(timeout), out, err
