"""The student's screen's server, over real HTTP, against a real
`iep-assistant session --screen browser --no-open` child process: the page's
addresses and refusals, the event stream as a session goes on (driven by the
page's buttons and typed answers), the settings saved in the student's profile,
and the end. The page itself (its script, in a browser) is test_screen_page.py's."""

from __future__ import annotations

import http.client
import json
import queue
import re
import select
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.wav import read_wav, write_wav
from tests.conftest import ROOT
from tests.webapp import raw_request

TOKEN_LINE = re.compile(r"^student screen: http://127\.0\.0\.1:(\d+)/([A-Za-z0-9_-]{32})/$")


class Events:
    """One page's event stream (SSE), read on a thread of its own into a queue."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", f"/{token}/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[tuple[str, dict]] = []
        self.times: list[float] = []  # when each event arrived
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind, data = None, []
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and kind is not None:
                    self.times.append(time.monotonic())
                    self.queue.put((kind, json.loads("\n".join(data))))
                    kind, data = None, []
        except OSError:
            pass
        self.queue.put(("closed", {}))

    def next(self, kind: str | None = None, where=lambda d: True, timeout: float = 60) -> dict:
        """The next event of ``kind`` (any kind: None) that ``where`` accepts; those before it are passed over."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} event within {timeout} s; the last ones: {self.seen[-8:]}")
            try:
                k, d = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append((k, d))
            if k == "closed" and kind != "closed":
                raise AssertionError(f"the stream closed while waiting for {kind}; the last ones: {self.seen[-8:]}")
            if (kind is None or k == kind) and where(d):
                return d

    def listening(self, timeout: float = 60) -> dict:
        """The snapshot (when this is the stream's start) or next event saying the session listens."""
        if not self.seen:
            state = self.next("state")
            if state["listen"] and state["listen"]["on"]:
                return state["listen"]
        return self.next("listen", lambda d: d["on"], timeout)

    def close(self) -> None:
        self.conn.close()


class ScreenSession:
    """`iep-assistant session --student NAME --screen browser --no-open` in a child process."""

    def __init__(self, env: dict, student: str, *args: str, screen: str = "browser"):
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "session", "--student", student,
                                      "--screen", screen, "--no-open", *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        self.err = ""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err += line
            m = TOKEN_LINE.match(line.rstrip("\n"))
            if m:
                self.port, self.token = int(m.group(1)), m.group(2)
                break
        else:
            raise AssertionError(f"no 'student screen:' line; stderr: {self.err}")
        self.base = f"/{self.token}/"

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes, dict]:
        return raw_request(self.port, "GET", path, {"Host": f"127.0.0.1:{self.port}" if host is None else host})

    def post(self, what: str, payload, content_type: str = "application/json") -> tuple[int, str]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        status, data, _ = raw_request(self.port, "POST", f"{self.base}{what}",
                                      {"Host": f"127.0.0.1:{self.port}", "Content-Type": content_type}, body)
        return status, data.decode()

    def events(self) -> Events:
        return Events(self.port, self.token)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, self.err + err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


@pytest.fixture(scope="module")
def waiting(base_env, tmp_path_factory):
    """A session waiting at its first question, for the tests that only look at addresses."""
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path_factory.mktemp("waiting") / "data"))
    add_student(env, "Kim Lee")
    s = ScreenSession(env, "Kim Lee", "--text", "--no-voice")
    yield s
    s.kill()


def add_student(env, name: str, grade: int = 10) -> None:  # with one accommodation
    from assistant.store import Store

    store = Store(Path(env["IEP_ASSISTANT_DATA"]))
    try:
        store.roster.add(name, grade, accommodations=["extended time"])
    finally:
        store.close()


@pytest.fixture
def screen(env):
    add_student(env, "Kim Lee")
    s = ScreenSession(env, "Kim Lee", "--text", "--no-voice")
    yield s
    s.kill()


def profile(env, name: str = "Kim Lee") -> sqlite3.Row:
    db = sqlite3.connect(Path(env["IEP_ASSISTANT_DATA"]) / "iep.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT rate, voice, display FROM students WHERE name=?", (name,)).fetchone()
    finally:
        db.close()


def take_a_break(screen: ScreenSession, events: Events) -> dict:
    assert screen.post("input", {"say": "take a break"})[0] == 204
    return events.next("end")


