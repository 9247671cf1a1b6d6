"""What a student says to steer the session, in one place: yes, no, not sure and
every voice command, with the variants students really say, per language.

Everything that hears or reads these words derives from this table, so they
cannot disagree: the grammar a recognizer gets at a yes/no question
(``grammar``), the hot words that bias it (``hints``), the command classifier
(``dialogue.commands``), the yes/no classifier (``lexicon.yes_no``), the check
of near-commands ("next all": did you mean "that's all"?) and the benchmark
(``phrases``). A phrase has exactly one meaning; a table where one does not is
refused when this module is imported.

English and Spanish are filled in; another language is one more entry of
``VOCABULARY`` (the classifiers fall back to English until it has one).
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cache

from assistant.text import normalize, normalize_words


class Meaning(str, Enum):
    """What a phrase means. The command meanings have the values of ``commands.Command``."""

    YES = "yes"
    NO = "no"
    NOT_SURE = "not sure"
    REPEAT = "repeat"
    SLOWER = "slower"
    FASTER = "faster"
    SKIP = "skip"
    BACK = "go back"
    HELP = "help"
    DONT_KNOW = "i don't know"
    THATS_ALL = "that's all"
    STOP = "stop"


ANSWERS = (Meaning.YES, Meaning.NO, Meaning.NOT_SURE)  # the answers to a yes/no question
COMMANDS = tuple(m for m in Meaning if m not in ANSWERS)

# The first phrase of each meaning is its canonical form: the hot word, and what
# "Did you mean ...?" names. Phrases are written as people write them; they are
# compared as ``text.normalize`` reads them ("That's all." is "that's all").
VOCABULARY: dict[str, dict[Meaning, tuple[str, ...]]] = {
    "en": {
        Meaning.YES: (
            "yes", "yeah", "yep", "yup", "ya", "yes please", "sure", "of course", "okay", "ok", "correct",
            "that's correct", "right", "that's right", "that is right", "all right", "alright", "uh huh", "mm hmm", "mhm",
            "definitely", "absolutely", "yes it is", "it helps", "helps", "a lot"),
        Meaning.NO: (
            "no", "nope", "nah", "no way", "not really", "not at all", "no thanks", "no thank you", "uh uh", "wrong",
            "that's wrong", "not right", "that's not right", "incorrect", "not correct", "no it's not",
            "doesn't help", "does not help", "never use", "don't use", "never"),
        Meaning.NOT_SURE: (
            "not sure", "i'm not sure", "i am not sure", "maybe", "sometimes", "kind of", "sort of", "a little",
            "i guess"),
        Meaning.REPEAT: (
            "repeat", "repeat please", "please repeat", "repeat that", "repeat it", "say that again", "say it again",
            "again", "can you repeat that", "repeat the question", "what was the question", "what", "what did you say",
            "pardon", "come again", "one more time", "huh", "say what"),
        Meaning.SLOWER: (
            "slower", "slower please", "slow down", "talk slower", "speak slower", "go slower", "too fast",
            "more slowly", "slow", "go slow"),
        Meaning.FASTER: (
            "faster", "faster please", "speed up", "talk faster", "speak faster", "go faster", "too slow", "hurry up"),
        Meaning.SKIP: (
            "skip", "skip it", "skip this", "skip this one", "skip that", "skip please", "skip the question",
            "next question", "next", "pass", "i pass"),
        Meaning.BACK: (
            "go back", "back", "previous question", "go back please", "last question", "the last question"),
        Meaning.HELP: (
            "help", "help me", "help please", "i need help", "i don't understand", "i do not understand",
            "what does that mean", "i don't get it", "what do you mean", "i'm confused", "what's that", "what is that"),
        Meaning.DONT_KNOW: (
            "i don't know", "i do not know", "don't know", "dunno", "i have no idea", "no idea"),
        Meaning.THATS_ALL: (
            "that's all", "that is all", "that's it", "nothing else", "no more", "i'm done", "i am done",
            "that's everything", "done", "all done", "nothing", "none", "nothing more", "that's about it", "that is it",
            "i'm finished", "finished"),
        Meaning.STOP: (
            "stop", "stop please", "take a break", "i need a break", "can i take a break", "break", "pause",
            "i want to stop", "let's take a break"),
    },
    # Spanish: a first table (the canonical phrases the dialogues name and their
    # commonest variants); see the module's doc for how phrases are compared.
    "es": {
        Meaning.YES: ("sí", "claro", "correcto", "es correcto", "está bien", "vale", "ajá", "sí es correcto"),
        Meaning.NO: ("no", "no es correcto", "incorrecto", "para nada", "no ayuda"),
        Meaning.NOT_SURE: ("no estoy seguro", "no estoy segura", "tal vez", "a veces", "quizás"),
        Meaning.REPEAT: ("repite", "repítelo", "otra vez", "puedes repetir", "repite por favor"),
        Meaning.SLOWER: ("más despacio", "más lento", "despacio"),
        Meaning.FASTER: ("más rápido", "rápido"),
        Meaning.SKIP: ("salta", "sáltala", "siguiente", "paso"),
        Meaning.BACK: ("atrás", "regresa", "vuelve atrás", "anterior"),
        Meaning.HELP: ("ayuda", "ayúdame", "no entiendo"),
        Meaning.DONT_KNOW: ("no sé", "no lo sé", "ni idea"),
        Meaning.THATS_ALL: ("eso es todo", "nada más", "ya terminé", "nada"),
        Meaning.STOP: ("para", "un descanso", "necesito un descanso", "pausa", "detente"),
    },
}

DEFAULT_LANGUAGE = "en"
# What a recognizer often writes for a short yes or no said alone (Whisper hears a
# child's "no" as "Now." in the spoken tests): a whole reply to a yes/no question
# only, never a phrase looked for inside an answer ("I use it now" is not no), and
# not in the grammar (a recognizer with one must not be steered to these words).
MISHEARD_ANSWERS: dict[str, dict[str, Meaning]] = {"en": {"now": Meaning.NO, "know": Meaning.NO}}
# Said before or after a command without changing it ("um, repeat", "skip it please")
FILLERS: dict[str, tuple[str, ...]] = {"en": ("um", "uh", "okay", "ok", "please", "so", "oh", "hmm", "well")}


def _table(language: str) -> dict[Meaning, tuple[str, ...]]:
    return VOCABULARY.get(language) or VOCABULARY[DEFAULT_LANGUAGE]


def _check(language: str, table: dict[Meaning, tuple[str, ...]]) -> dict[str, Meaning]:
    """Normalised phrase -> meaning, refusing a phrase with two meanings or a meaning without phrases."""
    lookup: dict[str, Meaning] = {}
    for meaning in Meaning:
        if not table.get(meaning):
            raise ValueError(f"vocabulary '{language}': no phrases for '{meaning.value}'")
        for phrase in table[meaning]:
            key = normalize(phrase, language)
            if lookup.get(key, meaning) is not meaning:
                raise ValueError(f"vocabulary '{language}': '{phrase}' means both '{lookup[key].value}' and '{meaning.value}'")
            lookup[key] = meaning
    return lookup


_LOOKUP = {language: _check(language, table) for language, table in VOCABULARY.items()}


def phrases(language: str = DEFAULT_LANGUAGE) -> list[tuple[str, Meaning]]:
    """Every phrase of the vocabulary with its meaning, for ``language``.

    One ``(phrase, meaning)`` pair per phrase, in the table's order: yes, no, not
    sure, then each command (repeat, slower, faster, skip, go back, help, I don't
    know, that's all, stop), each meaning's canonical phrase first. The phrase is
    as a person writes it ("That's all" is written "that's all"); compare with
    ``text.normalize``. ``meaning.value`` is the answer or command it is ("yes",
    "go back", ...); ``meaning in ANSWERS`` tells a yes/no answer from a command.

    This is the list the benchmark speaks: a phrase said as a whole answer to a
    yes/no question must come back as its meaning (``meaning_of``), and a command
    said at any question must never be stored as an answer.

    Raises ``ValueError`` for a language that has no vocabulary yet (the session
    itself falls back to English)."""
    if language not in VOCABULARY:
        raise ValueError(f"no vocabulary for language '{language}' yet; there is: {', '.join(sorted(VOCABULARY))}")
    return [(p, m) for m, ps in VOCABULARY[language].items() for p in ps]


def phrases_of(meaning: Meaning, language: str = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    return _table(language)[meaning]


def canonical(meaning: Meaning, language: str = DEFAULT_LANGUAGE) -> str:
    """How the program names a meaning ("that's all")."""
    return _table(language)[meaning][0]


def grammar(language: str = DEFAULT_LANGUAGE) -> list[str]:
    """What a recognizer may hear at a yes/no question: every phrase of every
    meaning (a command is said at a yes/no question too: "repeat", "stop")."""
    return sorted({p for ps in _table(language).values() for p in ps})


def hints(language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Hot words for an engine that can be biased (Whisper): the canonical phrase of
    each meaning, as a sentence ("Yes.", "That's all."). Only the canonical ones:
    the hints are decoded as a prompt, and a long prompt slows every decode and
    bends answers towards it."""
    return [f"{canonical(m, language)[0].upper()}{canonical(m, language)[1:]}." for m in Meaning]


def misheard_answer(text: str, language: str = DEFAULT_LANGUAGE) -> Meaning | None:
    """The answer a whole reply to a yes/no question was misheard from ("Now." is no), else None."""
    return MISHEARD_ANSWERS.get(language, {}).get(" ".join(_strip_fillers(normalize_words(text, language), language)))


def _strip_fillers(words: list[str], language: str) -> list[str]:
    fillers = FILLERS.get(language, FILLERS[DEFAULT_LANGUAGE])
    while len(words) > 1 and words[0] in fillers:
        words = words[1:]
    while len(words) > 1 and words[-1] in fillers:
        words = words[:-1]
    return words


def meaning_of(text: str, language: str = DEFAULT_LANGUAGE) -> Meaning | None:
    """The meaning of a whole utterance that is one phrase of the vocabulary
    (filler words around it allowed: "um, repeat", "skip it please"), else None.

    Only the whole utterance counts: "I'm good at helping my mom repeat her lines"
    is an answer, not "repeat"."""
    lookup = _LOOKUP.get(language) or _LOOKUP[DEFAULT_LANGUAGE]
    fillers = FILLERS.get(language, FILLERS[DEFAULT_LANGUAGE])
    words = normalize_words(text, language)
    # fillers are dropped one at a time, the phrase looked up each time: "um, uh huh" is "uh huh"
    while words:
        found = lookup.get(" ".join(words))
        if found is not None:
            return found
        if len(words) > 1 and words[0] in fillers:
            words = words[1:]
        elif len(words) > 1 and words[-1] in fillers:
            words = words[:-1]
        else:
            return None
    return None


@cache
def yes_no_phrases(language: str = DEFAULT_LANGUAGE) -> tuple[tuple[Meaning, frozenset[str]], ...]:
    """The phrases that say yes, no or not sure inside a longer answer ("No, I never
    use it"), in the order they are looked for: not sure first ("I'm not sure"
    holds "sure"), then no ("not right" holds "right"), then yes. "I don't know"
    and its variants say not sure here."""
    table = _table(language)

    def norm(meanings: tuple[Meaning, ...]) -> frozenset[str]:
        return frozenset(normalize(p, language) for m in meanings for p in table[m])

    return ((Meaning.NOT_SURE, norm((Meaning.NOT_SURE, Meaning.DONT_KNOW))), (Meaning.NO, norm((Meaning.NO,))),
            (Meaning.YES, norm((Meaning.YES,))))


# ---------------------------------------------------------------- near-commands

NEAR_MAX_WORDS = 4  # only short utterances are checked: a command is short, a longer answer is an answer
NEAR_MAX_DISTANCE = 1.0  # less than one whole word of difference ...
NEAR_MAX_RATIO = 0.5  # ... and less than half the utterance ...
NEAR_CLOSE = 0.3  # ... and either this close (about one letter in four) or keeping a telling word of the command
# Words whose presence or absence barely changes a command ("repeat it", "skip the one"): half a word.
LIGHT_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("it that this the a me now please um uh okay ok so just".split())}
# Words a command shares with many answers ("I need a ride" is not "I need a break"):
# a multi-word near-command must keep one of the command's other, telling words.
COMMON_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("i i'm am a the to go need want can you do don't let's take is what say talk speak too that's my "
                    "yes no not".split())}


