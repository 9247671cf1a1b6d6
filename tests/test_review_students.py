"""Students managed in the review app: adding, editing, archiving, importing a class
list (CSV) and the dashboard. The fast tests run the app in-process through Flask's
test client over a real SQLite store (what was stored, what the page says, the access
log); the slow one walks a teacher through it all in a real Chromium against a real
server, with the command line on the same data folder."""

from __future__ import annotations

import base64
import html
import io
import re
import time

import pytest

from assistant.draft import build_draft
from assistant.review import auth, roster_import
from assistant.store import Store
from tests.test_review_app import Browser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def st(tmp_path, monkeypatch):
    monkeypatch.setitem(auth.SCRYPT, "n", 2**4)  # cheap scrypt: sign-in is not what these tests are about
    monkeypatch.setattr(auth, "_DUMMY", None)
    store = Store(tmp_path / "data")
    auth.add_teacher(store, "Ms Lee", PASSWORD)
    yield store
    store.close()


@pytest.fixture
def web(st):
    b = Browser(st)
    assert b.sign_in().status_code == 303
    yield b
    b.close()


def text_of(page: str) -> str:
    """The page's words, without tags, on one line (what a reader would see)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def last_log(st: Store, n: int = 1) -> list[tuple[str, str]]:
    return [(r["action"], r["target"]) for r in st.audit.recent(n)][::-1]


# ---------------------------------------------------------------- reading a class list

def rows_of(st: Store, text: str) -> list[roster_import.Row]:
    return roster_import.read(st, text)


def test_class_list_rows_are_checked_one_by_one(st):
    st.roster.add("Maya Lopez", 4)
    rows = rows_of(st, "\ufeffName,Grade,Language,Role,Accommodations,Past goals\n"
                       "Ana Ruiz,K,EN,2,extended time; read aloud ;,read 20 minutes a day\n"
                       ",3,,,,\n"
                       "Ben,13,,,,\n"
                       "Cy,4,,7,,\n"
                       "maya lopez,4,,,,\n"
                       "Dee,5,,,,\n"
                       "DEE,5,,,,\n"
                       f"Eve,6,,,{'x' * 501},\n"
                       "=HYPERLINK(\"http://evil\"),2,,,,\n"
                       "Zed,3,english,,,\n")
    said = {r.line: r.errors for r in rows}
    assert said[2] == [] and rows[0].grade == 0 and rows[0].language == "en" and rows[0].role == 2
    assert rows[0].accommodations == ["extended time", "read aloud"] and rows[0].past_goals == ["read 20 minutes a day"]
    assert said[3] == ["missing name"]
    assert said[4] == ["bad grade '13': use K or 0 to 12"]
    assert said[5] == ["bad role '7': use 1 to 5, or leave it empty for the grade's default"]
    assert said[6] == ["duplicate: Maya Lopez#1 is already a student in grade 4"]
    assert said[7] == [] and said[8] == ["duplicate of row 7 (same name and grade)"]
    assert said[9][0].startswith("too long: an accommodation can have at most 500 characters")
    assert said[10] == [] and rows[8].name == '=HYPERLINK("http://evil")'  # a formula is a name like any other text
    assert said[11] == ["bad language 'english': use en or es (the languages the dialogues are in)"]


def test_excel_semicolons_and_quoted_fields(st):
    rows = rows_of(st, 'name;grade;accommodations\r\n"Lopez, Maya";4;"breaks; a quiet room"\r\n')
    assert [(r.name, r.grade, r.accommodations, r.errors) for r in rows] == [
        ("Lopez, Maya", 4, ["breaks", "a quiet room"], [])]


def test_multi_line_cells_split_and_rows_keep_the_files_line_numbers(st):
    # two blank lines at the top, cells with Alt-Enter in Excel (quoted, over lines 4 to 6), a blank line, a bad row
    rows = rows_of(st, '\n\nname,grade,accommodations,past_goals\r\n'
                       'Ana,4,"extended time\r\nread aloud","read daily\nwrite; spell"\r\n'
                       '\r\n'
                       'Ben,13,,\r\n')
    assert [(r.line, r.name, r.accommodations, r.past_goals) for r in rows] == [
        (4, "Ana", ["extended time", "read aloud"], ["read daily", "write", "spell"]), (8, "Ben", [], [])]
    assert rows[1].errors == ["bad grade '13': use K or 0 to 12"]


def test_only_languages_that_have_dialogues(web, st, cli, base_env, tmp_path):
    """en and es have dialogues (dialogues/LANG/); "en-US", "eng" and a language without
    dialogues (fr) would be stored, and the student's session would then fail: all three
    are refused alike by the class list, the form and the command line; es is taken."""
    from assistant.dialogue.schema import dialogue_files

    assert "fr" not in {f.parent.name for f in dialogue_files()}, "this test takes fr as a language without dialogues"
    rows = rows_of(st, "name,grade,language\nA,4,en-US\nB,4,eng\nC,4,fr\nD,4,EN\nE,4,es\n")
    assert [r.errors for r in rows] == [[f"bad language '{x}': use en or es (the languages the dialogues are in)"]
                                        for x in ("en-us", "eng", "fr")] + [[], []]
    assert rows[3].language == "en" and rows[4].language == "es"
    r = web.post("/students/new", name="Ana", grade="4", language="en-US")
    assert r.status_code == 400 and "Problem: 'en-us' is not a language the dialogues are in: use en or es" in text_of(r.text)
    assert st.roster.count() == 0
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "cli"))
    for code in ("en-US", "fr"):
        r = cli("student", "add", "Kim", "--grade", 4, "--language", code, env=env)
        assert r.returncode != 0 and f"'{code.lower()}' is not a language the dialogues are in: use en or es" in r.stderr
    assert cli("student", "add", "Ana", "--grade", 4, "--language", "es", env=env).returncode == 0


@pytest.mark.parametrize("text, message", [
    ("", "The file is empty"),
    ("\ufeff\n\n", "The file is empty"),
    ("\n,,\n", "The file has no header row"),
    ("name,grade\n", "a header row but no students"),
    ("name,class\nAna,4\n", "Wrong column names in the header row (unknown column 'class'; no column 'grade'). "
                            "The columns are: name, grade, and optionally language"),
    ("first name,grade\nAna,4\n", "unknown column 'first_name'; no column 'name'"),
    ("name,grade,grade\nAna,4,5\n", "The column grade is in the header row more than once"),
])
def test_a_file_that_is_no_class_list_says_why(st, text, message):
    with pytest.raises(roster_import.ImportError_) as e:
        rows_of(st, text)
    assert message in str(e.value)


def test_limits_and_encodings():
    with pytest.raises(roster_import.ImportError_, match="too big"):
        roster_import.decode(b"name,grade\n" + b"Ana,4\n" * 50_000)
    with pytest.raises(roster_import.ImportError_, match="not UTF-8"):
        roster_import.decode("name,grade\nJosé,4\n".encode("cp1252"))
    assert roster_import.decode("\ufeffname,grade\nJosé,4\n".encode()) == "name,grade\nJosé,4\n"
    with pytest.raises(roster_import.ImportError_, match="at most 1000 can be imported"):
        roster_import.parse("name,grade\n" + "".join(f"S{i},4\n" for i in range(1001)))


# ---------------------------------------------------------------- adding, editing, archiving

def test_add_with_mistakes_keeps_what_was_typed_then_adds(web, st):
    r = web.post("/students/new", name="Ana Ruiz", grade="", language="english!", role="",
                 accommodations="extended time\nread aloud", past_goals="")
    assert r.status_code == 400 and st.roster.count() == 0
    page = r.text
    assert 'value="Ana Ruiz"' in page and "extended time\nread aloud</textarea>" in page and 'value="english!"' in page
    assert 'aria-describedby="grade-error"' in page and "Problem: Choose a grade: K or 1 to 12." in text_of(page)
    assert "Problem: 'english!' is not a language the dialogues are in: use en or es." in text_of(page)
    r = web.post("/students/new", name="Ana Ruiz", grade="0", language=" EN", role="2",
                 accommodations="extended time\n\nread aloud", past_goals="read 20 minutes a day")
    assert r.status_code == 303
    ana = st.roster.find("Ana Ruiz")
    assert (ana.grade, ana.language, ana.role_set, ana.accommodations, ana.past_goals) == (
        0, "en", 2, ["extended time", "read aloud"], ["read 20 minutes a day"])
    assert r.headers["Location"] == f"/students/{ana.id}"
    assert last_log(st) == [("edit", f"new student {ana.label} (grade K, en, role 2; 2 accommodations, 1 past goals)")]
    # the same name in the same grade again is refused, beside the name
    r = web.post("/students/new", name="ana ruiz", grade="0", language="en")
    assert r.status_code == 400 and f"{ana.label} is already a student in grade K" in text_of(r.text)


def test_edit_everything_then_archive_and_unarchive(web, st):
    eli = st.roster.add("Eli", 4, accommodations=["extended time"])
    form = web.client.get(f"/students/{eli.id}/edit").text
    assert 'value="Eli"' in form and 'id="text_size" name="text_size" inputmode="numeric" value="150"' in form
    bad = dict(name="Eli Stone", grade="9", language="en", role="", accommodations="breaks", past_goals="",
               rate="500", voice="espeak:en-us", text_size="150", font="atkinson", theme="dark")
    r = web.post(f"/students/{eli.id}/edit", **bad)
    assert r.status_code == 400 and "The speech rate must be a whole number from 90 to 280." in text_of(r.text)
    assert st.roster.get(eli.id).name == "Eli" and 'value="Eli Stone"' in r.text  # nothing stored, nothing lost
    r = web.post(f"/students/{eli.id}/edit", **{**bad, "rate": "120", "role": "5", "text_size": "200"})
    assert r.status_code == 303
    s = st.roster.get(eli.id)
    assert (s.name, s.grade, s.role, s.accommodations, s.rate, s.voice) == ("Eli Stone", 9, 5, ["breaks"], 120, "espeak:en-us")
    assert s.display == {"text_size": 200, "font": "atkinson", "theme": "dark"}
    assert last_log(st) == [("edit", f"student Eli Stone#{eli.id}: name, grade, role, accommodations, speech rate, "
                                      "voice, text size, font, theme changed")]
    # back to the grade's default role
    web.post(f"/students/{eli.id}/edit", **{**bad, "rate": "", "voice": "", "role": "", "text_size": "200"})
    s = st.roster.get(eli.id)
    assert s.role_set is None and s.role == 4 and s.rate == 120 and s.voice == "espeak:en-us"

    assert web.post(f"/students/{eli.id}/archive").status_code == 303
    assert st.roster.get(eli.id).archived and last_log(st)[0][0] == "archive"
    assert "Eli Stone" not in web.client.get("/").text
    listed = text_of(web.client.get("/?archived=1").text)
    assert "Eli Stone" in listed and "archived" in listed
    assert "Archived on" in text_of(web.client.get(f"/students/{eli.id}").text)
    assert web.post(f"/students/{eli.id}/unarchive").status_code == 303
    assert st.roster.get(eli.id).archived is None and last_log(st) == [("unarchive", f"student Eli Stone#{eli.id}")]
    assert "Eli Stone" in web.client.get("/").text
    # without the form's token, nothing changes
    assert web.client.post(f"/students/{eli.id}/archive").status_code == 403 and not st.roster.get(eli.id).archived


def _form_fields(page: str) -> dict[str, str]:
    """The edit form's fields as the page sends them (inputs, hidden ones too, and textareas)."""
    fields = {m[0]: html.unescape(m[1]) for m in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page)}
    fields.update({m[0]: html.unescape(m[1]) for m in re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>(.*?)</textarea>',
                                                                    page, re.S)})
    for name, options in re.findall(r'<select[^>]*?name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        fields[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"[^>]*?checked', page):
        fields[name] = value
    fields.pop("csrf", None)
    return fields