def test_the_page_needs_the_token_and_its_own_host(waiting):
    """404 without the right token whatever is asked; 421 for any Host but 127.0.0.1/localhost on
    the page's port, even with the token; the page itself with its CSP and no-store."""
    token, port = waiting.token, waiting.port
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in ("/", "/events", "/input", f"/{wrong}/", f"/{wrong}/events", f"/{token[:10]}/", f"/{token}x/",
                 "/static/fonts/OpenDyslexic-Regular.otf", f"/{wrong}/static/index.html", "/favicon.ico"):
        status, body, _ = waiting.get(path)
        assert status == 404, (path, status)
        assert token.encode() not in body
    status, _, _ = raw_request(port, "POST", f"/{wrong}/input", {"Host": f"127.0.0.1:{port}",
                                                                "Content-Type": "application/json"}, b'{"say": "yes"}')
    assert status == 404
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1", f"localhost.evil:{port}",
                 f"127.0.0.2:{port}", ""):
        status, body, _ = waiting.get(waiting.base, host=host)
        assert status == 421, (host, status)
        assert b"Misdirected" in body
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        status, body, headers = waiting.get(waiting.base, host=host)
        assert status == 200, (host, status)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    assert b"<html" in body.lower()
    # the page's relative addresses need the slash after the token
    status, _, headers = waiting.get(f"/{token}")
    assert status == 308 and headers["Location"] == waiting.base


def test_static_files_only_from_the_package_with_their_types(waiting):
    """Every file of the page's static folder is served with its type (fonts as font/otf,
    font/woff2); nothing outside it, however the path is written."""
    from assistant.screen.server import STATIC, TYPES

    served = 0
    for f in sorted(STATIC.rglob("*")):
        if f.is_file() and f.suffix.lower() in TYPES:
            status, body, headers = waiting.get(f"{waiting.base}static/{f.relative_to(STATIC).as_posix()}")
            assert status == 200 and body == f.read_bytes(), f
            assert headers["Content-Type"] == TYPES[f.suffix.lower()]
            served += 1
    print(f"{served} static files served")
    assert TYPES[".otf"] == "font/otf" and TYPES[".woff2"] == "font/woff2"
    for path in ("static/../server.py", "static/../../cli.py", "static/%2e%2e/server.py", "static//etc/passwd",
                 "static/./index.html", "static/", "static/fonts", "static/..%2fserver.py", "static/\\..\\server.py",
                 "../screen/server.py", "static/../../../../../etc/passwd"):
        status, body, _ = waiting.get(waiting.base + path)
        assert status == 404, (path, status)
        assert b"import" not in body and b"root:" not in body


def test_input_and_settings_refuse_what_they_cannot_take(screen, env):
    """Bad JSON, unknown buttons and settings, values out of range: 400 with a plain
    message, and nothing saved; a settings change is saved in the profile."""
    events = screen.events()
    events.listening()
    for payload, words in [(b"{not json", "not JSON"), ({"say": "dance"}, "not a button"), ({"say": 3}, "not a button"),
                           ({"answer": "   "}, "empty"), ({"answer": 5}, "text"), ({}, "send one of"),
                           ({"say": "yes", "answer": "x"}, "send one of"), (["yes"], "send one of"),
                           ({"answer": "x" * 4001}, "too long"), ({"shout": "yes"}, "unknown input")]:
        status, body = screen.post("input", payload)
        assert status == 400 and words in body, (payload, status, body)
    assert screen.post("input", {"say": "yes"}, content_type="text/plain")[0] == 415
    assert screen.get(screen.base + "input")[0] == 405
    before = profile(env)
    for payload, words in [({"text_size": 1000}, "text_size must be a number from 100 to 400"),
                           ({"text_size": True}, "text_size"), ({"theme": "pink"}, "theme must be one of"),
                           ({"font": "comic"}, "font must be one of"), ({"line_spacing": 0.5}, "line_spacing"),
                           ({"letter_spacing": "wide"}, "letter_spacing"), ({"rate": 500}, "rate must be"),
                           ({"dwell": -1}, "dwell"), ({"colour": "red"}, "unknown setting"), ({}, "at least one"),
                           ({"voice": "piper:no-such-voice"}, "voice"), ({"voice": ""}, "voice"),
                           ({"theme": "dark", "text_size": 50}, "text_size")]:
        status, body = screen.post("settings", payload)
        assert status == 400 and words in body, (payload, status, body)
    assert tuple(profile(env)) == tuple(before)  # nothing was saved, not even the good half of a bad request
    status, _ = screen.post("settings", {"text_size": 250, "theme": "dark", "font": "opendyslexic", "rate": 140,
                                         "dwell": 1.5, "letter_spacing": 0.12})
    assert status == 204
    shown = events.next("settings")
    assert (shown["text_size"], shown["theme"], shown["font"], shown["rate"], shown["dwell"]) == (250, "dark",
                                                                                                 "opendyslexic", 140, 1.5)
    saved = profile(env)
    assert saved["rate"] == 140
    assert json.loads(saved["display"]) == {"text_size": 250, "theme": "dark", "font": "opendyslexic", "dwell": 1.5,
                                            "letter_spacing": 0.12}
    assert screen.post("settings", {"voice": "espeak:en-us"})[0] == 204
    assert events.next("settings")["voice"] == "espeak:en-us" and profile(env)["voice"] == "espeak:en-us"
    assert screen.post("settings", {"line_spacing": 2.5})[0] == 204  # a partial change keeps the rest
    events.next("settings", lambda d: d["line_spacing"] == 2.5 and d["theme"] == "dark")
    assert json.loads(profile(env)["display"])["line_spacing"] == 2.5
    # a new page (a reload) starts with the settings as they are now
    again = screen.events()
    state = again.next("state")
    assert state["settings"]["theme"] == "dark" and state["settings"]["text_size"] == 250
    again.close()
    take_a_break(screen, events)
    assert screen.finish()[0] == 0