def _syllables(word: str) -> int:
    """Vowel groups: a rough syllable count ("helping" 2, "help" 1; a final silent
    e is no syllable: "home" 1, and nor is the e of "-ed" after other than t or d:
    "finished" 2)."""
    if len(word) > 2 and word.endswith("e") and word[-2] not in "aeiouyl":
        word = word[:-1]
    elif len(word) > 3 and word.endswith("ed") and word[-3] not in "aeiouytd":
        word = word[:-2]
    count, vowel = 0, False
    for ch in word:
        v = ch in "aeiouy"
        count += v and not vowel
        vowel = v
    return max(1, count)


def _char_distance(a: str, b: str) -> float:
    """Levenshtein distance of two words over the longer one's length (0 same .. 1)."""
    a, b = a.replace("'", ""), b.replace("'", "")
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / max(len(a), len(b), 1)


def _word_cost(a: str, b: str) -> float:
    """Substituting word ``a`` by ``b``: a word heard as another sounds alike, so a
    different number of syllables makes it a different word ("helping" is not
    "help"), else its spelling distance ("shop" and "stop" are close)."""
    if a == b:
        return 0.0
    if _syllables(a) != _syllables(b):
        return 1.0
    # a little more than the spelling distance, so that dropping a light word wins a
    # tie against changing a word ("stop it" is "stop", not "skip it")
    return min(1.0, _char_distance(a, b) + 0.01)


