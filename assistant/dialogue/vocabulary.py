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
    # Spanish, as students in US schools say it (Mexican and Central American
    # usage first: "mande", "sale", "ándale", "simón", "nel"). Accents are written
    # correctly here and ignored when comparing ("mas despacio" is "más despacio",
    # see ``text.fold_accents``). English "yes", "yeah", "okay" and "no" are
    # accepted: bilingual students switch to them mid-session, Whisper decoding in
    # Spanish writes them as said, and no Spanish reply means anything else by
    # them. English commands ("skip", "repeat") are not: the session names only
    # the Spanish ones, and "stop"/"help" heard in a Spanish answer are answers.
    # Left out on purpose, each having two common meanings: "bueno" (well / good:
    # a filler), "listo"/"lista" (done / smart), "pasa" (skip / come in / it
    # happens), "¿qué sigue?" (skip / go on), "eso" (yes / "eso es difícil").
    "es": {
        Meaning.YES: (
            "sí", "sí sí", "sí por favor", "sí señor", "sí señora", "sí maestra", "sí maestro", "claro",
            "claro que sí", "por supuesto", "seguro", "correcto", "es correcto", "sí es correcto", "está bien",
            "sí está bien", "así es", "exacto", "cierto", "es cierto", "de acuerdo", "vale", "ajá", "ajá sí",
            "mjm", "ok", "okey", "okay", "sale", "ándale", "órale", "simón", "yes", "yeah", "creo que sí",
            "me ayuda", "sí me ayuda", "me ayuda mucho", "ayuda mucho", "sí mucho",
            "sí la uso", "sí lo uso", "sí los uso", "sí las uso"),
        Meaning.NO: (
            "no", "no no", "no gracias", "nel", "nop", "para nada", "nunca", "no es correcto", "no es cierto",
            "incorrecto", "está mal", "no está bien", "creo que no", "no mucho", "no tanto", "no ayuda",
            "no me ayuda", "no me sirve", "no sirve", "no la uso", "no lo uso", "no los uso", "no las uso",
            "nunca la uso", "nunca lo uso", "ya no", "ya no la uso", "ya no lo uso", "no es así"),
        Meaning.NOT_SURE: (
            "no estoy seguro", "no estoy segura", "no estoy seguro o segura", "no sé si", "tal vez", "a lo mejor",
            "quizás", "quizá", "puede ser", "a veces", "más o menos", "un poco", "un poquito", "poquito", "poco",
            "depende"),
        Meaning.REPEAT: (
            "repite", "repítelo", "repítela", "repite la pregunta", "repite eso", "otra vez", "dilo otra vez",
            "una vez más", "de nuevo", "puedes repetir", "puedes repetirlo", "me lo repites", "qué", "cómo",
            "mande", "perdón", "qué dijiste", "no te escuché", "no escuché", "no oí", "cuál era la pregunta"),
        Meaning.SLOWER: (
            "más despacio", "más lento", "despacio", "despacito", "habla más despacio", "más despacito",
            "muy rápido", "demasiado rápido", "vas muy rápido", "hablas muy rápido"),
        Meaning.FASTER: (
            "más rápido", "rápido", "habla más rápido", "más rapidito", "muy lento", "demasiado lento",
            "vas muy lento", "hablas muy lento", "apúrate"),
        Meaning.SKIP: (
            "salta", "sáltala", "sáltatela", "salta esta", "salta esa", "salta la pregunta", "sáltate esta",
            "siguiente", "la siguiente", "siguiente pregunta", "otra pregunta", "la que sigue", "paso", "yo paso",
            "pásala", "pásate a la siguiente"),
        Meaning.BACK: (
            "atrás", "regresa", "vuelve atrás", "regresa atrás", "anterior",
            "la anterior", "pregunta anterior", "la pregunta anterior", "regresa a la anterior",
            "vuelve a la anterior", "regrésate"),
        Meaning.HELP: (
            "ayuda", "ayúdame", "necesito ayuda", "me ayudas", "me puedes ayudar", "puedes ayudarme", "no entiendo",
            "no entendí", "no le entiendo", "no comprendo", "estoy confundido", "estoy confundida",
            "qué significa eso", "qué quiere decir eso", "qué es eso", "qué quieres decir"),
        Meaning.DONT_KNOW: (
            "no sé", "no lo sé", "yo no sé", "no sé qué decir", "ni idea", "no tengo idea", "quién sabe",
            "no me acuerdo", "no recuerdo", "no se me ocurre nada"),
        Meaning.THATS_ALL: (
            "eso es todo", "es todo", "esto es todo", "ya es todo", "eso fue todo", "eso sería todo", "nada más", "nada más eso",
            "solo eso", "nomás eso", "eso nomás", "ya terminé", "terminé", "ya acabé", "acabé", "ya está", "ya",
            "nada", "ninguno", "ninguna", "no hay más", "ya no hay más", "ya no tengo más"),
        Meaning.STOP: (
            "para", "un descanso", "necesito un descanso", "quiero un descanso", "puedo tomar un descanso",
            "pausa", "una pausa", "detente", "quiero parar", "ya no quiero seguir", "para por favor"),
    },
}

