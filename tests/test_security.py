"""The review app attacked, and used carelessly, over real HTTP: sign-in throttling
that cannot be dodged, DNS rebinding, forged sign-in forms, malformed and huge
requests, exports of any name and any character, the access log, ids, ports,
names and password hashes. Each test failed on the app before these were closed."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.webapp import (
    PASSWORD,
    Review,
    cookies_of,
    csrf_of,
    raw_request,
    request,
    sign_in,
)

XSS = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, base_env):
    """A data folder with a teacher and two students who answered in typed sessions:
    Eli, and a student whose name is outside Latin-1 and whose answers hold markup."""
    data = tmp_path_factory.mktemp("security") / "data"
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))

    def run(*args, **kw):
        r = subprocess.run([sys.executable, "-m", "assistant", *map(str, args)], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=120, **kw)
        assert r.returncode == 0, r.stderr
        return r

    run("student", "add", "Eli", "--grade", "4")
    run("session", "--student", "Eli", "--text", "--no-voice", input="I am good at soccer\nyes\nstop\n")
    run("student", "add", "Łukasz 李明", "--grade", "9")
    run("session", "--student", "Łukasz 李明", "--text", "--no-voice", input=f"{XSS}\nyes\nI like *bold* [x](javascript:y)\nyes\nstop\n")
    run("teacher", "add", "Ms Lee", "--password-stdin", input=PASSWORD + "\n")
    return data, env


@pytest.fixture
def site(prepared, tmp_path):
    """A review app of its own (fresh sign-in counters) on a copy of the prepared data."""
    data, env = prepared
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    env = dict(env, IEP_ASSISTANT_DATA=str(copy))
    app = Review(env)
    app.data, app.env = copy, env
    yield app
    app.stop()


def log_rows(data) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(f"file:{data / 'iep.sqlite3'}?mode=ro", uri=True)
    rows = db.execute("SELECT teacher, action, target FROM access_log ORDER BY id").fetchall()
    db.close()
    return rows


def student_id(data, name) -> int:
    db = sqlite3.connect(f"file:{data / 'iep.sqlite3'}?mode=ro", uri=True)
    sid = db.execute("SELECT id FROM students WHERE name=?", (name,)).fetchone()[0]
    db.close()
    return sid


# ---------------------------------------------------------------- sign-in

@pytest.mark.tried("a teacher name written another way (trailing space, tab, no-break space, em space, zero-width space, case) after 3 wrong passwords", 1, "429: the same account waits")
@pytest.mark.parametrize("variant", ["Ms Lee ", "ms lee", "Ms\tLee", "Ms\u00a0Lee", "MS\u2003LEE", " Ms  Lee\u200b"])
@pytest.mark.slow  # six cases, each ~3.5 s of scrypt sign-ins
def test_the_wait_after_wrong_passwords_cannot_be_dodged_by_writing_the_name_differently(site, variant):
    for _ in range(3):
        assert sign_in(site.base, password="wrong password")[0] == 401
    status, body, _ = sign_in(site.base, name=variant)  # the right password, the name written another way
    assert status == 429 and "Wait" in body, (variant, status)

@pytest.mark.tried("wrong passwords for 12 different names from one client", 13, "the 13th waits (429)")

@pytest.mark.slow  # ~7 s
def test_guessing_many_names_from_one_client_is_slowed_down_too(site):
    for n in range(12):
        sign_in(site.base, name=f"teacher {n}", password="wrong password")
    status, body, _ = sign_in(site.base, name="someone new", password="wrong password")
    assert status == 429 and "Wait" in body

@pytest.mark.tried("a sign-in form forged with a cookie the client chose, and a form sent twice", 3, "403 each time")

def test_sign_in_form_token_is_bound_to_the_server_not_to_a_cookie_the_client_chose(site):
    forged = secrets.token_urlsafe(24)
    for cookie in (f"iep_signin_csrf={forged}", f"iep_signin={forged}"):
        status, _, _ = request(site.base + "/signin", {"csrf": forged, "name": "Ms Lee", "password": PASSWORD}, cookie=cookie)
        assert status == 403, cookie
    # a form can be sent once: a replayed one is refused
    status, body, headers = request(site.base + "/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    form = {"csrf": token, "name": "Ms Lee", "password": "wrong password"}
    assert request(site.base + "/signin", form, cookie=cookies_of(headers))[0] == 401
    assert request(site.base + "/signin", dict(form, password=PASSWORD), cookie=cookies_of(headers))[0] == 403

@pytest.mark.tried("a password hash with scrypt N=2^15", 1, "replaced with N=2^17 at sign-in; signing in still works")

@pytest.mark.slow  # ~3 s
def test_a_stronger_password_hash_replaces_an_old_one_at_sign_in(site):
    salt = secrets.token_bytes(16)
    old = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**15, r=8, p=1, maxmem=64 * 2**20, dklen=32)
    db = sqlite3.connect(site.data / "iep.sqlite3")
    db.execute("UPDATE teachers SET pw_hash=?", (f"scrypt$32768$8$1${salt.hex()}${old.hex()}",))
    db.commit()
    assert sign_in(site.base)[0] == 303
    stored = db.execute("SELECT pw_hash FROM teachers").fetchone()[0]
    _, n, r, p, *_ = stored.split("$")
    assert int(n) >= 2**17 and int(r) == 8 and int(p) == 1  # OWASP's minimum for scrypt
    db.close()
    assert sign_in(site.base)[0] == 303  # and the new hash works


@pytest.mark.tried("requests with another Host (DNS rebinding, other port, IPv6, empty), signed in", 24, "400/421, no cookie set, nothing logged")
# ---------------------------------------------------------------- requests

def test_requests_for_another_host_are_refused_before_anything_else(site):
    _, _, cookie = sign_in(site.base)
    before = len(log_rows(site.data))
    port = site.port
    for host in ["evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1", f"localhost.evil.example:{port}",
                 f"127.0.0.1.nip.io:{port}", f"[::1]:{port}", ""]:
        for path in ("/", "/students/1", "/signin"):
            status, body, headers = raw_request(port, "GET", path, {"Host": host, "Cookie": cookie})
            assert status in (400, 421), (host, path, status)
            assert b"Eli" not in body and "Set-Cookie" not in headers, (host, path)
    assert len(log_rows(site.data)) == before  # nothing was read
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        status, body, _ = raw_request(port, "GET", "/", {"Host": host, "Cookie": cookie})
        assert status == 200 and b"Eli" in body, host


def _malformed_urls(app_rules) -> list[str]:
    """Every route of the app, with each number in it replaced by values a careless or
    hostile client might send."""
    bad_numbers = ["99999999999999999999", "9223372036854775808", "-1", "0", "00000000000000000000001x", "1e9"]
    urls = []
    for rule in app_rules:
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if not rule.arguments:
            continue
        for value in bad_numbers:
            path = rule.rule
            for arg in rule.arguments:
                path = re.sub(rf"<(?:\w+:)?{arg}>", "pdf" if arg == "fmt" else value, path)
            urls.append(path)
    return urls


def test_malformed_requests_get_a_4xx_never_a_server_error(site, reliability):
    from assistant.review.app import create_app

    _, _, cookie = sign_in(site.base)
    csrf = csrf_of(site.base, cookie)
    rules = list(create_app(site.data).url_map.iter_rules())
    urls = _malformed_urls(rules)
    assert len(urls) >= 40
    for url in urls:
        status, body, _ = request(site.base + url, cookie=cookie)
        assert 400 <= status < 500, (url, status, body[:300])
        assert "Traceback" not in body
    eli = student_id(site.data, "Eli")
    forms = [
        (f"/students/{eli}/draft", {"op": "edit", "section": "strengths", "index": "abc", "text": "x"}),
        (f"/students/{eli}/draft", {"op": "goal", "index": "abc"}),
        (f"/students/{eli}/draft", {"op": "goal", "index": "99999999999999999999999"}),
        (f"/students/{eli}/draft", {"op": "remove_goal", "index": "-5"}),
        (f"/students/{eli}/draft", {"op": "edit", "section": "nope", "index": "0"}),
        (f"/students/{eli}/draft", {"op": "wat", "section": "strengths", "index": "0"}),
        (f"/students/{eli}/draft", {"op": "add", "section": "strengths"}),
        (f"/students/{eli}/draft", {}),
        ("/answers/99999999999999999999/review", {"action": "accepted"}),
        ("/answers/1/review", {"action": "drop table"}),
        ("/students/99999999999999999999/approve", {}),
        ("/students/99999999999999999999/delete", {"confirm": "x"}),
        (f"/students/{eli}/delete", {"confirm": "\x00"}),
    ]
    for url, form in forms:
        status, body, _ = request(site.base + url, {**form, "csrf": csrf}, cookie=cookie)
        assert 400 <= status < 500, (url, form, status, body[:300])
    # a body that is not a form, and one that is not UTF-8
    for body in (b"\xff\xfe\x00garbage", b"csrf=" + csrf.encode() + b"&op=edit&section=strengths&index=%ff%fe"):
        status, _, _ = raw_request(site.port, "POST", f"/students/{eli}/draft",
                                   {"Host": f"127.0.0.1:{site.port}", "Cookie": cookie,
                                    "Content-Type": "application/x-www-form-urlencoded"}, body)
        assert 400 <= status < 500, (body, status)
    reliability.record("malformed requests: every route with ids too big, negative, zero or not numbers; forms with "
                       "bad numbers, unknown sections and operations, missing fields, bodies not UTF-8", len(urls) + len(forms) + 2,
                       "4xx every time, never a server error or a traceback")

@pytest.mark.tried("a 20 MiB form field; a 20,000-character field", 2, "413 / 400 too long; nothing stored")

def test_a_huge_request_is_refused_and_nothing_is_stored(site):
    _, _, cookie = sign_in(site.base)
    csrf = csrf_of(site.base, cookie)
    eli = student_id(site.data, "Eli")
    huge = b"csrf=" + csrf.encode() + b"&op=add&section=strengths&text=" + b"A" * (20 * 2**20)
    try:
        status, _, _ = raw_request(site.port, "POST", f"/students/{eli}/draft",
                                   {"Host": f"127.0.0.1:{site.port}", "Cookie": cookie,
                                    "Content-Type": "application/x-www-form-urlencoded"}, huge)
        assert status == 413, status
    except (ConnectionResetError, BrokenPipeError):
        pass  # refused before the whole body was read: also fine
    long_field = {"csrf": csrf, "op": "add", "section": "strengths", "text": "B" * 20000}
    status, body, _ = request(site.base + f"/students/{eli}/draft", long_field, cookie=cookie)
    assert status in (400, 413) and "too long" in body.lower(), status
    status, body, _ = request(site.base + f"/students/{eli}/draft", cookie=cookie)
    assert status == 200 and "AAAAAAAAAA" not in body and "BBBBBBBBBB" not in body


@pytest.mark.tried("exports of a student named outside Latin-1 with NUL, BEL and ESC in an answer", 5, "every format 200 with RFC 6266 filename*; DOCX opens; Markdown escaped")
# ---------------------------------------------------------------- exports

def test_exports_work_for_any_name_and_any_character(site):
    sid = student_id(site.data, "Łukasz 李明")
    db = sqlite3.connect(site.data / "iep.sqlite3")  # text saved before input was cleaned
    db.execute("UPDATE answers SET text = text || ? WHERE id = (SELECT MIN(answers.id) FROM answers JOIN sessions "
               "ON sessions.id = answers.session_id WHERE student_id=? AND kind='answer')", (" with a NUL\x00 and \x07\x1b", sid))
    db.commit()
    db.close()
    _, _, cookie = sign_in(site.base)
    for fmt in ("pdf", "docx", "md", "json"):
        status, body, headers = request(site.base + f"/students/{sid}/export/{fmt}", cookie=cookie)
        assert status == 200, (fmt, status, body[:500])
        disposition = headers["Content-Disposition"]
        assert "filename*=UTF-8''" in disposition and "%C5%81ukasz" in disposition, disposition
        disposition.encode("latin-1")  # an HTTP header must be Latin-1
    status, _, _ = request(site.base + f"/students/{sid}/export/docx", cookie=cookie)
    r = subprocess.run([sys.executable, "-c", f"""