def _distance(said: list[str], phrase: list[str], light: frozenset[str]) -> float:
    """Word-level edit distance with weighted substitutions; a light word costs half."""

    def gap(w: str) -> float:
        return 0.5 if w in light else 1.0

    prev = [0.0]
    for w in phrase:
        prev.append(prev[-1] + gap(w))
    for s in said:
        cur = [prev[0] + gap(s)]
        for j, w in enumerate(phrase, 1):
            cur.append(min(prev[j] + gap(s), cur[j - 1] + gap(w), prev[j - 1] + _word_cost(s, w)))
        prev = cur
    return prev[-1]


def near_command(text: str, language: str = DEFAULT_LANGUAGE) -> Meaning | None:
    """The command a short utterance (at most NEAR_MAX_WORDS words) nearly is, when
    it is not exactly a phrase of the vocabulary: "next all" is nearly "that's all",
    "shop" nearly "stop". None for anything else, exact phrases included.

    Near means: the word-level edit distance to one of the command's phrases is
    less than one whole word and under half the utterance, where a substituted word
    costs its spelling distance (1 when the syllable counts differ, so "helping" is
    not "help") and a light word ("it", "the", "please") half; and the utterance is
    either very close (NEAR_CLOSE: "shop", "stop") or keeps a telling word of the
    phrase ("next all" keeps "all"; "I need a ride" keeps only common words of "I
    need a break"). What the student
    meant is then asked, never guessed: a real answer ("math", "reading", "I like
    cars") is not near any command, and one that is ("shop") is kept after a no."""
    words = normalize_words(text, language)
    if not words or len(words) > NEAR_MAX_WORDS or meaning_of(text, language) is not None:
        return None
    said = f" {' '.join(words)} "
    if any(f" {p} " in said for _, ps in yes_no_phrases(language) for p in ps):
        return None  # it says yes, no or not sure ("no never", "yes a lot"): an answer
    words = _strip_fillers(words, language)
    light = LIGHT_WORDS.get(language, LIGHT_WORDS[DEFAULT_LANGUAGE])
    common = light | COMMON_WORDS.get(language, COMMON_WORDS[DEFAULT_LANGUAGE])
    best: tuple[float, Meaning] | None = None
    for meaning in COMMANDS:
        for phrase in _table(language)[meaning]:
            target = normalize_words(phrase, language)
            d = _distance(words, target, light)
            if d >= NEAR_MAX_DISTANCE or d / max(len(words), len(target)) >= NEAR_MAX_RATIO:
                continue
            if d > NEAR_CLOSE and not set(words) & (set(target) - common):
                continue
            if best is None or d < best[0]:
                best = (d, meaning)
    return best[1] if best else None