def reply(say: dict, listen: dict, typed: list[str]) -> dict:
    """What a student at the page presses or types for the line on the screen."""
    text = say["text"]
    if listen["expect"] == "yes_no":
        if text.startswith("Did you mean"):
            return {"say": "no"}
        if text.endswith("Is that right?"):  # read-backs, and the parts of the draft at the end
            return {"say": "yes"}
        return {"say": "no"}  # "Do you want to draft another goal?"
    if re.match(r"(Anything|Any) (else|other)", text):
        return {"say": "that's all"}
    answer = f"my answer number {len(typed) + 1} is about things I care about"
    typed.append(answer)
    return {"answer": answer}


def test_a_typed_session_through_the_page(screen, env, cli):
    """A whole --text session driven from the page only (buttons and typed answers, no
    stdin): the stream's snapshot, then each line, where the student is, the heard
    answer and its read-back, the draft's cards at the end and the end; two pages get
    the same events. The draft holds the typed answers and no command words."""
    first, second = screen.events(), screen.events()
    state = first.next("state")
    assert set(state) == {"say", "word", "spoken", "listen", "caption", "heard", "where", "cards", "card", "problem",
                          "settings", "end"}
    assert state["settings"]["text_size"] == 150 and state["end"] is None
    typed: list[str] = []
    commands = ["repeat", "slower"]  # at the first questions that take an answer
    current, cards, end = state["say"], None, None
    events = [("state", state)]
    if state["listen"] and state["listen"]["on"]:
        events.append(("listen", state["listen"]))  # listening already: the page acts on the snapshot
    while end is None:
        if len(events) > 5000:
            raise AssertionError(f"the session did not end; the last events: {events[-10:]}")
        kind, data = events[-1]
        if kind == "say":
            current = data
        elif kind == "cards":
            cards = data["cards"]
        elif kind == "end":
            end = data
            break
        elif kind == "listen" and data["on"]:
            assert current is not None and current["kind"] == "prompt", current
            if commands and data["expect"] == "answer" and not current["text"].startswith(("Take your time", "Okay")):
                payload = {"say": commands.pop(0)}
            else:
                payload = reply(current, data, typed)
            assert screen.post("input", payload) == (204, ""), payload
        data = first.next()
        events.append((first.seen[-1][0], data))
    code, out, err = screen.finish()
    print(f"{len(typed)} typed answers, {len(events)} events")
    assert code == 0, err
    assert "finished" in err
    assert not commands
    with pytest.raises(ConnectionRefusedError):  # the server stopped with the session
        socket.create_connection(("127.0.0.1", screen.port), timeout=5).close()
    said = [d for k, d in events if k == "say"]
    assert end == {"ending": "finished", "text": said[-1]["text"]}
    assert [d["id"] for d in said] == sorted({d["id"] for d in said})
    assert all(d["words"] == d["text"].split() for d in said)
    # "repeat" said the question again; "slower" said so, then the question again
    # (the lines said before the streams connected are in the snapshot: a busy machine may get there late)
    lines = ([state["say"]] if state["say"] else []) + said
    texts_said = [d["text"] for d in lines]
    first_question = next(d["text"] for d in lines if d["kind"] == "prompt")
    assert texts_said.count(first_question) >= 3
    assert texts_said[texts_said.index("Okay, I will talk slower.") + 1] == first_question
    # each typed answer was heard, then read back as a prompt
    for answer in typed:
        i = events.index(("heard", {"text": answer}))
        assert ("say", next(d for k, d in events[i:] if k == "say")) in events
        assert next(d for k, d in events[i:] if k == "say")["text"] == f"I heard: {answer}. Is that right?"
    wheres = [d for k, d in events if k == "where"]
    assert wheres[0]["number"] == 1 and all(1 <= w["number"] <= w["total"] for w in wheres)
    assert max(w["number"] for w in wheres) >= 5
    assert cards and all(c["title"] and c["text"] for c in cards)
    assert any(typed[0] in c["text"] for c in cards)
    read = [d["index"] for k, d in events if k == "card"]
    assert read == list(range(len(cards)))
    # the second page saw the same events, in the same order
    second.next("end")
    tail = second.seen[1:]
    assert second.seen[0][0] == "state" and len(tail) > 20
    assert tail == first.seen[-len(tail):]
    # the terminal showed what it shows today
    assert "Kim" in out and "I heard:" in out
    draft = json.loads(cli("export", "--student", "Kim Lee", "--format", "json", env=env).stdout)
    texts = _texts(draft)
    for answer in typed:
        assert any(answer in t for t in texts), answer
    words = {"yes", "no", "repeat", "slower", "faster", "skip", "go back", "help", "i don't know", "that's all",
             "take a break"}
    assert not [t for t in texts if t.strip(" .").casefold() in words]
    assert profile(env)["rate"] == 140  # "slower" from the page changed the student's speed, in their profile