DEFAULT_LANGUAGE = "en"
# What a recognizer often writes for a short yes or no said alone (Whisper hears a
# child's "no" as "Now." in the spoken tests): a whole reply to a yes/no question
# only, never a phrase looked for inside an answer ("I use it now" is not no), and
# not in the grammar (a recognizer with one must not be steered to these words).
# whisper-base decoding Spanish wrote espeak-ng's "sí, sí" as "CC" with both Spanish voices (the letter C is
# said "ce", as "sí" sounds): a short yes. "C" alone is the same letter for one "sí".
MISHEARD_ANSWERS: dict[str, dict[str, Meaning]] = {"en": {"now": Meaning.NO, "know": Meaning.NO},
                                                   "es": {"cc": Meaning.YES, "c c": Meaning.YES, "c": Meaning.YES}}
# Said before or after a command without changing it ("um, repeat", "skip it please")
# (a filler may be several words: "por favor", "o sea").
FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("um", "uh", "okay", "ok", "please", "so", "oh", "hmm", "well"),
    # "ok" and "okey" are yes alone and fillers beside a command, as "okay" is in English
    "es": ("eh", "em", "mm", "mmm", "ah", "ay", "oh", "pues", "por favor", "porfa", "porfis", "ok", "okey", "okay",
           "gracias", "maestra", "maestro"),
}
# Said only before a command ("bueno, eso es todo"; "este... repite", "este" the
# Mexican "um"): after one they are words of it ("¡qué bueno!" is not "¿qué?",
# "salta este" keeps its "este").
LEAD_FILLERS: dict[str, tuple[str, ...]] = {"es": ("este", "bueno", "oye", "a ver", "o sea", "entonces", "y")}


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


@cache
def _fillers(language: str, lead: bool = False) -> tuple[tuple[str, ...], ...]:
    """The fillers of ``language`` (with ``lead``, those said only first) as
    normalised word tuples, longest first ("por favor" before "por")."""
    table = LEAD_FILLERS if lead else FILLERS
    found = {tuple(normalize_words(f, language)) for f in table.get(language, () if lead else FILLERS[DEFAULT_LANGUAGE])}
    return tuple(sorted(found, key=len, reverse=True))


def _lead_filler(words: list[str], language: str) -> int:
    """How many words a filler at the start of ``words`` takes (0: none), leaving at least one word."""
    return next((len(f) for f in _fillers(language) + _fillers(language, lead=True)
                 if len(f) < len(words) and tuple(words[:len(f)]) == f), 0)


def _tail_filler(words: list[str], language: str) -> int:
    """How many words a filler at the end of ``words`` takes (0: none), leaving at least one word."""
    return next((len(f) for f in _fillers(language) if len(f) < len(words) and tuple(words[-len(f):]) == f), 0)


def _strip_fillers(words: list[str], language: str) -> list[str]:
    while n := _lead_filler(words, language):
        words = words[n:]
    while n := _tail_filler(words, language):
        words = words[:-n]
    return words


def meaning_of(text: str, language: str = DEFAULT_LANGUAGE) -> Meaning | None:
    """The meaning of a whole utterance that is one phrase of the vocabulary
    (filler words around it allowed: "um, repeat", "skip it please"), else None.

    Only the whole utterance counts: "I'm good at helping my mom repeat her lines"
    is an answer, not "repeat"."""
    lookup = _LOOKUP.get(language) or _LOOKUP[DEFAULT_LANGUAGE]
    # fillers are dropped one at a time, from either end, the phrase looked up each
    # time: "um, uh huh" is "uh huh", and "ok, por favor" is "ok" (a filler that is
    # also the phrase: dropping it first would leave only "por favor")
    todo, seen = [tuple(normalize_words(text, language))], set()
    while todo:
        words = todo.pop(0)
        if words in seen or not words:
            continue
        seen.add(words)
        found = lookup.get(" ".join(words))
        if found is not None:
            return found
        if n := _lead_filler(list(words), language):
            todo.append(words[n:])
        if n := _tail_filler(list(words), language):
            todo.append(words[:-n])
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
    "en": frozenset("it that this the a me now please um uh okay ok so just".split()),
    # articles, pronouns and fillers ("repítela", "salta esta", "un descanso"), as compared (no accents)
    "es": frozenset("lo la le los las el un una me te esta este esa ese eso esto pues eh ok okey por favor ahora "
                    "nomas".split())}