def test_edit_and_archive_wait_for_a_running_session(web, st):
    from assistant.locks import session_lock

    ana = st.roster.add("Ana", 5)
    page = web.client.get(f"/students/{ana.id}/edit").text
    form = {**_form_fields(page), "name": "Ana Ruiz", "role": "1"}
    with session_lock(st.dir, ana.id, ana.label):
        r = web.post(f"/students/{ana.id}/edit", **form)
        assert r.status_code == 409 and ("Not saved: Ana is in a session right now, so editing their data must wait. "
                                         "Try again when the session has ended. Everything you typed is still here."
                                         ) in text_of(r.text)
        assert _form_fields(r.text) == form  # kept, hidden fields too, to save again later
        r = web.post(f"/students/{ana.id}/archive")
        assert r.status_code == 409 and "so archiving their data must wait" in text_of(r.text)
    s = st.roster.get(ana.id)
    assert (s.name, s.role_set, s.archived) == ("Ana", None, None)  # nothing changed
    assert web.post(f"/students/{ana.id}/archive").status_code == 303 and st.roster.get(ana.id).archived
    with session_lock(st.dir, ana.id, ana.label):  # (an archived student has no session; a stale one might)
        assert web.post(f"/students/{ana.id}/unarchive").status_code == 409 and st.roster.get(ana.id).archived
    assert web.post(f"/students/{ana.id}/edit", **form).status_code == 303
    assert (st.roster.get(ana.id).name, st.roster.get(ana.id).role_set) == ("Ana Ruiz", 1)


