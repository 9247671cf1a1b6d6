"""A transparent lexicon: IEP areas and common accommodations, with the words
that point to them. Labels are suggestions for the teacher; the student's own
words are always kept as they were said."""

from __future__ import annotations

import re

from assistant.dialogue.vocabulary import ANSWERS, Meaning, meaning_of, misheard_answer, yes_no_phrases
from assistant.text import normalize

# IEP areas, in order of precedence when an item matches two equally.
AREAS: dict[str, list[str]] = {
    "reading": ["read", "reading", "reader", "books", "book", "stories", "story", "chapter", "chapters", "textbook",
                "textbooks", "phonics", "sounding out", "audiobooks"],
    "writing": ["write", "writing", "essay", "essays", "spelling", "spell", "sentences", "paragraph", "paragraphs",
                "typing", "notes", "taking notes"],
    "math": ["math", "numbers", "counting", "fractions", "multiplication", "division", "algebra", "geometry",
             "calculator", "word problems", "adding", "subtracting"],
    "communication": ["talk", "talking", "speak", "speaking", "say", "explain", "ask for help", "asking questions",
                      "presentations", "presenting", "listening", "conversation"],
    "social-emotional": ["friend", "friends", "anxious", "anxiety", "stress", "stressed", "nervous", "worried",
                         "angry", "upset", "feelings", "shy", "lonely", "helping others", "helping my friends",
                         "helping friends", "kind", "making friends", "good friend"],
    "attention and organization": ["focus", "focusing", "attention", "distracted", "homework", "organized",
                                   "organization", "organizing", "forget", "forgetting", "lose track", "on time",
                                   "assignments", "remember", "planner", "deadlines", "sitting still"],
    "behavior": ["behavior", "calm down", "calm", "rules", "in trouble", "getting in trouble", "yelling", "fights"],
    "motor": ["drawing", "draw", "handwriting", "building", "running", "sports", "soccer", "basketball",
              "cutting", "tying", "lego", "working out", "fixing things"],
    "independence": ["cook", "cooking", "budget", "budgeting", "money", "bus", "on my own", "by myself",
                     "independent", "apartment", "live on my own", "laundry", "driving"],
    "career": ["job", "jobs", "career", "work experience", "mechanic", "college", "training program", "apprenticeship",
               "repair shop", "internship", "business"],
}

# Accommodations: the normalized name, then the ways people say it.
ACCOMMODATIONS: dict[str, list[str]] = {
    "extended time": ["extended time", "extra time", "more time", "longer time", "time and a half", "additional time",
                      "more time on tests", "extra time on tests"],
    "read aloud": ["read aloud", "read-aloud", "reading aloud", "read to me", "read the test", "read the questions",
                   "tests read", "audiobooks", "audio books", "text to speech", "text-to-speech"],
    "speech-to-text": ["speech to text", "speech-to-text", "dictation", "dictate", "voice typing", "talk to type",
                       "say my answers", "scribe"],
    "breaks": ["breaks", "a break", "take breaks", "movement breaks", "break cards", "take a break"],
    "preferential seating": ["preferential seating", "sit in the front", "seat near the teacher", "front of the room",
                             "sit near the teacher", "sit up front"],
    "quiet setting": ["quiet room", "quiet place", "separate room", "separate setting", "small group testing",
                      "quiet setting", "quiet space", "small group"],
    "copy of notes": ["copy of the notes", "copy of notes", "guided notes", "class notes", "notes from the teacher"],
    "calculator": ["calculator", "calculators"],
    "graphic organizers": ["graphic organizer", "graphic organizers", "outline", "outlines", "organizer"],
    "check-ins": ["check-in", "check-ins", "check in", "check ins", "checks in", "checking in"],
    "shortened assignments": ["shorter assignments", "fewer problems", "reduced assignments", "shortened assignments",
                              "less homework", "fewer questions"],
    "noise-cancelling headphones": ["headphones", "noise cancelling", "noise-cancelling", "ear muffs", "earplugs"],
    "reminders": ["reminders", "reminder", "prompts", "remind me"],
    "visual schedule": ["visual schedule", "picture schedule", "schedule on my desk"],
}

