"""Talking to the review app over real HTTP, as a browser or an attacker would."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from tests.conftest import ROOT

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Review:
    """``iep-assistant review`` on a free port, in a child process."""

    def __init__(self, env: dict, port: int | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "review", "--port", str(self.port)], env=env,
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        assert f"http://127.0.0.1:{self.port}/" in line, line + self.proc.stdout.read()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the review app did not start listening")

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return out


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url, data=None, cookie=None, method=None, headers=None):
    opener = urllib.request.build_opener(NoRedirect)
    body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
    req = urllib.request.Request(url, data=body, method=method)
    if cookie:
        req.add_header("Cookie", cookie)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, r.read().decode("utf-8", "replace"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), e.headers


def raw_request(port: int, method: str, path: str, headers: dict, body: bytes = b"") -> tuple[int, bytes, dict]:
    """A request with exactly these headers (Host included), which urllib would not send."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    if body:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    if body:
        conn.send(body)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data, dict(r.getheaders())


def cookies_of(headers) -> str:
    """The cookies set by a response, as a Cookie header."""
    values = headers.get_all("Set-Cookie") if hasattr(headers, "get_all") else [headers.get("Set-Cookie", "")]
    return "; ".join(v.split(";", 1)[0] for v in values or [] if v)


def sign_in(base, password=PASSWORD, name="Ms Lee"):
    """(status, body, session cookie or None), through the sign-in form."""
    status, body, headers = request(base + "/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    status, body, headers = request(base + "/signin", {"csrf": token, "name": name, "password": password},
                                    cookie=cookies_of(headers))
    if status != 303:
        return status, body, None
    cookie = re.search(r"(iep_session=[^;]+)", headers["Set-Cookie"]).group(1)
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    return status, body, cookie


def csrf_of(base, cookie, page="/") -> str:
    _, body, _ = request(base + page, cookie=cookie)
    return re.search(r'name="csrf" value="([^"]+)"', body).group(1)
