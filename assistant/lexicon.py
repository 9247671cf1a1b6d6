"""A transparent lexicon: IEP areas and common accommodations, with the words
that point to them. Labels are suggestions for the teacher; the student's own
words are always kept as they were said."""

from __future__ import annotations

import re
from functools import cache

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


# The same areas and accommodations in a Spanish answer: the labels stay English
# (they are for the teacher, who may read no Spanish), the keywords are what
# students and families say in Spanish. A word ending in "*" is a stem: Spanish
# makes its words by endings ("escrib*": escribir, escribo, escribiendo). A
# Spanish answer is also read with the English keywords: bilingual students say
# "math" or "homework" in a Spanish sentence, and no Spanish word is one of them.
# Left out on purpose: "trabajo" ("me cuesta trabajo" is "it is hard for me", not
# a job), "notas" (grades as often as notes), "dictado" (a spelling test too),
# "historia" (a story and history), "solo" (alone and only), "resta*" (restaurante).
AREAS_ES: dict[str, list[str]] = {
    "reading": ["leer", "leo", "lees", "lee", "leemos", "leyendo", "lectura", "lecturas", "lector", "lectora", "libro*",
                "cuento*", "capítulo*", "fonética", "sonidos de las letras", "audiolibro*", "que me lean"],
    "writing": ["escrib*", "escrito", "escritos", "escritura", "ensayo*", "ortografía", "deletrear", "oraciones",
                "párrafo*", "redacción", "redactar", "tecle*", "apuntes", "tomar notas"],
    "math": ["matemática*", "mate", "números", "contar", "fracciones", "multiplica*", "dividir", "división",
             "divisiones", "sumar", "sumas", "restar", "restas", "álgebra", "geometría", "calculadora*",
             "problemas de palabras", "problemas verbales", "tablas de multiplicar"],
    "communication": ["hablar", "hablo", "platicar", "platico", "explicar", "explico", "pedir ayuda", "hacer preguntas",
                      "preguntar", "presentaciones", "presentar", "escuchar", "escucho", "conversa*", "expresarme",
                      "decir lo que pienso"],
    "social-emotional": ["amigo*", "amiga*", "ansiedad", "ansioso", "ansiosa", "estrés", "estresado", "estresada",
                         "nervios*", "preocupa*", "enojo", "enojado", "enojada", "triste*", "tímido", "tímida",
                         "sentimientos", "emociones", "me da pena", "ayudar a otros", "ayudar a los demás", "amable",
                         "hacer amigos"],
    "attention and organization": ["concentrar*", "concentro", "enfocar*", "atención", "distra*", "tarea*", "organiza*",
                                   "organizado", "organizada", "olvid*", "a tiempo", "recordar", "acordarme", "agenda",
                                   "fechas de entrega", "quedarme quieto", "quedarme quieta", "estar sentado",
                                   "estar sentada"],
    "behavior": ["comportamiento", "conducta", "calmarme", "calmado", "calmada", "calma", "reglas", "en problemas",
                 "meterme en problemas", "gritar", "grito", "gritos", "peleas", "pelear"],
    "motor": ["dibuj*", "caligrafía", "mi letra", "construir", "armar", "correr", "deportes", "fútbol", "futbol",
              "básquetbol", "básquet", "béisbol", "cortar", "recortar", "tijeras", "amarrar", "lego*",
              "hacer ejercicio", "arreglar cosas", "manualidades"],
    "independence": ["cocin*", "presupuesto", "dinero", "autobús", "camión", "por mi cuenta", "yo solo", "yo sola",
                     "independiente", "apartamento", "departamento", "vivir solo", "vivir sola", "lavar la ropa",
                     "manejar"],
    "career": ["un trabajo", "empleo", "carrera", "mecánico", "mecánica", "universidad", "colegio comunitario",
               "programa de capacitación", "aprendiz", "taller", "prácticas", "negocio", "trabajar de", "trabajar en"],
}

