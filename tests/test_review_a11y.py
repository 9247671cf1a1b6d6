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
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.axe import describe, violations
from tests.conftest import ROOT
from tests.webapp import PASSWORD, Review, csrf_of, request, sign_in

pytestmark = pytest.mark.slow  # a real server and a real Chromium

NARROW = 320  # CSS pixels: 1280 at 400% zoom
TEMPLATES = ROOT / "assistant" / "review" / "templates"


@pytest.fixture(scope="module")
def site(tmp_path_factory, base_env):
    """The review app over a data folder with a teacher (Ms Lee), a student with a
    finished session (Eli), one with a session under way
    (Noor, in Spanish) and one without any (Ana, grade K); Ms Lee's edits make draft versions
    2, 3 and 4 and the access log."""
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
    noor = st.roster.add("Noor", 11, language="es")  # a session under way, in Spanish
    noor_session = st.transcripts.start(noor.id, "es-9-12")  # a session's language is its dialogue's
    st.transcripts.add_answer(noor_session.id, "s", "strengths", "What are you good at?", "answer", "me gusta dibujar",
                              words=words("me gusta dibujar"), engine="whisper base")
    ana = st.roster.add("Ana", 0)
    # the student's page's lessons and rehearsals, and an archived student on the list
    st.lessons.add(eli.id, "iep", True, {"title": "What an IEP is", "check": "What is an IEP?", "said": "a plan for me",
                                         "typed": False})
    st.lessons.add(eli.id, "goal", False, {"title": "Goals", "check": "What is a goal?", "said": "", "typed": False})
    for covered in (True, False), (True, True):
        st.rehearsals.add(eli.id, {"parts": [{"key": str(i), "title": t, "covered": c, "coverage": float(c), "said": ""}
                                             for i, (t, c) in enumerate(zip(("Hello", "Strengths"), covered, strict=True))],
                                   "finished": True})
    st.roster.set_archived(st.roster.add("Zoe Archived", 7).id, True)
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
        yield app.base, eli.id, noor.id, ana.id
    finally:
        app.stop()


def visits(sid: int, other: int, none: int):
    """(page, its template, how to get there): every template, each with what it can show.
    A visit is a function of (browser, base URL), since some pages are the answer to a form."""
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
            _loaded_after(b, old)
        return go

    class_list = ("name,grade,role,accommodations\nMaya Lopez,4,,extended time;read aloud\nBen,13,,\n"
                  "Eli Martínez-Okafor,4,,\nCy Sandoval-Whitfield-Nakamura-Oyelaran,K,9,\n")

    times = [0]

    def imported(b, base):  # visited twice: a new student each time, so there is always one to add
        times[0] += 1
        submit("/students/import", {"text": class_list + f"New Student {times[0]},5,,\n"}, "button.primary")(b, base)
        old = b.find_element(By.TAG_NAME, "html")
        b.find_element(By.CSS_SELECTOR, "button.primary").click()
        _loaded_after(b, old)

    return [
        ("student list", "students.html", get("/")),
        ("student list: filtered, sorted, archived shown", "students.html",
         get("/?archived=1&sort=attention&dir=desc")),
        ("add a student: mistakes (messages)", "student_form.html",
         submit("/students/new", {"name": "Eli Martínez-Okafor", "language": "english!"}, "button.primary")),
        ("edit a student: mistakes (messages)", "student_form.html",
         submit(f"/students/{sid}/edit", {"rate": "999", "text_size": "x"}, "button.primary")),
        ("import: wrong columns (message)", "import.html",
         submit("/students/import", {"text": "first,grade\nAna,4"}, "button.primary")),
        ("import: preview", "import.html", submit("/students/import", {"text": class_list}, "button.primary")),
        ("import: done, the bad rows again", "import.html", imported),
        ("student page (finished session, versions)", "student.html", get(f"/students/{sid}")),
        ("student page (session under way)", "student.html", get(f"/students/{other}")),
        ("student page: delete refused (message)", "student.html",
         submit(f"/students/{sid}", {"confirm": "not the name"}, "button.danger")),
        ("transcript", "transcript.html", get(f"/students/{sid}/transcript")),
        ("transcript (Spanish, not confirmed)", "transcript.html", get(f"/students/{other}/transcript")),
        ("transcript (no session)", "transcript.html", get(f"/students/{none}/transcript")),
        ("draft editor", "draft.html", get(f"/students/{sid}/draft")),
        ("draft version 1", "version.html", get(f"/students/{sid}/versions/1")),
        ("draft version 4", "version.html", get(f"/students/{sid}/versions/4")),
        ("meeting script", "script.html", get(f"/students/{sid}/script")),
        ("check-ins (none yet; tests/test_checkin.py visits a full one)", "checkins.html", get(f"/students/{none}/checkins")),
        ("access log", "log.html", get("/log")),
        ("settings", "settings.html", get("/settings")),
        ("error 404 (no such student)", "error.html", get("/students/999999")),
        ("error 404 (no such page)", "error.html", get("/no/such/page")),
        ("error 400 (no such goal)", "error.html",
         lambda b, base: _post_in_page(b, base, f"/students/{sid}/draft", {"op": "goal", "index": "99"})),
    ]


