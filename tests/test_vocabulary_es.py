"""The Spanish vocabulary: every command and yes/no phrase as students in US schools
say it, through the same path as a live yes/no question (``session.heard_at_yes_no``)
and the classifiers the engine uses; and the ordinary Spanish answers that must
stay answers ("para mí es difícil leer" is not "para")."""

import pytest

from assistant.dialogue.commands import Command, command_of
from assistant.dialogue.vocabulary import ANSWERS, Meaning, asked_meaning, meaning_of, near_command, phrases
from assistant.lexicon import verdict, yes_no
from assistant.session import heard_at_yes_no, yes_no_grammar
from assistant.speech.asr import match_grammar
from assistant.text import fold_accents, normalize
from assistant.words import Word

ES = "es"
GRAMMAR = yes_no_grammar(ES)
EVERY_PHRASE = phrases(ES)


def heard(text: str) -> str:
    """What the engine gets for ``text`` said at a live yes/no question in Spanish."""
    words = [Word(word=w, start=i * 0.3, end=i * 0.3 + 0.25, confidence=0.9) for i, w in enumerate(text.split())]
    return heard_at_yes_no(text, words, GRAMMAR, ES)[0]


def as_whisper_writes(phrase: str) -> str:
    """Whisper's Spanish: capitalised, with ¿...? around a question word and a full stop otherwise."""
    if phrase.startswith(("qué", "cómo", "cuál", "me puedes", "puedes", "me lo", "me ayudas")):
        return f"¿{phrase[0].upper()}{phrase[1:]}?"
    return phrase[0].upper() + phrase[1:] + "."


@pytest.mark.parametrize("phrase, meaning", EVERY_PHRASE, ids=[p for p, _ in EVERY_PHRASE])
def test_every_spanish_phrase_comes_back_as_its_meaning(phrase, meaning):
    assert match_grammar(as_whisper_writes(phrase), [], GRAMMAR, ES)[0] == phrase
    unaccented = fold_accents(phrase)
    for said in (phrase, as_whisper_writes(phrase), unaccented, unaccented.upper(), f"¡{phrase}!",
                 f"eh, {phrase}", f"{phrase}, por favor", f"bueno, {phrase}", f"este... {phrase} porfa"):
        text = heard(said)
        assert text.strip(), said
        assert meaning_of(text, ES) is meaning, (said, text)
        if meaning in ANSWERS:
            assert yes_no(text, ES) == meaning.value, (said, text)
            assert command_of(text, ES) is None
        else:
            assert command_of(text, ES) is Command(meaning.value), (said, text)


@pytest.mark.parametrize("said, meaning", [
    ("Si.", Meaning.YES), ("Sí, sí.", Meaning.YES), ("Okey.", Meaning.YES), ("Simón.", Meaning.YES), ("Nel.", Meaning.NO),
    ("Sale.", Meaning.YES), ("Ándale pues.", Meaning.YES), ("Yes.", Meaning.YES), ("Okay.", Meaning.YES),
    ("No.", Meaning.NO), ("Ya no.", Meaning.NO), ("No ayuda.", Meaning.NO), ("Me ayuda.", Meaning.YES),
    ("No se.", Meaning.DONT_KNOW), ("¿Que?", Meaning.REPEAT), ("¿Como?", Meaning.REPEAT), ("¿Mande?", Meaning.REPEAT),
    ("Otra vez.", Meaning.REPEAT), ("No entendi.", Meaning.HELP), ("Siguiente.", Meaning.SKIP),
    ("Pasala.", Meaning.SKIP), ("Ya termine.", Meaning.THATS_ALL), ("Ya.", Meaning.THATS_ALL),
    ("Es todo.", Meaning.THATS_ALL), ("Nada mas.", Meaning.THATS_ALL), ("Mas despacio.", Meaning.SLOWER),
    ("Atras.", Meaning.BACK), ("Para, por favor.", Meaning.STOP), ("Necesito un descanso.", Meaning.STOP),
    ("¿Me ayudas?", Meaning.HELP), ("No estoy segura.", Meaning.NOT_SURE)])
def test_what_students_and_whisper_write_means_what_they_meant(said, meaning):
    assert meaning_of(said, ES) is meaning


def test_a_command_that_says_no_in_passing_is_no_answer():
    """ "No entiendo" asks for the question again (help); at "¿Es correcto?" it must
    not be taken for a no that throws the answer away."""
    for said in ("No entiendo.", "No te escuché.", "No entendí.", "Muy rápido."):
        assert command_of(said, ES) is not None and yes_no(said, ES) is None, said
    assert yes_no("Bueno, eso es todo.", ES) is None  # "eso es" is not a yes inside "eso es todo"


# Ordinary answers a student gives in Spanish: none is a command, a near-command or
# yes/no, however much they hold "para", "paso", "ya", "nada", "atrás", "ayuda".
ANSWERS_ES = [
    "para mí es difícil leer", "no sé leer bien todavía", "paso mucho tiempo dibujando", "ya sé multiplicar",
    "me siento atrás", "hasta atrás", "nadar", "saltar la cuerda", "más tiempo", "tiempo extra", "descansos",
    "quiero descansos", "tomar descansos", "más descansos", "ayudar a mis amigos", "la lectura", "matemáticas",
    "me gusta dibujar", "paso a paso", "pasear al perro", "para la escuela", "nada de ruido", "jugar fútbol",
    "que me lean en voz alta", "un lugar tranquilo", "mi mamá", "repaso con mi hermana", "regresar a casa",
    "otra vez fui al parque con mi tío", "leer cuentos", "ciencias", "audífonos", "una calculadora", "ser doctora",
]
NOT_YES_NO = {"para mí es difícil leer", "paso mucho tiempo dibujando", "ya sé multiplicar", "me siento atrás",
              "más tiempo", "descansos", "la lectura", "matemáticas", "me gusta dibujar", "jugar fútbol", "ciencias"}


