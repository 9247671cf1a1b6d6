"""A Spanish-speaking student's documents: the draft (Markdown, PDF, DOCX), the meeting
script and the family summary in Spanish with the student's words verbatim; the JSON
with English keys and the draft's language; the teacher's copy in English with the
Spanish words and the English labels beside them; an English student's copies the same
as ever. The review app shows each student's language and marks a Spanish session and
its words (lang="es"), in a real browser with axe-core for the mixed class."""

from __future__ import annotations

import io
import json
import re

import docx
import pytest
from pypdf import PdfReader

from assistant import messages
from assistant.draft import IEPDraft, build_draft
from assistant.review import auth, exports
from assistant.review.exports import meeting_script_parts
from assistant.review.family import family_summary
from assistant.roles import PARTS
from assistant.store import Store
from tests.test_review_app import Browser
from tests.webapp import PASSWORD

ANA = [  # (step, field, question, the student's words, extra): a Spanish session (es-3-5)
    ("s", "strengths", "¿Qué haces bien?", "soy buena para dibujar y el fútbol", {}),
    ("i", "interests", "¿Qué te gusta hacer?", "armar robots con mi primo los sábados", {}),
    ("c", "challenges", "¿Qué te cuesta?", "leer capítulos largos", {}),
    ("a", "accommodations", "¿Te ayuda el tiempo extra?", "sí, me ayuda mucho", {"accommodation": "tiempo extra"}),
    ("w", "accommodations.wanted", "¿Qué más te ayudaría?", "un salón tranquilo para los exámenes", {}),
    ("g", "goals.statement", "¿Cuál es una meta?", "quiero leer más rápido", {"goal_number": 1}),
    ("gt", "goals.timeframe", "¿Para cuándo?", "para junio", {"goal_number": 1}),
]
ELI = [("s", "strengths", "What are you good at?", "soccer and drawing", {}),
       ("a", "accommodations", "Does extended time help you?", "yes it helps", {"accommodation": "extended time"}),
       ("g", "goals.statement", "What is one goal?", "I want to read faster", {"goal_number": 1})]


def add(st: Store, name: str, language: str, dialogue: str, answers, accommodations: list[str]) -> int:
    """A student with one finished session of ``answers``, through the store's public API."""
    s = st.roster.add(name, 4, language=language, accommodations=accommodations)
    session = st.transcripts.start(s.id, dialogue)
    for step, field, prompt, text, extra in answers:
        aid = st.transcripts.add_answer(session.id, step, field, prompt, "answer", text, extra=extra)
        st.transcripts.commit_answer(aid, None, supersede_step=step)
    st.finish_session(session.id, s.id, build_draft(s, st.transcripts.answers(session.id)).model_dump(mode="json"))
    return s.id


@pytest.fixture
def st(tmp_path, monkeypatch):
    """Ana López (Spanish, with a check-in) and Eli Park (English), each with a finished session."""
    monkeypatch.setitem(auth.SCRYPT, "n", 2**4)
    monkeypatch.setattr(auth, "_DUMMY", None)
    store = Store(tmp_path / "data")
    auth.add_teacher(store, "Ms Lee", PASSWORD)
    store.ana = add(store, "Ana López", "es", "es-3-5", ANA, ["tiempo extra"])
    store.eli = add(store, "Eli Park", "en", "en-3-5", ELI, ["extended time"])
    store.checkins.start(store.ana, {"goals": [{"goal": "quiero leer más rápido", "rating": 4, "said": "cuatro",
                                                "helped": "los audiolibros", "in_the_way": "el ruido"}],
                                     "accommodations": [{"accommodation": "tiempo extra", "used": "yes",
                                                         "helped": "not sure", "said": "sí pero no sé"}]},
                         at="2026-11-15T10:00:00")
    yield store
    store.close()


def pdf_text(body: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(body)).pages]


