"""The preparation lessons as data, and the glossary behind "what does ... mean?".

A lesson is a few plain sentences with an example (what an IEP is, present
levels, accommodation, goal, transition, the people at the meeting), then one
check the student answers with yes or no or in their own words. The lessons are
``dialogues/<language>/lessons/lessons.yaml``, validated here with file:line
errors like the dialogues, so a teacher or translator changes words, not code.
``learn`` runs them.

The glossary is the lessons' terms with their one-sentence meanings, plus the
accommodation explanations of ``lexicon.EXPLAIN``; ``dialogue.asking`` answers
"what does accommodation mean?" from it at any prompt.

(Apart from ``learn``, which the command line's parser imports: this module's
pydantic and YAML are loaded only by a command that uses them.)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.errors import UserError
from assistant.lexicon import ACCOMMODATIONS, EXPLAIN
from assistant.paths import dialogues_dir
from assistant.text import _PLACEHOLDER, normalize, placeholders

DEFAULT_LANGUAGE = "en"
YOUNGER_UP_TO = 2  # kindergarten to 2nd grade hear a lesson's ``younger`` words when it has them


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Check(_Strict):
    kind: Literal["yes_no", "open"] = Field(description="yes_no: answered yes or no; open: in the student's own words")
    text: str = Field(min_length=1, description="the question")
    answer: Literal["yes", "no"] | None = Field(default=None, description="yes_no: the right answer")
    right: str = Field(min_length=1, description="said after a right yes/no answer, or any own-words answer")
    explain: str | None = Field(default=None, description="yes_no: said after a wrong or missing answer (the right one, kindly)")

    @model_validator(mode="after")
    def _check(self) -> Check:
        if self.kind == "yes_no" and (self.answer is None or not self.explain):
            raise ValueError("a yes_no check needs its answer (yes or no) and explain (the right answer, kindly)")
        if self.kind == "open" and (self.answer is not None or self.explain is not None):
            raise ValueError("an open check has no answer or explain: any answer in the student's own words passes it")
        return self


class Lesson(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_]+$", description="stored with each attempt (lessons.lesson)")
    title: str = Field(min_length=1)
    terms: list[str] = Field(min_length=1, description="the words 'what does ... mean?' explains with ``meaning``")
    meaning: str = Field(min_length=1, description="one or two plain sentences")
    text: str = Field(min_length=1, description="the lesson: a few plain sentences with an example")
    younger: str | None = Field(default=None, description="the lesson in words for kindergarten to 2nd grade")
    check: Check

    def words_for(self, grade: int) -> str:
        return self.younger if self.younger and grade <= YOUNGER_UP_TO else self.text


class LessonBook(_Strict):
    language: str = Field(pattern=r"^[a-z]{2}$")
    welcome: str = Field(min_length=1, description="{name} is the student's name")
    goodbye: str = Field(min_length=1, description="{name} is the student's name")
    lessons: list[Lesson] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LessonBook:
        for where, text, allowed in [("welcome", self.welcome, {"name"}), ("goodbye", self.goodbye, {"name"}),
                                     *((f"lesson {ls.key}", t, set()) for ls in self.lessons
                                       for t in (ls.title, ls.meaning, ls.text, ls.younger or "", ls.check.text,
                                                 ls.check.right, ls.check.explain or ""))]:
            rest = _PLACEHOLDER.sub("", text)
            if placeholders(text) - allowed or "{" in rest or "}" in rest:
                raise ValueError(f"{where} has a placeholder or brace it cannot have (said aloud as it is)")
        keys = [ls.key for ls in self.lessons]
        if len(set(keys)) != len(keys):
            raise ValueError(f"a lesson key is used twice: {', '.join(sorted({k for k in keys if keys.count(k) > 1}))}")
        return self

    def lesson(self, key: str) -> Lesson:
        for ls in self.lessons:
            if ls.key == key:
                return ls
        raise UserError(f"no lesson '{key}': the lessons are {', '.join(ls.key for ls in self.lessons)}")


def lessons_file(language: str = DEFAULT_LANGUAGE) -> Path:
    """The lessons of a language (English until a language has its own)."""
    path = dialogues_dir() / language / "lessons" / "lessons.yaml"
    return path if path.is_file() else dialogues_dir() / DEFAULT_LANGUAGE / "lessons" / "lessons.yaml"


def load_lessons(path: str | Path) -> LessonBook:
    """Load and validate a lessons file; errors name the file, line and field
    (the dialogue loader's way: ``dialogue.schema``)."""
    from assistant.dialogue.schema import load_yaml_model

    return load_yaml_model(path, LessonBook, "lessons", "language, welcome, goodbye and lessons")


@cache
def lesson_book(language: str = DEFAULT_LANGUAGE) -> LessonBook:
    return load_lessons(lessons_file(language))


# ---------------------------------------------------------------- the glossary

# The words before a term that do not change it ("an accommodation", "la palabra meta")
_ARTICLES: dict[str, frozenset[str]] = {
    "en": frozenset({"a", "an", "the", "my", "your", "this", "that", "word"}),
    "es": frozenset({"un", "una", "unos", "unas", "el", "la", "los", "las", "lo", "mi", "mis", "tu", "tus", "su", "sus",
                     "este", "esta", "estos", "estas", "ese", "esa", "eso", "esos", "esas", "palabra"}),
}
_ACCENTS = {"\u0301", "\u0300", "\u0308"}  # acute, grave, diaeresis; not the tilde: "año" is not "ano"


def fold_accents(text: str) -> str:
    """``text`` without the accents on its vowels, keeping ñ: a student who types
    "adaptacion" or a recognizer that drops an accent still finds "adaptación".
    The glossary folds both sides itself, so it does not depend on how far
    ``text.normalize`` folds a language."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if c not in _ACCENTS))


@dataclass(frozen=True)
class Glossary:
    """IEP words a student may ask about, normalised, with what each means."""

    meanings: dict[str, str]  # every way to say a term -> its meaning
    in_questions: tuple[str, ...]  # the terms looked for in a question ("what does that mean?"), longest first
    language: str = DEFAULT_LANGUAGE
    fold: bool = False  # keys are accent-folded (a language whose accents a student may leave out)
    articles: frozenset[str] = field(default_factory=lambda: _ARTICLES[DEFAULT_LANGUAGE])

    def _key(self, text: str) -> str:
        return fold_accents(text) if self.fold else text

    def meaning(self, phrase: str) -> str | None:
        """What ``phrase`` (normalised, as asked: "an accommodation") means, or None."""
        words = self._key(phrase).split()
        while words and words[0] in self.articles:
            words = words[1:]
        return self.meanings.get(" ".join(words))

    def in_question(self, question: str, most: int = 2) -> list[str]:
        """The meanings of the IEP words in ``question``, in the order they come
        (at most ``most``, each once): what "that" is in "what does that mean?"."""
        text = f" {self._key(normalize(question, self.language))} "
        found: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for term in self.in_questions:  # longest first: "transition plan" before "transition"
            for m in re.finditer(f" {re.escape(term)} ", text):
                span = (m.start(), m.end())
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                taken.append(span)
                found.append((m.start(), self.meanings[term]))
        out: list[str] = []
        for _, meaning in sorted(found):
            if meaning not in out:
                out.append(meaning)
        return out[:most]


@cache
def glossary(language: str = DEFAULT_LANGUAGE) -> Glossary:
    """The lessons' terms and the accommodations of ``lexicon`` (each by every name
    students use for it: "extra time" is extended time). In a question only an
    accommodation's own name is looked for, not its looser variants ("a break")."""
    fold = language != DEFAULT_LANGUAGE  # English has no accents to fold: its keys stay as they were

    def key(term: str) -> str:
        return fold_accents(normalize(term, language)) if fold else normalize(term, language)

    meanings: dict[str, str] = {}
    looked_for: set[str] = set()
    # lexicon's accommodations and their explanations are English words and
    # sentences: said in a Spanish session they would be English, so another
    # language has only its own lessons' words until it has its own explanations
    for name, explanation in EXPLAIN.items() if language == DEFAULT_LANGUAGE else ():
        for phrase in [name, *ACCOMMODATIONS.get(name, [])]:
            meanings.setdefault(key(phrase), explanation)
        looked_for.add(key(name))
    try:
        book: LessonBook | None = lesson_book(language)
    except UserError:
        book = None  # a damaged lessons file: the accommodations are still explained (the tests check the file)
    for lesson in book.lessons if book else []:
        for term in lesson.terms:
            k = key(term)
            meanings[k] = lesson.meaning.strip()
            looked_for.add(k)
    return Glossary(meanings, tuple(sorted(looked_for, key=lambda t: (-len(t), t))), language, fold,
                    _ARTICLES.get(language, frozenset()))
