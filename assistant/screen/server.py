"""The student's screen's web server, inside the session process.

stdlib ``ThreadingHTTPServer`` on 127.0.0.1 and a free port: one thread per
request, so each page's event stream (Server-Sent Events) can block on its own
queue while buttons are pressed. Every address starts with a per-launch random
token: without it a request gets 404, whatever it asks for, so another program
or page on this computer that does not know the token learns nothing. A request
whose Host is not 127.0.0.1:PORT or localhost:PORT gets 421 before anything else
(as the review app's ``HostCheck``): a web page that points its own domain at
127.0.0.1 (DNS rebinding) is refused.

Only this session's student is reachable: the server holds the hub (what the
session shows) and the input queue, and no store query is made from a request
except saving the student's own display settings.
"""

from __future__ import annotations

import hmac
import json
import queue
import re
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import StorageError, UserError
from assistant.messages import Messages, table
from assistant.screen.ears import PageInput, buttons
from assistant.screen.hub import CLOSED, DEFAULTS, Hub, check_settings
from assistant.speech.tts import DEFAULT_RATE, Speaker, choose_voice
from assistant.store import Store, Student

if TYPE_CHECKING:
    from assistant.session import SpokenVoice

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 64 * 1024  # the largest POST is a typed answer: 4000 characters
KEEPALIVE = 15.0  # seconds between SSE comments, so a closed tab is noticed and proxies keep the stream
# like the review app's, and no inline script or style: everything comes from the package
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
       "media-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
         ".png": "image/png", ".ico": "image/x-icon", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
         ".woff2": "font/woff2", ".txt": "text/plain; charset=utf-8"}
# Until the page exists (it is another part's): a page that says what it is.
FALLBACK_PAGE = b"""<!doctype html><html lang="en"><meta charset="utf-8"><title>Student screen</title>
<p>The student's screen is not installed. The session goes on in the terminal.</p></html>
"""


# The page's own words, said when the focus reaches them (``POST /speak``): the
# names of its controls, its fixed statuses and the problems it finds itself. Only
# these, a choice of the question being asked, and where the student is, are said:
# the page is local, but the session's speech stays what the program shows (never
# text a page or another program makes up). index.html and screen.js use exactly these.
PAGE_LABELS = frozenset({
    "Yes", "No", "Repeat", "Slower", "Faster", "Skip", "Go back", "Help", "I don't know", "That's all", "Take a break",
    "Type your answer", "Send", "Settings", "Close settings", "Listening", "My IEP",
    "Text size", "Font", "Line spacing", "Letter spacing", "Colours", "Speech rate (words a minute)", "Voice",
    "Switch scanning", "Say buttons aloud",
    # the problems the page finds itself (screen.js)
    "The screen lost touch with the assistant. It is trying again.",
    "The assistant is not answering. Ask your teacher for help.",
    "The assistant could not take that. Please try again.",
})
MAX_LABEL = 200  # characters: the longest label is a problem's sentence
# The same labels as messages: PAGE_LABELS is their English (a test holds them equal);
# a page in the student's language says these in it.
PAGE_LABEL_KEYS = (
    "screen.button_yes", "screen.button_no", "screen.repeat", "screen.slower", "screen.faster", "screen.skip",
    "screen.go_back", "screen.help", "screen.dont_know", "screen.thats_all", "screen.take_a_break",
    "screen.type_your_answer", "screen.send", "screen.settings", "screen.close_settings", "screen.listening",
    "screen.my_iep", "screen.text_size", "screen.font", "screen.line_spacing", "screen.letter_spacing",
    "screen.colours", "screen.speech_rate", "screen.voice", "screen.switch_scanning", "screen.say_buttons_aloud",
    "screen.lost", "screen.not_answering", "screen.not_taken",
)


def page_labels(language: str) -> frozenset[str]:
    """The page's own words in ``language`` (see PAGE_LABELS)."""
    m = Messages(language)
    return frozenset(m(key) for key in PAGE_LABEL_KEYS)


def page_texts(language: str) -> dict[str, str]:
    """Every ``screen.*`` text of ``language`` by its key without "screen.", placeholders
    left in: the page fills them (index.html's ``data-text`` names these keys)."""
    return {key.removeprefix("screen."): text for key, text in table(language).items() if key.startswith("screen.")}