@pytest.fixture
def run(cli, base_env, st):
    """``iep-assistant ARGS`` on the fixture's data folder."""
    return lambda *args: cli(*args, env=dict(base_env, IEP_ASSISTANT_DATA=str(st.dir)))


def export(run, st: Store, name: str, *args) -> str:
    r = run("export", "--student", name, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_markdown_draft_of_a_spanish_student_is_in_spanish_with_their_words(st, run):
    md = export(run, st, "Ana López", "--format", "md")
    assert md.startswith("# Mis ideas para mi IEP: Ana López (4.º grado)\n")
    assert "Papel: 3, + mis metas. Con sus propias palabras, Ana habló de: fortalezas y necesidades; " \
           "forma de aprender y adaptaciones; metas." in md
    # the titles as the student's documents name them; the student's words verbatim, cut at "y"
    assert "## Lo que hago bien\n- soy buena para dibujar\n- el fútbol\n" in md
    assert "## Lo que me gusta\n- armar robots con mi primo los sábados\n" in md
    assert "### Me ayudan\n- tiempo extra: \"sí, me ayuda mucho\"" in md  # "sí" read as yes, in Spanish
    assert "## Mis metas\n1. **quiero leer más rápido**\n   - Para cuándo: para junio" in md
    assert "## Cómo van mis metas" in md and "- 2026-11-15 (quedó a medias): 4 de 5 (“cuatro”); lo que me ayudó: " \
                                             "“los audiolibros”" in md
    assert "- tiempo extra, 2026-11-15: la usé: sí; me ayudó: no estoy seguro; “sí pero no sé”" in md
    assert "## Todo lo que dije (transcripción)\n- \\[" in md and "¿Qué haces bien? — “soy buena para dibujar y el fútbol”" in md
    for english in ("My strengths", "Role:", "Transcript", "Check-ins", "(nothing yet)", "out of 5", "[area"):
        assert english not in md, english


def test_the_json_keeps_english_keys_and_says_the_language(st, run):
    data = json.loads(export(run, st, "Ana López", "--format", "json"))
    assert data["language"] == "es"
    assert [i["text"] for i in data["strengths"]] == ["soy buena para dibujar", "el fútbol"]
    assert data["accommodations"]["helpful"][0]["accommodation"] == "tiempo extra"
    assert IEPDraft(**data).language == "es"
    assert json.loads(export(run, st, "Eli Park", "--format", "json"))["language"] == "en"


def test_pdf_and_docx_in_spanish_and_the_present_levels_for_the_team_in_english(st):
    ana = st.roster.get(st.ana)
    text = " ".join(pdf_text(exports.export(st, ana, "pdf")))
    assert "Sobre mí: Ana López" in text and "Lo que hago bien: soy buena para dibujar y el fútbol" in text
    assert "Niveles actuales (para el equipo del IEP, en inglés)" in text
    # the paragraph the team copies into the IEP: English, the student's words quoted as said
    assert ("Ana López is a student in grade 4 who shared the following in a student-led interview (in Spanish; "
            "their words are quoted). Ana describes these strengths: “soy buena para dibujar” and “el fútbol”.") in text
    assert "Meta 1: quiero leer más rápido" in text and "Cómo vamos a saber que la logré: (no lo dije)" in text
    assert "Calificación (de 1 a 5)" in text and "Adaptación: tiempo extra" in text
    assert "About me" not in text and "Check-ins" not in text
    paragraphs = [p.text for p in docx.Document(io.BytesIO(exports.export(st, ana, "docx"))).paragraphs]
    assert paragraphs[0] == "Sobre mí: Ana López" and "Todo lo que dije (transcripción)" in paragraphs
    assert "• armar robots con mi primo los sábados" in paragraphs
    assert docx.Document(io.BytesIO(exports.export(st, ana, "docx"))).core_properties.language == "es"


def test_the_teachers_copy_has_english_titles_the_spanish_words_and_english_labels(st, run):
    # a teacher named the accommodation and an area in English (the labels the team reads)
    saved = st.draft_versions.latest(st.ana)["body"]
    saved["accommodations"]["helpful"][0]["label"] = "extended time"
    saved["strengths"][0]["label"] = "art"
    saved["strengths"][1]["label"] = "motor"
    st.draft_versions.add(st.ana, None, saved, "in_review", "Ms Lee")
    md = export(run, st, "Ana López", "--format", "md", "--copy", "teacher")
    assert md.startswith("# My IEP input: Ana López (grade 4)\n")
    assert "_The student's words are in Spanish, quoted as they were said; titles and labels are in English" in md
    assert "Role: 3, + my goals. In Ana's own words: strengths and needs" in md
    assert "## My strengths\n- soy buena para dibujar  _[art]_\n- el fútbol  _[motor]_\n" in md
    assert "### Help me\n- tiempo extra  _[extended time]_: \"sí, me ayuda mucho\"" in md
    assert "## Check-ins" in md and "4 out of 5" in md and "## Transcript" in md
    student = export(run, st, "Ana López", "--format", "md")
    assert "[art]" not in student and "[motor]" not in student and "[extended time]" not in student  # English labels: the team's, not the student's
    ana = st.roster.get(st.ana)
    text = " ".join(pdf_text(exports.export(st, ana, "pdf", "teacher")))
    assert "About me: Ana López" in text and "Help me: tiempo extra [extended time] — “sí, me ayuda mucho”" in text


def test_the_meeting_script_in_the_students_language(st):
    d, _ = exports.current_draft(st, st.roster.get(st.ana))
    parts = meeting_script_parts(d, language="es")
    assert parts[0] == ("hello", "Saludo", "Hola, me llamo Ana. Gracias por venir a mi reunión del IEP.")
    assert ("strengths", "Lo que hago bien", "Lo que hago bien: soy buena para dibujar y el fútbol.") in parts
    assert ("goal-1", "Meta 1", "Una de mis metas: quiero leer más rápido.") in parts
    assert parts[-1] == ("thanks", "Despedida", "Gracias por escucharme. ¿Tienen preguntas para mí?")
    # the keys a rehearsal is counted by are the same in every language; English stays the default
    assert [k for k, _, _ in parts] == [k for k, _, _ in meeting_script_parts(d)]
    assert meeting_script_parts(d)[0][2] == "Hello, my name is Ana. Thank you for coming to my IEP meeting."


def test_the_family_summary_in_spanish_on_one_page(st, run, tmp_path):
    out = tmp_path / "familia.pdf"
    export(run, st, "Ana López", "--format", "family-pdf", "--out", out)
    [page] = pdf_text(out.read_bytes())  # one page
    assert page.startswith("El IEP de Ana: resumen para la familia")
    assert "En esta página puede leer lo que dijo Ana" in page  # "usted" to the family
    assert "Lo que Ana hace bien: “soy buena para dibujar” y “el fútbol”." in page
    assert "Los apoyos que le ayudan: tiempo extra (“sí, me ayuda mucho”)." in page
    assert "Ana tiene el papel 3 de 5." in page and "Meta 1: “quiero leer más rápido”. Para cuándo: “para junio”." in page
    assert "“quiero leer más rápido”: 4 de 5 el 15 de noviembre de 2026. Lo que le ayudó: “los audiolibros”." in page
    assert "¿Tiene preguntas? Hable con el maestro o la maestra de Ana." in page
    assert not re.search(r"\b(the|is good at|Goal|out of)\b", page), page
    paragraphs = [p.text for p in docx.Document(io.BytesIO(family_summary(st, st.roster.get(st.ana), "docx"))).paragraphs]
    assert paragraphs[0] == "El IEP de Ana: resumen para la familia" and "Las metas de Ana" in paragraphs
    [teacher] = pdf_text(family_summary(st, st.roster.get(st.ana), "pdf", "teacher"))
    assert "Ana is good at: “soy buena para dibujar” and “el fútbol”." in teacher


def test_a_long_spanish_family_summary_still_fits_one_page(tmp_path):
    st = Store(tmp_path / "data")
    long = "soy muy buena para " + " ".join(f"cosa{n}" for n in range(60))
    answers = [(f"s{n}", "strengths", "¿Qué haces bien?", f"{n} {long}", {}) for n in range(30)]
    answers += [(f"g{n}", "goals.statement", "¿Cuál es una meta?", f"meta {n} {long}", {"goal_number": n + 1})
                for n in range(10)]
    sid = add(st, "Ana López", "es", "es-3-5", answers, [])
    [page] = pdf_text(family_summary(st, st.roster.get(sid), "pdf"))
    assert "Lo que Ana hace bien: “0 soy muy buena para" in page and "más." in page and "\u2026\u201d" in page
    st.close()


def test_an_english_students_copies_are_the_same_and_english(st, run):
    student = export(run, st, "Eli Park", "--format", "md")
    assert export(run, st, "Eli Park", "--format", "md", "--copy", "teacher") == student
    assert student.startswith("# My IEP input: Eli Park (grade 4)\n\nRole: 3, + my goals. In Eli's own words: "
                              "strengths and needs; how I learn and my accommodations; goals.\n\n"
                              "_The student's own words; labels in brackets are suggestions for the IEP team._\n")
    assert "## My strengths\n- soccer  _[" in student and "## Transcript\n" in student and "in Spanish" not in student
    eli = st.roster.get(st.eli)
    for fmt in ("pdf", "docx"):
        a, b = exports.export(st, eli, fmt), exports.export(st, eli, fmt, "teacher")
        if fmt == "pdf":
            assert pdf_text(a) == pdf_text(b) and "About me: Eli Park" in pdf_text(a)[0]
        else:
            assert [p.text for p in docx.Document(io.BytesIO(a)).paragraphs] == \
                [p.text for p in docx.Document(io.BytesIO(b)).paragraphs]
    r = run("export", "--student", "Eli Park", "--copy", "parent")
    assert r.returncode == 2 and "invalid choice: 'parent'" in r.stderr


def test_the_english_texts_are_the_ones_the_code_had():
    """English's documents and family texts are the words the documents always had."""
    for p in PARTS:
        assert messages.message("en", "documents.part_" + p.key) == p.title
        assert messages.message("en", "family.part_" + p.key) == (p.mine if p.mine.startswith("I ")
                                                                  else p.mine[0].lower() + p.mine[1:])
    for key, title in exports.SCRIPT_TITLES.items():
        assert exports._script_title(key) == title


def test_a_draft_saved_before_drafts_said_their_language_is_in_the_students(st):
    body = st.draft_versions.latest(st.ana)["body"]
    del body["language"]
    st.draft_versions.add(st.ana, None, body, "in_review", "Ms Lee")
    d, _ = exports.current_draft(st, st.roster.get(st.ana))
    assert d.language == "es"


def test_the_review_app_marks_languages_and_serves_both_copies(st):
    web = Browser(st)
    try:
        assert web.sign_in().status_code == 303
        page = web.client.get("/").text
        assert re.search(r"Ana López</a>.*?<span class=\"language\">Spanish</span>", page, re.S)
        assert re.search(r"Eli Park</a>.*?<span class=\"language\">English</span>", page, re.S)
        transcript = web.client.get(f"/students/{st.ana}/transcript").text
        assert "in <strong>Spanish</strong> (dialogue es-3-5)" in transcript
        assert '<p class="words" lang="es"' in transcript and '<span lang="es">¿Qué haces bien?</span>' in transcript
        english = web.client.get(f"/students/{st.eli}/transcript").text
        assert "in <strong>English</strong>" in english and 'lang="es"' not in english
        student = web.client.get(f"/students/{st.ana}").text
        assert "es-3-5, in Spanish" in student and f"/students/{st.ana}/export/md?copy=teacher" in student
        assert "Teacher&#39;s copy (PDF)" in student or "Teacher's copy (PDF)" in student
        assert "?copy=teacher" not in web.client.get(f"/students/{st.eli}").text  # one copy for an English student
        draft = web.client.get(f"/students/{st.ana}/draft").text
        assert "Student said: “<span lang=\"es\">armar robots con mi primo los sábados</span>”" in draft
        md = web.client.get(f"/students/{st.ana}/export/md")
        assert md.status_code == 200 and md.text.startswith("# Mis ideas para mi IEP")
        teacher = web.client.get(f"/students/{st.ana}/export/md?copy=teacher")
        assert teacher.text.startswith("# My IEP input") and "iep-input-Ana-L" in teacher.headers["Content-Disposition"]
        assert web.client.get(f"/students/{st.ana}/export/md?copy=family").status_code == 404
        [family] = pdf_text(web.client.get(f"/students/{st.ana}/family.pdf").data)
        assert family.startswith("El IEP de Ana")
        assert [r["target"] for r in st.audit.recent(2)] == ["family summary pdf of Ana López#1",
                                                             "md (teacher's copy) of Ana López#1"]
        script = web.client.get(f"/students/{st.ana}/script").text
        assert '<ol class="script" lang="es">' in script and "Hola, me llamo Ana." in script
    finally:
        web.close()


def test_a_draft_version_marks_a_spanish_students_goals_lang(st):
    """The version page's goals are the student's words too: a screen reader reads them
    in Spanish (they were left unmarked, read with the English voice)."""
    web = Browser(st)
    try:
        assert web.sign_in().status_code == 303
        page = web.client.get(f"/students/{st.ana}/versions/1").text
        assert '<span lang="es">quiero leer más rápido</span>' in page
        assert '<span lang="es">para junio</span>' in page
        english = web.client.get(f"/students/{st.eli}/versions/1").text
        assert "I want to read faster" in english and "lang=\"es\"" not in english
    finally:
        web.close()


@pytest.mark.slow  # a real server and a real Chromium
def test_a_mixed_class_in_the_browser(st, base_env, browser):
    """One English and one Spanish student: the dashboard says each one's language, the
    Spanish student's transcript says the session is in Spanish and marks the words
    lang="es" for a screen reader, and axe-core finds nothing serious on either page."""
    from selenium.webdriver.common.by import By

    from tests.axe import assert_accessible
    from tests.test_review_a11y import _sign_in
    from tests.webapp import Review

    st.close()  # the server has the data folder
    app = Review(dict(base_env, IEP_ASSISTANT_DATA=str(st.dir)))
    b = browser
    try:
        _sign_in(b, app.base)
        rows = {r.find_element(By.CSS_SELECTOR, "th a").text: r.find_element(By.CSS_SELECTOR, ".language").text
                for r in b.find_elements(By.CSS_SELECTOR, "#students tbody tr")}
        assert rows == {"Ana López": "Spanish", "Eli Park": "English"}
        assert_accessible(b, "the dashboard of a mixed class")
        b.get(f"{app.base}/students/{st.ana}/transcript")
        said = " ".join(b.find_element(By.CSS_SELECTOR, ".session-language").text.split())
        assert "in Spanish (dialogue es-3-5)" in said, said
        assert {p.get_attribute("lang") for p in b.find_elements(By.CSS_SELECTOR, ".words")} == {"es"}
        assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"  # the page around them: English
        # the words a screen reader reads in Spanish are the student's, as they said them
        spanish = [e.text for e in b.find_elements(By.CSS_SELECTOR, "[lang=es]")]
        assert "soy buena para dibujar y el fútbol" in spanish and "¿Qué haces bien?" in spanish
        assert_accessible(b, "the Spanish student's transcript")
        b.get(f"{app.base}/students/{st.ana}/draft")
        assert_accessible(b, "the Spanish student's draft")
    finally:
        app.stop()
