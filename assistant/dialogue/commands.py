"""Voice commands, recognised only when the whole utterance is the command."""

from __future__ import annotations

from enum import Enum

from assistant.text import normalize


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


PHRASES: dict[Command, list[str]] = {
    Command.REPEAT: ["repeat", "repeat please", "please repeat", "repeat that", "say that again", "say it again",
                     "again", "can you repeat that", "repeat the question", "what was the question"],
    Command.SLOWER: ["slower", "slower please", "slow down", "talk slower", "speak slower", "go slower", "too fast"],
    Command.FASTER: ["faster", "faster please", "speed up", "talk faster", "speak faster", "go faster", "too slow"],
    Command.SKIP: ["skip", "skip it", "skip this", "skip this one", "skip please", "next question", "pass"],
    Command.BACK: ["go back", "back", "previous question", "go back please", "last question"],
    Command.HELP: ["help", "help me", "help please", "i need help", "i don't understand", "i do not understand",
                   "what does that mean", "i don't get it"],
    Command.DONT_KNOW: ["i don't know", "i do not know", "don't know", "dunno", "i have no idea", "no idea"],
    Command.THATS_ALL: ["that's all", "that is all", "that's it", "nothing else", "no more", "i'm done", "i am done",
                        "that's everything", "done"],
    Command.STOP: ["stop", "stop please", "take a break", "i need a break", "can i take a break", "break", "pause",
                   "i want to stop", "let's take a break"],
}


_LOOKUP = {normalize(p): c for c, ps in PHRASES.items() for p in ps}
_FILLERS = ("um ", "uh ", "okay ", "ok ", "please ", "um ", "so ")


def command_of(text: str) -> Command | None:
    """The command the whole utterance is, or None for an answer.

    "Repeat" is a command; "I'm good at helping my mom repeat her lines" is an answer.
    A leading filler word ("um, repeat") is allowed.
    """
    t = normalize(text)
    for _ in range(2):
        if t in _LOOKUP:
            return _LOOKUP[t]
        for f in _FILLERS:
            if t.startswith(f):
                t = t[len(f):]
                break
        else:
            break
    return _LOOKUP.get(t)


def all_phrases() -> list[str]:
    """Every command phrase: with yes/no words, the grammar of a constrained recognizer."""
    return sorted({p for ps in PHRASES.values() for p in ps})
