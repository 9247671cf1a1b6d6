"""The Spanish dialogues and lessons: valid, comparable with English prompt for
prompt (a draft made in Spanish has the same sections and fields as one made in
English), read-aloud friendly, and what a Spanish-speaking student gets."""

import re

import pytest

from assistant.dialogue.commands import command_of
from assistant.dialogue.schema import dialogue_files, dialogue_for, load_dialogue
from assistant.lessons import glossary, lesson_book, lessons_file
from assistant.lexicon import EXPLAIN
from assistant.paths import dialogues_dir
from assistant.text import normalize, placeholders

BANDS = ["k-2", "3-5", "6-8", "9-12"]


def pair(band):
    return (load_dialogue(dialogues_dir() / "en" / f"grades-{band}.yaml"),
            load_dialogue(dialogues_dir() / "es" / f"grades-{band}.yaml"))


def spoken(d):
    """(where, text) for every text of a dialogue that is said aloud."""
    yield "welcome", d.welcome
    yield "goodbye", d.goodbye
    yield "title", d.title
    for s in d.sections:
        for where, text in (("title", s.title), ("intro", s.intro), ("repeat", s.repeat)):
            if text:
                yield f"{s.id}.{where}", text
        for p in s.prompts:
            for where, text in (("text", p.text), ("simpler", p.simpler), ("example", p.example),
                                ("follow_up", p.follow_up.text if p.follow_up else "")):
                if text:
                    yield f"{p.id}.{where}", text
            for c in p.choices:
                yield f"{p.id}.choice", c


def shape(d):
    """What a draft is made of: sections (with their repeat), prompts, kinds, fields,
    follow-ups and how many choices; words aside."""
    return [(s.id, s.repeat is not None, s.repeat_limit, s.intro is not None,
             [(p.id, p.kind, p.field, len(p.choices), p.follow_up.limit if p.follow_up else None) for p in s.prompts])
            for s in d.sections]


def test_every_spanish_band_loads_and_is_spanish(cli):
    files = dialogue_files("es")
    assert sorted(f.name for f in files) == sorted(f"grades-{b}.yaml" for b in BANDS)
    for band in BANDS:
        en, es = pair(band)
        assert (es.id, es.language, es.grades) == (f"es-{band}", "es", en.grades)
    r = cli("dialogues", "validate", *map(str, files))
    assert r.returncode == 0 and r.stdout.count(": OK") == len(files), r.stderr


@pytest.mark.parametrize("band", BANDS)
def test_spanish_band_has_englishs_sections_prompts_kinds_and_fields(band):
    en, es = pair(band)
    assert shape(es) == shape(en)


@pytest.mark.parametrize("band", BANDS)
def test_spanish_band_has_englishs_placeholders(band):
    en, es = pair(band)
    en_texts, es_texts = dict(spoken(en)), dict(spoken(es))
    assert en_texts.keys() - {k for k in en_texts if k.endswith(".choice")} <= es_texts.keys()
    for where, text in en_texts.items():
        if not where.endswith(".choice"):
            assert placeholders(es_texts[where]) == placeholders(text), (band, where, es_texts[where])


def test_every_grade_has_exactly_one_spanish_band():
    bands = [load_dialogue(f).grades for f in dialogue_files("es")]
    for grade in range(13):
        assert sum(lo <= grade <= hi for lo, hi in bands) == 1, grade
    for lo, hi in bands:  # what a session loads: each band's first and last grade (each call reads the files)
        assert dialogue_for(lo, "es").grades == dialogue_for(hi, "es").grades == (lo, hi)


def quoted(text):
    return re.findall(r'"([^"]+)"', text)


@pytest.mark.parametrize("band", BANDS)
def test_welcome_names_the_spanish_commands_english_names(band):
    """The welcome tells the student what they can say: the same commands as the
    English band, each as the Spanish vocabulary knows it (so saying it works)."""
    en, es = pair(band)
    en_commands = [command_of(q, "en") for q in quoted(en.welcome)]
    es_commands = [command_of(q, "es") for q in quoted(es.welcome)]
    assert None not in en_commands and None not in es_commands, quoted(es.welcome)
    assert es_commands == en_commands


@pytest.mark.parametrize("band", BANDS)
def test_spanish_is_written_to_be_read_aloud(band):
    """espeak-ng reads what is written: no digits or abbreviations it would spell out
    in English or read as letters, and every question and exclamation opened with ¿ or ¡."""
    _, es = pair(band)
    for where, text in spoken(es):
        assert not re.search(r"\d", text), (where, text)
        assert not re.search(r"\b(Sr|Sra|Srta|Dr|Dra|p\. ej|etc|EE\. ?UU)\b\.?", text), (where, text)
        assert text.count("¿") == text.count("?") and text.count("¡") == text.count("!"), (where, text)
    assert "{name}" in es.welcome and "{name}" in es.goodbye


def test_k2_choices_are_said_in_the_question():
    """A young student picks a choice by saying it: each Spanish choice is in the question, word for word."""
    _, es = pair("k-2")
    choice_prompts = [p for s in es.sections for p in s.prompts if p.choices]
    assert choice_prompts
    for p in choice_prompts:
        asked = set(normalize(p.text, "es").split())
        for c in p.choices:
            words = normalize(c, "es").split()
            # first person in the choice ("quedarme") where the question says "quedarte"
            assert all(w in asked or (w.endswith("me") and w[:-2] + "te" in asked) for w in words), (p.id, c)