def test_saving_the_form_keeps_what_the_student_changed_meanwhile(web, st):
    ana = st.roster.add("Ana", 5)
    st.roster.set_voice(ana.id, rate=150, voice="espeak:en-us")
    st.roster.set_display(ana.id, {"text_size": 150})
    form = _form_fields(web.client.get(f"/students/{ana.id}/edit").text)
    assert (form["rate"], form["text_size"]) == ("150", "150")
    # meanwhile, in a session, the student says "slower" and makes the text bigger
    st.roster.set_voice(ana.id, rate=125)
    st.roster.set_display(ana.id, {"text_size": 200})
    r = web.post(f"/students/{ana.id}/edit", **{**form, "accommodations": "extended time"})
    assert r.status_code == 303
    s = st.roster.get(ana.id)
    assert (s.accommodations, s.rate, s.voice, s.display["text_size"]) == (["extended time"], 125, "espeak:en-us", 200)
    # a field the teacher did change is written, over the student's
    r = web.post(f"/students/{ana.id}/edit", **{**form, "rate": "140", "voice": "espeak:en-gb"})
    s = st.roster.get(ana.id)
    assert (s.rate, s.voice, s.display["text_size"]) == (140, "espeak:en-gb", 200)
    # a form with a problem keeps the values it was loaded with, so its second save is as careful
    r = web.post(f"/students/{ana.id}/edit", **{**form, "grade": "13"})
    assert r.status_code == 400
    again = _form_fields(r.text)
    assert again["rate"] == "150" and again["rate_loaded"] == "150"
    st.roster.set_voice(ana.id, rate=110)
    assert web.post(f"/students/{ana.id}/edit", **{**again, "grade": "5"}).status_code == 303
    assert st.roster.get(ana.id).rate == 110