import urllib.request, io, sys
from docx import Document
req = urllib.request.Request('{site.base}/students/{sid}/export/docx', headers={{'Cookie': '{cookie}'}})
doc = Document(io.BytesIO(urllib.request.urlopen(req).read()))
print(' '.join(p.text for p in doc.paragraphs))
"""], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "with a NUL\ufffd and \ufffd\ufffd" in r.stdout
    status, md, _ = request(site.base + f"/students/{sid}/export/md", cookie=cookie)
    assert "<script>" not in md and "<img" not in md and "&lt;script&gt;" in md
    assert "[x](javascript" not in md and "\\*bold\\*" in md  # brackets escaped: no link

@pytest.mark.tried("PDF exports of a 50,000- and a 400,000-character word", 4, "exported in time linear in the length (words and paragraphs cut to bounded pieces)")

@pytest.mark.slow  # ~12 s
def test_an_export_of_a_giant_answer_takes_linear_time(site):
    """An answer stored before answers had a limit: one 400,000-character word. ReportLab
    breaks a word too long for a line, and a paragraph too long for a page, in time that grows
    with the square of its length (about 10 minutes for this one); the export must not."""
    sid = student_id(site.data, "Eli")
    _, _, cookie = sign_in(site.base)

    def export_seconds(length: int) -> float:
        """The quickest of three PDF exports with a word of ``length`` characters (a busy machine's hiccups left out)."""
        db = sqlite3.connect(site.data / "iep.sqlite3")
        db.execute("UPDATE answers SET text=? WHERE kind='answer' AND session_id IN (SELECT id FROM sessions WHERE "
                   "student_id=?)", ("W" * length, sid))
        db.commit()
        db.close()
        times = []
        for _ in range(3):
            started = time.perf_counter()
            status, _, _ = request(site.base + f"/students/{sid}/export/pdf", cookie=cookie)
            times.append(time.perf_counter() - started)
            assert status == 200
        return min(times)

    eighth, whole = export_seconds(50_000), export_seconds(400_000)
    print(f"PDF export: {eighth:.2f} s with a 50,000-character word, {whole:.2f} s with 400,000 "
          f"({whole / eighth:.1f} times)")
    # eight times the length: about eight times the time when linear (less, with the rest of the
    # document), 64 when quadratic; a quadratic step among linear ones (a 400,000-character
    # word copied once per 30-character piece) made it 25 or more
    assert whole < 16 * eighth, (eighth, whole)


def test_pdf_text_has_no_unbreakable_giant_words():
    from assistant.review.exports import pdf_paragraphs, pdf_text

    text = pdf_text("short words stay " + "x" * 1000 + " & <b>")
    assert max(len(w) for w in text.split()) <= 30
    assert max(len(p) for p in pdf_paragraphs("word " * 10000)) <= 1500
    assert "&amp;" in text and "&lt;b&gt;" in text


def test_cutting_a_giant_word_for_the_pdf_takes_linear_time():
    """A word inside a longer text, cut into pieces for the PDF: eight times the length
    takes about eight times as long. Taking the word from its match once per piece
    (a new copy of the whole word each time) made it 60 times."""
    from assistant.review.exports import pdf_paragraphs

    def seconds(length: int) -> float:
        text = "my answer: " + "W" * length + " the end"
        times = []
        for _ in range(3):  # the quickest of three: a busy machine's hiccups left out
            started = time.perf_counter()
            pdf_paragraphs(text)
            times.append(time.perf_counter() - started)
        return min(times)

    short, long = seconds(100_000), seconds(800_000)
    print(f"cutting for the PDF: {short * 1000:.1f} ms for 100,000 characters, {long * 1000:.1f} ms for 800,000")
    assert long < 20 * short, (short, long)  # linear: about 8; quadratic: about 64


# ---------------------------------------------------------------- the access log

def test_the_access_log_records_sign_ins_sign_outs_audio_and_failures(site):
    sign_in(site.base, password="wrong password")
    _, _, cookie = sign_in(site.base)
    sid = student_id(site.data, "Eli")
    status, _, _ = request(site.base + f"/students/{sid}/script.wav", cookie=cookie)
    assert status == 200
    db = sqlite3.connect(site.data / "iep.sqlite3")  # a draft the export cannot read
    db.execute("INSERT INTO drafts(student_id, session_id, version, status, body, created) VALUES (?, NULL, 99, 'in_review', "
               "'{\"student\": 5}', '2026-01-01T00:00:00')", (sid,))
    db.commit()
    db.close()
    status, _, _ = request(site.base + f"/students/{sid}/export/pdf", cookie=cookie)
    assert status >= 500
    csrf = csrf_of(site.base, cookie)
    assert request(site.base + "/signout", {"csrf": csrf}, cookie=cookie)[0] == 303
    rows = log_rows(site.data)
    actions = [(t, a) for t, a, _ in rows]
    # who tried is not known before the password is right: the name typed is what was tried, not who
    assert any(t == "(not signed in)" and a == "sign-in failed" and "as 'Ms Lee'" in target for t, a, target in rows), rows
    assert ("Ms Lee", "sign-in") in actions and ("Ms Lee", "sign-out") in actions
    assert any(a == "listen" and "meeting script" in target for _, a, target in rows), rows
    assert any(a == "export failed" for _, a, _ in rows), rows
    assert not any(a == "export" and "pdf" in target for _, a, target in rows), rows

@pytest.mark.tried("a student deleted, then another added", 1, "a new id; the old log line still names the deleted student")

def test_a_deleted_students_id_is_never_given_again(site):
    r = subprocess.run([sys.executable, "-m", "assistant", "student", "add", "Temp Student", "--grade", "3"],
                       env=site.env, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    old = student_id(site.data, "Temp Student")
    _, _, cookie = sign_in(site.base)
    csrf = csrf_of(site.base, cookie)
    assert request(site.base + f"/students/{old}/delete", {"csrf": csrf, "confirm": "Temp Student"}, cookie=cookie)[0] == 303
    r = subprocess.run([sys.executable, "-m", "assistant", "student", "add", "New Student", "--grade", "3"],
                       env=site.env, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert student_id(site.data, "New Student") > old
    assert any(a == "delete" and f"#{old}" in target for _, a, target in log_rows(site.data))


# ---------------------------------------------------------------- the command line

@pytest.mark.tried("review --port out of range or not a number", 1, "exit 2 with a clear message")
@pytest.mark.parametrize("port", ["70000", "65536", "-1", "0", "80", "1023", "http"])
def test_a_port_out_of_range_is_refused(cli, tmp_path, port):
    r = cli("review", "--port", port, "--data-dir", tmp_path / "data", timeout=30)
    assert r.returncode == 2 and "port" in r.stderr and "Traceback" not in r.stderr, r.stderr

@pytest.mark.tried("teacher add of a name that differs only in case, spacing or width", 4, "refused: the account exists; it signs in however written")

@pytest.mark.slow  # ~5 s
def test_one_rule_for_teacher_names(cli, tmp_path, base_env):
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    assert cli("teacher", "add", "alice", "--password-stdin", input=PASSWORD + "\n", env=env).returncode == 0
    for same in ("ALICE", " alice ", "Alice\u00a0", "ａｌｉｃｅ"):  # the last in full-width letters
        r = cli("teacher", "add", same, "--password-stdin", input="another password 123\n", env=env)
        assert r.returncode == 2 and "already" in r.stderr, (same, r.stderr)
    app = Review(env)
    try:
        assert sign_in(app.base, name="ALICE")[0] == 303  # the same account, however it is written
        assert sign_in(app.base, name="alice", password="another password 123")[0] == 401  # not changed
    finally:
        app.stop()

@pytest.mark.tried("a sign-in idle for 31 minutes", 1, "sent to the sign-in page")

def test_a_sign_in_ends_after_half_an_hour_without_a_request(site):
    _, _, cookie = sign_in(site.base)
    assert request(site.base + "/", cookie=cookie)[0] == 200
    db = sqlite3.connect(site.data / "iep.sqlite3")
    db.execute("UPDATE web_sessions SET seen = seen - 31 * 60")
    db.commit()
    db.close()
    status, _, headers = request(site.base + "/", cookie=cookie)
    assert status == 303 and headers["Location"].endswith("/signin")

@pytest.mark.tried("16 wrong passwords sent at once", 16, "3 answered, 13 made to wait")

@pytest.mark.slow  # ~3 s
def test_tries_sent_all_at_once_are_all_counted(site):
    """The try is counted before the password is checked: 16 wrong passwords sent at once
    get 3 answers, and the rest must wait."""
    import concurrent.futures

    pages = []
    for _ in range(16):
        status, body, headers = request(site.base + "/signin")
        pages.append((re.search(r'name="csrf" value="([^"]+)"', body).group(1), cookies_of(headers)))

    def attempt(page):
        token, cookie = page
        return request(site.base + "/signin", {"csrf": token, "name": "Ms Lee", "password": "wrong password"}, cookie=cookie)[0]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(attempt, pages))
    assert statuses.count(401) == 3 and statuses.count(429) == 13, statuses

@pytest.mark.tried("30 sign-in tries while made to wait", 30, "one line in the access log")

@pytest.mark.slow  # ~4 s
def test_a_flood_of_refused_tries_is_one_line_in_the_log(site):
    for _ in range(3):
        sign_in(site.base, password="wrong password")
    before = len(log_rows(site.data))
    for _ in range(30):
        assert sign_in(site.base, name="Ms Lee", password="wrong password")[0] == 429
    new = log_rows(site.data)[before:]
    assert len(new) == 1 and new[0][:2] == ("(not signed in)", "sign-in refused"), new

@pytest.mark.tried("a teacher's password changed while signed in", 1, "the old sign-in ends")

@pytest.mark.slow  # ~4 s
def test_a_new_password_signs_out_everyone_signed_in_with_the_old_one(site):
    _, _, cookie = sign_in(site.base)
    assert request(site.base + "/", cookie=cookie)[0] == 200
    r = subprocess.run([sys.executable, "-m", "assistant", "teacher", "passwd", "ms lee", "--password-stdin"], env=site.env,
                       cwd=ROOT, capture_output=True, text=True, input="a brand new password\n")
    assert r.returncode == 0, r.stderr
    status, _, headers = request(site.base + "/", cookie=cookie)
    assert status == 303 and headers["Location"].endswith("/signin")
    assert sign_in(site.base, password="a brand new password")[0] == 303


def test_what_a_teacher_adds_or_rewords_is_never_passed_off_as_the_students_words(site):
    _, _, cookie = sign_in(site.base)
    csrf = csrf_of(site.base, cookie)
    eli = student_id(site.data, "Eli")
    url = site.base + f"/students/{eli}/draft"
    assert request(url, {"csrf": csrf, "op": "add", "section": "strengths", "text": "kind to classmates"}, cookie=cookie)[0] == 303
    assert request(url, {"csrf": csrf, "op": "edit", "section": "strengths", "index": "0", "text": "plays soccer well"},
                   cookie=cookie)[0] == 303
    _, page, _ = request(url, cookie=cookie)
    assert "Added by Ms Lee" in page and "Student said: “I am good at soccer”" in page
    _, md, _ = request(site.base + f"/students/{eli}/export/md", cookie=cookie)
    assert "kind to classmates _(added by Ms Lee)_" in md
    assert 'plays soccer well _(the student said: "I am good at soccer")_' in md
    _, js, _ = request(site.base + f"/students/{eli}/export/json", cookie=cookie)
    added = [i for i in json.loads(js)["strengths"] if i["added_by"]]
    assert [i["text"] for i in added] == ["kind to classmates"]
