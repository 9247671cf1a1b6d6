"""Every page of the teacher's review app, checked by axe-core (WCAG 2.x A/AA, best
practice, AAA enhanced contrast 7:1) in a real headless Chromium, and at 320 CSS
pixels wide (a 1280-pixel screen at 400% zoom, WCAG 1.4.10 reflow) for sideways
scrolling. One server and one browser visit them all; the pages are filled with
what makes them long and varied (low-confidence words, recordings, a replaced and a
corrected answer, a reworded and an added item, items for discussion, goals, open
questions, several versions, the access log) so that every part of each template
is on the page axe looks at."""

from __future__ import annotations

import numpy as np
import pytest

from tests.axe import describe, violations
from tests.webapp import PASSWORD, Review, csrf_of, request, sign_in

pytestmark = pytest.mark.slow  # a real server and a real Chromium

NARROW = 320  # CSS pixels: 1280 at 400% zoom


@pytest.fixture(scope="module")
def site(tmp_path_factory, base_env):
    """The review app over a data folder with a teacher (Ms Lee), a student with a
    finished session (Eli), one with a session under way (Noor), one without any
    (Ana, grade K); Ms Lee's edits make draft versions 2 and 3 and the access log."""
    from assistant.draft import build_draft
    from assistant.recordings import StudentFiles
    from assistant.review import auth
    from assistant.store import Store
    from assistant.words import Word

    data = tmp_path_factory.mktemp("a11y-data")
    st = Store(data)
    auth.add_teacher(st, "Ms Lee", PASSWORD)
    eli = st.roster.add("Eli Martínez-Okafor", 4, accommodations=["extended time", "read aloud"])
    session = st.transcripts.start(eli.id, "en-3-5")
    recording = StudentFiles(st.dir, eli.id).save_recording(np.zeros(16000, dtype=np.int16))

    def words(text: str, unsure: tuple[int, ...] = ()) -> list[Word]:
        return [Word(word=w, start=i * 0.4, end=i * 0.4 + 0.3, confidence=0.3 if i in unsure else 0.95)
                for i, w in enumerate(text.split())]

    answers = [
        ("s", "strengths", "What are you good at?", "answer", "soccer and drawing", (1,), {}),
        ("s", "strengths", "What are you good at?", "answer", "soccer, drawing and fixing bikes", (2, 3), {}),
        ("i", "interests", "What do you like to do?", "answer", "building robots with my cousin", (), {}),
        ("c", "challenges", "What is hard for you?", "answer", "reading long chapters", (1,), {}),
        ("a1", "accommodations", "Does extended time help you?", "answer", "yes it helps", (), {"accommodation": "extended time"}),
        ("a2", "accommodations", "Does read aloud help you?", "answer", "no it does not help", (),
         {"accommodation": "read aloud"}),
        ("w", "accommodations.wanted", "What else would help?", "answer", "a quiet room for tests", (), {}),
        ("g", "goals.statement", "What is one goal?", "answer", "I want to read faster", (), {"goal_number": 1}),
        ("gm", "goals.measure", "How will we know?", "answer", "two chapters a week", (), {"goal_number": 1}),
        ("m", "message_to_team", "What would you tell your team?", "dont_know", "I don't know", (), {}),
    ]
    ids = []
    for step, field, prompt, kind, text, unsure, extra in answers:
        aid = st.transcripts.add_answer(session.id, step, field, prompt, kind, text, words=words(text, unsure),
                                        engine="whisper tiny.en", audio_path=recording, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
        ids.append(aid)
    st.transcripts.review(ids[1], "corrected", "Ms Lee", "soccer, drawing and fixing bikes and cars")
    st.transcripts.review(ids[2], "accepted", "Ms Lee")
    st.transcripts.review(ids[3], "ask_again", "Ms Lee")
    draft = build_draft(eli, st.transcripts.answers(session.id))
    st.finish_session(session.id, eli.id, draft.model_dump(mode="json"))
    noor = st.roster.add("Noor", 11)
    st.transcripts.start(noor.id, "en-9-12")
    st.roster.add("Ana", 0)
    st.close()

    app = Review(dict(base_env, IEP_ASSISTANT_DATA=str(data)))
    try:
        _, _, cookie = sign_in(app.base)
        csrf = csrf_of(app.base, cookie)
        draft_url = f"{app.base}/students/{eli.id}/draft"
        for form in ({"op": "edit", "section": "strengths", "index": "0", "text": "plays soccer", "label": "sport"},
                     {"op": "add", "section": "learning_preferences", "text": "pictures with the steps from "
                                                                     "www.khanacademy.org/math/early-math/cc-early-math-add-sub-basics"},
                     {"op": "goal", "index": "1", "area": "math", "statement": "Check each answer", "measure": "",
                      "timeframe": "by June", "support": ""}):
            status, body, _ = request(draft_url, {"csrf": csrf, **form}, cookie=cookie)
            assert status == 303, (form, status, body[:500])
        yield app.base, eli.id, noor.id
    finally:
        app.stop()


def visits(sid: int, other: int):
    """(page, how to get there): every template, each with what it can show. A visit is
    a function of (browser, base URL), since some pages are the answer to a form."""
    from selenium.webdriver.common.by import By

    def get(path):
        return lambda b, base: b.get(base + path)

    def submit(path, fields, button):
        def go(b, base):
            b.get(base + path)
            for name, value in fields.items():
                box = b.find_element(By.ID, name)
                box.clear()
                box.send_keys(value)
            old = b.find_element(By.TAG_NAME, "html")
            b.find_element(By.CSS_SELECTOR, button).click()
            from selenium.webdriver.support import expected_conditions
            from selenium.webdriver.support.ui import WebDriverWait

            WebDriverWait(b, 15).until(expected_conditions.staleness_of(old))
            WebDriverWait(b, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
        return go

    return [
        ("student list", get("/")),
        ("student page (finished session, versions)", get(f"/students/{sid}")),
        ("student page (session under way)", get(f"/students/{other}")),
        ("student page: delete refused (message)", submit(f"/students/{sid}", {"confirm": "not the name"},
                                                          "button.danger")),
        ("transcript", get(f"/students/{sid}/transcript")),
        ("transcript (no answers)", get(f"/students/{other}/transcript")),
        ("draft editor", get(f"/students/{sid}/draft")),
        ("draft version 1", get(f"/students/{sid}/versions/1")),
        ("draft version 4", get(f"/students/{sid}/versions/4")),
        ("meeting script", get(f"/students/{sid}/script")),
        ("access log", get("/log")),
        ("settings", get("/settings")),
        ("error 404 (no such student)", get("/students/999999")),
        ("error 404 (no such page)", get("/no/such/page")),
        ("error 400 (no such goal)", lambda b, base: _post_in_page(b, base, f"/students/{sid}/draft",
                                                                    {"op": "goal", "index": "99"})),
    ]


def _post_in_page(b, base, path, fields):
    """POST a form the pages do not have (a bad request), from inside the signed-in page:
    the app's answer is an error page, shown as the teacher would see it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    b.get(base + path)
    old = b.find_element(By.TAG_NAME, "html")
    b.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "const add = (n, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v;"
        " f.appendChild(i); };"
        "add('csrf', document.querySelector('input[name=csrf]').value);"
        "for (const [n, v] of Object.entries(arguments[1])) add(n, v);"
        "document.body.appendChild(f); f.submit();", path, fields)
    WebDriverWait(b, 15).until(expected_conditions.staleness_of(old))
    WebDriverWait(b, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _signed_out_visits():
    from selenium.webdriver.common.by import By

    def wrong_password(b, base):
        b.get(base + "/signin")
        b.find_element(By.ID, "name").send_keys("Nobody Here")
        b.find_element(By.ID, "password").send_keys("not the password\n")
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(b, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".message"))

    return [("sign-in", lambda b, base: b.get(base + "/signin")),
            ("sign-in: wrong password (message)", wrong_password)]


def _sign_in(b, base):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    b.get(base + "/signin")
    b.find_element(By.ID, "name").send_keys("Ms Lee")
    b.find_element(By.ID, "password").send_keys(PASSWORD + "\n")
    WebDriverWait(b, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "nav[aria-label=Main]"))


# clientWidth: the viewport less a vertical scrollbar, if there is one
SIDEWAYS = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]"


def _narrow(b, on: bool) -> None:
    """A 320-pixel-wide viewport (device metrics, so the width is exact whatever the
    window manager allows), or the window's own again."""
    if on:
        b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": NARROW, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    else:
        b.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_page_passes_axe_and_reflows_at_320_pixels(site, browser):
    """Each page at 1200 pixels wide and at 320 (400% zoom): no serious or critical axe
    violation at either width, and nothing wider than the 320-pixel viewport. All pages
    are checked before the test fails, and the message lists every problem found."""
    base, sid, other = site
    b = browser
    # The fixture's 200 ms per request is there to catch a test looking at a page before it has
    # loaded; these visits wait for each page, and 68 page loads would take a quarter minute more.
    b.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                          "downloadThroughput": -1, "uploadThroughput": -1})
    problems: list[str] = []
    checked = 0
    for signed_in, pages in ((False, _signed_out_visits()), (True, visits(sid, other))):
        if signed_in:
            _sign_in(b, base)
        for where, visit in pages:
            for narrow in (False, True):
                _narrow(b, narrow)
                visit(b, base)
                assert "Sign in" not in b.title or not signed_in, f"{where}: signed out ({b.current_url})"
                label = f"{where} at {NARROW if narrow else 'full'} width"
                found = violations(b)
                if found:
                    problems.append(f"{label}: axe-core found\n{describe(found)}")
                if narrow:
                    wide, viewport, window = b.execute_script(SIDEWAYS)
                    assert window == NARROW, (where, window)
                    if wide > viewport:
                        over = b.execute_script(
                            "const w = document.documentElement.clientWidth;"
                            "return [...document.querySelectorAll('main *, header *')]"
                            ".filter(e => e.getBoundingClientRect().right > w + 0.5 || e.scrollWidth > e.clientWidth + 1)"
                            ".slice(0, 5).map(e => e.outerHTML.slice(0, 100));")
                        problems.append(f"{label}: scrolls sideways ({wide} > {viewport} pixels): {over}")
            checked += 1
    _narrow(b, False)
    assert checked == 17
    assert not problems, "\n\n".join(problems)
    # The check can fail: grey text (5.7:1, enough for AA, not for AAA's 7:1) in the app's own page
    # is found. Set through the DOM, since the app's Content-Security-Policy drops a style attribute.
    b.execute_script("const p = document.createElement('p'); p.textContent = 'grey text'; p.style.color = '#666';"
                     "document.querySelector('main').appendChild(p);")
    assert [v["id"] for v in violations(b)] == ["color-contrast-enhanced"]
