"""The one vocabulary (yes, no, not sure, every command and their variants) and
everything derived from it: the grammar and the hot words of a live yes/no
question, the command and yes/no classifiers, and the check of near-commands.

A phrase goes through the same path as at a live yes/no question: the session's
grammar (``session.yes_no_grammar``), ``asr.match_grammar`` inside
``session.heard_at_yes_no`` (what ``ListeningEars`` does with a free transcript),
then the classifiers the engine uses."""

from __future__ import annotations

import pytest

from assistant.dialogue import vocabulary
from assistant.dialogue.commands import PHRASES, Command, command_of
from assistant.dialogue.vocabulary import ANSWERS, COMMANDS, Meaning, meaning_of, near_command, phrases
from assistant.lexicon import verdict, yes_no
from assistant.session import HINTS, heard_at_yes_no, yes_no_grammar
from assistant.speech.asr import match_grammar
from assistant.text import normalize
from assistant.words import Word

GRAMMAR = yes_no_grammar("en")
EVERY_PHRASE = phrases("en")


def as_whisper_writes(phrase: str) -> str:
    """A transcript as Whisper writes a short utterance: capitalised, with a full stop."""
    return phrase[0].upper() + phrase[1:] + "."


def heard(text: str) -> str:
    """What the engine gets for ``text`` said at a live yes/no question."""
    words = [Word(word=w, start=i * 0.3, end=i * 0.3 + 0.25, confidence=0.9) for i, w in enumerate(text.split())]
    return heard_at_yes_no(text, words, GRAMMAR, "en")[0]


def test_every_meaning_has_phrases_and_each_phrase_one_meaning():
    meanings = [m for _, m in EVERY_PHRASE]
    assert set(meanings) == set(Meaning)
    keys = [normalize(p) for p, _ in EVERY_PHRASE]
    assert len(keys) == len(set(keys)), "a phrase is listed twice"
    assert set(ANSWERS) | set(COMMANDS) == set(Meaning) and not set(ANSWERS) & set(COMMANDS)
    assert [c.value for c in Command] == [m.value for m in COMMANDS]


def test_a_phrase_with_two_meanings_is_refused():
    table = {m: (m.value,) for m in Meaning} | {Meaning.NO: ("no", "yes")}
    with pytest.raises(ValueError, match="'yes' means both 'yes' and 'no'"):
        vocabulary._check("xx", table)


def test_phrases_is_listed_for_the_benchmark_and_refuses_a_language_without_one():
    assert ("uh huh", Meaning.YES) in EVERY_PHRASE and ("that's all", Meaning.THATS_ALL) in EVERY_PHRASE
    assert EVERY_PHRASE[0] == ("yes", Meaning.YES)  # each meaning's canonical phrase first
    with pytest.raises(ValueError, match="no vocabulary for language 'fr' yet; there is: en, es"):
        phrases("fr")


def test_the_grammar_the_hot_words_and_the_classifiers_all_come_from_the_vocabulary():
    assert set(GRAMMAR) == {p for p, _ in EVERY_PHRASE}
    assert HINTS == [f"{vocabulary.canonical(m)[0].upper()}{vocabulary.canonical(m)[1:]}." for m in Meaning]
    assert {c: set(ps) for c, ps in PHRASES.items()} == {
        Command(m.value): {p for p, mm in EVERY_PHRASE if mm is m} for m in COMMANDS}


@pytest.mark.parametrize("phrase, meaning", EVERY_PHRASE, ids=[p for p, _ in EVERY_PHRASE])
def test_every_phrase_said_at_a_yes_no_question_comes_back_as_its_meaning(phrase, meaning):
    assert match_grammar(as_whisper_writes(phrase), [], GRAMMAR)[0] == phrase  # in the grammar: never empty
    for said in (phrase, as_whisper_writes(phrase), f"um, {phrase}"):
        text = heard(said)
        assert text.strip(), said  # never empty, so never taken for silence
        assert meaning_of(text) is meaning, (said, text)
        if meaning in ANSWERS:
            assert yes_no(text) == meaning.value, (said, text)
            assert command_of(text) is None
        else:
            assert command_of(text) is Command(meaning.value), (said, text)


# the live grammar before the one vocabulary: these yes/no words, with the command phrases
OLD_YES_NO = ["yes", "no", "not sure", "yeah", "nope", "maybe"]


@pytest.mark.parametrize("said, value", [
    ("sure", "yes"), ("correct", "yes"), ("that's right", "yes"), ("uh huh", "yes"), ("nah", "no"), ("yep", "yes"),
    ("yup", "yes"), ("mm hmm", "yes"), ("right", "yes"), ("not really", "no"), ("of course", "yes")])