def test_lessons_have_englishs_lessons_and_checks():
    assert lessons_file("es") == dialogues_dir() / "es" / "lessons" / "lessons.yaml"
    en, es = lesson_book("en"), lesson_book("es")
    assert es.language == "es"
    assert [ls.key for ls in es.lessons] == [ls.key for ls in en.lessons]
    for e, s in zip(en.lessons, es.lessons, strict=True):
        assert (s.check.kind, s.check.answer) == (e.check.kind, e.check.answer), s.key
        assert (s.younger is None) == (e.younger is None), s.key
        for text in (s.title, s.meaning, s.text, s.younger or "", s.check.text, s.check.right, s.check.explain or ""):
            assert not re.search(r"\d", text), (s.key, text)
            assert text.count("¿") == text.count("?") and text.count("¡") == text.count("!"), (s.key, text)
    assert "{name}" in es.welcome and "{name}" in es.goodbye


@pytest.mark.parametrize("asked, lesson", [
    ("adaptación", "accommodation"), ("una adaptación", "accommodation"), ("adaptacion", "accommodation"),
    ("las acomodaciones", "accommodation"), ("el IEP", "iep"), ("PEI", "iep"), ("niveles actuales", "present_levels"),
    ("la meta", "goal"), ("metas", "goal"), ("la palabra transición", "transition"), ("transicion", "transition"),
    ("el plan de transición", "transition"), ("equipo del IEP", "meeting_people"), ("la reunión", "meeting_people"),
])
def test_spanish_glossary_finds_the_lessons_words(asked, lesson):
    """'¿Qué significa adaptación?' is answered from the Spanish lessons, with or
    without the accent and an article before the word."""
    meaning = glossary("es").meaning(normalize(asked, "es"))
    assert meaning == lesson_book("es").lesson(lesson).meaning.strip()


def test_spanish_glossary_speaks_spanish_only():
    """Every term of every Spanish lesson finds that lesson's meaning (no term
    taken by two lessons), and no English sentence is in the Spanish glossary;
    English's glossary still explains the accommodations."""
    words = glossary("es")
    book = lesson_book("es")
    for ls in book.lessons:
        for term in ls.terms:
            assert words.meaning(normalize(term, "es")) == ls.meaning.strip(), (ls.key, term)
    assert set(words.meanings.values()) == {ls.meaning.strip() for ls in book.lessons}
    assert not set(words.meanings.values()) & set(EXPLAIN.values())
    assert glossary("es").in_question("Tu IEP dice que tienes algunas adaptaciones.") == [
        book.lesson("iep").meaning.strip(), book.lesson("accommodation").meaning.strip()]
    assert glossary("en").meaning("extra time") == EXPLAIN["extended time"]


@pytest.fixture
def data_env(base_env, tmp_path):
    return dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))


def flat(text):
    return " ".join(text.split())


@pytest.mark.slow  # four typed sessions through the command line, about five seconds each
@pytest.mark.parametrize("band, grade", [("k-2", 0), ("3-5", 4), ("6-8", 7), ("9-12", 12)])
def test_a_spanish_student_gets_the_spanish_band(cli, data_env, band, grade):
    """``student add --language es`` then a typed session: the welcome and first
    question are the Spanish band's, with the student's name, and no English one."""
    name = "Lía Peña"
    r = cli("student", "add", name, "--grade", str(grade), "--language", "es", "--accommodation", "tiempo extra",
            env=data_env)
    assert r.returncode == 0, r.stderr
    r = cli("session", "--student", name, "--text", "--no-voice", input="", env=data_env, timeout=120)
    assert r.returncode == 0, r.stderr
    en, es = pair(band)
    shown = flat(r.stdout)
    first = es.sections[0].prompts[0]
    assert flat(es.welcome.replace("{name}", name)) in shown
    assert flat(first.text) in shown
    assert flat(en.sections[0].prompts[0].text) not in shown
    r = cli("student", "show", name, env=data_env)  # the session stored with the Spanish band's id
    assert r.returncode == 0 and f": es-{band}, " in r.stdout, r.stdout + r.stderr


@pytest.mark.slow  # a typed lesson through the command line, about five seconds
def test_a_spanish_student_learns_in_spanish(cli, data_env):
    """``learn`` gives a first grader the Spanish lessons in their younger words, and
    "sí" answers the yes/no check: the attempt is stored as answered."""
    name = "Ana López"
    r = cli("student", "add", name, "--grade", "1", "--language", "es", env=data_env)
    assert r.returncode == 0, r.stderr
    r = cli("learn", "--student", name, "--text", "--no-voice", input="sí\n", env=data_env, timeout=120)
    assert r.returncode == 0, r.stderr
    book = lesson_book("es")
    first = book.lessons[0]
    shown = flat(r.stdout)
    assert flat(book.welcome.replace("{name}", name)) in shown
    assert first.younger and flat(first.younger) in shown and flat(first.text) not in shown
    assert flat(first.check.right) in shown and flat(first.check.explain or "") not in shown
    r = cli("student", "show", name, env=data_env)
    assert "lessons done: 1 (1 with the check answered)" in r.stdout, r.stdout + r.stderr
