"""Dialogue files: every shipped one is valid; broken ones are reported with file, line and field."""

import textwrap

import pytest

from assistant.dialogue.engine import build_steps
from assistant.dialogue.schema import dialogue_files, load_dialogue
from assistant.errors import UserError
from assistant.store import Student


def test_every_shipped_dialogue_validates(cli):
    files = dialogue_files()
    assert len(files) >= 4
    r = cli("dialogues", "validate")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": OK") == len(files)


# every language a student can have has the four grade bands (tests/test_dialogues_es.py
# checks Spanish against English prompt for prompt)
LANGUAGES = ["en", "es"]


def test_every_language_with_dialogues_is_tested():
    assert sorted({f.parent.name for f in dialogue_files()}) == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_dialogue_per_grade_band(language):
    bands = sorted(load_dialogue(f).grades for f in dialogue_files(language))
    assert bands == [(0, 2), (3, 5), (6, 8), (9, 12)]


def _student(grade, language="en"):
    return Student(id=1, name="Test", grade=grade, language=language, rate=None, voice=None,
                   accommodations=["extended time"], past_goals=["read every day"], created="")


@pytest.mark.parametrize("language", LANGUAGES)
def test_depth_grows_with_grade(language):
    by_band = {load_dialogue(f).grades: load_dialogue(f) for f in dialogue_files(language)}
    counts = [len(build_steps(by_band[b], _student(b[0], language))) for b in sorted(by_band)]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    k2 = by_band[(0, 2)]
    assert any(p.kind == "choice" for s in k2.sections for p in s.prompts)  # younger students pick from choices
    fields_912 = {p.field for s in by_band[(9, 12)].sections for p in s.prompts}
    assert {"transition.education", "goals.measure", "goals.timeframe", "goals.support"} <= fields_912
    assert not any(f.startswith("transition") for s in k2.sections for f in [p.field for p in s.prompts])


def test_every_prompt_has_help_and_an_example():
    for f in dialogue_files():
        for s in load_dialogue(f).sections:
            for p in s.prompts:
                assert p.simpler and p.example and p.simpler != p.text, (f, p.id)


@pytest.mark.parametrize("body, where, words", [
    ("""
        id: bad
        language: en
        grades: [3, 5]
        title: T
        welcome: hi
        goodbye: bye
        sections:
          - id: s
            title: S
            prompts:
              - id: p
                text: What are you good at?
                simpler: Tell me.
                example: Drawing.
                field: strenghts
    """, 15, ["sections.0.prompts.0.field"]),
    ("""
        id: bad
        language: en
        grades: [3, 5]
        title: T
        welcome: hi
        goodbye: bye
        sections:
          - id: s
            title: S
            prompts:
              - id: p
                text: What are you good at?
                example: Drawing.
                field: strengths
                colour: blue
    """, 11, ["sections.0.prompts.0.simpler", "Field required", ":15: sections.0.prompts.0.colour"]),
    ("""
        id: bad
        language: en
        grades: [3, 5]
        title: T
        welcome: hi
        goodbye: bye
        sections:
          - id: s
            title: S
            prompts:
              - id: p
                text: What are you good at, {nmae}?
                simpler: Tell me.
                example: Drawing.
                field: strengths
    """, 11, ["sections.0.prompts.0", "text has {nmae}: it can have no placeholder"]),
    ("""
        id: bad
        language: en
        grades: [3, 5]
        title: T
        welcome: "Hi {name}, {accommodation}"
        goodbye: bye
        sections:
          - id: s
            title: S
            prompts:
              - id: p
                text: What are you good at?
                simpler: Tell me.
                example: Drawing.
                field: strengths
    """, 1, ["welcome has {accommodation}: it can have {name}"]),
    ("""
        id: bad
        language: en
        grades: [3, 5
        title: T
    """, 4, ["not valid YAML"]),
])
def test_broken_dialogue_is_reported_with_file_line_and_field(cli, tmp_path, body, where, words):
    f = tmp_path / "broken.yaml"
    f.write_text(textwrap.dedent(body).lstrip("\n"))
    with pytest.raises(UserError) as e:
        load_dialogue(f)
    message = str(e.value)
    assert f"{f}:{where}:" in message, message
    for w in words:
        assert w in message
    r = cli("dialogues", "validate", f)
    assert r.returncode == 2 and f"{f}:{where}:" in r.stderr and "Traceback" not in r.stderr


def test_draft_json_schema_is_published_and_current():
    import json
    from pathlib import Path

    from assistant.draft import IEPDraft

    published = json.loads((Path(__file__).parent.parent / "docs" / "draft.schema.json").read_text())
    assert published == IEPDraft.model_json_schema(), "regenerate docs/draft.schema.json"
    assert {"student", "strengths", "interests", "challenges", "learning_preferences", "accommodations", "goals",
            "past_goals", "transition", "message_to_team", "open_questions"} <= set(published["properties"])