def _post_in_page(b, base, path, fields):
    """POST a form the pages do not have (a bad request), from inside the signed-in page:
    the app's answer is an error page, shown as the teacher would see it."""
    b.get(base + path)
    old = b.find_element(By.TAG_NAME, "html")
    b.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "const add = (n, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v;"
        " f.appendChild(i); };"
        "add('csrf', document.querySelector('input[name=csrf]').value);"
        "for (const [n, v] of Object.entries(arguments[1])) add(n, v);"
        "document.body.appendChild(f); f.submit();", path, fields)
    _loaded_after(b, old)


def _loaded_after(b, old) -> None:
    """Wait until the page that replaces ``old`` (its html element) has loaded: a click that
    submits a form returns before the browser has left the old page."""
    WebDriverWait(b, 15).until(expected_conditions.staleness_of(old))
    WebDriverWait(b, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _signed_out_visits():
    def wrong_password(b, base):
        b.get(base + "/signin")
        b.find_element(By.ID, "name").send_keys("Nobody Here")
        b.find_element(By.ID, "password").send_keys("not the password\n")
        WebDriverWait(b, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".message"))

    return [("sign-in", "signin.html", lambda b, base: b.get(base + "/signin")),
            ("sign-in: wrong password (message)", "signin.html", wrong_password)]


def _sign_in(b, base):
    b.get(base + "/signin")
    b.find_element(By.ID, "name").send_keys("Ms Lee")
    b.find_element(By.ID, "password").send_keys(PASSWORD + "\n")
    WebDriverWait(b, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "nav[aria-label=Main]"))


# clientWidth: the viewport less a vertical scrollbar, if there is one
def names_problems(b) -> list[str]:
    """What a screen reader's list of buttons, fields or links would make ambiguous, and axe does not
    check: every button, field and audio player has a name (as Chrome computes it) no other on
    the page has ("Save", "Save", "Save" told a listener nothing); links of one name go to one
    place; the main navigation marks the page the teacher is on (aria-current; a filtered list, with a
    query in its address, is still that page). The words of a
    transcript are exempt: they are the answer's words in order, inside a group named for it."""
    problems = []
    seen: dict[str, int] = {}
    for e in b.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), button:not(.word), select, textarea, audio"):
        name = " ".join(e.accessible_name.split())
        if not name:
            problems.append(f"no name: {e.get_attribute('outerHTML')[:100]}")
        seen[name] = seen.get(name, 0) + 1
    problems += [f"{count} controls named {name!r}" for name, count in seen.items() if name and count > 1]
    places: dict[str, set[str]] = {}
    for e in b.find_elements(By.CSS_SELECTOR, "a[href]"):
        places.setdefault(" ".join(e.accessible_name.split()), set()).add(e.get_attribute("href"))
    problems += [f"links named {name!r} go to {sorted(to)}" for name, to in places.items() if len(to) > 1]
    # a table says what it is and what each column is; a row of the students table is read
    # out with its student ("Grade, 4, Eli"), not as a bare number
    problems += b.execute_script(
        "return [...document.querySelectorAll('table')].filter(t => !t.caption || !t.tHead"
        " || [...t.tHead.rows[0].cells].some(c => c.tagName !== 'TH' || c.scope !== 'col')"
        " || (t.id === 'students' && [...t.tBodies[0].rows].some(r => r.cells[0].tagName !== 'TH' || r.cells[0].scope !== 'row')))"
        ".map(t => 'table without caption, column or row headers: ' + t.outerHTML.slice(0, 100));")
    problems += b.execute_script(
        "return [...document.querySelectorAll('nav a')].filter(a => (a.href === location.href.split(/[?#]/)[0])"
        " !== (a.getAttribute('aria-current') === 'page')).map(a => 'aria-current wrong on ' + a.outerHTML);")
    return problems