# ---------------------------------------------------------------- importing

CLASS_LIST = ("name,grade,role,accommodations\n"
              "Ana Ruiz,K,,extended time;read aloud\n"
              "Ben,13,,\n"
              "Cy,4,9,\n"
              "Dee,5,,\n")


def test_import_preview_stores_nothing_and_confirm_adds_the_good_rows(web, st):
    r = web.client.post("/students/import", data={"csrf": web.csrf, "file": (io.BytesIO(
        ("\ufeff" + CLASS_LIST).encode()), "class.csv")}, content_type="multipart/form-data")
    assert r.status_code == 200 and st.roster.count() == 0
    page = text_of(r.text)
    assert "2 of 4 rows will be added; 2 rows cannot be" in page
    assert "Not added: bad grade '13': use K or 0 to 12" in page and "Not added: bad role '9'" in page
    assert "Will be added: grade K, en, role 3 (default for the grade); 2 accommodations" in page
    listed = re.search(r'name="list" value="([^"]+)"', r.text).group(1)
    signature = re.search(r'name="signature" value="([^"]+)"', r.text).group(1)
    # an edited list (or signature) is refused: the confirm adds only what was previewed
    forged = base64.urlsafe_b64encode(b"name,grade\nMallory,4\n").decode()
    r = web.post("/students/import", step="confirm", list=forged, signature=signature)
    assert r.status_code == 400 and "Upload the class list again" in r.text and st.roster.count() == 0
    # checked again at the confirm: Dee was added meanwhile, so that row is now a duplicate
    dee = st.roster.add("Dee", 5)
    r = web.post("/students/import", step="confirm", list=listed, signature=signature)
    assert r.status_code == 200
    assert sorted(s.name for s in st.roster.all()) == ["Ana Ruiz", "Dee"]
    ana = st.roster.find("Ana Ruiz")
    assert ana.accommodations == ["extended time", "read aloud"] and ana.grade == 0
    page = text_of(r.text)
    assert "1 student added" in page and f"duplicate: {dee.label} is already a student in grade 5" in page
    assert "bad grade '13'" in page  # the bad rows, listed again to fix
    assert last_log(st) == [("edit", f"1 new students from a class list (CSV): {ana.label}")]