# ---------------------------------------------------------------- "what does ... mean?"

# The ways a student asks what a word means, as whole utterances of normalised
# words. ``{x}`` is the word asked about. Only these shapes count, and only as the
# whole utterance (fillers around it allowed), so an answer that merely holds
# "mean" or "what is" is an answer ("my brother is mean to me", "what I mean is I
# need more time"). "What is X" and "what's X" are questions about a word only when
# X is a word the glossary knows (the caller checks): "what's hard is reading" is an
# answer.
MEANING_QUESTIONS: dict[str, tuple[str, ...]] = {
    "en": ("what does {x} mean", "what do {x} mean", "what does the word {x} mean", "what is the meaning of {x}",
           "what's the meaning of {x}", "what does {x} stand for"),
}
# these ask about a word only when it is one the glossary knows: "what's hard is reading" and
# "I don't know what my favorite is" are answers
WHAT_IS: dict[str, tuple[str, ...]] = {"en": ("what is {x}", "what's {x}", "what are {x}", "whats {x}", "what {x} means",
                                              "i don't know what {x} means", "i don't know what {x} is")}
# "that" in "what does that mean?": the IEP word in the question being asked
POINTING: dict[str, frozenset[str]] = {"en": frozenset({"that", "it", "this", "that word", "this word", "the word"})}
MEANING_MAX_WORDS = 6  # the word asked about is a word or a short phrase ("individualized education program")


def _shapes(templates: tuple[str, ...]) -> list[re.Pattern]:
    return [re.compile("^" + re.escape(t).replace(re.escape("{x}"), "(?P<x>.+?)") + "$") for t in templates]


def asked_meaning(text: str, language: str = DEFAULT_LANGUAGE) -> tuple[str, bool] | None:
    """What a whole utterance asks the meaning of: (the phrase asked about,
    normalised; whether the utterance is only "what is X", which counts when X is a
    known word), or ``("", False)`` for "what does that mean?" (the word is in the
    question being asked); None for anything else."""
    words = _strip_fillers(normalize_words(text, language), language)
    said = " ".join(words)
    for strict, templates in ((False, MEANING_QUESTIONS), (True, WHAT_IS)):
        for shape in _shapes(templates.get(language, templates[DEFAULT_LANGUAGE])):
            m = shape.match(said)
            if m is None:
                continue
            x = m.group("x")
            if x in POINTING.get(language, POINTING[DEFAULT_LANGUAGE]):
                return "", False
            if meaning_of(said, language) is not None:
                return None  # a phrase of the vocabulary ("what do you mean": help)
            if len(x.split()) <= MEANING_MAX_WORDS:
                return x, strict
    return None