SIDEWAYS = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]"


def _narrow(b, on: bool) -> None:
    """A 320-pixel-wide viewport (device metrics, so the width is exact whatever the
    window manager allows), or the window's own again."""
    if on:
        b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                          {"width": NARROW, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    else:
        b.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_every_page_passes_axe_reflows_and_names_its_controls(site, browser):
    """Each page at 1200 pixels wide and at 320 (400% zoom): no serious or critical axe
    violation at either width, nothing wider than the 320-pixel viewport, and (at full
    width) ``names_problems``. All pages are checked before the test fails, and the message
    lists every problem found."""
    base, sid, other, none = site
    b = browser
    signed_out, signed_in_pages = _signed_out_visits(), visits(sid, other, none)
    templates = {p.name for p in TEMPLATES.glob("*.html")} - {"base.html"}  # base.html: part of every page
    visited = {template for _, template, _ in signed_out + signed_in_pages}
    assert visited == templates, f"add a visit for {sorted(templates - visited)}"
    # The fixture's 200 ms per request is there to catch a test looking at a page before it has
    # loaded; these visits wait for each page, and 68 page loads would take a quarter minute more.
    b.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                          "downloadThroughput": -1, "uploadThroughput": -1})
    problems: list[str] = []
    for signed_in, pages in ((False, signed_out), (True, signed_in_pages)):
        if signed_in:
            _sign_in(b, base)
        for where, _, visit in pages:
            for narrow in (False, True):
                _narrow(b, narrow)
                visit(b, base)
                assert "Sign in" not in b.title or not signed_in, f"{where}: signed out ({b.current_url})"
                label = f"{where} at {NARROW if narrow else 'full'} width"
                found = violations(b)
                if found:
                    problems.append(f"{label}: axe-core found\n{describe(found)}")
                if not narrow:
                    problems += [f"{label}: {p}" for p in names_problems(b)]
                else:
                    wide, viewport, window = b.execute_script(SIDEWAYS)
                    assert window == NARROW, (where, window)
                    if wide > viewport:
                        over = b.execute_script(
                            "const w = document.documentElement.clientWidth;"
                            "return [...document.querySelectorAll('main *, header *')]"
                            ".filter(e => e.getBoundingClientRect().right > w + 0.5 || e.scrollWidth > e.clientWidth + 1)"
                            ".slice(0, 5).map(e => e.outerHTML.slice(0, 100));")
                        problems.append(f"{label}: scrolls sideways ({wide} > {viewport} pixels): {over}")
    _narrow(b, False)
    assert not problems, "\n\n".join(problems)
    # A screen reader reads a transcript's words with the student's language's voice and rules
    # (lang), the page around them in English.
    for student, language in ((sid, "en"), (other, "es")):
        b.get(f"{base}/students/{student}/transcript")
        words = {p.get_attribute("lang") for p in b.find_elements(By.CSS_SELECTOR, ".words")}
        assert words == {language} and b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", words
    # The check can fail: grey text (5.7:1, enough for AA, not for AAA's 7:1) in the app's own page
    # is found. Set through the DOM, since the app's Content-Security-Policy drops a style attribute.
    b.execute_script("const p = document.createElement('p'); p.textContent = 'grey text'; p.style.color = '#666';"
                     "document.querySelector('main').appendChild(p);")
    assert [v["id"] for v in violations(b)] == ["color-contrast-enhanced"]