# Words a command shares with many answers ("I need a ride" is not "I need a break"):
# a multi-word near-command must keep one of the command's other, telling words.
COMMON_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("i i'm am a the to go need want can you do don't let's take is what say talk speak too that's my "
                    "yes no not".split()),
    # "más tiempo" (extended time) is not "más lento", "quiero descansos" not "quiero
    # un descanso", "hasta atrás" (where a student sits) not "vuelve atrás"
    "es": frozenset("yo mi a de que en es no si mas muy quiero necesito puedo puedes tomar todo toda otra vez "
                    "ya pregunta habla hablas vas mucho tengo estoy para hacia atras".split())}


def _syllables(word: str, silent_e: bool = True) -> int:
    """Vowel groups: a rough syllable count ("helping" 2, "help" 1; in English
    (``silent_e``) a final silent e is no syllable: "home" 1, and nor is the e of
    "-ed" after other than t or d: "finished" 2; Spanish says every e: "repite" 3)."""
    if silent_e and len(word) > 2 and word.endswith("e") and word[-2] not in "aeiouyl":
        word = word[:-1]
    elif silent_e and len(word) > 3 and word.endswith("ed") and word[-3] not in "aeiouytd":
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


# Languages spelt as said (every written vowel is a syllable: "repite" has three)
# that make words by adding endings: there a word that is a command's word with
# letters added is another word, however close its spelling ("nadar", to swim, is
# not "nada"; "descansos", an accommodation, is not "descanso").
SUFFIXED: frozenset[str] = frozenset({"es"})


def _word_cost(a: str, b: str, suffixed: bool = False) -> float:
    """Substituting word ``a`` by ``b``: a word heard as another sounds alike, so a
    different number of syllables makes it a different word ("helping" is not
    "help"), else its spelling distance ("shop" and "stop" are close). With
    ``suffixed`` (a language in SUFFIXED), every vowel counts and a word that
    extends the other ("nadar", "nada") is another word."""
    if a == b:
        return 0.0
    if _syllables(a, not suffixed) != _syllables(b, not suffixed) or (suffixed and (a.startswith(b) or b.startswith(a))):
        return 1.0
    # a little more than the spelling distance, so that dropping a light word wins a
    # tie against changing a word ("stop it" is "stop", not "skip it")
    return min(1.0, _char_distance(a, b) + 0.01)


def _distance(said: list[str], phrase: list[str], light: frozenset[str], suffixed: bool = False) -> float:
    """Word-level edit distance with weighted substitutions; a light word costs half."""

    def gap(w: str) -> float:
        return 0.5 if w in light else 1.0

    prev = [0.0]
    for w in phrase:
        prev.append(prev[-1] + gap(w))
    for s in said:
        cur = [prev[0] + gap(s)]
        for j, w in enumerate(phrase, 1):
            cur.append(min(prev[j] + gap(s), cur[j - 1] + gap(w), prev[j - 1] + _word_cost(s, w, suffixed)))
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
            d = _distance(words, target, light, language in SUFFIXED)
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
    # as compared: without accents or ¿ ("¿Qué significa meta?" is "que significa meta")
    "es": ("que significa {x}", "que quiere decir {x}", "que significa la palabra {x}",
           "que quiere decir la palabra {x}", "cual es el significado de {x}", "que es lo que significa {x}",
           "{x} que significa", "{x} que quiere decir"),
}
# these ask about a word only when it is one the glossary knows: "what's hard is reading" and
# "I don't know what my favorite is" are answers
WHAT_IS: dict[str, tuple[str, ...]] = {"en": ("what is {x}", "what's {x}", "what are {x}", "whats {x}", "what {x} means",
                                              "i don't know what {x} means", "i don't know what {x} is"),
                                       # "¿qué es una meta?": the article is not the word asked about
                                       "es": ("que es un {x}", "que es una {x}", "que son los {x}", "que son las {x}",
                                              "que es el {x}", "que es la {x}", "que es {x}", "que son {x}",
                                              "no se que significa {x}", "no se que quiere decir {x}",
                                              "no se que es {x}", "no entiendo que es {x}")}
# "that" in "what does that mean?": the IEP word in the question being asked
POINTING: dict[str, frozenset[str]] = {"en": frozenset({"that", "it", "this", "that word", "this word", "the word"}),
                                       "es": frozenset({"eso", "esto", "esa palabra", "esta palabra", "la palabra"})}
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