def test_malformed_forms_get_a_4xx_and_change_nothing(web, st):
    eli = st.roster.add("Eli", 4)
    for url, form in [("/students/import", {"step": "confirm", "list": "%%%", "signature": "x"}),
                      ("/students/import", {"step": "confirm"}),
                      ("/students/import", {"step": "confirm", "list": base64.urlsafe_b64encode(b"\xff").decode()}),
                      (f"/students/{eli.id}/edit", {"name": "Eli", "grade": "4; DROP TABLE", "text_size": "1e9",
                                                    "font": "comic", "theme": "<b>", "role": "-1"}),
                      ("/students/new", {"name": "#1", "grade": "99", "role": "six"}),
                      ("/students/99999999/edit", {"name": "Eli", "grade": "4"}),
                      ("/students/99999999/archive", {})]:
        r = web.post(url, **form)
        assert 400 <= r.status_code < 500 and "Traceback" not in r.text, (url, r.status_code)
    assert [(s.name, s.grade, s.role_set, s.display, s.archived) for s in st.roster.all()] == [("Eli", 4, None, {}, None)]


def test_import_problems_keep_the_pasted_text(web, st):
    r = web.post("/students/import", text="first,grade\nAna,4")
    assert r.status_code == 400 and "Wrong column names" in text_of(r.text) and "first,grade\nAna,4</textarea>" in r.text
    r = web.post("/students/import", text="")
    assert r.status_code == 400 and "The file is empty" in r.text


# ---------------------------------------------------------------- the dashboard

