"""The student's screen in a real browser (headless chromium through Selenium).

Whole typed sessions are done through the page of a real ``iep-assistant session
--text --screen browser --no-open``: one with the keyboard only, one with a
simulated single switch (Space and Enter only, stepping and then auto-scanning),
one by clicks; each draft is then exported and must hold what was given on the
page. axe-core (tests/axe.py: WCAG 2 A/AA, best practice and AAA contrast) checks
every screen state on the way: a prompt, a yes/no read-back, the settings open,
each theme, the draft's cards. The page must reflow at 200% and 400% zoom, which
for a 1280 px window are viewports 640 and 320 CSS px wide.

The states a typed session cannot reach (a word lit as it is spoken, live captions
and the input level, a problem, the cards read one by one) are shown by publishing
those events through the session's own Hub and ScreenServer, in this process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import tomllib
from html.parser import HTMLParser

import pytest

from tests.axe import assert_accessible
from tests.conftest import ROOT

SLOW = pytest.mark.slow  # a real browser (and most of them a real session)
STATIC = ROOT / "assistant" / "screen" / "static"

COMMANDS = ["Repeat", "Slower", "Faster", "Skip", "Go back", "Help", "I don't know", "That's all", "Take a break"]
SHORTCUTS = {"Yes": "Y", "No": "N", "Repeat": "R", "Slower": "S", "Faster": "F", "Skip": "K", "Go back": "B",
             "Help": "H", "I don't know": "D", "That's all": "A", "Take a break": "T"}
LIST_FOLLOW_UP = re.compile(r"^(What else|Any other|Anything else)", re.I)
TURN_TIMEOUT = 60  # seconds for the session to say its next line (a loaded two-core machine)

# What the page shows now, read in one go (the page's own DOM: what a student sees).
READ_PAGE = """
const lines = Array.from(document.querySelectorAll('#prompt p[data-line]'));
const last = lines[lines.length - 1];
const a = document.activeElement;
return {
  ended: !document.getElementById('end').hidden,
  listening: !document.getElementById('listening').hidden,
  yesNo: document.body.classList.contains('yes-no'),
  lastId: last ? Number(last.dataset.line) : 0,
  text: last ? last.textContent : '',
  cards: document.querySelectorAll('#card-list li').length,
  active: a ? (a.id || a.dataset.say || (a.dataset.answer ? 'choice:' + a.dataset.answer : a.tagName)) : null,
};
"""


class Session:
    """``iep-assistant session --text --screen browser --no-open`` (or ``command``) in a child process."""

    def __init__(self, env: dict, student: str, command: str = "session"):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", command, "--student", student, "--text", "--screen", "browser",
             "--no-open", "--no-voice"],
            env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self.out: list[str] = []
        self.url = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.err.append(line)
            m = re.fullmatch(r"student screen: (http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+/)\n", line)
            if m:
                self.url = m.group(1)
                break
        assert self.url, "no 'student screen: URL' line on stderr:\n" + "".join(self.err)
        # keep reading both pipes so the session never blocks on a full one
        for pipe, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda p=pipe, o=into: o.extend(iter(p.readline, "")), daemon=True).start()

    def finish(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


@pytest.fixture
def start(cli, data_env):
    """Add a grade-2 student and start their session with the page; stopped at the end of the test."""
    started: list[Session] = []

    def run(student: str) -> Session:
        r = cli("student", "add", student, "--grade", "2", env=data_env)
        assert r.returncode == 0, r.stderr
        s = Session(data_env, student)
        started.append(s)
        return s

    yield run
    for s in started:
        s.stop()


def watch_for_errors(driver) -> None:
    """From the next page on, note every script error, resource that failed to load and
    Content-Security-Policy violation (the server forbids inline scripts and styles)."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__problems = [];
        addEventListener('error', e => __problems.push(e.message || ('failed to load ' + (e.target.src || e.target.href))), true);
        addEventListener('unhandledrejection', e => __problems.push('unhandled: ' + e.reason));
        document.addEventListener('securitypolicyviolation', e => __problems.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
    """})


def no_errors(driver) -> None:
    problems = driver.execute_script("return window.__problems")
    assert problems == [], problems


def page_now(driver) -> dict:
    return driver.execute_script(READ_PAGE)


def next_turn(driver, after: int, session: Session) -> dict:
    """Wait until the session has said a new line and listens again (or ended)."""
    deadline = time.monotonic() + TURN_TIMEOUT
    while time.monotonic() < deadline:
        now = page_now(driver)
        if now["ended"] or (now["listening"] and now["lastId"] > after):
            return now
        if session.proc.poll() is not None and not now["ended"]:
            time.sleep(1)  # the last events may still be on their way
            now = page_now(driver)
            assert now["ended"], "the session ended but the page did not say so:\n" + "".join(session.err)
            return now
        time.sleep(0.05)
    raise AssertionError(f"the page showed no new question after line {after}: {page_now(driver)}\n"
                         + "".join(session.out[-20:]) + "".join(session.err[-20:]))


def exported(cli, env, student: str) -> dict:
    r = cli("export", "--student", student, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def all_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def fits(driver, width: int) -> None:
    """The page at a viewport ``width`` CSS px wide (400% zoom of a 1280 px window is 320)
    has no sideways scrolling."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 700, "deviceScaleFactor": 1, "mobile": False})
    try:
        time.sleep(0.2)
        sizes = driver.execute_script("const e = document.documentElement; return [e.scrollWidth, e.clientWidth];")
        assert sizes[0] <= sizes[1], f"sideways scrolling at {width} px: scrollWidth {sizes[0]} > clientWidth {sizes[1]}"
        wide = driver.execute_script(
            "return Array.from(document.querySelectorAll('body *')).filter(e => e.getClientRects().length"
            " && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(e => e.outerHTML.slice(0, 80));")
        assert not wide, f"past the right edge at {width} px: {wide}"
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def button(driver, name: str):
    """The visible button whose accessible name is exactly ``name``."""
    from selenium.webdriver.common.by import By

    found = [b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.is_displayed() and b.accessible_name == name]
    assert len(found) == 1, f"{len(found)} visible buttons named {name!r}"
    return found[0]


def check_the_buttons(driver) -> None:
    """Every command has a button whose accessible name is its words, showing its shortcut."""
    from selenium.webdriver.common.by import By

    shown = [b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.is_displayed()]
    names = sorted(b.accessible_name for b in shown if "choice" not in b.get_attribute("class").split())
    assert names == sorted(["Yes", "No", *COMMANDS, "Send", "Settings"]), names
    # a question's choices (its examples, or yes/no/not sure) are buttons named by their words
    for b in shown:
        if "choice" in b.get_attribute("class").split():
            assert b.accessible_name.lower() == b.get_attribute("data-answer").lower(), b.accessible_name
    for name, key in SHORTCUTS.items():
        b = button(driver, name)
        kbd = b.find_element(By.TAG_NAME, "kbd")  # the shortcut, shown on the button
        assert kbd.is_displayed() and kbd.text == key and b.text == name + key, b.text
        assert b.get_attribute("aria-keyshortcuts") == key
    answer = driver.find_element(By.ID, "answer")
    assert answer.accessible_name == "Type your answer"
    live = driver.find_element(By.ID, "prompt")
    assert live.get_attribute("aria-live") == "polite" and live.text.strip()


def focus_is_visible(driver) -> None:
    style = driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)];")
    assert style[0] != "none" and style[1] >= 3, f"focus not visible: outline {style}"