def _texts(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "text" and isinstance(v, str)] + [
            t for k, v in node.items() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


def test_nothing_of_another_student_is_reachable(env, cli):
    """The page is the session's student's only: another student's name, answers and
    profile are in no event, address or answer, and settings change only this student."""
    add_student(env, "Other Pupil")
    r = cli("session", "--student", "Other Pupil", "--text", "--no-voice", env=env,
            input="my secret answer about dinosaurs\nyes\nstop\n")
    assert r.returncode == 0, r.stderr
    add_student(env, "Kim Lee")
    screen = ScreenSession(env, "Kim Lee", "--text", "--no-voice")
    try:
        events = screen.events()
        events.listening()
        bodies = [json.dumps(events.seen)]
        for path in ("", "students/1", "student/1", "draft", "export", "transcript/1", "1",
                     "static/../../../store/", "review", "?student=Other%20Pupil"):
            status, body, _ = screen.get(screen.base + path)
            bodies.append(body.decode("utf-8", "replace"))
            assert path in ("", "?student=Other%20Pupil") or status == 404, (path, status)
        assert screen.post("settings", {"student": "Other Pupil", "theme": "dark"})[0] == 400
        assert screen.post("settings", {"theme": "contrast", "rate": 200})[0] == 204
        events.next("settings")
        take_a_break(screen, events)
        assert screen.finish()[0] == 0
        bodies.append(json.dumps(events.seen))
        for body in bodies:
            assert "Other" not in body and "dinosaurs" not in body
        assert json.loads(profile(env)["display"]) == {"theme": "contrast"}
        other = profile(env, "Other Pupil")
        assert other["rate"] is None and json.loads(other["display"]) == {}
    finally:
        screen.kill()


@pytest.mark.slow  # a spoken session on the virtual audio devices, with the real speech models
def test_a_press_on_the_page_stops_listening_at_once(pulse, natural_speech, tmp_path):
    """Spoken mode: the microphone and the page together. A typed answer or a button
    pressed while the session listens to a silent microphone ends the listening at
    once and is the answer (without the page, listening to silence would go on for
    the end-pointer's 8 s no-speech timeout, then a re-prompt); one pressed while a
    question is said cuts it short and answers it. Words spoken into the microphone
    are shown as live captions, then heard and read back.

    The timing bounds only tell a cut from its absence (4 s: half the no-speech
    timeout; 1.5 s: half the read-back's length); the measured figures are printed."""
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    add_student(env, "Kim Lee")
    screen = ScreenSession(env, "Kim Lee", "--input-device", "pulse", "--output-device", "pulse", "--rate", "220")
    try:
        events = screen.events()
        events.listening(timeout=120)  # the first question has been spoken: the microphone listens
        time.sleep(1.0)  # into the listening, the microphone silent
        pressed = time.monotonic()
        assert screen.post("input", {"answer": "I am good at fixing bikes"}) == (204, "")
        events.next("listen", lambda d: not d["on"])
        typed_cut = time.monotonic() - pressed
        assert events.next("heard")["text"] == "I am good at fixing bikes"
        readback = events.next("say")
        assert readback["text"] == "I heard: I am good at fixing bikes. Is that right?"
        # "yes" pressed while the read-back (a question: about 3 s at 220 words a minute) is said: it is cut short
        time.sleep(0.3)
        pressed = time.monotonic()
        assert screen.post("input", {"say": "yes"}) == (204, "")
        events.next("spoken", lambda d: d["id"] == readback["id"])
        speech_cut = time.monotonic() - pressed
        assert events.next("listen")["expect"] == "yes_no"  # listened for, the answer was there already
        print(f"listening stopped {typed_cut * 1000:.0f} ms after a typed answer; the read-back stopped "
              f"{speech_cut * 1000:.0f} ms after a button")
        assert typed_cut < 4.0 and speech_cut < 1.5
        # the next question ("Any other strengths?"): answered aloud, shown as it is heard. Whisper
        # decodes a stretch of 4 s or more at a pause while the student goes on: its text is the
        # caption during the second part (a short answer is decoded whole at its end, and shown
        # then, as the read-back)
        events.listening(timeout=60)
        time.sleep(0.3)
        first = read_wav(natural_speech("I am also good at drawing comics about robots and dragons with my little "
                                        "brother", "piper-joe"))
        # a long second part: the first one's decode has time to end while it is said, even on a busy machine
        then = read_wav(natural_speech("and my friends like them a lot because they are funny and colourful and "
                                       "sometimes we make our own books together after school on fridays",
                                       "piper-joe"))
        pause = np.zeros(int(first.rate * 0.8), np.float32)
        answer = write_wav(tmp_path / "answer.wav", np.concatenate([first.samples, pause, then.samples]), first.rate)
        started = len(events.seen)
        played = time.monotonic()
        pulse.play_into_mic(answer)
        heard = events.next("heard", timeout=60)["text"]
        during = events.seen[started:]
        captions = [d["text"] for k, d in during if k == "caption"]
        levels = [d["db"] for k, d in during if k == "level"]
        print(f"heard {heard!r}; captions {captions}; {len(levels)} level events, {min(levels):.1f} to "
              f"{max(levels):.1f} dB")
        print([(k, round(t - played, 2)) for (k, _), t in zip(during, events.times[started:], strict=False)
               if k != "level"])
        assert "dragons" in heard.casefold() and "colourful" in heard.casefold().replace("colorful", "colourful")
        assert captions and "dragons" in captions[0].casefold() and "funny" not in captions[0].casefold()
        assert max(levels) > min(levels) + 20  # the level rose with the voice
        events.next("listen", lambda d: d["on"], timeout=60)  # "I heard: ... Is that right?"
        time.sleep(0.5)
        pressed = time.monotonic()
        assert screen.post("input", {"say": "take a break"}) == (204, "")
        events.next("listen", lambda d: not d["on"])
        button_cut = time.monotonic() - pressed
        print(f"listening stopped {button_cut * 1000:.0f} ms after a button")
        assert button_cut < 4.0
        assert events.next("end", timeout=60)["ending"] == "paused"
        code, _, err = screen.finish()
        assert code == 0, err
    finally:
        screen.kill()
    d = json.loads(subprocess.run([sys.executable, "-m", "assistant", "export", "--student", "Kim Lee", "--format",
                                   "json"], capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout)
    texts = _texts(d)
    assert any("fixing bikes" in t for t in texts), texts


def test_screen_auto_is_the_browser_only_with_a_display(env, cli):
    """--screen auto (the default): the terminal without a graphical display (typed answers
    on stdin, no page), the page with one (--no-open: its address, and answers from it)."""
    add_student(env, "Kim Lee")
    r = cli("session", "--student", "Kim Lee", "--text", "--no-voice", env=env, input="stop\n")
    assert r.returncode == 0, r.stderr
    assert "student screen" not in r.stderr and "What are your strengths" in r.stdout
    screen = ScreenSession(dict(env, DISPLAY=":77"), "Kim Lee", "--resume", "--text", "--no-voice", screen="auto")
    try:
        events = screen.events()
        assert events.listening()["expect"] == "answer"
        assert take_a_break(screen, events)["ending"] == "paused"
        code, out, err = screen.finish()
        assert code == 0, err
        assert err.count("student screen: ") == 1 and "What are your strengths" in out
    finally:
        screen.kill()


@pytest.mark.slow  # a PulseAudio daemon of its own and a spoken session
def test_a_lost_microphone_is_a_problem_on_the_page_until_it_is_back(natural_speech, tmp_path, base_env):
    """The headset unplugged while the session listens: the page shows the problem in plain
    words (the line said aloud too) and clears it when the microphone is back; the same
    question is then listened for again. (The daemon set up as in test_unplug.py: the
    session records from the headset by name, and PulseAudio does not move the stream.)"""
    from assistant.session import MIC_BACK, MIC_LOST
    from tests.conftest import Pulse

    pulse = Pulse(tmp_path / "pulse", rescue_streams=False)  # our own daemon: this test takes its microphone away
    pulse.env.update({k: v for k, v in base_env.items() if k in ("XDG_CACHE_HOME", "PYTHONPATH")})
    pulse.start()
    screen = None
    try:
        pulse.pactl("set-default-source", "mic_feed.monitor")
        env = dict(pulse.env, IEP_ASSISTANT_DATA=str(tmp_path / "data"), PULSE_SOURCE="mic")
        add_student(env, "Kim Lee")
        screen = ScreenSession(env, "Kim Lee", "--input-device", "pulse", "--output-device", "pulse", "--rate", "280")
        events = screen.events()
        events.listening(timeout=120)
        question = [d for k, d in events.seen if k == "say"] or [events.seen[0][1]["say"]]
        events.next("level", timeout=30)  # the microphone's sound is coming in
        time.sleep(0.5)
        pulse.unplug_mic()
        assert events.next("problem", timeout=30) == {"text": MIC_LOST}
        assert events.next("say", timeout=30)["text"] == MIC_LOST  # and said
        pulse.plug_mic()
        assert events.next("problem", timeout=30) == {"text": ""}
        assert events.next("say", timeout=30)["text"] == MIC_BACK
        assert events.next("say", timeout=30)["text"].endswith(question[-1]["text"])  # the same question again
        events.listening(timeout=60)
        assert take_a_break(screen, events)["ending"] == "paused"
        code, _, err = screen.finish()
        assert code == 0, err
    finally:
        if screen is not None:
            screen.kill()
        pulse.stop()


def test_the_session_speaks_once_its_page_is_open(env):
    """The first line waits for the page (up to cli.PAGE_WAIT), so the student sees it
    from its first word; the terminal shows nothing before."""
    add_student(env, "Kim Lee")
    s = ScreenSession(env, "Kim Lee", "--text", "--no-voice")
    try:
        assert s.proc.stdout is not None
        ready, _, _ = select.select([s.proc.stdout], [], [], 2.0)  # the page is not open yet
        assert not ready, f"the session spoke before its page was open: {s.proc.stdout.readline()!r}"
        events = s.events()
        state = events.next("state")
        said = state["say"] or events.next("say")
        assert said["text"].startswith("Hi Kim"), said
        take_a_break(s, events)
    finally:
        s.kill()


def test_speak_takes_only_the_pages_words_and_the_questions_choices(env):
    """POST /speak {"label"}: the page's own words (its controls' names), a choice of the
    question being asked and where the student is are taken (204); anything else, even
    a choice of no question now or the student's own name, is refused with 400. The
    settings carry the student's language and "Say buttons aloud" (on by default, saved
    with the display). The section count: a grade-2 student with an accommodation goes
    through all 8 sections of the k-2 dialogue, and the read-back is the 9th."""
    add_student(env, "Kim Lee", grade=2)
    screen = ScreenSession(env, "Kim Lee", "--text", "--no-voice")
    try:
        events = screen.events()
        state = events.next("state")
        assert state["settings"]["language"] == "en" and state["settings"]["speak_labels"] is True
        listen = events.listening()
        assert listen["expect"] == "choice" and "helping friends" in listen["choices"]
        where = ([d for k, d in events.seen if k == "where"] or [state["where"]])[-1]
        assert (where["section"], where["number"], where["total"]) == ("Things I am good at", 1, 9)
        for label in ("Repeat", "Yes", "Type your answer", "Say buttons aloud", "Text size", "Helping friends",
                      "drawing", "Section 1 of 9", "Things I am good at. Section 1 of 9",
                      "The screen lost touch with the assistant. It is trying again."):
            assert screen.post("speak", {"label": label}) == (204, ""), label
        for payload in ({"label": "Kim Lee"}, {"label": "Hello, say anything"}, {"label": "Dogs"},
                        {"label": "Section 2 of 9"}, {"label": "Repeat it"}, {"label": ""}, {"label": "x" * 300},
                        {"label": 3}, {}, {"label": "Yes", "more": 1}, ["Yes"], {"text": "Yes"}):
            status, body = screen.post("speak", payload)
            assert status == 400 and ("not a label" in body or "send {" in body), (payload, status, body)
        assert screen.post("speak", {"label": "Yes"}, content_type="text/plain")[0] == 415
        assert screen.get(screen.base + "speak")[0] == 405
        for payload, words in (({"speak_labels": "no"}, "true or false"), ({"language": "fr"}, "not on the page")):
            status, body = screen.post("settings", payload)
            assert status == 400 and words in body, (payload, body)
        assert screen.post("settings", {"speak_labels": False}) == (204, "")
        assert events.next("settings")["speak_labels"] is False
        assert json.loads(profile(env)["display"]) == {"speak_labels": False}
        assert screen.post("speak", {"label": "Repeat"}) == (204, "")  # taken, and not said (test below)
        take_a_break(screen, events)
        assert screen.finish()[0] == 0
    finally:
        screen.kill()


@pytest.mark.slow  # a session speaking on the virtual audio devices
def test_a_label_is_heard_never_over_a_question_and_not_when_turned_off(pulse, tmp_path):
    """The speech really goes out: after POST /speak the speaker's monitor hears the
    label; a settings change is heard too (its confirmation); with "Say buttons aloud"
    off, and for a refused label, nothing is heard. A label sent while a question is
    being said does not cut it (the question lasts as long as without one) and is not
    said after it (dropped). The bounds only tell sound from silence and a cut from none
    (a cut question would be over 1 s shorter); measured figures are printed."""
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    add_student(env, "Kim Lee", grade=2)
    screen = ScreenSession(env, "Kim Lee", "--text", "--output-device", "pulse", "--rate", "220")
    try:
        events = screen.events()
        events.listening(timeout=120)
        with pulse.watch_speaker() as speaker:
            assert speaker.wait_for_quiet(0.5, 20)

            def heard_after(what: str, payload: dict, status: int = 204, within: float = 6.0) -> float | None:
                assert speaker.wait_for_quiet(0.5, 20)
                sent = time.perf_counter()
                assert screen.post(what, payload)[0] == status, payload
                when = speaker.first_sound_after(sent, within)
                print(f"{what} {payload}: " + (f"heard after {(when - sent) * 1000:.0f} ms" if when else "nothing heard"))
                return when

            assert heard_after("speak", {"label": "Repeat"}) is not None
            assert heard_after("speak", {"label": "Helping friends"}) is not None
            assert heard_after("speak", {"label": "Hello there"}, status=400, within=3) is None
            assert heard_after("settings", {"text_size": 200}) is not None  # "Text size 200 percent."
            assert heard_after("settings", {"speak_labels": False}, within=3) is None  # turning it off is not said
            assert heard_after("speak", {"label": "Repeat"}, within=3) is None
            assert heard_after("settings", {"text_size": 150}, within=3) is None
            assert heard_after("settings", {"speak_labels": True}) is not None  # "Say buttons aloud on."

            def question_said(label_during: bool) -> float:
                """The question said again ("repeat"): how long its sound lasts."""
                assert speaker.wait_for_quiet(0.5, 20)
                assert screen.post("input", {"say": "repeat"})[0] == 204
                line = events.next("say", lambda d: d["kind"] == "prompt")
                started = speaker.first_sound_after(time.perf_counter() - 0.5, 10)
                assert started is not None
                if label_during:
                    time.sleep(0.8)
                    assert screen.post("speak", {"label": "Send"})[0] == 204
                events.next("spoken", lambda d: d["id"] == line["id"])
                ended = time.perf_counter()
                assert speaker.wait_for_quiet(0.3, 5)
                last = speaker.last_sound_before(time.perf_counter())
                assert last is not None
                if label_during:  # dropped, not said once the question is over
                    assert speaker.first_sound_after(last + 0.05, 1.5) is None
                print(f"question sounded {last - started:.2f} s (spoken event {ended - started:.2f} s after its start)"
                      f"{' with a label sent during it' if label_during else ''}")
                return last - started

            alone = question_said(False)
            with_label = question_said(True)
            assert abs(with_label - alone) < 0.5, (alone, with_label)
        take_a_break(screen, events)
        assert screen.finish()[0] == 0
    finally:
        screen.kill()


# ---------------------------------------------------------------- in the student's language


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_button_sends_words_its_language_understands_as_its_command(language):
    """A button's words go into the engine as spoken words: in each language with a
    vocabulary they must mean the button's command (else a press is stored as an answer)."""
    from assistant.dialogue.vocabulary import meaning_of
    from assistant.screen.ears import BUTTONS, buttons

    sent = buttons(language)
    assert list(sent) == list(BUTTONS)
    assert {b: meaning_of(w, language) for b, w in sent.items()} == {b: meaning_of(b) for b in BUTTONS}


def test_the_pages_words_are_messages_and_index_html_is_their_english():
    """index.html's data-text names a screen message, shown there in English (the page
    without JavaScript); the labels said on focus are those messages in each language."""
    from html.parser import HTMLParser

    from assistant.messages import table
    from assistant.screen.server import PAGE_LABELS, STATIC, page_labels, page_texts

    english = page_texts("en")
    found: dict[str, set[str]] = {}

    class Texts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[str | None] = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if "data-label-text" in a:
                found.setdefault(a["data-label-text"], set()).add(a["aria-label"])
            if tag not in ("input", "meta", "link", "br"):
                self.open.append(a.get("data-text"))

        def handle_endtag(self, tag):
            if tag not in ("input", "meta", "link", "br") and self.open:
                self.open.pop()

        def handle_data(self, data):
            if self.open and self.open[-1] and data.strip():
                found.setdefault(self.open[-1], set()).add(data.strip())

    Texts().feed((STATIC / "index.html").read_text(encoding="utf-8"))
    assert len(found) > 40
    for key, shown in found.items():
        for text in shown:  # "{rate} (slowest)" is shown as "90 (slowest)"
            pattern = re.escape(english[key]).replace(r"\{rate\}", r"\d+").replace(r"\{seconds\}", r"[\d.]+")
            assert re.fullmatch(pattern, text), (key, text, english[key])
    assert page_labels("en") == PAGE_LABELS
    spanish = page_labels("es")
    assert {"Sí", "Repite", "Un descanso", "Escribe tu respuesta", "Ajustes", "Escuchando"} <= spanish
    assert not spanish & (PAGE_LABELS - {"No"}), spanish & PAGE_LABELS
    assert page_texts("es").keys() == english.keys() and table("es")  # checked against English's keys


def test_a_spanish_students_page_gets_its_words_and_buttons_in_spanish(tmp_path):
    """The settings a Spanish-speaking student's page gets carry its texts and its
    buttons' words in Spanish; a press (by its Spanish words, or by its English name
    from a page still in English) is the Spanish words; the labels said on focus, the
    section count and a settings change said aloud are Spanish. English is unchanged."""
    from assistant.errors import UserError
    from assistant.screen.server import StudentScreen, confirmation
    from assistant.store import Store

    st = Store(tmp_path)
    ana = st.roster.add("Ana López", 4, language="es")
    st.close()
    screen = StudentScreen(tmp_path, ana, None)
    try:
        settings = screen.hub.current_settings()
        assert settings["language"] == "es"
        assert settings["texts"]["take_a_break"] == "Un descanso" and settings["texts"]["send"] == "Enviar"
        assert settings["buttons"]["take a break"] == "un descanso" and settings["buttons"]["yes"] == "sí"
        for sent, heard in [({"say": "repite"}, "repite"), ({"say": "repeat"}, "repite"), ({"say": "sí"}, "sí"),
                            ({"answer": "me gusta dibujar"}, "me gusta dibujar")]:
            screen.page.receive(sent)
            assert screen.page.take(1).text == heard
        with pytest.raises(UserError, match="not a button: the buttons say sí, no, repite"):
            screen.page.receive({"say": "Repite por favor"})
        screen.hub.where("Cosas que hago bien", 1, 9)
        for label in ("Repite", "Escribe tu respuesta", "Leer los botones en voz alta", "Parte 1 de 9",
                      "Cosas que hago bien. Parte 1 de 9", "Repeat"):
            assert screen.allowed_label(label), label
        assert not screen.allowed_label("Parte 2 de 9") and not screen.allowed_label("Ana López")
    finally:
        screen.close()
    assert (confirmation({"text_size": 200, "theme": "dark", "dwell": 1.5, "letter_spacing": 0.05}, "es")
            == "Tamaño de la letra 200 por ciento. Colores: oscuro. El barrido avanza cada 1.5 segundos. "
               "Espacio entre letras: un poco.")
    assert (confirmation({"text_size": 200, "theme": "dark", "dwell": 1, "voice": "piper:x", "font": "default"})
            == "Text size 200 percent. Colours dark. Switch scanning moves every 1 second. Natural voice. "
               "Font default.")