@pytest.mark.parametrize("answer", ANSWERS_ES)
def test_ordinary_spanish_answers_are_answers(answer):
    for said in (answer, as_whisper_writes(answer), fold_accents(answer)):
        assert meaning_of(said, ES) is None and command_of(said, ES) is None, said
        assert near_command(said, ES) is None, said
        if answer in NOT_YES_NO:
            assert yes_no(heard(said), ES) is None, said
        assert normalize(heard(said), ES) == normalize(answer, ES)  # kept as heard


@pytest.mark.parametrize("said, meaning", [
    ("repita", Meaning.REPEAT), ("salta eso", Meaning.SKIP), ("más despasio", Meaning.SLOWER),
    ("eso es toda", Meaning.THATS_ALL), ("ayúdeme", Meaning.HELP), ("un descanzo", Meaning.STOP),
    ("descanso", Meaning.STOP), ("atraz", Meaning.BACK)])
def test_a_spanish_answer_that_nearly_is_a_command_is_asked_about(said, meaning):
    assert command_of(said, ES) is None
    assert near_command(said, ES) is meaning


@pytest.mark.parametrize("said, value", [
    ("Sí, me ayuda mucho", "yes"), ("No, no me ayuda", "no"), ("no la uso nunca", "no"), ("A veces me ayuda", "not sure"),
    ("No sé si me ayuda", "not sure"), ("Sí, siempre la uso", "yes"), ("Creo que no", "no"), ("ajá, sí", "yes"),
    ("Más o menos", "not sure"), ("No estoy seguro, creo que sí", "not sure")])
def test_longer_spanish_yes_and_no_are_read_inside_the_sentence(said, value):
    assert yes_no(heard(said), ES) == value
    assert verdict(said, ES) == value


def test_pero_ends_the_first_clause_of_a_verdict_as_but_does():
    assert verdict("Sí pero a veces no", ES) == "yes"
    assert verdict("No pero me gusta", ES) == "no"


@pytest.mark.parametrize("said, asked", [
    ("¿Qué significa acomodación?", ("acomodacion", False)), ("¿Qué quiere decir meta?", ("meta", False)),
    ("¿Qué es una meta?", ("meta", True)), ("¿Qué significa eso?", ("", False)),
    ("Eh, ¿qué quiere decir eso?", ("", False)), ("No sé qué significa apoyo", ("apoyo", True))])
def test_a_spanish_student_asks_what_a_word_means(said, asked):
    assert asked_meaning(said, ES) == asked


@pytest.mark.parametrize("said", ["qué bueno", "lo que más me gusta es leer", "me cuesta lo que es leer"])
def test_a_spanish_answer_with_que_is_no_question_about_a_word(said):
    assert asked_meaning(said, ES) is None
    assert command_of(said, ES) is None


def test_english_is_unchanged_by_the_spanish_table():
    assert meaning_of("ya") is Meaning.YES and meaning_of("para") is None and meaning_of("sí") is None
    assert meaning_of("Si.", "en") is None  # English keeps its accents and its own words


@pytest.mark.parametrize("said", ["CC", "C.", "Eh, CC."])
def test_a_si_misheard_as_cc_is_yes_only_as_the_whole_reply(said):
    """whisper-base, decoding Spanish, wrote espeak-ng's "sí, sí" as "CC" (es-419 and es voices)."""
    assert yes_no(heard(said), ES) == "yes"
    for sentence in ("la vitamina C", "CC de la clase"):
        assert yes_no(heard(sentence), ES) is None, sentence
    assert "cc" not in yes_no_grammar(ES) and yes_no("CC") is None  # not steered to it; English knows no CC


def test_what_whisper_wrote_for_espeak_spanish_is_understood():
    """Free transcripts of whisper-base (Spanish) for espeak-ng es-419/es: accents dropped, a word lost."""
    assert meaning_of("mas rapido.", ES) is Meaning.FASTER
    assert meaning_of("es todo", ES) is Meaning.THATS_ALL and meaning_of("esto es todo", ES) is Meaning.THATS_ALL
    assert meaning_of("¡Pasala!", ES) is Meaning.SKIP and meaning_of("¡Sí!", ES) is Meaning.YES


@pytest.fixture(scope="module")
def whisper_es():
    """The multilingual Whisper a Spanish session uses, decoding in Spanish."""
    from assistant.models import choose_model
    from assistant.speech.asr import load_recognizer

    with load_recognizer(choose_model(language=ES)) as recognizer:
        yield recognizer


@pytest.mark.slow  # whisper-base loaded, two short decodes (~20 s; 40 s on a busy 2-core machine)
def test_spanish_commands_said_by_espeak_are_heard_as_their_meaning(whisper_es, speech):
    """Real speech (espeak-ng's Latin American voice) through real Whisper with the
    Spanish hot words, then the live yes/no path: what Whisper writes ("mas rapido",
    without accents) still means the command."""
    from assistant.audio.wav import read_wav
    from assistant.dialogue.vocabulary import hints
    from assistant.speech.asr import transcribe_pcm

    for phrase, meaning in (("más rápido", Meaning.FASTER), ("no estoy seguro", Meaning.NOT_SURE)):
        pcm = read_wav(speech(phrase, voice="roa/es-419", speed=150)).to_pcm16()
        t = transcribe_pcm(whisper_es, pcm, hints=hints(ES))
        text = heard_at_yes_no(t.text, t.words, GRAMMAR, ES)[0]
        assert meaning_of(text, ES) is meaning, (phrase, t.text, text)