# What each accommodation means, in words a student understands: said with "help"
# when an accommodation listed in the IEP means nothing to the student.
EXPLAIN: dict[str, str] = {
    "extended time": "Extended time means you get more time to finish tests and assignments.",
    "read aloud": "Read aloud means someone, or the computer, reads the words to you.",
    "speech-to-text": "Speech to text means you say your answers and the computer types them.",
    "breaks": "Breaks means you can stop for a few minutes and then get back to work.",
    "preferential seating": "Preferential seating means you sit in a spot that helps you, like near the teacher.",
    "quiet setting": "A quiet setting means you can work or take tests in a quiet room.",
    "copy of notes": "A copy of notes means the teacher gives you the class notes.",
    "calculator": "A calculator helps you with math problems.",
    "graphic organizers": "Graphic organizers are charts that help you plan your writing or your ideas.",
    "check-ins": "Check-ins means a teacher talks with you to see how you are doing.",
    "shortened assignments": "Shortened assignments means you get fewer questions or problems to do.",
    "noise-cancelling headphones": "Headphones can block out noise so you can focus.",
    "reminders": "Reminders means someone helps you remember what to do next.",
    "visual schedule": "A visual schedule shows your day in pictures.",
}


def _pattern(phrases: list[str]) -> re.Pattern:
    """Any of the phrases as whole words of a normalised text ("read-aloud" and
    "read aloud" are one phrase)."""
    alts = sorted({re.escape(normalize(p)) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(alts) + r")(?![\w'])")


_AREA_RE = {area: _pattern(words) for area, words in AREAS.items()}
_ACC_RE = {name: _pattern(words + [name]) for name, words in ACCOMMODATIONS.items()}


def area_of(text: str) -> str | None:
    """The IEP area an item speaks of: the one with most keyword hits (earlier areas win ties)."""
    t = normalize(text)
    best, hits = None, 0
    for area, rx in _AREA_RE.items():
        n = len(rx.findall(t))
        if n > hits:
            best, hits = area, n
    return best


def accommodation_of(text: str) -> str | None:
    """The normalized accommodation an item names, if any (the longest phrase wins)."""
    t = normalize(text)
    best, length = None, 0
    for name, rx in _ACC_RE.items():
        for m in rx.finditer(t):
            if len(m.group()) > length:
                best, length = name, len(m.group())
    return best


# Yes, no and not sure, with their variants, are in ``dialogue.vocabulary``: the
# grammar of a yes/no question, the hot words and this classifier all come from there.
_ASKS_AGAIN = (Meaning.REPEAT, Meaning.SLOWER, Meaning.FASTER, Meaning.HELP)


# What ends the first clause of a verdict, beside punctuation ("yes, but ...", "sí, pero ...")
_BUT = {"en": " but ", "es": " pero "}


def verdict(text: str, language: str = "en") -> str | None:
    """What an answer to "Does it help you? Yes, no, or not sure?" means, taken from
    its first clause when that says it ("Yes, I don't know what I'd do without it"
    is yes), else from the whole answer."""
    but = _BUT.get(language, _BUT["en"])
    first = re.split(rf"[,.;!?¿¡]|{but}", text.strip(), maxsplit=1)[0]
    return yes_no(first, language) or yes_no(text, language)


def yes_no(text: str, language: str = "en") -> str | None:
    """'yes', 'no', 'not sure' or None: what a short answer to a yes/no question means.

    A whole phrase of the vocabulary means what it means there; otherwise the first
    of its yes/no phrases found inside ("No, I never use it" is no), not sure before
    no before yes ("I'm not sure" holds "sure")."""
    whole = meaning_of(text, language)
    if whole in ANSWERS:
        return whole.value
    if whole in _ASKS_AGAIN:
        return None  # "no entiendo", "no te escuché" ask for the question again: they say no to nothing
    if whole is Meaning.DONT_KNOW:
        return Meaning.NOT_SURE.value
    misheard = misheard_answer(text, language)
    if misheard is not None:
        return misheard.value
    t = f" {normalize(text, language)} "
    for meaning, phrases in yes_no_phrases(language):
        if any(f" {p} " in t for p in phrases):
            return meaning.value
    return None