# A setting changed on the page, confirmed aloud in plain words ("Text size 200 percent").
FONT_NAMES = {"opendyslexic": "OpenDyslexic", "atkinson": "Atkinson Hyperlegible"}  # names in every language
THEME_KEYS = {"cream": "screen.theme_cream", "dark": "screen.theme_dark", "contrast": "screen.theme_contrast"}
LETTER_KEYS = {0.0: "screen.letter_none", 0.05: "screen.letter_a_little", 0.1: "screen.letter_more",
               0.2: "screen.letter_wide", 0.3: "screen.letter_widest"}


def confirmation(changes: dict[str, Any], language: str = "en") -> str:
    """What a settings change is said as: one short sentence per setting, in ``language``."""
    m = Messages(language)
    said = []
    for key, value in changes.items():
        if key == "text_size":
            said.append(m("screen.said_text_size", value=value))
        elif key == "font":
            name = m("screen.font_default") if value == "default" else FONT_NAMES.get(value, value)
            said.append(m("screen.said_font", name=name))
        elif key == "line_spacing":
            said.append(m("screen.said_line_spacing", value=f"{value:g}"))
        elif key == "letter_spacing":
            name = m(LETTER_KEYS[value]) if value in LETTER_KEYS else f"{value:g} em"
            said.append(m("screen.said_letter_spacing", name=name))
        elif key == "theme":
            said.append(m("screen.said_colours", name=m(THEME_KEYS[value]) if value in THEME_KEYS else value))
        elif key == "rate":
            said.append(m("screen.said_rate", value=value))
        elif key == "voice":
            said.append(m("screen.said_natural_voice") if str(value).startswith("piper:")
                        else m("screen.said_robot_voice"))
        elif key == "dwell":
            if not value:
                said.append(m("screen.said_step_with_space"))
            elif value == 1:
                said.append(m("screen.said_moves_every_one", seconds=f"{value:g}"))
            else:
                said.append(m("screen.said_moves_every_other", seconds=f"{value:g}"))
        elif key == "speak_labels" and value:
            said.append(m("screen.said_buttons_aloud_on"))
    return " ".join(said)


