"""Spanish answers get the same English labels as English ones (the teacher may read
no Spanish): ``lexicon.area_of`` / ``accommodation_of`` in Spanish, and the draft,
which labels each item in its student's language."""

import pytest

from assistant.draft import build_draft
from assistant.lexicon import ACCOMMODATIONS, ACCOMMODATIONS_ES, AREAS, AREAS_ES, accommodation_of, area_of
from assistant.store import Answer, Student
from assistant.text import fold_accents

AREA_ANSWERS = [
    ("me cuesta leer", "reading"), ("para mí es difícil leer", "reading"), ("no sé leer bien todavía", "reading"),
    ("me gustan los libros de dinosaurios", "reading"), ("leo cuentos con mi hermana", "reading"),
    ("escribir oraciones largas", "writing"), ("la ortografía", "writing"), ("matemáticas", "math"),
    ("ya sé multiplicar", "math"), ("las fracciones", "math"), ("la tarea de math", "math"),
    ("hablar enfrente de la clase", "communication"), ("hacer preguntas", "communication"),
    ("tengo muchos amigos", "social-emotional"), ("me pongo nervioso en los exámenes", "social-emotional"),
    ("me distraigo mucho", "attention and organization"), ("se me olvida la tarea", "attention and organization"),
    ("seguir las reglas del salón", "behavior"), ("paso mucho tiempo dibujando", "motor"),
    ("jugar fútbol", "motor"), ("construir cosas con Lego", "motor"), ("cocinar con mi abuela", "independence"),
    ("tomar el camión yo sola", "independence"), ("quiero ser mecánico", "career"),
    ("ir a la universidad", "career"), ("me cuesta trabajo escribir", "writing"),  # "trabajo" is no job here
]


@pytest.mark.parametrize("text, area", AREA_ANSWERS)
def test_a_spanish_answer_gets_the_english_area(text, area):
    for said in (text, fold_accents(text), text.upper() + "."):
        assert area_of(said, "es") == area, said


@pytest.mark.parametrize("text", ["voy al restaurante", "me cuesta trabajo", "saqué buenas notas", "mi perro", "azul"])
def test_a_spanish_answer_without_an_area_gets_none(text):
    assert area_of(text, "es") is None


ACCOMMODATION_ANSWERS = [
    ("tiempo extra", "extended time"), ("más tiempo en los exámenes", "extended time"),
    ("Mas tiempo", "extended time"), ("que me lean en voz alta", "read aloud"),
    ("que me lean las preguntas del examen", "read aloud"), ("audiolibros", "read aloud"),
    ("dictado por voz", "speech-to-text"), ("hablar en vez de escribir", "speech-to-text"),
    ("descansos", "breaks"), ("tomar descansos cortos", "breaks"), ("sentarme adelante", "preferential seating"),
    ("cerca de la maestra", "preferential seating"), ("un lugar tranquilo", "quiet setting"),
    ("en un grupo pequeño", "quiet setting"), ("una copia de los apuntes", "copy of notes"),
    ("la calculadora", "calculator"), ("un organizador gráfico", "graphic organizers"),
    ("menos preguntas en la tarea", "shortened assignments"), ("audífonos", "noise-cancelling headphones"),
    ("que me recuerden qué hacer", "reminders"), ("un horario con dibujos", "visual schedule"),
    ("extra time", "extended time"),  # a bilingual student's English words in a Spanish session
]


@pytest.mark.parametrize("text, name", ACCOMMODATION_ANSWERS)
def test_a_spanish_answer_gets_the_english_accommodation(text, name):
    for said in (text, fold_accents(text)):
        assert accommodation_of(said, "es") == name, said


def test_every_spanish_keyword_list_names_an_english_label():
    assert set(AREAS_ES) == set(AREAS) and set(ACCOMMODATIONS_ES) == set(ACCOMMODATIONS)
    assert all(AREAS_ES.values()) and all(ACCOMMODATIONS_ES.values())


def test_english_labels_are_unchanged_and_read_no_spanish():
    assert area_of("I'm good at reading") == "reading" and accommodation_of("more time on tests") == "extended time"
    assert area_of("leer") is None and accommodation_of("tiempo extra") is None  # English reads English only


def _answer(i, field, text, **extra):
    return Answer(id=i, session_id=1, step=f"s{i}", field=field, prompt=f"pregunta {i}", kind="answer", text=text,
                  words=[], engine=None, model=None, audio_path=None, confirmed=True, superseded=False, extra=extra,
                  created="")


def test_the_draft_labels_a_spanish_students_words_in_english_and_keeps_them():
    ana = Student(id=1, name="Ana López", grade=4, language="es", rate=None, voice=None,
                  accommodations=["tiempo extra", "descansos"], past_goals=[], created="")
    d = build_draft(ana, [
        _answer(1, "strengths", "Soy buena para dibujar"),
        _answer(2, "challenges", "Me cuesta leer"),
        _answer(3, "accommodations", "Sí, me ayuda mucho", accommodation="tiempo extra"),
        _answer(4, "accommodations", "No, no me ayuda", accommodation="descansos"),
        _answer(5, "interests", "No."),  # nothing to add
        _answer(6, "goals.statement", "Quiero leer un libro entero", goal_number=1),
    ])
    assert [(i.text, i.label) for i in d.strengths] == [("Soy buena para dibujar", "motor")]
    assert [(i.text, i.label) for i in d.challenges] == [("Me cuesta leer", "reading")]
    assert [(i.text, i.label) for i in d.accommodations.helpful] == [("Sí, me ayuda mucho", "extended time")]
    assert [(i.text, i.label) for i in d.accommodations.not_helpful] == [("No, no me ayuda", "breaks")]
    assert d.interests == [] and d.goals[0].area == "reading" and d.goals[0].statement.label == "reading"