# ---------------------------------------------------------------- (a) the keyboard only


@SLOW
def test_a_whole_session_with_the_keyboard_only(start, browser, cli, data_env):
    """Tab moves through the page in a sensible order with a visible focus, Enter
    presses and sends, the shown letters are shortcuts; the draft holds what was typed."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    s = start("Kim Keys")
    watch_for_errors(browser)
    browser.get(s.url)
    now = next_turn(browser, 0, s)
    check_the_buttons(browser)
    assert_accessible(browser, "a prompt")

    def press(*k):
        ActionChains(browser).send_keys(*k).perform()

    def tab_to(target: str) -> None:
        """Tab (only) until the focus is on ``target`` (an id or a button's phrase)."""
        order = []
        for _ in range(30):
            press(Keys.TAB)
            active = page_now(browser)["active"]
            order.append(active)
            if active == target:
                focus_is_visible(browser)
                return
        raise AssertionError(f"Tab never reached {target}: {order}")

    # the Tab order follows the page: settings, Yes, No, the answer field, Send, then the commands
    order = []
    for _ in range(40):
        press(Keys.TAB)
        active = page_now(browser)["active"]
        # the question's choices come between No and the answer field; the listening indicator (shown
        # now) between Settings and Yes
        if not active.startswith("choice:") and active != "listening":
            order.append(active)
        if active == "take a break":
            break
    first = order.index("settings-button")
    assert order[first:first + 14] == ["settings-button", "yes", "no", "answer", "send", "repeat", "slower", "faster",
                                       "skip", "go back", "help", "I don't know", "that's all", "take a break"], order

    typed, steps = [], 0
    where_shown: list[tuple[str, str]] = []  # (title, "Section N of M") at each question, as the page shows them

    def where_now() -> tuple[str, str]:
        return browser.find_element(By.ID, "section").text, browser.find_element(By.ID, "progress-label").text

    while not now["ended"]:
        steps += 1
        assert steps < 40, f"the session did not end: {now}"
        if not where_shown or where_shown[-1] != where_now():
            where_shown.append(where_now())
        last = now["lastId"]
        if now["yesNo"]:
            if steps == 2:
                assert_accessible(browser, "a yes/no read-back")
            tab_to("yes")
            press(Keys.ENTER)
        elif LIST_FOLLOW_UP.match(now["text"]):
            if now["active"] == "answer":
                press(Keys.TAB)  # out of the text field: letters there are typing
            press("a")  # That's all
        else:
            answer = f"keyboard answer {len(typed) + 1}"
            tab_to("answer")
            press(answer, Keys.ENTER)
            typed.append(answer)
        now = next_turn(browser, last, s)
    no_errors(browser)
    assert s.finish() == 0, "".join(s.err)
    assert len(typed) >= 5
    # a grade-2 student with no accommodation on file goes through 7 of the k-2 dialogue's 8 sections (the
    # one about accommodations has no question for them), then the read-back: 8 in all, each counted once
    assert [count for _, count in where_shown] == [f"Section {n} of 8" for n in range(1, 9)], where_shown
    assert where_shown[-1][0] == "Reading it back", where_shown
    draft = all_text(exported(cli, data_env, "Kim Keys"))
    for answer in typed:
        assert answer in draft, f"{answer!r} is not in the exported draft"


# ---------------------------------------------------------------- (b) a single switch


@SLOW
def test_a_whole_session_by_switch_scanning(start, browser, cli, data_env):
    """Space steps the highlight through the buttons and the answer field and Enter
    selects; then, with a dwell, the highlight moves by itself and Space selects."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    s = start("Sam Switch")
    watch_for_errors(browser)
    browser.get(s.url)
    now = next_turn(browser, 0, s)

    def press(k):
        ActionChains(browser).send_keys(k).perform()

    def scan_to(target: str) -> None:
        """Space until the highlight is on ``target``, then Enter."""
        seen = []
        for _ in range(20):
            press(Keys.SPACE)
            here = browser.execute_script(
                "const a = document.activeElement; return [a.id || a.dataset.say || a.tagName, a.classList.contains('scan')];")
            seen.append(here[0])
            assert here[1], f"the scan highlight is not on the focused {here[0]}"
            if here[0] == target:
                focus_is_visible(browser)
                press(Keys.ENTER)
                return
        raise AssertionError(f"scanning never reached {target}: {seen}")

    dwell = 1.0

    def wait_for(target: str) -> None:
        """With a dwell: touch nothing until the highlight has moved to ``target`` by
        itself (from the top: nothing is lit after a choice), then Space."""
        seen = [page_now(browser)["active"]]
        deadline = time.monotonic() + dwell * 30
        while time.monotonic() < deadline:
            here = page_now(browser)["active"]
            if seen[-1] != here:
                seen.append(here)
            if here == target and len(seen) > 2:
                press(Keys.SPACE)
                return
            time.sleep(0.05)
        raise AssertionError(f"the highlight never reached {target} by itself: {seen}")

    choose = scan_to
    said_dont_know, steps = False, 0
    # the scan order: Yes, No, the question's choices, the answer field, Send, the commands
    while not now["ended"]:
        steps += 1
        assert steps < 40, f"the session did not end: {now}"
        if steps == 7:  # from here on, the highlight moves by itself (a setting the teacher makes)
            browser.execute_script("fetch('settings', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                                   " body: JSON.stringify({dwell: arguments[0]})})", dwell)
            choose = wait_for
            time.sleep(1)
        last = now["lastId"]
        if now["yesNo"]:
            choose("yes")
        elif LIST_FOLLOW_UP.match(now["text"]):
            choose("that's all")
        elif not said_dont_know:
            choose("I don't know")
            said_dont_know = True
        else:
            choose("skip")
        now = next_turn(browser, last, s)
    assert choose is wait_for, "the session ended before the dwell was tried"
    no_errors(browser)
    assert s.finish() == 0, "".join(s.err)
    draft = exported(cli, data_env, "Sam Switch")
    assert [q["question"] for q in draft["open_questions"]][:1] == [
        "What are you good at? Drawing, building, running, reading, or helping friends?"], draft["open_questions"]


# ---------------------------------------------------------------- (c) clicks, settings, themes, zoom


@SLOW
def test_a_whole_session_by_clicks_with_settings_themes_and_zoom(start, browser, cli, data_env):
    """Clicks on big buttons; the settings panel changes the page at once and is saved
    through the session; every theme passes axe-core's AAA contrast; the page fits
    640 and 320 CSS px without sideways scrolling in every state."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    s = start("Cleo Clicks")
    watch_for_errors(browser)
    browser.get(s.url)
    now = next_turn(browser, 0, s)
    assert re.fullmatch(r"Section 1 of [5-9]", browser.find_element(By.ID, "progress-label").text)
    assert browser.find_element(By.ID, "section").text  # the section's title
    fits(browser, 640)
    fits(browser, 320)

    # the settings, open; each change applies at once and comes back from the session
    button(browser, "Settings").click()
    assert browser.find_element(By.ID, "settings-button").get_attribute("aria-expanded") == "true"
    assert_accessible(browser, "the settings open")
    fits(browser, 320)
    for theme in ("dark", "contrast", "cream"):
        Select(browser.find_element(By.ID, "set-theme")).select_by_value(theme)
        assert browser.execute_script("return document.documentElement.dataset.theme") == theme
        assert_accessible(browser, f"the {theme} theme")
    Select(browser.find_element(By.ID, "set-theme")).select_by_value("dark")
    Select(browser.find_element(By.ID, "set-font")).select_by_value("opendyslexic")
    Select(browser.find_element(By.ID, "set-text-size")).select_by_value("200")
    Select(browser.find_element(By.ID, "set-line-spacing")).select_by_value("2.5")
    Select(browser.find_element(By.ID, "set-letter-spacing")).select_by_value("0.1")
    Select(browser.find_element(By.ID, "set-rate")).select_by_value("130")
    Select(browser.find_element(By.ID, "set-voice")).select_by_value("espeak:gmw/en-us")
    time.sleep(1)
    # a page loaded again gets the session's settings (and the question) in its first event
    browser.refresh()
    now = next_turn(browser, 0, s)
    shown = browser.execute_script(
        "const v = (id) => document.getElementById(id).value, h = document.documentElement;"
        "return [h.dataset.theme, h.dataset.font, v('set-text-size'), v('set-line-spacing'), v('set-letter-spacing'),"
        " v('set-rate'), v('set-voice')]")
    assert shown == ["dark", "opendyslexic", "200", "2.5", "0.1", "130", "espeak:gmw/en-us"], shown
    button(browser, "Settings").click()
    body = browser.execute_script(
        "const s = getComputedStyle(document.body); return [getComputedStyle(document.documentElement).fontSize,"
        " s.fontFamily, s.lineHeight, s.letterSpacing, document.fonts.check('20px OpenDyslexic')];")
    assert body[0] == "40px", body  # 125% of 16 px, doubled
    assert body[1].startswith('"OpenDyslexic"') or body[1].startswith("OpenDyslexic"), body
    assert float(body[2].rstrip("px")) == pytest.approx(2.5 * 40, abs=1) and body[3] == "4px", body
    assert body[4], "OpenDyslexic was not loaded from the package"
    assert_accessible(browser, "dark, OpenDyslexic, 200% text")
    fits(browser, 320)
    button(browser, "Close settings").click()
    assert browser.find_element(By.ID, "settings").get_attribute("hidden") is not None

    typed, steps, saw_yes_no, saw_cards = [], 0, False, False
    while not now["ended"]:
        steps += 1
        assert steps < 40, f"the session did not end: {now}"
        last = now["lastId"]
        if now["yesNo"]:
            yes, repeat = button(browser, "Yes"), button(browser, "Repeat")
            assert yes.size["height"] > 1.4 * repeat.size["height"], "Yes is not prominent at a yes/no question"
            if not saw_yes_no:
                assert_accessible(browser, "a yes/no read-back with Yes and No")
                fits(browser, 320)
                saw_yes_no = True
            if now["cards"] and not saw_cards:
                assert_accessible(browser, "the draft's cards")
                fits(browser, 640)
                fits(browser, 320)
                saw_cards = True
            yes.click()
        elif LIST_FOLLOW_UP.match(now["text"]):
            button(browser, "That's all").click()
        else:
            answer = f"clicked answer {len(typed) + 1}"
            field = browser.find_element(By.ID, "answer")
            field.send_keys(answer)
            button(browser, "Send").click()
            typed.append(answer)
        now = next_turn(browser, last, s)
    assert saw_yes_no and saw_cards
    end_text = browser.find_element(By.ID, "end-text").text
    assert "Thank you" in end_text, end_text
    assert_accessible(browser, "the end")
    no_errors(browser)
    assert s.finish() == 0, "".join(s.err)
    draft = all_text(exported(cli, data_env, "Cleo Clicks"))
    for answer in typed:
        assert answer in draft, f"{answer!r} is not in the exported draft"
    shown = cli("student", "show", "Cleo Clicks", env=data_env).stdout
    assert "130" in shown, f"the rate chosen on the page is not in the profile:\n{shown}"


@SLOW
def test_take_a_break_pauses_the_session_and_the_page_says_so(start, browser, cli, data_env):
    """"Take a break" on the page pauses the session as the spoken words do; the page
    shows the session's last words and its buttons can no longer be pressed."""
    s = start("Bea Break")
    watch_for_errors(browser)
    browser.get(s.url)
    now = next_turn(browser, 0, s)
    button(browser, "Take a break").click()
    now = next_turn(browser, now["lastId"], s)
    assert now["ended"], now
    from selenium.webdriver.common.by import By

    assert browser.find_element(By.ID, "end-text").text.strip()
    assert not button(browser, "Yes").is_enabled() and not browser.find_element(By.ID, "answer").is_enabled()
    assert_accessible(browser, "the session paused")
    no_errors(browser)
    assert s.finish() == 0, "".join(s.err)
    assert "--resume" in "".join(s.out + s.err), "".join(s.out[-5:] + s.err[-5:])


# ---------------------------------------------------------------- the states a typed session does not reach


@SLOW
def test_spoken_words_captions_level_problems_and_cards(browser):
    """Published through the session's own Hub and ScreenServer: the word being spoken
    is lit (and only it), captions and the level show while listening, a problem is
    shown in plain words, choices become buttons, the card being read is marked."""
    from selenium.webdriver.common.by import By

    from assistant.screen.hub import Hub
    from assistant.screen.server import ScreenServer

    sent: list = []
    hub = Hub()
    server = ScreenServer(hub, sent.append, lambda p: hub.settings(p)).start()
    try:
        hub.where("My strengths", 3, 9)
        line = hub.say("What are you good at? Drawing, building, or reading?", "prompt")
        watch_for_errors(browser)
        browser.get(server.url)

        def lit() -> list[str]:
            time.sleep(0.3)
            return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".word.now")]

        time.sleep(1.5)
        assert browser.find_element(By.ID, "progress-label").text == "Section 3 of 9"
        assert browser.find_element(By.ID, "progress").get_attribute("value") == "3"
        words = browser.find_elements(By.CSS_SELECTOR, "#prompt .word")
        assert [w.text for w in words] == "What are you good at? Drawing, building, or reading?".split()
        hub.word(line, 3)
        assert lit() == ["good"]
        hub.word(line, 5)
        assert lit() == ["Drawing,"]
        assert_accessible(browser, "a prompt being spoken")
        hub.spoken(line)
        assert lit() == []

        hub.listen(True, "answer")
        hub.level(-12.0)
        hub.caption("I am good at draw")
        time.sleep(0.5)
        assert browser.find_element(By.ID, "listening").is_displayed()
        assert float(browser.find_element(By.ID, "level").get_attribute("value")) == -12.0
        assert browser.find_element(By.ID, "caption").text == "I am good at draw"
        assert_accessible(browser, "listening, with a caption")
        fits(browser, 320)
        hub.heard("I am good at drawing")
        hub.listen(False, "answer")
        time.sleep(0.5)
        assert browser.find_element(By.ID, "caption").text == "I am good at drawing"  # the caption's final form
        assert not browser.find_element(By.ID, "listening").is_displayed()

        hub.say("Your IEP lists extended time. Does it help you? Yes, no, or not sure?", "prompt")
        hub.listen(True, "choice", ["yes", "no", "not sure"])
        time.sleep(0.5)
        button(browser, "Not sure").click()
        time.sleep(0.6)
        assert sent == [{"answer": "not sure"}]  # as the student would say it: the engine reads it

        hub.problem("The microphone stopped working. Check that the headset is plugged in.")
        time.sleep(0.5)
        problem = browser.find_element(By.ID, "problem")
        assert problem.text.startswith("The microphone stopped working") and problem.get_attribute("role") == "alert"
        assert_accessible(browser, "a problem")
        hub.say("The microphone is still not working.", "message")
        hub.say("What do you like to do most?", "prompt")
        time.sleep(0.5)
        assert problem.text.startswith("The microphone stopped working")  # until the session says it is over
        hub.problem("")
        time.sleep(0.5)
        assert not problem.is_displayed() and problem.text == ""

        hub.cards([{"title": "My strengths", "text": "I am good at drawing"},
                   {"title": "Things I like", "text": "Dogs, and building with Lego"}])
        hub.card(1)
        time.sleep(0.5)
        cards = browser.find_elements(By.CSS_SELECTOR, "#card-list li")
        assert [c.find_element(By.TAG_NAME, "h3").text for c in cards] == ["My strengths", "Things I like"]
        assert [c.get_attribute("aria-current") for c in cards] == [None, "true"]
        assert_accessible(browser, "the cards, one being read")
        fits(browser, 320)

        hub.end("finished", "Thank you! You did a great job.")
        time.sleep(0.5)
        assert browser.find_element(By.ID, "end-text").text == "Thank you! You did a great job."
        assert not button(browser, "Yes").is_enabled()
        no_errors(browser)
    finally:
        server.close()


