"""The teacher's review app: sign-in, transcript review, draft editing, approval and
downloads in a real headless Chromium, plus the security rules over plain HTTP."""

import contextlib
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.webapp import PASSWORD, Review, request, sign_in

pytestmark = pytest.mark.slow  # its data come from the demo (a spoken session), and a real Chromium

XSS = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory, base_env):
    """A student with a real spoken session (the demo), a second student whose
    answer contains markup, and a teacher."""
    data = tmp_path_factory.mktemp("review-data")
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    run = lambda *a, **kw: subprocess.run([sys.executable, "-m", "assistant", *map(str, a)], env=env, cwd=ROOT,  # noqa: E731
                                           capture_output=True, text=True, timeout=900, **kw)
    r = run("demo", "--data-dir", data)
    assert r.returncode == 0, r.stderr[-2000:]
    assert run("student", "add", "Mallory", "--grade", "9").returncode == 0
    typed = "\n".join([XSS, "yes", "stop"]) + "\n"
    assert run("session", "--student", "Mallory", "--text", "--no-voice", input=typed).returncode == 0
    r = run("teacher", "add", "Ms Lee", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return data, env


@pytest.fixture(scope="module")
def server(demo_data):
    data, env = demo_data
    app = Review(env)
    yield app.base, app.port, data
    app.stop()


# ---------------------------------------------------------------- security

ROUTES = ["/", "/students/1", "/students/1/transcript", "/students/1/draft", "/students/1/script",
          "/students/1/script.wav", "/students/1/versions/1", "/students/1/export/pdf", "/students/1/export/json",
          "/audio/1", "/log", "/settings"]
POSTS = ["/signout", "/answers/1/review", "/students/1/draft", "/students/1/approve", "/students/1/delete", "/settings"]


def test_nothing_without_sign_in(server):
    base, _, _ = server
    for route in ROUTES:
        status, body, headers = request(base + route)
        assert status == 303 and headers["Location"].endswith("/signin"), route
    for route in POSTS:
        status, body, _ = request(base + route, {"op": "add"})
        assert status == 401 and "Sign in" in body and "Sam" not in body, route


def test_csrf_is_required(server):
    base, _, _ = server
    _, _, cookie = sign_in(base)
    status, _, _ = request(base + "/students/1/draft", {"op": "add", "section": "strengths", "text": "forged"}, cookie=cookie)
    assert status == 403
    status, _, _ = request(base + "/students/1/draft", {"op": "add", "section": "strengths", "text": "forged", "csrf": "guess"},
                           cookie=cookie)
    assert status == 403
    status, body, _ = request(base + "/students/1/draft", cookie=cookie)
    assert "forged" not in body
    # the sign-in form needs its own token too
    status, _, _ = request(base + "/signin", {"name": "Ms Lee", "password": PASSWORD})
    assert status == 403


def test_markup_in_a_transcript_is_shown_as_text(server):
    base, _, _ = server
    _, _, cookie = sign_in(base)
    status, body, headers = request(base + "/students/2/transcript", cookie=cookie)
    assert status == 200
    assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;img src=x onerror=alert(2)&gt;" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_path_traversal_is_refused(server):
    base, _, data = server
    _, _, cookie = sign_in(base)
    for route in ["/audio/..%2F..%2F..%2Fetc%2Fpasswd", "/audio/../../etc/passwd", "/students/1/export/..%2F..%2Fetc%2Fpasswd",
                  "/students/1/export/pdf%2F..%2F..%2Fiep.sqlite3", "/static/..%2F..%2F..%2Fstore.py"]:
        status, body, _ = request(base + route, cookie=cookie)
        assert status in (400, 404), route
        assert "root:" not in body and "SQLite" not in body
    # an answer whose recording path points outside the data folder is not served
    import sqlite3

    db = sqlite3.connect(data / "iep.sqlite3")
    db.execute("UPDATE answers SET audio_path='/etc/passwd' WHERE id=(SELECT MAX(id) FROM answers)")
    db.commit()
    last = db.execute("SELECT MAX(id) FROM answers").fetchone()[0]
    status, body, _ = request(base + f"/audio/{last}", cookie=cookie)
    assert status == 404 and "root:" not in body


def test_only_loopback(server):
    _, port, _ = server
    addresses = {a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split() if ":" not in a}
    assert addresses, "this machine has no other address to try"
    for address in addresses:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()
    with pytest.raises(OSError):
        socket.create_connection(("::1", port), timeout=2).close()


def test_wrong_passwords_are_slowed_down(server):
    base, _, _ = server
    for _ in range(3):
        status, body, _ = sign_in(base, password="wrong password")
        assert status == 401 and "Wrong name or password" in body
    status, body, _ = sign_in(base)  # even the right password must wait now
    assert status == 429, status
    told = re.search(r"Wait (\d+) seconds", body)
    assert told and 1 <= int(told.group(1)) <= 3, body  # about 2 s after the third wrong password
    time.sleep(int(told.group(1)))  # the teacher waits as the page says
    status, _, cookie = sign_in(base)
    assert status == 303 and cookie


# ---------------------------------------------------------------- a real browser

@contextlib.contextmanager
def new_page(b, timeout: float = 15):
    """Wait for the page the action inside the block loads.

    A click that submits a form returns before the browser has left the old page, so the next
    find_element can find an element of the old page that goes stale a moment later."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = b.find_element(By.TAG_NAME, "html")
    yield
    WebDriverWait(b, timeout).until(expected_conditions.staleness_of(old))
    WebDriverWait(b, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")


def wait_for_file(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded; folder has {[p.name for p in folder.iterdir()]}")


def test_review_in_a_real_browser(server, browser):
    from selenium.webdriver.common.by import By

    base, _, data = server
    assert list((data / "speech" / "student-1").glob("*.wav"))  # the demo's read-backs, made privately
    b = browser
    b.get(base + "/")
    assert b.current_url.endswith("/signin")
    b.find_element(By.ID, "name").send_keys("Ms Lee")
    b.find_element(By.ID, "password").send_keys(PASSWORD)
    with new_page(b):
        b.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert "Sam Rivera" in b.find_element(By.TAG_NAME, "main").text

    with new_page(b):
        b.find_element(By.LINK_TEXT, "Sam Rivera").click()
    assert "ready for review" in b.find_element(By.CLASS_NAME, "status").text
    with new_page(b):
        b.find_element(By.LINK_TEXT, "Review the transcript").click()
    answers = b.find_elements(By.CSS_SELECTOR, "article.answer")
    assert len(answers) > 10
    first = answers[0]
    assert first.find_elements(By.TAG_NAME, "audio")  # the student's voice for every answer
    words = first.find_elements(By.CSS_SELECTOR, "button.word")
    assert len(words) > 3
    words[2].click()  # seek to the word and play
    position = b.execute_script("return document.querySelector('article.answer audio').currentTime")
    assert position >= float(words[2].get_attribute("data-start")) - 0.01
    # accept one answer, correct a word in another: the original stays visible
    with new_page(b):
        first.find_element(By.CSS_SELECTOR, "button[value=accepted]").click()
    assert "accepted by Ms Lee" in b.find_element(By.CSS_SELECTOR, "article.answer").text
    target = b.find_elements(By.CSS_SELECTOR, "article.answer")[1]
    original = target.find_element(By.CLASS_NAME, "words").text
    box = target.find_element(By.NAME, "correction")
    box.clear()
    box.send_keys("I am good at fixing bikes and building things, and I am good at math")
    with new_page(b):
        target.find_element(By.CSS_SELECTOR, "button[value=corrected]").click()
    target = b.find_elements(By.CSS_SELECTOR, "article.answer")[1]
    assert "Teacher's correction: I am good at fixing bikes" in target.text
    assert target.find_element(By.CLASS_NAME, "words").text == original

    # edit a goal
    b.get(base + "/students/1/draft")
    assert b.find_elements(By.CSS_SELECTOR, "section.discuss")  # "not helpful" and wanted needs are highlighted
    statement = b.find_element(By.ID, "g0-statement")
    statement.clear()
    statement.send_keys("Write a five-paragraph essay from an outline")
    measure = b.find_element(By.ID, "g0-measure")
    measure.clear()
    measure.send_keys("Three essays score 3 or more on the rubric")
    with new_page(b):
        b.find_element(By.CSS_SELECTOR, "form.goal button[value=goal]").click()
    assert b.find_element(By.ID, "g0-statement").get_attribute("value") == "Write a five-paragraph essay from an outline"
    assert "Student said: “I want to write a full essay" in b.find_element(By.CSS_SELECTOR, "form.goal").text

    # approve, then download the documents
    with new_page(b):
        b.find_element(By.CSS_SELECTOR, "button.primary").click()
    assert "approved" in b.find_element(By.CLASS_NAME, "status").text
    b.find_element(By.LINK_TEXT, "PDF").click()
    pdf = wait_for_file(b.downloads, ".pdf")
    b.find_element(By.LINK_TEXT, "DOCX").click()
    docx = wait_for_file(b.downloads, ".docx")

    from docx import Document
    from pypdf import PdfReader

    pdf_text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    docx_text = " ".join(p.text for p in Document(docx).paragraphs)
    for text in (pdf_text, docx_text):
        assert "About me: Sam Rivera" in text
        assert "Write a five-paragraph essay from an outline" in text  # the edited goal
        assert "Do not help me (discuss): read aloud" in text
        assert "teacher's correction" in text  # the transcript keeps both
        assert "How will we measure it?" in text  # the open question
    # recordings were deleted on approval (the default setting), and speech made from the student's words
    assert not list((data / "audio").rglob("*.wav"))
    assert not (data / "speech" / "student-1").exists()

    b.get(base + "/log")
    log = b.find_element(By.TAG_NAME, "table").text
    for action in ("view", "edit", "export", "approve"):
        assert f"Ms Lee {action}" in log, action


def test_pages_are_accessible(server, browser):
    """Labels on every field, keyboard focus that shows, and no sideways scrolling at 200% zoom."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _, _ = server
    b = browser
    b.get(base + "/signin")
    b.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = b.switch_to.active_element
    assert active.text == "Skip to content"
    assert b.execute_script("return getComputedStyle(arguments[0]).outlineStyle", active) != "none"
    b.find_element(By.ID, "name").send_keys("Ms Lee")
    with new_page(b):
        b.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)  # keyboard only
    assert "Students" in b.find_element(By.TAG_NAME, "h1").text
    unlabeled = """
        return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
          .map(e => e.outerHTML.slice(0, 80));"""
    b.set_window_size(640, 900)  # a 1280-pixel screen at 200% zoom
    for page in ("/", "/students/1", "/students/1/transcript", "/students/1/draft", "/students/1/script", "/settings", "/log"):
        b.get(base + page)
        assert b.execute_script(unlabeled) == [], page
        assert b.find_elements(By.TAG_NAME, "h1") and b.find_elements(By.TAG_NAME, "main"), page
        wide = b.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 1, (page, wide)
