"""The dialogue schema (pydantic) and loading that reports file, line and field."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.draft import (
    FIELDS,  # where answers go in the draft: declared with its sections
)
from assistant.errors import UserError
from assistant.paths import dialogues_dir
from assistant.text import _PLACEHOLDER, placeholders


class Kind(str, Enum):
    OPEN = "open"  # a free spoken answer
    CHOICE = "choice"  # pick one of the spoken choices (younger students), or say something else
    ACCOMMODATIONS = "accommodations"  # asked once per accommodation in the student's IEP
    PAST_GOALS = "past_goals"  # asked once per goal the teacher entered from last year


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FollowUp(Strict):
    text: str = Field(min_length=1)
    limit: int = Field(default=2, ge=1, le=5)


class Prompt(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    kind: Kind = Kind.OPEN
    text: str = Field(min_length=1, description="what is spoken; {accommodation} or {goal} for per-item prompts")
    simpler: str = Field(min_length=1, description="a simpler rewording, for 'help'")
    example: str = Field(min_length=1, description="an example answer")
    field: Literal[FIELDS]  # type: ignore[valid-type]
    choices: list[str] = Field(default_factory=list)
    follow_up: FollowUp | None = None

    @model_validator(mode="after")
    def _check(self) -> Prompt:
        if self.kind == Kind.CHOICE and len(self.choices) < 2:
            raise ValueError("a choice prompt needs at least two choices")
        if self.kind != Kind.CHOICE and self.choices:
            raise ValueError("only a choice prompt has choices")
        if self.kind == Kind.ACCOMMODATIONS and ("{accommodation}" not in self.text or self.field != "accommodations"):
            raise ValueError("an accommodations prompt says {accommodation} and fills the field 'accommodations'")
        if self.kind == Kind.PAST_GOALS and ("{goal}" not in self.text or self.field != "past_goals"):
            raise ValueError("a past_goals prompt says {goal} and fills the field 'past_goals'")
        if self.kind not in (Kind.ACCOMMODATIONS, Kind.PAST_GOALS) and self.field in ("accommodations", "past_goals"):
            raise ValueError(f"the field '{self.field}' is filled by a {self.field} prompt")
        allowed = {"accommodation"} if self.kind == Kind.ACCOMMODATIONS else {"goal"} if self.kind == Kind.PAST_GOALS else set()
        _placeholders("text", self.text, allowed)
        _placeholders("simpler", self.simpler, allowed)
        for field, text in [("example", self.example), *(("choices", c) for c in self.choices),
                            ("follow_up", self.follow_up.text if self.follow_up else "")]:
            _placeholders(field, text, set())
        return self


class Section(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str = Field(min_length=1, description="in words a student understands")
    intro: str | None = None
    repeat: str | None = Field(default=None, description="asked after the section: do it again? (e.g. another goal)")
    repeat_limit: int = Field(default=1, ge=1, le=5)
    prompts: list[Prompt] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Section:
        for field in ("title", "intro", "repeat"):
            _placeholders(field, getattr(self, field) or "", set())
        return self


class Dialogue(Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    language: str = Field(pattern=r"^[a-z]{2}$")
    grades: tuple[int, int] = Field(description="first and last grade, 0 = kindergarten")
    title: str
    welcome: str
    goodbye: str
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Dialogue:
        lo, hi = self.grades
        if not 0 <= lo <= hi <= 12:
            raise ValueError("grades must be two numbers from 0 (kindergarten) to 12, first <= last")
        _placeholders("welcome", self.welcome, {"name"})
        _placeholders("goodbye", self.goodbye, {"name"})
        _placeholders("title", self.title, set())
        seen: set[str] = set()
        for s in self.sections:
            for p in s.prompts:
                if p.id in seen:
                    raise ValueError(f"prompt id '{p.id}' is used twice")
                seen.add(p.id)
        return self

    def prompt(self, prompt_id: str) -> Prompt:
        return next(p for s in self.sections for p in s.prompts if p.id == prompt_id)


def _placeholders(where: str, text: str, allowed: set[str]) -> None:
    """Only the placeholders a text can have are in it ({name} in the welcome and
    goodbye, {accommodation} or {goal} in per-item prompts); any other brace would be
    said aloud as it is."""
    found = placeholders(text)
    rest = _PLACEHOLDER.sub("", text)
    if found - allowed or "{" in rest or "}" in rest:
        can = ", ".join("{" + a + "}" for a in sorted(allowed)) or "no placeholder"
        bad = ", ".join("{" + f + "}" for f in sorted(found - allowed)) or "a stray brace"
        raise ValueError(f"{where} has {bad}: it can have {can}")


def _line_of(node: yaml.Node, loc: tuple) -> int:
    """The line (1-based) of the YAML node at a pydantic error location."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
    return node.start_mark.line + 1


M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: str | Path, model: type[M], what: str, shape: str) -> M:
    """Load a YAML file of shipped data into ``model``; every error names the file,
    line and field. ``what`` names the file's kind ("dialogue"), ``shape`` says what
    its top level is."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such {what} file") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{path}{where}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict) or node is None:
        raise UserError(f"{path}:1: a {what} is a mapping with {shape}")
    try:
        return model(**data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
            field = ".".join(str(x) for x in loc) or "(top level)"
            lines.append(f"{path}:{_line_of(node, loc)}: {field}: {err['msg']}")
        raise UserError("\n".join(lines)) from None


def load_dialogue(path: str | Path) -> Dialogue:
    """Load and validate one dialogue file; errors name the file, line and field."""
    return load_yaml_model(path, Dialogue, "dialogue", "id, language, grades, title, welcome, goodbye and sections")


def dialogue_files(language: str | None = None) -> list[Path]:
    """The dialogues that come with the program (one folder a language)."""
    pattern = f"{language}/*.yaml" if language else "*/*.yaml"
    return sorted(dialogues_dir().glob(pattern))


def dialogue_for(grade: int, language: str = "en", dialogue_id: str | None = None) -> Dialogue:
    """The dialogue for a grade band and language, or the one named."""
    files = dialogue_files(language) if not dialogue_id else dialogue_files()
    for f in files:
        d = load_dialogue(f)
        if dialogue_id and d.id == dialogue_id:
            return d
        if not dialogue_id and d.language == language and d.grades[0] <= grade <= d.grades[1]:
            return d
    if dialogue_id:
        raise UserError(f"no dialogue with id '{dialogue_id}' in {dialogues_dir()}; `iep-assistant dialogues list` shows them")
    raise UserError(f"no {language} dialogue for grade {grade} in {dialogues_dir()}")