def seed_class(st: Store) -> dict[str, int]:
    """Thirty students; three with something for the teacher (Eli: a session whose draft has
    an accommodation not helpful, a support wished for, an open question and an answer marked
    ask again; Noor: a check-in; Ana: an archived student)."""
    ids = {}
    for i in range(27):
        ids[f"S{i:02}"] = st.roster.add(f"Student {i:02}", i % 13).id
    eli = st.roster.add("Eli", 4, accommodations=["read aloud"], role=5)
    session = st.transcripts.start(eli.id, "en-3-5")
    answers = [("a", "accommodations", "Does read aloud help you?", "answer", "no it does not", {"accommodation": "read aloud"}),
               ("w", "accommodations.wanted", "What else would help?", "answer", "a quiet room", {}),
               ("m", "message_to_team", "What would you tell your team?", "dont_know", "I don't know", {}),
               ("s", "strengths", "What are you good at?", "answer", "drawing", {})]
    for step, fld, prompt, kind, text, extra in answers:
        aid = st.transcripts.add_answer(session.id, step, fld, prompt, kind, text, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
    st.transcripts.review(aid, "ask_again", "Ms Lee")
    st.finish_session(session.id, eli.id, build_draft(eli, st.transcripts.answers(session.id)).model_dump(mode="json"))
    st.lessons.add(eli.id, "iep", True, {"title": "What an IEP is", "check": "?", "said": "a plan", "typed": True})
    st.lessons.add(eli.id, "goal", False, {"title": "Goals", "check": "?", "said": "", "typed": True})
    st.rehearsals.add(eli.id, {"parts": [], "finished": True})
    noor = st.roster.add("Noor", 11)
    st.checkins.start(noor.id, {"goals": [], "accommodations": []}, at="2026-10-01T10:00:00")
    ana = st.roster.add("Ana", 0)
    st.roster.set_archived(ana.id, True)
    return {**ids, "Eli": eli.id, "Noor": noor.id, "Ana": ana.id}


def names_in(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/students/\d+">([^<]+)</a>', page)


def test_dashboard_counts_sorts_and_filters(web, st):
    ids = seed_class(st)
    started = time.perf_counter()
    page = web.client.get("/").text
    seconds = time.perf_counter() - started
    print(f"dashboard of 29 active students: {seconds * 1000:.0f} ms")
    assert seconds < 3, seconds
    names = names_in(page)
    assert len(names) == 29 and "Ana" not in names and names == sorted(names, key=str.casefold)
    assert "1 archived student is not shown: choose “Show archived” to see it." in text_of(page)
    eli_row, noor_row = (text_of(re.search(rf'<tr><th scope="row"><a href="/students/{ids[who]}">.*?</tr>', page, re.S)
                                 .group(0)) for who in ("Eli", "Noor"))
    assert eli_row.startswith("Eli #") and " 4 5 " in eli_row and "finished" in eli_row
    assert "ready for review" in eli_row and "1 of 6 lessons; 1 rehearsal" in eli_row
    assert ("4 : 1 accommodations not helpful 1 supports wished for 1 open questions 1 answers to ask again"
            in eli_row), eli_row
    assert "2026-10-01, stopped part-way" in noor_row and "no session yet" in noor_row
    # sorting: the header links, and aria-sort on the sorted column only
    assert '<th scope="col" aria-sort="ascending"><a href="/?sort=name&amp;dir=desc">Student</a>' in page
    page = web.client.get("/?sort=attention&dir=desc").text
    assert names_in(page)[0] == "Eli" and page.count("aria-sort=") == 1 and 'aria-sort="descending"' in page
    assert names_in(web.client.get("/?sort=checkin&dir=desc").text)[0] == "Noor"
    assert names_in(web.client.get("/?sort=grade&dir=desc").text)[:3] == ["Student 25", "Student 12", "Student 24"]
    # filters, each a GET parameter; sort links keep them
    assert names_in(web.client.get("/?attention=1").text) == ["Eli"]
    assert names_in(web.client.get("/?role=5").text) == ["Eli"]
    assert names_in(web.client.get("/?status=ready+for+review").text) == ["Eli"]
    assert names_in(web.client.get("/?grade=4").text) == ["Eli", "Student 04", "Student 17"]
    page = web.client.get("/?q=noo&archived=1").text
    assert names_in(page) == ["Noor"] and "1 of 30 students" in text_of(page)
    assert 'href="/?archived=1&amp;q=noo&amp;sort=name&amp;dir=desc"' in page
    assert names_in(web.client.get("/?archived=1&grade=0").text) == ["Ana", "Student 00", "Student 13", "Student 26"]
    assert last_log(st) == [("view", "student list (grade=0, archived=1)")]
    assert web.client.get("/?sort=nonsense&grade=99").status_code == 200  # an odd bookmark still opens


def test_student_page_lessons_and_rehearsals(web, st):
    eli = st.roster.add("Eli", 10)
    st.lessons.add(eli.id, "iep", False, {"title": "What an IEP is", "check": "?", "said": "not sure", "typed": True},
                   at="2026-09-01T10:00:00")
    st.lessons.add(eli.id, "iep", True, {"title": "What an IEP is", "check": "?", "said": "my plan", "typed": True},
                   at="2026-09-02T10:00:00")
    st.lessons.add(eli.id, "goal", False, {"title": "Goals", "check": "?", "said": "", "typed": False},
                   at="2026-09-03T10:00:00")

    def rehearsal(*covered):
        return {"parts": [{"key": str(i), "title": t, "covered": c, "coverage": 1.0 if c else 0.0, "said": ""}
                          for i, (t, c) in enumerate(zip(("Hello", "Strengths", "Goals"), covered, strict=True))],
                "finished": True}

    for covered in ((True, False, True), (True, True, False), (True, True, True)):
        st.rehearsals.add(eli.id, rehearsal(*covered))
    page = text_of(web.client.get(f"/students/{eli.id}").text)
    assert "Role 4: + my plans after school (the default for grade 10)" in page
    assert "Strengths and needs How I learn and my accommodations Goals Plans after school" in page
    assert "What an IEP is passed, 2026-09-02 “my plan”" in page and "Goals not yet (tried 2026-09-03)" in page
    assert "1 of 6 lessons passed" in page and "3 rehearsals of the meeting script" in page
    assert "Hello 3 of 3 covered reliably" in page and "Strengths 2 of 3 covered reliably" in page
    assert "Goals 2 of 3 not yet" in page  # covered in the latest only: not yet reliably
    body = web.client.get(f"/students/{eli.id}").text
    for link in (f"/students/{eli.id}/checkins", f"/students/{eli.id}/family.pdf", f"/students/{eli.id}/family.docx",
                 f"/students/{eli.id}/edit"):
        assert f'href="{link}"' in body



# ---------------------------------------------------------------- in a real browser, with the command line

@pytest.mark.slow  # a real server, a real Chromium and the command line
def test_a_teacher_manages_students_in_the_browser_and_the_cli_sees_them(tmp_path, base_env, cli, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from tests.test_review_a11y import _loaded_after, _sign_in
    from tests.webapp import Review

    data = tmp_path / "data"
    st = Store(data)
    auth.add_teacher(st, "Ms Lee", PASSWORD)
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    assert cli("student", "add", "Cli Kid", "--grade", "3", env=env).returncode == 0
    app = Review(env)
    b = browser

    def click(how, what):
        old = b.find_element(By.TAG_NAME, "html")
        b.find_element(how, what).click()
        _loaded_after(b, old)

    def page() -> str:
        return " ".join(b.find_element(By.TAG_NAME, "main").text.split())

    try:
        _sign_in(b, app.base)
        assert "Cli Kid" in page()  # added by the command line, listed by the app
        # add: a mistake first (no grade): a message beside the field, what was typed kept
        click(By.LINK_TEXT, "Add a student")
        b.find_element(By.ID, "name").send_keys("Maya Lopez")
        b.find_element(By.ID, "accommodations").send_keys("extended time\nread aloud")
        click(By.CSS_SELECTOR, "button.primary")
        assert "Problem: Choose a grade: K or 1 to 12." in page()
        assert b.find_element(By.ID, "name").get_attribute("value") == "Maya Lopez"
        assert b.find_element(By.ID, "grade").get_attribute("aria-invalid") == "true"
        Select(b.find_element(By.ID, "grade")).select_by_value("5")
        Select(b.find_element(By.ID, "role")).select_by_value("2")
        click(By.CSS_SELECTOR, "button.primary")
        maya = st.roster.find("Maya Lopez")
        assert (maya.grade, maya.role, maya.accommodations) == (5, 2, ["extended time", "read aloud"])
        assert "Role 2: + how I learn and my accommodations (chosen by a teacher)" in page()
        listed = cli("student", "list", env=env)
        assert f"{maya.label}" in listed.stdout and "grade 5" in listed.stdout, listed.stdout
        # edit: the screen's text size and theme, the role back to the grade's default; the speech
        # rate, left as the form showed it, keeps what Maya said meanwhile in a session ("slower")
        st.roster.set_voice(maya.id, rate=150)
        click(By.PARTIAL_LINK_TEXT, "Edit Maya Lopez")
        assert b.find_element(By.ID, "rate").get_attribute("value") == "150"
        st.roster.set_voice(maya.id, rate=125)
        size = b.find_element(By.ID, "text_size")
        size.clear()
        size.send_keys("250")
        Select(b.find_element(By.ID, "theme")).select_by_value("contrast")
        Select(b.find_element(By.ID, "role")).select_by_value("")
        click(By.CSS_SELECTOR, "button.primary")
        maya = st.roster.get(maya.id)
        assert maya.display == {"text_size": 250, "theme": "contrast"} and maya.role_set is None and maya.role == 3
        assert maya.rate == 125
        # archive: marked on the page, off the list unless "Show archived", and no session
        click(By.XPATH, "//button[normalize-space()='Archive Maya Lopez']")
        assert "archived" in b.find_element(By.TAG_NAME, "h1").text and st.roster.get(maya.id).archived
        refused = cli("session", "--student", "Maya Lopez", "--text", "--no-voice", env=env, input="", timeout=120)
        assert refused.returncode != 0 and "is archived" in refused.stderr, refused.stderr
        click(By.LINK_TEXT, "Students")
        assert "Maya Lopez" not in page()
        b.find_element(By.ID, "archived").click()
        click(By.XPATH, "//button[normalize-space()='Show students']")
        assert "archived=1" in b.current_url and f"Maya Lopez #{maya.id} English archived" in page()  # name, language, the tag
        click(By.LINK_TEXT, "Maya Lopez")
        click(By.XPATH, "//button[normalize-space()='Unarchive Maya Lopez']")
        assert st.roster.get(maya.id).archived is None
        # a class list with good and bad rows: the preview stores nothing, the confirm adds the good ones
        csv_file = tmp_path / "class.csv"
        csv_file.write_bytes(("\ufeffname;grade;role;accommodations\r\n"
                              "Noor Haddad;11;;\"breaks; a quiet room\"\r\n"
                              "maya lopez;5;;\r\n"
                              ";3;;\r\n"
                              "Ben;13;;\r\n"
                              "Zia;K;2;\r\n").encode())
        click(By.LINK_TEXT, "Students")
        click(By.LINK_TEXT, "Import a class list (CSV)")
        b.find_element(By.ID, "file").send_keys(str(csv_file))
        click(By.CSS_SELECTOR, "button.primary")
        preview = page()
        assert "2 of 5 rows will be added; 3 rows cannot be" in preview
        assert f"Not added: duplicate: {maya.label} is already a student in grade 5" in preview
        assert "Not added: missing name" in preview and "Not added: bad grade '13': use K or 0 to 12" in preview
        assert st.roster.count() == 2  # the preview alone adds nobody
        click(By.XPATH, "//button[normalize-space()='Add the 2 good rows']")
        assert "2 students added" in page() and "bad grade '13'" in page()
        noor, zia = st.roster.find("Noor Haddad"), st.roster.find("Zia")
        assert noor.accommodations == ["breaks", "a quiet room"] and (zia.grade, zia.role) == (0, 2)
        shown = cli("student", "show", "Noor Haddad", env=env)
        assert "accommodations in the IEP: breaks; a quiet room" in shown.stdout, shown.stdout
        # the dashboard: sort by a header link (twice: descending), then filter by grade
        click(By.LINK_TEXT, "Back to the students")
        click(By.LINK_TEXT, "Grade")
        header = b.find_element(By.XPATH, "//th[a[normalize-space()='Grade']]")
        assert header.get_attribute("aria-sort") == "ascending"
        click(By.LINK_TEXT, "Grade")
        assert b.find_element(By.XPATH, "//th[a[normalize-space()='Grade']]").get_attribute("aria-sort") == "descending"
        rows = [e.text for e in b.find_elements(By.CSS_SELECTOR, "#students tbody th a")]
        assert rows == ["Noor Haddad", "Maya Lopez", "Cli Kid", "Zia"], rows
        Select(b.find_element(By.ID, "grade")).select_by_value("0")
        click(By.XPATH, "//button[normalize-space()='Show students']")
        assert "grade=0" in b.current_url and "sort=grade" in b.current_url
        assert [e.text for e in b.find_elements(By.CSS_SELECTOR, "#students tbody th a")] == ["Zia"]
        WebDriverWait(b, 5).until(lambda d: "1 of 4 students" in page())
    finally:
        out = app.stop()
    log = [(r["action"], r["target"]) for r in st.audit.recent(100)][::-1]
    actions = [f"{a}: {t}" for a, t in log]
    for expected in (f"edit: new student {maya.label} (grade 5, en, role 2; 2 accommodations, 0 past goals)",
                     f"edit: student {maya.label}: role, text size, theme changed",
                     f"archive: student {maya.label} (kept with all their data; off the list, no new sessions)",
                     f"unarchive: student {maya.label}",
                     "view: class list import preview (5 rows, 2 to add; nothing stored)",
                     f"edit: 2 new students from a class list (CSV): {noor.label}, {zia.label}",
                     "view: student list (grade=0)"):
        assert expected in actions, (expected, actions, out)
    st.close()


def test_rehearsal_parts_are_counted_by_key_and_earlier_rows_by_title(web, st):
    """Parts are counted by their key, not their place in the script ("Interests", new
    in the latest rehearsal, was counted with the part before it); rehearsals stored
    before parts had keys (their place as the key) are counted by their title."""
    eli = st.roster.add("Eli", 4)

    def rehearsal(*parts):
        return {"parts": [{"key": k, "title": t, "covered": c, "coverage": 1.0 if c else 0.0, "said": ""}
                          for k, t, c in parts], "finished": True}

    st.rehearsals.add(eli.id, rehearsal(("0", "Hello", True), ("1", "Strengths", True), ("2", "A goal", True),
                                        ("3", "A goal", False), ("4", "Closing", True)))  # before keys
    st.rehearsals.add(eli.id, rehearsal(("hello", "Hello", True), ("strengths", "Strengths", True),
                                        ("goal-1", "Goal 1", True), ("thanks", "Closing", False)))
    st.rehearsals.add(eli.id, rehearsal(("hello", "Hello", True), ("strengths", "Strengths", False),
                                        ("interests", "Interests", True), ("goal-1", "Goal 1", True),
                                        ("thanks", "Closing", True)))
    page = text_of(web.client.get(f"/students/{eli.id}").text)
    table = page[page.index("Each part of the meeting script"):]
    assert ("Hello 3 of 3 covered reliably Strengths 2 of 3 not yet Interests 1 of 1 not yet "
            "Goal 1 2 of 2 covered reliably Closing 2 of 3 not yet "
            "A goal (earlier rehearsals) 0 of 1 not yet") in table
