"""Voice commands, recognised only when the whole utterance is the command.

Their phrases are in ``dialogue.vocabulary`` (one table for commands, yes and no)."""

from __future__ import annotations

from enum import Enum

from assistant.dialogue.vocabulary import COMMANDS, DEFAULT_LANGUAGE, Meaning, meaning_of, phrases_of


class Command(str, Enum):
    REPEAT = "repeat"
    SLOWER = "slower"
    FASTER = "faster"
    SKIP = "skip"
    BACK = "go back"
    HELP = "help"
    DONT_KNOW = "i don't know"
    THATS_ALL = "that's all"
    STOP = "stop"


# the engine's commands are the vocabulary's command meanings, one for one
assert [c.value for c in Command] == [m.value for m in COMMANDS], "Command and vocabulary.COMMANDS differ"

PHRASES: dict[Command, list[str]] = {c: list(phrases_of(Meaning(c.value))) for c in Command}


def command_of(text: str, language: str = DEFAULT_LANGUAGE) -> Command | None:
    """The command the whole utterance is, or None for an answer.

    "Repeat" is a command; "I'm good at helping my mom repeat her lines" is an answer.
    Filler words around it are allowed ("um, repeat", "skip it please").
    """
    m = meaning_of(text, language)
    return Command(m.value) if m is not None and m in COMMANDS else None


def as_command(meaning: Meaning) -> Command:
    return Command(meaning.value)
