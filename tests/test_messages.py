"""The texts a student hears and sees, per language (assistant.messages): every
language has English's keys with the same placeholders, and every key the code
names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant import messages
from assistant.errors import UserError
from assistant.paths import dialogues_dir

ROOT = Path(__file__).resolve().parent.parent


def languages() -> list[str]:
    return sorted(p.parent.name for p in dialogues_dir().glob("*/messages"))


def test_english_and_every_other_language_have_their_texts():
    assert "en" in languages()
    for language in languages():
        assert messages.table(language), language


def test_every_language_with_dialogues_has_messages():
    with_dialogues = sorted({p.parent.name for p in dialogues_dir().glob("*/*.yaml")})
    assert set(with_dialogues) <= set(languages()), "a language a session can use needs dialogues/LANG/messages/"


def test_every_message_the_code_names_exists_in_english():
    areas = {p.stem for p in messages.messages_dir("en").glob("*.yaml")}
    # a key is written out whole where it is used ("session.heard"), so it can be found
    alternatives = "|".join(map(re.escape, sorted(areas)))
    named = re.compile(r"""["']((?:""" + alternatives + r""")\.[a-z0-9_]+)["']""")
    used = {(path, m.group(1)) for path in (ROOT / "assistant").rglob("*.py")
            for m in named.finditer(path.read_text(encoding="utf-8"))}
    english = messages.table("en")
    missing = sorted(f"{path.relative_to(ROOT)}: {key}" for path, key in used if key not in english)
    assert not missing, missing


def test_a_missing_text_or_placeholder_is_refused_naming_the_file(tmp_path, monkeypatch):
    for language, body in [("en", "hello: Hello {name}.\nbye: Bye.\n"), ("xx", "hello: Hola.\n")]:
        (tmp_path / language / "messages").mkdir(parents=True)
        (tmp_path / language / "messages" / "greet.yaml").write_text(body, encoding="utf-8")
    monkeypatch.setattr(messages, "dialogues_dir", lambda: tmp_path)
    messages.table.cache_clear()
    try:
        with pytest.raises(UserError) as e:
            messages.Messages("xx")
        said = str(e.value)
        assert "greet.yaml: 'bye' is missing" in said
        assert "greet.yaml: 'hello' must have the placeholders {name}" in said
        assert messages.message("en", "greet.hello", name="{x}") == "Hello {x}."  # a value is never a template
    finally:
        messages.table.cache_clear()


def test_the_english_names_of_the_drafts_parts_and_roles_are_the_codes():
    from assistant.draft import SECTIONS
    from assistant.roles import PARTS, ROLE_NAMES

    for s in SECTIONS:
        assert messages.message("en", "sections." + s.key.replace(".", "_")) == s.mine, s.key
    for p in PARTS:
        assert messages.message("en", "roles.part_" + p.key) == p.mine, p.key
    for n, name in ROLE_NAMES.items():
        assert messages.message("en", f"roles.role_{n}") == name