class ScreenServer:
    """Serves one session's page. ``on_input(payload)``, ``on_settings(payload)`` and
    ``on_speak(payload)`` take the page's POSTed JSON and raise UserError for what
    they refuse (400)."""

    def __init__(self, hub: Hub, on_input: Callable[[Any], None], on_settings: Callable[[Any], None],
                 static: Path = STATIC, on_speak: Callable[[Any], None] | None = None):
        self.hub, self.on_input, self.on_settings = hub, on_input, on_settings
        self.on_speak = on_speak or (lambda payload: None)
        self.static = static.resolve()
        self.token = secrets.token_urlsafe(24)
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.screen = self
        self.port = self.httpd.server_address[1]
        self.allowed_hosts = re.compile(rf"(127\.0\.0\.1|localhost):{self.port}")
        self._thread: threading.Thread | None = None
        self._streams: set[threading.Thread] = set()
        self._streams_lock = threading.Lock()
        self.connected = threading.Event()  # a page has opened its event stream

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.token}/"

    def start(self) -> ScreenServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="screen-server", daemon=True)
        self._thread.start()
        return self

    def close(self, grace: float = 2.0) -> None:
        """End every event stream (after the events already queued, the ``end``
        among them), stop serving and free the port."""
        self.hub.close()
        with self._streams_lock:
            streams = list(self._streams)
        for t in streams:
            t.join(grace)
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(grace)
            self._thread = None
        self.httpd.server_close()

    def _stream_started(self) -> None:
        with self._streams_lock:
            self._streams.add(threading.current_thread())
        self.connected.set()

    def _stream_ended(self) -> None:
        with self._streams_lock:
            self._streams.discard(threading.current_thread())


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stream left open by a browser never keeps the process alive
    allow_reuse_address = False
    screen: ScreenServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "iep-assistant"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal is the student's too: no request log on it

    # ------------------------------------------------------------ routing

    def _route(self, method: str) -> None:
        screen = self.server.screen
        host = self.headers.get("Host", "")
        if not screen.allowed_hosts.fullmatch(host.lower()):
            return self._plain(421, "421 Misdirected Request: this page answers only at 127.0.0.1 or localhost "
                                    "on its own port.")
        path = self.path.split("?", 1)[0]
        parts = path.split("/", 2)  # "", token, rest
        if len(parts) < 2 or not hmac.compare_digest(parts[1].encode(), screen.token.encode()):
            return self._plain(404, "Not found.")
        if len(parts) == 2:  # /TOKEN without its slash: the page's relative links need it
            return self._send(308, b"", "text/plain; charset=utf-8", {"Location": f"/{screen.token}/"})
        rest = parts[2]
        if method == "GET" and rest == "":
            return self._page()
        if method == "GET" and rest == "events":
            return self._events()
        if method == "GET" and rest.startswith("static/"):
            return self._static(rest[len("static/"):])
        posts = {"input": screen.on_input, "settings": screen.on_settings, "speak": screen.on_speak}
        if method == "POST" and rest in posts:
            return self._post(posts[rest])
        if rest in ("", "events", *posts) or rest.startswith("static/"):
            return self._send(405, b"Method not allowed.\n", "text/plain; charset=utf-8",
                              {"Allow": "POST" if rest in posts else "GET"})
        return self._plain(404, "Not found.")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_HEAD(self) -> None:
        self._plain(405, "Method not allowed.")

    def do_PUT(self) -> None:
        self._plain(405, "Method not allowed.")

    def do_DELETE(self) -> None:
        self._plain(405, "Method not allowed.")

    # ------------------------------------------------------------ answers

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None,
              cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")  # the token never leaves in a Referer
        self.send_header("X-Frame-Options", "DENY")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _plain(self, status: int, text: str) -> None:
        self._send(status, (text + "\n").encode(), "text/plain; charset=utf-8")

    def _page(self) -> None:
        index = self.server.screen.static / "index.html"
        try:
            body = index.read_bytes()
        except OSError:
            body = FALLBACK_PAGE
        self._send(200, body, TYPES[".html"])

    def _static(self, rel: str) -> None:
        """A file from the package's static folder; nothing outside it (no ``..``,
        no absolute path, no link out), and only files whose type is known."""
        root = self.server.screen.static
        if not rel or "\\" in rel or "\x00" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
            return self._plain(404, "Not found.")
        path = (root / rel).resolve()
        content_type = TYPES.get(path.suffix.lower())
        if not path.is_relative_to(root) or not path.is_file() or content_type is None:
            return self._plain(404, "Not found.")
        # the files change only with the program; a new launch has a new token (a new address) anyway
        self._send(200, path.read_bytes(), content_type, cache="no-cache")

    def _post(self, handle: Callable[[Any], None]) -> None:
        if not (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() == "application/json":
            return self._plain(415, "Send JSON (Content-Type: application/json).")
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            return self._plain(400, "Content-Length is not a number.")
        if length > MAX_BODY:
            self.close_connection = True
            return self._plain(413, f"That is too long: at most {MAX_BODY // 1024} KiB.")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return self._plain(400, "That is not JSON: send e.g. {\"say\": \"repeat\"} or {\"answer\": \"...\"}.")
        try:
            handle(payload)
        except StorageError as e:  # a full or read-only disk: nothing was changed, try again later
            return self._plain(503, f"Not saved: {e}")
        except UserError as e:
            return self._plain(400, str(e))
        self._send(204, b"", "text/plain; charset=utf-8")

    def _events(self) -> None:
        """Server-Sent Events: ``state`` first, then every event, until the session ends or the tab closes."""
        screen = self.server.screen
        q = screen.hub.subscribe()
        screen._stream_started()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Connection", "close")  # the stream is the whole answer: no keep-alive after it
            self.end_headers()
            self.close_connection = True
            while True:
                try:
                    item = q.get(timeout=KEEPALIVE)
                except queue.Empty:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                    continue
                if item is CLOSED:
                    break
                kind, data = item
                self.wfile.write(f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
        except OSError:
            pass  # the tab closed
        finally:
            screen.hub.unsubscribe(q)
            screen._stream_ended()



class StudentScreen:
    """The student's screen for one session: the hub, the page's input, the server,
    and the student's settings (saved in their profile and applied at once).
    ``voice`` (the session's ``SpokenVoice``) is set once the session has one."""

    def __init__(self, data_dir: Path, student: Student, speaker: Speaker | None, static: Path = STATIC):
        self.data_dir, self.student, self.speaker = data_dir, student, speaker
        voice = speaker.voice if speaker is not None else (student.voice or "")
        # the student's language: the page's lang, for a screen reader's voice and the font's shaping;
        # the page's words in it, and the words its buttons send (the page has English without them)
        language = student.language
        self.labels = page_labels(language) | PAGE_LABELS
        self.count = Messages(language)
        self.hub = Hub({**DEFAULTS, **student.display, "rate": speaker.rate if speaker else (student.rate or DEFAULT_RATE),
                        "voice": voice, "language": language, "texts": page_texts(language),
                        "buttons": buttons(language)})
        self.page = PageInput(language)
        self.voice: SpokenVoice | None = None
        self.server = ScreenServer(self.hub, self.receive, self.apply_settings, static, self.speak)
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._ended = False

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> StudentScreen:
        self.server.start()
        return self

    def wait_for_page(self, seconds: float) -> bool:
        """Wait until the page is open (its event stream connected), at most ``seconds``:
        the session then speaks its first line with the page showing it, each word lit
        as it is heard, instead of into a page still loading. Whether it opened."""
        return self.server.connected.wait(seconds)

    def receive(self, payload: Any) -> None:
        """POST /input: the answer or button waits for the ears; a question being said is cut short."""
        self.page.receive(payload)
        if self.voice is not None:
            self.voice.interrupt()

    def apply_settings(self, payload: Any) -> None:
        """POST /settings: checked, saved in the student's profile, then applied and shown."""
        changes = check_settings(payload)
        if "voice" in changes:
            # the speaker knows its voices: an unknown one is refused with its message
            changes["voice"] = choose_voice(changes["voice"], self.student.language).id
        display = {k: v for k, v in changes.items() if k not in ("rate", "voice")}
        with self._store_lock:
            # its own connection, opened in the server's thread: the session's is the engine's
            if self._store is None:
                self._store = Store(self.data_dir)
            roster = self._store.roster
            if display:
                roster.set_display(self.student.id, display)
            if "rate" in changes or "voice" in changes:
                roster.set_voice(self.student.id, rate=changes.get("rate"), voice=changes.get("voice"))
        if "rate" in changes and self.voice is not None:
            self.voice.set_rate(changes["rate"])
        if "voice" in changes and self.speaker is not None:
            self.speaker.voice = changes["voice"]
        current = self.hub.settings(changes)
        if current.get("speak_labels", True) and self.voice is not None:
            # in the new voice and rate; turning "Say buttons aloud" off is not said (while off nothing is)
            said = confirmation(changes, self.student.language)
            if said:
                self.voice.say_label(said)

    def allowed_label(self, label: str) -> bool:
        """Whether ``label`` is something the page shows now (see PAGE_LABELS)."""
        if label in self.labels:
            return True
        listen = self.hub.current("listen")
        if listen and listen["on"] and label.casefold() in (str(c).casefold() for c in listen["choices"]):
            return True
        where = self.hub.current("where")
        if where and where["total"]:
            count = self.count("screen.section_count", number=where["number"], total=where["total"])
            return label in (count, where["section"], f"{where['section']}. {count}")
        return False

    def speak(self, payload: Any) -> None:
        """POST /speak {"label": ...}: one of the page's own words, said unless the
        student turned "Say buttons aloud" off; anything else is refused (400)."""
        if not isinstance(payload, dict) or set(payload) != {"label"} or not isinstance(payload["label"], str):
            raise UserError('send {"label": "<the words of a button or field on the page>"}')
        label = payload["label"].strip()
        if not label or len(label) > MAX_LABEL or not self.allowed_label(label):
            raise UserError(f"'{label[:40]}' is not a label of this page or a choice of this question: "
                            "only those are said")
        if self.hub.current_settings().get("speak_labels", True) and self.voice is not None:
            self.voice.say_label(label)

    def end(self, ending: str) -> None:
        """The session is over: the page shows its last line as the end."""
        if not self._ended:
            self._ended = True
            self.hub.end(ending, self.hub.last_line())

    def close(self) -> None:
        self.page.stop()
        self.server.close()
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None