@SLOW
def test_focus_and_scan_say_the_controls_names_unless_turned_off(browser):
    """Every word shown is spoken: the control the focus reaches by Tab, or the scan
    highlight by a step, is sent once to POST /speak with its name (a question's choice
    by its words, where the student is as the header shows it); a mouse click says
    nothing; with "Say buttons aloud" turned off on the page nothing is sent. The page's
    lang is the student's language from the settings."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from assistant.screen.hub import DEFAULTS, Hub, check_settings
    from assistant.screen.server import PAGE_LABELS, ScreenServer

    sent: list = []
    spoken: list = []
    hub = Hub({**DEFAULTS, "rate": 165, "voice": "espeak:gmw/en-us", "language": "es"})
    server = ScreenServer(hub, sent.append, lambda p: hub.settings(check_settings(p)),
                          on_speak=spoken.append).start()

    def press(*keys):
        ActionChains(browser).send_keys(*keys).perform()

    def said(count: int) -> list[str]:
        """The labels sent, once ``count`` of them have come (or 10 s passed: a busy machine), then 1 s more
        for any extra (each request is 200 ms late: see the browser fixture)."""
        deadline = time.monotonic() + 10
        while len(spoken) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        labels = [p["label"] for p in spoken]
        spoken.clear()
        return labels

    try:
        hub.where("Things I like", 2, 8)
        hub.say("What do you like to do? Dogs, or something else?", "prompt")
        hub.listen(True, "choice", ["dogs", "not sure"])
        watch_for_errors(browser)
        browser.get(server.url)
        time.sleep(1.5)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
        assert browser.find_element(By.ID, "progress-label").text == "Section 2 of 8"
        assert said(0) == []  # loading the page says nothing by itself

        press(Keys.TAB)  # the header: where the student is
        assert said(1) == ["Things I like. Section 2 of 8"]
        press(Keys.TAB)
        assert said(1) == ["Settings"]
        press(Keys.TAB)  # the listening indicator, while it is shown
        assert said(1) == ["Listening"]
        press(Keys.TAB)
        assert said(1) == ["Yes"]
        for name in ("No", "Dogs", "Not sure", "Type your answer", "Send", "Repeat"):
            press(Keys.TAB)
            assert said(1) == [name]
        button(browser, "Slower").click()  # a mouse click: the student found it, nothing is said
        assert said(0) == []
        assert sent == [{"say": "slower"}]
        # a single switch: each Space moves the highlight, from the top after a choice, and says where it is
        for name in ("Yes", "No", "Dogs"):
            press(" ")
            assert said(1) == [name]
        # a shortcut key presses its button: the press is what is heard, not its name
        press("r")
        assert said(0) == [] and sent[-1] == {"say": "repeat"}
        # the settings, opened with G: the focus on its first list says it; its new toggle is a named list
        press("g")
        assert said(1) == ["Text size"]
        toggle = browser.find_element(By.ID, "set-speak-labels")
        assert toggle.accessible_name == "Say buttons aloud"
        assert Select(toggle).first_selected_option.text == "On"  # on by default
        assert_accessible(browser, "the settings, with Say buttons aloud")
        for name in ("Font", "Line spacing", "Letter spacing", "Colours", "Speech rate (words a minute)", "Voice",
                     "Switch scanning"):
            press(Keys.TAB)
            assert said(1) == [name]
        # Tabbed through quickly: the labels come one at a time and the focus's latest name comes last
        press(Keys.TAB, Keys.TAB)
        quick = said(2)
        assert quick[-1] == "Close settings" and 1 <= len(quick) <= 2, quick
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        assert said(1) == ["Say buttons aloud"]
        press(Keys.ARROW_DOWN)  # Off: sent as a setting, saved, and echoed back by the session
        deadline = time.monotonic() + 5
        while hub.current_settings()["speak_labels"] is not False and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.current_settings()["speak_labels"] is False
        time.sleep(0.5)
        press(Keys.ESCAPE)
        press(Keys.TAB, Keys.TAB, " ", " ")
        assert said(0) == []  # turned off: neither focus nor scanning says anything
        hub.settings({"speak_labels": True})
        time.sleep(0.6)
        press(" ")
        assert len(said(1)) == 1
        no_errors(browser)
    finally:
        server.close()
    # every control's name the page says is in the server's list (else the session would refuse it)
    assert {"Yes", "No", "Settings", "Text size", "Font", "Line spacing", "Letter spacing", "Colours",
            "Speech rate (words a minute)", "Voice", "Switch scanning", "Say buttons aloud", "Type your answer", "Send",
            "Close settings", *COMMANDS} <= PAGE_LABELS


# ---------------------------------------------------------------- the files themselves (fast)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_page_needs_nothing_from_outside_and_nothing_inline():
    """The classroom may be offline and the server's CSP forbids inline scripts and
    styles: every script, style, font and icon is a file of the package, named by a
    relative address (so it carries the token), and the wheel ships each of them."""
    tags = _Tags()
    tags.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    for tag, attrs in tags.tags:
        assert "style" not in attrs and not any(a.startswith("on") for a in attrs), (tag, attrs)
        for key in ("src", "href"):
            if key in attrs:
                ref = attrs[key]
                assert not re.match(r"^([a-z]+:|/)", ref), f"{tag} {key}={ref}: not a relative address"
                assert (STATIC.parent / ref).is_file(), f"{tag} {key}={ref}: no such file"
    scripts = [a for t, a in tags.tags if t == "script"]
    assert scripts and all("src" in a for a in scripts)
    css = (STATIC / "screen.css").read_text(encoding="utf-8")
    for ref in re.findall(r"url\(\"?([^\")]+)\"?\)", css):
        assert not re.match(r"^([a-z]+:|/)", ref) and (STATIC / ref).is_file(), ref
    fonts = STATIC / "fonts"
    assert {p.name for p in fonts.iterdir()} == {"OpenDyslexic-Regular.otf", "OpenDyslexic-Bold.otf", "LICENSE-OpenDyslexic.txt"}
    assert "CC-BY-3.0" in (fonts / "LICENSE-OpenDyslexic.txt").read_text(encoding="utf-8")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["assistant.screen"]
    shipped = {p for pattern in patterns for p in STATIC.parent.glob(pattern)}
    assert shipped == {p for p in STATIC.rglob("*") if p.is_file()}, "package-data must list every static file"


# ---------------------------------------------------------------- in Spanish

SPANISH_BUTTONS = ["Sí", "No", "Repite", "Más despacio", "Más rápido", "Salta", "Atrás", "Ayuda", "No sé", "Eso es todo",
                   "Un descanso"]


@SLOW
def test_a_spanish_check_in_on_the_page(browser, cli, data_env):
    """A Spanish-speaking student's page is in Spanish (its lang, buttons, labels,
    statuses, where she is), with the same shortcuts; a typed rating in words, a press
    of "Sí" at the read-back and of "Un descanso" are understood as in Spanish speech:
    the check-in stops and keeps what was said, as said."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.test_checkin import add_student

    add_student(cli, data_env, name="Ana López", grade=4, goals=("Quiero leer un libro cada semana",),
                accommodations=("tiempo extra",), language="es")
    s = Session(data_env, "Ana López", command="checkin")
    try:
        watch_for_errors(browser)
        browser.get(s.url)
        now = next_turn(browser, 0, s)
        assert "¿Cómo te va, del 1 al 5?" in now["text"], now
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
        assert browser.title == "Mi IEP"
        shown = [b for b in browser.find_elements(By.CSS_SELECTOR, "button") if b.is_displayed()]
        names = [b.accessible_name for b in shown if "choice" not in b.get_attribute("class").split()]
        assert sorted(names) == sorted([*SPANISH_BUTTONS, "Enviar", "Ajustes"]), names
        assert [b.accessible_name for b in shown if "choice" in b.get_attribute("class").split()] == list("12345")
        assert button(browser, "Un descanso").text == "Un descansoT"  # its shortcut is kept
        assert browser.find_element(By.ID, "answer").accessible_name == "Escribe tu respuesta"
        assert browser.find_element(By.ID, "listening-text").text == "Escuchando"
        assert browser.find_element(By.ID, "section").text == "Meta 1"
        assert browser.find_element(By.ID, "progress-label").text == "Parte 1 de 2"
        assert browser.find_element(By.ID, "settings-button").accessible_name == "Ajustes"
        assert_accessible(browser, "a Spanish check-in")

        answer = browser.find_element(By.ID, "answer")
        answer.send_keys("un tres", Keys.ENTER)
        now = next_turn(browser, now["lastId"], s)
        assert now["text"] == "¿Qué te ayudó?", now
        # the field empties when the answer's POST is answered, which may come after the next question
        WebDriverWait(browser, 10).until(lambda d: answer.get_attribute("value") == "")
        answer.send_keys("mis amigos", Keys.ENTER)
        now = next_turn(browser, now["lastId"], s)
        assert now["text"] == "Escuché: mis amigos. ¿Es correcto?" and now["yesNo"], now
        button(browser, "Sí").click()  # sends "sí"
        now = next_turn(browser, now["lastId"], s)
        assert now["text"] == "¿Qué te lo hizo más difícil?", now
        button(browser, "Un descanso").click()  # sends "un descanso": stop, in Spanish
        now = next_turn(browser, now["lastId"], s)
        assert now["ended"], now
        assert "Todo lo que dijiste está guardado" in browser.find_element(By.ID, "end-text").text
        no_errors(browser)
        assert s.finish() == 0, "".join(s.err)
    finally:
        s.stop()
    [c] = exported(cli, data_env, "Ana López")["checkins"]
    assert c["status"] == "started" and c["goals"] == [
        {"goal": "Quiero leer un libro cada semana", "rating": 3, "said": "un tres", "helped": "mis amigos",
         "in_the_way": None}]
