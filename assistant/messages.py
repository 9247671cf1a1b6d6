"""What the program says and shows to a student (and a family), per language.

The texts are data, beside the dialogues: ``dialogues/<language>/messages/<area>.yaml``,
each a flat mapping of keys to texts; a key is known to the code as ``"<area>.<key>"``
(``session.heard`` in ``session.yaml``). English is the reference: every other language
has exactly its keys, each with the same placeholders, or the language is refused when
it is loaded (and in the tests), so a session never switches language half-way through a
sentence and a translator's slip never reaches a student as "{answr}".

Texts are filled with ``assistant.text.fill``: a student's words put into a text are
never read as a template.

Nothing here is for the teacher's side in English (the review app, the CLI's own
messages): those stay English. A text a teacher reads about a Spanish-speaking student
(the teacher's copy of a draft) uses the English texts with the student's own words.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from assistant.errors import UserError
from assistant.paths import dialogues_dir
from assistant.text import fill, placeholders

REFERENCE = "en"


def messages_dir(language: str) -> Path:
    return dialogues_dir() / language / "messages"


def _read(language: str) -> dict[str, str]:
    folder = messages_dir(language)
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise UserError(f"no messages for the language '{language}' in {folder}")
    texts: dict[str, str] = {}
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise UserError(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML: "
                            f"{getattr(e, 'problem', e)}") from None
        if data is None:
            continue
        if not isinstance(data, dict):
            raise UserError(f"{path}: messages are a mapping of keys to texts")
        for key, text in data.items():
            if not isinstance(key, str) or not isinstance(text, str) or not text.strip():
                raise UserError(f"{path}: '{key}': every message is a key with a text that is not empty")
            texts[f"{path.stem}.{key}"] = " ".join(text.split()) if "\n" in text else text
    return texts


@cache
def table(language: str) -> dict[str, str]:
    """Every text of ``language``, checked against English: the same keys, and in
    each the same placeholders. Errors name the file and key."""
    texts = _read(language)
    if language == REFERENCE:
        return texts
    reference = table(REFERENCE)
    folder = messages_dir(language)
    problems = []
    for key in sorted(reference.keys() - texts.keys()):
        area, _, name = key.partition(".")
        problems.append(f"{folder / (area + '.yaml')}: '{name}' is missing (English: {reference[key]!r})")
    for key in sorted(texts.keys() - reference.keys()):
        area, _, name = key.partition(".")
        problems.append(f"{folder / (area + '.yaml')}: '{name}' is not an English message")
    for key in sorted(texts.keys() & reference.keys()):
        if placeholders(texts[key]) != placeholders(reference[key]):
            area, _, name = key.partition(".")
            want = ", ".join("{" + p + "}" for p in sorted(placeholders(reference[key]))) or "none"
            problems.append(f"{folder / (area + '.yaml')}: '{name}' must have the placeholders {want}")
    if problems:
        raise UserError("\n".join(problems))
    return texts


def message(language: str, key: str, /, **fields: object) -> str:
    """The text ``key`` in ``language``, its ``{placeholders}`` filled."""
    texts = table(language)
    if key not in texts:
        # a key the code uses but English lacks: the code's slip, not the user's
        raise KeyError(f"no message '{key}' (dialogues/{REFERENCE}/messages/{key.partition('.')[0]}.yaml)")
    return fill(texts[key], **{k: str(v) for k, v in fields.items()})


class Messages:
    """The texts of one language, for code that speaks in it: ``m = Messages("es");
    m("session.heard", answer=...)``."""

    def __init__(self, language: str = REFERENCE):
        table(language)  # a language with missing or broken texts fails here, before any student hears one
        self.language = language

    def __call__(self, key: str, /, **fields: object) -> str:
        return message(self.language, key, **fields)

    def __repr__(self) -> str:
        return f"Messages({self.language!r})"
