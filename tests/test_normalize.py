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