ACCOMMODATIONS_ES: dict[str, list[str]] = {
    "extended time": ["tiempo extra", "más tiempo", "tiempo adicional", "tiempo y medio", "tiempo extendido"],
    "read aloud": ["lectura en voz alta", "leer en voz alta", "leído en voz alta", "que me lean", "que me lea",
                   "me lean", "me lea", "me leen", "me lee", "lean las preguntas", "audiolibros", "audiolibro",
                   "texto a voz"],
    "speech-to-text": ["dictado por voz", "dictar", "voz a texto", "escribir con la voz", "escribir con mi voz",
                       "hablar en vez de escribir", "hablar en lugar de escribir", "decir mis respuestas",
                       "decir las respuestas", "escriba por mí", "escriban por mí", "escribe por mí"],
    "breaks": ["descansos", "un descanso", "tomar descansos", "descansos de movimiento", "pausas",
               "tarjetas de descanso"],
    "preferential seating": ["sentarme adelante", "sentarme enfrente", "sentarme al frente", "cerca de la maestra",
                             "cerca del maestro", "al frente del salón", "adelante del salón", "asiento preferencial"],
    "quiet setting": ["lugar tranquilo", "salón tranquilo", "cuarto tranquilo", "lugar callado", "lugar silencioso",
                      "salón aparte", "lugar aparte", "grupo pequeño", "grupos pequeños", "sin ruido"],
    "copy of notes": ["copia de los apuntes", "copia de las notas", "apuntes de la maestra", "apuntes del maestro",
                      "notas guiadas", "apuntes guiados"],
    "calculator": ["calculadora", "calculadoras"],
    "graphic organizers": ["organizador gráfico", "organizadores gráficos", "organizador", "organizadores",
                           "mapa conceptual", "mapas conceptuales", "esquema", "esquemas"],
    "check-ins": ["que me pregunten cómo voy", "que la maestra vea cómo voy", "ver cómo voy", "chequeo", "chequeos"],
    "shortened assignments": ["menos problemas", "menos preguntas", "tareas más cortas", "trabajos más cortos",
                              "menos tarea", "tareas cortas"],
    "noise-cancelling headphones": ["audífonos", "auriculares", "tapones para los oídos", "orejeras"],
    "reminders": ["recordatorios", "recordatorio", "que me recuerden", "me recuerden", "me recuerde"],
    "visual schedule": ["horario visual", "horario con dibujos", "horario con imágenes", "horario en mi escritorio"],
}
# the Spanish keywords by language: a language without its own reads with English's
_AREAS_BY_LANGUAGE = {"es": AREAS_ES}
_ACCOMMODATIONS_BY_LANGUAGE = {"es": ACCOMMODATIONS_ES}


def _pattern(phrases: list[str], language: str = "en") -> re.Pattern:
    """Any of the phrases as whole words of a text normalised in ``language``
    ("read-aloud" and "read aloud" are one phrase; a final "*" takes any ending)."""
    def one(p: str) -> str:
        stem = p.endswith("*")
        return re.escape(normalize(p.rstrip("*"), language)) + (r"\w*" if stem else "")

    alts = sorted({one(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(alts) + r")(?![\w'])")


@cache
def _area_patterns(language: str) -> dict[str, re.Pattern]:
    own = _AREAS_BY_LANGUAGE.get(language, {})
    return {area: _pattern(own.get(area, []) + words, language) for area, words in AREAS.items()}


@cache
def _accommodation_patterns(language: str) -> dict[str, re.Pattern]:
    own = _ACCOMMODATIONS_BY_LANGUAGE.get(language, {})
    return {name: _pattern(own.get(name, []) + words + [name], language) for name, words in ACCOMMODATIONS.items()}


def area_of(text: str, language: str = "en") -> str | None:
    """The IEP area an item speaks of: the one with most keyword hits (earlier areas
    win ties). Named in English whatever the language ("me cuesta leer": reading)."""
    t = normalize(text, language)
    best, hits = None, 0
    for area, rx in _area_patterns(language).items():
        n = len(rx.findall(t))
        if n > hits:
            best, hits = area, n
    return best


def accommodation_of(text: str, language: str = "en") -> str | None:
    """The normalized accommodation an item names, if any (the longest phrase wins).
    Named in English whatever the language ("más tiempo": extended time)."""
    t = normalize(text, language)
    best, length = None, 0
    for name, rx in _accommodation_patterns(language).items():
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