def test_what_came_back_empty_from_the_old_grammar_is_understood(said, value):
    """Outside the old live grammar, these came back empty from match_grammar and the
    student heard "Take your time" (a confirmation taken for silence)."""
    assert match_grammar(as_whisper_writes(said), [], OLD_YES_NO)[0] == ""
    assert yes_no(heard(as_whisper_writes(said))) == value


@pytest.mark.parametrize("said", ["Now.", "Know.", "Um, now."])
def test_a_no_misheard_as_now_is_no_only_as_the_whole_reply(said):
    """In the spoken test, tiny.en wrote the child-like voice's "no" as "Now." and the
    student's rejection of a read-back was lost ("Please say yes or no", then a yes)."""
    assert yes_no(heard(said)) == "no"
    for sentence in ("I use it now", "I know it helps", "not now", "yes I know"):
        assert yes_no(heard(sentence)) != "no", sentence
    assert "now" not in vocabulary.grammar() and "know" not in vocabulary.grammar()  # the grammar is not steered to them


@pytest.mark.parametrize("sentence", [
    "I need a break between classes", "I'm good at helping my mom repeat her lines", "I want to go back to college",
    "I read it again and again", "I want to pass my driving test", "help with reading", "I'm done with homework by six",
    "I need audiobooks", "by the end of the school year", "I'm good at drawing and building things with Lego",
    "I want to be a mechanic", "Community college for automotive technology", "Stop signs and traffic lights",
    "I like to skip rope at recess", "math", "music", "reading", "I like cars"])
def test_no_answer_like_sentence_is_taken_for_yes_no_or_a_command(sentence):
    for said in (sentence, as_whisper_writes(sentence)):
        text = heard(said)
        assert normalize(text) == normalize(sentence)  # kept as heard, for the classifier and the teacher
        assert meaning_of(text) is None and command_of(text) is None and yes_no(text) is None, text


@pytest.mark.parametrize("said, value", [
    ("yes that's right", "yes"), ("yeah I think so", "yes"), ("no that's wrong", "no"), ("that's not right", "no"),
    ("I'm not sure", "not sure"), ("no idea", "not sure"), ("I don't know if it helps", "not sure"),
    ("It helps a lot", "yes"), ("No, I never use it", "no"), ("nah not really", "no")])
def test_longer_yes_and_no_are_read_inside_the_sentence(said, value):
    assert yes_no(heard(said)) == value
    assert verdict(said) == value


def test_the_session_grammar_still_maps_an_exact_phrase_to_its_spelling():
    words = [Word(word="Yep.", start=0.1, end=0.4, confidence=0.8)]
    assert heard_at_yes_no("Yep.", words, GRAMMAR) == ("yep", words)
    assert heard_at_yes_no("  ", [], GRAMMAR) == ("  ", [])  # nothing said stays nothing


# ---------------------------------------------------------------- near-commands

@pytest.mark.parametrize("said, meaning", [
    ("next all", Meaning.THATS_ALL), ("done it", Meaning.THATS_ALL), ("nothing much", Meaning.THATS_ALL),
    ("skip this question", Meaning.SKIP), ("skip hit", Meaning.SKIP), ("stop it", Meaning.STOP),
    ("lower", Meaning.SLOWER), ("Finish.", Meaning.THATS_ALL), ("Hock slower.", Meaning.SLOWER), ("repeat this", Meaning.REPEAT), ("say again", Meaning.REPEAT)])
def test_a_short_answer_that_nearly_is_a_command_is_found(said, meaning):
    assert command_of(said) is None  # not the command itself
    assert near_command(said) is meaning


@pytest.mark.parametrize("said", [
    "math", "music", "reading", "I like cars", "helping", "soccer", "art", "games", "cooking", "science", "drawing",
    "basketball", "extra time", "more time", "mister", "a quiet room", "my friends", "I need a calculator", "I need a ride",
    "I need glasses", "go home", "I'm fine", "the bus", "help with math", "I like it", "video games",
    "no never", "yes a lot", "kind of helps",  # they say yes, no or not sure: answers about an accommodation
    "next all of it please now"])  # five words: too long to be a command
def test_real_short_answers_are_not_near_commands(said):
    assert near_command(said) is None


@pytest.mark.parametrize("said", ["no idea", "skip it please", "That's all.", "yes", "nope", "um, repeat"])
def test_exact_phrases_are_not_near_commands_but_the_phrase(said):
    assert near_command(said) is None and meaning_of(said) is not None


def test_every_button_of_the_students_screen_means_its_command():
    """The page's buttons send their words into the engine as spoken words: each must
    be a phrase of the vocabulary, or a press would be stored as the student's answer."""
    from assistant.screen.ears import BUTTONS

    meanings = [meaning_of(b) for b in BUTTONS]
    assert None not in meanings, dict(zip(BUTTONS, meanings, strict=True))
    assert set(meanings) == set(Meaning) - {Meaning.NOT_SURE}  # one button per command, and yes and no
