"""The one text normaliser (``assistant.text.normalize``) that commands, yes/no, the
lexicon, grammars and error rates compare what was said with."""

import pytest

from assistant.dialogue.commands import Command, command_of
from assistant.lexicon import accommodation_of, yes_no
from assistant.text import normalize, normalize_words


def test_english_words_as_a_reference_transcript_writes_them():
    assert normalize_words("Mr. John's 21 Lego-blocks!") == ["mister", "john's", "twenty", "one", "lego", "blocks"]


def test_other_languages_keep_their_digits_and_abbreviations():
    assert normalize_words("그 21개", "ko") == ["그", "21개"]
    assert normalize_words("Dr. Müller, 3 Äpfel", "de") == ["dr", "müller", "3", "äpfel"]


@pytest.mark.parametrize("text, expected", [
    ("Don\u2019t know!", "don't know"), ("\u2018that\u2019s all\u2019", "that's all"), ("  ", ""),
    ("READ-ALOUD", "read aloud"), ("\uff32epeat", "repeat"),  # a full-width letter (NFKC)
])
def test_punctuation_case_and_apostrophes(text, expected):
    assert normalize(text) == expected


def test_commands_yes_no_and_the_lexicon_read_text_alike():
    assert command_of("I don\u2019t know") == Command.DONT_KNOW
    assert yes_no("It doesn\u2019t help") == "no"  # the lexicon's own cleaning split "doesn't" at a curly apostrophe
    assert yes_no("I\u2019m not sure") == "not sure"
    assert accommodation_of("a read-aloud for tests") == "read aloud"
    assert accommodation_of("speech-to text") == "speech-to-text"  # hyphens separate words, in the text and the phrases


# ---------------------------------------------------------------- Spanish

@pytest.mark.parametrize("text, expected", [
    ("¿Más despacio, por favor?", "mas despacio por favor"), ("¡ATRÁS!", "atras"), ("Sí.", "si"), ("si", "si"),
    ("No sé", "no se"), ("Pingüino", "pinguino"), ("Tengo un año", "tengo un año"),  # ñ stays: año is not ano
    ("NIÑO", "niño"), ("«Qué» — dijo", "que dijo"), ("Ándale", "andale"),
    ("Escuché: \u201cmás tiempo\u201d", "escuche mas tiempo"), ("ma\u0301s", "mas"),  # a decomposed accent (NFD input)
])
def test_spanish_is_compared_without_accents_or_inverted_marks(text, expected):
    assert normalize(text, "es") == expected


@pytest.mark.parametrize("digits, words", [
    ("0", "cero"), ("1", "uno"), ("10", "diez"), ("15", "quince"), ("16", "dieciséis"), ("21", "veintiuno"),
    ("22", "veintidós"), ("30", "treinta"), ("31", "treinta y uno"), ("99", "noventa y nueve"), ("100", "cien"),
    ("101", "ciento uno"), ("115", "ciento quince"), ("500", "quinientos"), ("555", "quinientos cincuenta y cinco"),
    ("700", "setecientos"), ("999", "novecientos noventa y nueve"), ("1000", "mil"), ("1001", "mil uno"),
    ("2026", "dos mil veintiséis"), ("21000", "veintiún mil"), ("31000", "treinta y un mil"), ("100000", "cien mil"),
    ("101000", "ciento un mil"), ("999999", "novecientos noventa y nueve mil novecientos noventa y nueve"),
])
def test_spanish_digits_are_spanish_words(digits, words):
    assert normalize(f"Tengo {digits}", "es") == normalize(f"tengo {words}", "es")
    assert normalize_words(digits, "es") == normalize_words(words, "es")


def test_a_number_past_the_words_stays_digits_and_english_is_unchanged():
    assert normalize_words("1000000", "es") == ["1000000"]
    assert normalize("Sí, 10 años", "en") == "sí ten años"  # English keeps accents and spells in English
    assert normalize_words("Dr. Müller, 3 Äpfel", "de") == ["dr", "müller", "3", "äpfel"]


def test_spanish_commands_yes_no_and_the_lexicon_read_text_alike():
    assert command_of("¿Más despacio?", "es") == Command.SLOWER and command_of("mas despacio", "es") == Command.SLOWER
    assert yes_no("Si, me ayuda", "es") == "yes" and yes_no("No sé si me ayuda", "es") == "not sure"
    assert accommodation_of("TIEMPO EXTRA", "es") == accommodation_of("tiempo extra", "es") == "extended time"
