"""The speech the benchmark measures: human English (the LibriVox clips of
Debian's pocketsphinx-testdata), espeak-ng sentences in English and Korean, and
answers of a given length made of them; the answers students say, in English and
in Spanish, for the hearing measures."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from assistant.audio import SAMPLE_RATE
from assistant.audio.wav import read_wav
from assistant.errors import UserError
from assistant.paths import LIBRIVOX

SYNTHETIC = [
    "I am good at drawing and building things with Lego",
    "Reading long chapters is hard for me and I get nervous on tests",
    "I learn best when the teacher shows me an example first",
    "I want to be a mechanic and have my own repair shop",
    "Extended time helps me a lot on math tests",
    "I wish I could listen to audiobooks in English class",
]
KOREAN = ["저는 그림 그리기를 좋아해요", "수학은 조금 어려워요", "친구들과 축구를 해요"]


class MissingMaterial(UserError):
    """Speech the benchmark would measure is not on this computer."""


def librivox(folder: Path = LIBRIVOX) -> list[tuple[np.ndarray, str]]:
    """The LibriVox clips in ``folder`` (16 kHz int16) with their reference transcripts."""
    folder = Path(folder)
    listing = folder / "transcription"
    hint = "sudo apt-get install pocketsphinx-testdata, or give their folder with --librivox DIR"
    if not listing.is_file():
        raise MissingMaterial(f"no LibriVox clips in {folder} (no 'transcription' file there): {hint}")
    refs = {}
    for line in listing.read_text().splitlines():
        m = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1).strip()
    missing = [f"{k}.wav" for k in refs if not (folder / f"{k}.wav").is_file()]
    if not refs or missing:
        raise MissingMaterial(f"the LibriVox clips in {folder} are incomplete "
                              f"({', '.join(missing) or 'no clips listed'}): {hint}")
    return [(read_wav(folder / f"{k}.wav").to_pcm16(), v) for k, v in refs.items()]


def answer_of(clips: list[np.ndarray], seconds: float) -> np.ndarray:
    """An answer of about ``seconds`` made of real speech clips with short pauses."""
    gap = np.zeros(int(SAMPLE_RATE * 0.4), np.int16)
    out, n, i = [], 0, 0
    while n < seconds * SAMPLE_RATE:
        out += [clips[i % len(clips)], gap]
        n += len(clips[i % len(clips)]) + len(gap)
        i += 1
    return np.concatenate(out)[: int(seconds * SAMPLE_RATE)]


def espeak(text: str, voice: str, speed: int, folder: Path) -> np.ndarray:
    """``text`` said by espeak-ng (written to a WAV in ``folder``), as 16 kHz int16."""
    out = folder / f"{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True, capture_output=True)
    return read_wav(out).to_pcm16()


# Answers a student might give (3 to 25 words), each with the question it answers
# (for the context measured: the question as the recognizer's prompt). Written for
# the benchmark in the IEP's areas: strengths, interests, challenges, how they
# learn, accommodations, goals, plans after school.
STRENGTHS = "What are your strengths? Think about school, home, sports, or helping others."
INTERESTS = "What are you interested in? What do you like to do in your free time?"
CHALLENGES = "What is hard for you at school, in classes or between classes?"
LEARNING = "How do you learn best? For example, by seeing, hearing, doing, working alone or in a group."
SUPPORTS = "Is there a support you do not have yet that would help you? Extended time, read aloud, audiobooks?"
GOAL = "What is a goal you want to work on this year?"
MEASURE = "How will we know you reached it?"
WHEN = "By when do you want to reach it?"
NEEDS = "What support do you need to reach it?"
AFTER = "After high school, what do you want to do? College, a job, training?"
MEETING = "What do you want people to hear from you at the meeting?"
ANSWERS = [
    (STRENGTHS, "I'm good at drawing and building things with Lego"),
    (STRENGTHS, "I am good at math and I am a good friend"),
    (STRENGTHS, "I help my little brother with his homework every day"),
    (STRENGTHS, "I'm really good at soccer and I never give up"),
    (STRENGTHS, "I can fix bikes"),
    (STRENGTHS, "My teachers say I am kind and I work hard in science"),
    (INTERESTS, "I like music and cars"),
    (INTERESTS, "I like drawing comics and learning about space"),
    (INTERESTS, "I play video games with my friends and I like cooking with my grandma"),
    (INTERESTS, "Animals, especially dogs and horses"),
    (CHALLENGES, "Reading long chapters is hard for me and I get nervous on tests"),
    (CHALLENGES, "Taking notes is hard and I lose track of my homework"),
    (CHALLENGES, "It is hard to focus when the class is loud"),
    (CHALLENGES, "Spelling is hard"),
    (CHALLENGES, "I don't finish my tests on time because I read slowly"),
    (CHALLENGES, "Writing essays takes me a long time and I forget what I wanted to say"),
    (LEARNING, "I learn best when the teacher shows me an example first"),
    (LEARNING, "I learn best by doing things with my hands"),
    (LEARNING, "Working with a partner helps me understand new things"),
    (LEARNING, "When I can see a picture or a video"),
    (LEARNING, "I need quiet and a little more time"),
    (SUPPORTS, "I need audiobooks"),
    (SUPPORTS, "I wish I could listen to audiobooks in English class"),
    (SUPPORTS, "Extended time helps me a lot on math tests"),
    (SUPPORTS, "Someone reading the questions aloud would help me on tests"),
    (SUPPORTS, "I would like to sit near the front of the room"),
    (SUPPORTS, "A calculator and a copy of the notes"),
    (GOAL, "I want to write a full essay with an outline"),
    (GOAL, "I want to read a chapter book on my own"),
    (GOAL, "I want to turn in all my homework on time"),
    (GOAL, "My goal is to get a B in math this year"),
    (MEASURE, "My teacher can check my reading log every week"),
    (MEASURE, "We can look at my grades"),
    (WHEN, "By the end of the school year"),
    (WHEN, "Before winter break"),
    (NEEDS, "Graphic organizers and time with the writing teacher"),
    (NEEDS, "I need help planning my time and a checklist for each class"),
    (AFTER, "I want to be a mechanic and have my own repair shop"),
    (AFTER, "I want to go to college and study to be a nurse"),
    (AFTER, "I want my own apartment so I need to learn budgeting"),
    (AFTER, "Maybe work with animals at a vet clinic"),
    (MEETING, "I want to lead my own meeting"),
    (MEETING, "I want them to know that I am trying hard and that extended time really helps me"),
    (MEETING, "Please talk to me and not only about me"),
]


# Spanish answers a student in grades 3-8 might give (3 to 20 words), each with the
# question of the Spanish dialogue (dialogues/es) it answers: written for the
# benchmark in plain Latin American Spanish as US students say it, in the IEP's
# areas, with the accents and ñ a student's words have (the WER folds neither).
# No digits: the rate compares words, and "4" against "cuatro" is not a hearing error.
ES_STRENGTHS = "¿Qué haces bien, en la escuela o fuera de la escuela?"
ES_INTERESTS = "¿Qué te gusta hacer para divertirte?"
ES_CHALLENGES = "¿Qué se te hace difícil en la escuela?"
ES_LEARNING = "¿Qué te ayuda a aprender? Piensa en una vez que aprender fue fácil."
ES_WISH = "¿Hay alguna ayuda que te gustaría tener en la escuela?"
ES_GOAL = "¿Qué es algo en lo que quieres mejorar este año?"
ES_MEASURE = "¿Cómo vamos a saber que mejoraste?"
ES_MESSAGE = "¿Qué quieres que tu equipo del IEP sepa de ti?"
SPANISH_ANSWERS = [
    (ES_STRENGTHS, "Soy bueno para dibujar y construir cosas"),
    (ES_STRENGTHS, "Me gustan las matemáticas y soy un buen amigo"),
    (ES_STRENGTHS, "Ayudo a mi hermanito con su tarea todos los días"),
    (ES_STRENGTHS, "Soy buena para el fútbol y nunca me rindo"),
    (ES_STRENGTHS, "Sé arreglar bicicletas"),
    (ES_INTERESTS, "Me gusta dibujar y jugar al fútbol con mis amigos"),
    (ES_INTERESTS, "Me gusta la música y cocinar con mi abuela"),
    (ES_INTERESTS, "Los animales, sobre todo los perros y los caballos"),
    (ES_INTERESTS, "Juego videojuegos con mi primo los fines de semana"),
    (ES_CHALLENGES, "Leer libros largos es difícil para mí"),
    (ES_CHALLENGES, "Me pongo nervioso en los exámenes"),
    (ES_CHALLENGES, "Me cuesta concentrarme cuando hay mucho ruido en el salón"),
    (ES_CHALLENGES, "La ortografía es difícil"),
    (ES_CHALLENGES, "Escribir cuentos me toma mucho tiempo"),
    (ES_LEARNING, "Aprendo mejor cuando la maestra me muestra un ejemplo primero"),
    (ES_LEARNING, "Cuando trabajo con un compañero entiendo mejor"),
    (ES_LEARNING, "Me ayuda ver dibujos o un video"),
    (ES_LEARNING, "Necesito silencio y un poco más de tiempo"),
    (ES_WISH, "Me gustaría tener más tiempo en los exámenes"),
    (ES_WISH, "Que alguien me lea las preguntas en voz alta"),
    (ES_WISH, "Quiero sentarme cerca de la maestra"),
    (ES_WISH, "Me gustaría poder tomar un descanso cuando me siento nervioso"),
    (ES_GOAL, "Quiero leer libros de capítulos yo sola"),
    (ES_GOAL, "Quiero entregar mi tarea a tiempo"),
    (ES_GOAL, "Quiero aprender las tablas de multiplicar"),
    (ES_MEASURE, "La maestra puede revisar mi cuaderno cada semana"),
    (ES_MEASURE, "Voy a sacar mejores calificaciones"),
    (ES_MESSAGE, "Me esfuerzo mucho aunque a veces no lo parezca"),
    (ES_MESSAGE, "Quiero que me hablen a mí y no solo de mí"),
]
