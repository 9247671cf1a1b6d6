"""The draft builder's rules, each tested: splitting, labels, accommodations, yes/no, commands."""

import pytest

from assistant.dialogue.commands import Command, command_of
from assistant.draft import build_draft, split_items
from assistant.lexicon import AREAS, accommodation_of, area_of, verdict
from assistant.store import Answer, Student


def test_split_keeps_the_students_words():
    assert [t for t, _ in split_items("I'm good at drawing and building with Lego, and I like math")] == [
        "I'm good at drawing", "building with Lego", "I like math"]
    assert [t for t, _ in split_items("soccer; video games. ")] == ["soccer", "video games"]
    assert [t for t, _ in split_items("I like math")] == ["I like math"]
    text = "Reading, but also spelling"
    for t, off in split_items(text):
        assert text[off : off + len(t)] == t  # offsets point at the verbatim words


def test_split_keeps_a_spanish_question_or_exclamation_whole():
    # A Spanish question opens with ¿ and closes with ?: a point keeps both marks (a
    # "¿y tú" left unclosed reached the draft, the family summary and the meeting
    # script), and a joining word inside the question does not cut it in two.
    assert [t for t, _ in split_items("Me gusta el fútbol ¿y tú?", "es")] == ["Me gusta el fútbol ¿y tú?"]
    assert [t for t, _ in split_items("¿Puedo leer y escribir más? Y dibujar.", "es")] == [
        "¿Puedo leer y escribir más?", "dibujar"]
    assert [t for t, _ in split_items("¡Me encanta leer y dibujar!", "es")] == ["¡Me encanta leer y dibujar!"]
    assert [t for t, _ in split_items("dibujo y juego fútbol.", "es")] == ["dibujo", "juego fútbol"]
    assert [t for t, _ in split_items("I like soccer, do you?!")] == ["I like soccer", "do you"]  # English unchanged


@pytest.mark.parametrize("text, area", [
    ("reading long chapters", "reading"), ("spelling and essays", "writing"), ("fractions", "math"),
    ("asking questions in class", "communication"), ("I get nervous on tests", "social-emotional"),
    ("I lose track of homework", "attention and organization"), ("I need to calm down sometimes", "behavior"),
    ("handwriting", "motor"), ("learning to cook", "independence"), ("I want to be a mechanic", "career"),
    ("playing the trumpet", None),
])
def test_area_labels(text, area):
    assert area_of(text) == area


def test_every_area_has_words():
    assert set(AREAS) == {"reading", "writing", "math", "communication", "social-emotional",
                          "attention and organization", "behavior", "motor", "independence", "career"}
    for area, words in AREAS.items():
        for w in words:
            assert area_of(w) == area, (area, w)


@pytest.mark.parametrize("text, name", [
    ("more time on tests", "extended time"), ("time and a half", "extended time"),
    ("someone reads the test to me", None), ("read the questions out loud", "read aloud"),
    ("audiobooks", "read aloud"), ("dictation", "speech-to-text"), ("a quiet room", "quiet setting"),
    ("sit in the front", "preferential seating"), ("a copy of the notes", "copy of notes"),
    ("movement breaks", "breaks"), ("a unicorn", None),
])
def test_accommodation_synonyms(text, name):
    assert accommodation_of(text) == name


@pytest.mark.parametrize("text, value", [
    ("Yes it helps a lot, I don't know what I'd do without it", "yes"), ("yes, I never forget to use it", "yes"),
    ("Yes", "yes"), ("yeah it helps", "yes"), ("No, I never use it", "no"), ("nope", "no"),
    ("I'm not sure", "not sure"), ("maybe", "not sure"), ("sometimes", "not sure"), ("purple", None),
])
def test_yes_no(text, value):
    assert verdict(text) == value


@pytest.mark.parametrize("text, cmd", [
    ("Repeat.", Command.REPEAT), ("um, repeat", Command.REPEAT), ("Slow down", Command.SLOWER),
    ("That's all.", Command.THATS_ALL), ("I don't know", Command.DONT_KNOW), ("take a break", Command.STOP),
    ("Go back", Command.BACK), ("skip", Command.SKIP), ("I don't understand", Command.HELP),
    ("I'm good at helping my mom repeat her lines", None), ("I need a break from loud rooms", None),
    ("I don't know how to spell", None), ("help my friends", None),
])
def test_commands_are_whole_utterances(text, cmd):
    assert command_of(text) == cmd


def _answer(i, field, text, kind="answer", confirmed=True, superseded=False, words=(), **extra):
    return Answer(id=i, session_id=1, step=f"s{i}", field=field, prompt=f"question {i}", kind=kind, text=text,
                  words=list(words), engine=None, model=None, audio_path=None, confirmed=confirmed,
                  superseded=superseded, extra=extra, created="")


def test_builder_uses_confirmed_current_answers_only():
    student = Student(id=1, name="Maya", grade=7, language="en", rate=None, voice=None, accommodations=[], past_goals=[], created="")
    words = [{"word": w, "start": i * 0.5, "end": i * 0.5 + 0.4, "confidence": 0.9}
             for i, w in enumerate("drawing and soccer".split())]
    answers = [
        _answer(1, "strengths", "reading", confirmed=False),  # said, then "no, that's not right"
        _answer(2, "strengths", "drawing and soccer", words=words),
        _answer(3, "interests", "cats", superseded=True),  # replaced after "go back"
        _answer(4, "interests", "dogs"),
        _answer(5, "goals.measure", "", kind="dont_know"),
        _answer(6, "accommodations", "No, I never use it", accommodation="Extended time"),
        _answer(7, "accommodations.wanted", "a trumpet"),
    ]
    d = build_draft(student, answers)
    assert [i.text for i in d.strengths] == ["drawing", "soccer"]
    assert (d.strengths[1].source.start, d.strengths[1].source.end) == (1.0, 1.4)  # "soccer" in the recording
    assert [i.text for i in d.interests] == ["dogs"]
    assert [q.question for q in d.open_questions] == ["question 5"]
    assert d.accommodations.not_helpful[0].label == "extended time"
    assert d.accommodations.wanted[0].label is None and d.accommodations.wanted[0].text == "a trumpet"  # unknown: words kept


def _said_of(i, session, text, field="accommodations", **extra):
    a = _answer(i, field, text, **extra)
    return a.model_copy(update={"session_id": session})


def test_the_same_words_about_different_accommodations_or_past_goals_are_not_repeats():
    # "yes" to extended time in one session and "yes" to a quiet room in the next are
    # two verdicts, not one point said twice: both stay
    s = Student(id=1, name="Sam", grade=7, language="en", rate=None, voice=None,
                accommodations=["extended time", "a quiet room"], past_goals=["read 20 minutes a day"], created="x")
    d = build_draft(s, [_said_of(1, 1, "yes", accommodation="extended time"),
                        _said_of(2, 2, "yes", accommodation="a quiet room"),
                        _said_of(3, 1, "no", accommodation="breaks"),
                        _said_of(4, 2, "no", accommodation="read aloud"),
                        _said_of(5, 1, "I did it", "past_goals", goal="read 20 minutes a day"),
                        _said_of(6, 2, "I did it", "past_goals", goal="finish homework")])
    assert [i.accommodation for i in d.accommodations.helpful] == ["extended time", "a quiet room"]
    assert [i.accommodation for i in d.accommodations.not_helpful] == ["breaks", "read aloud"]
    assert [g.goal for g in d.past_goals] == ["read 20 minutes a day", "finish homework"]
    # the same words in a later session about the same accommodation are still a repeat (replaced_later
    # keeps the latest verdict)
    d = build_draft(s, [_said_of(1, 1, "yes", accommodation="extended time"),
                        _said_of(2, 2, "yes", accommodation="extended time")])
    assert [i.source.answer_id for i in d.accommodations.helpful if i.source] == [2]


def test_a_spanish_point_said_again_with_or_without_accents_is_kept_once():
    # a typed "mas tiempo" and a heard "más tiempo" are one point said twice, as
    # Spanish compares words everywhere else (not as two English spellings)
    s = Student(id=1, name="Ana", grade=4, language="es", rate=None, voice=None,
                accommodations=[], past_goals=[], created="x")
    d = build_draft(s, [_said_of(1, 1, "más tiempo", "accommodations.wanted"),
                        _said_of(2, 2, "mas tiempo", "accommodations.wanted")])
    assert [i.text for i in d.accommodations.wanted] == ["más tiempo"]


def test_a_new_session_keeps_the_teachers_work_on_the_draft():
    from assistant.draft import Goal, Item, carry_teacher_work

    s = Student(id=1, name="Sam", grade=7, language="en", rate=None, voice=None,
                accommodations=["extended time"], past_goals=[], created="x")
    first = [_said_of(1, 1, "drawing and soccer", "strengths"), _said_of(2, 1, "robots, trains", "interests"),
             _said_of(3, 1, "yes", accommodation="extended time"),
             _said_of(4, 1, "turn in my homework", "goals.statement", goal_number=1),
             _said_of(5, 1, "my teacher checks", "goals.measure", goal_number=1)]
    saved = build_draft(s, first)
    # the teacher, in the editor: rewords and relabels, adds an item at the top, removes one, edits a goal
    # and its area, writes the goal's support part, and adds a goal of their own
    saved.strengths[1].edited, saved.strengths[1].label = "plays soccer on a team", "motor"
    saved.strengths.insert(0, Item(text="kind to classmates", added_by="Ms T"))
    saved.interests.pop(1)  # "trains"
    saved.goals[0].statement.edited = "Sam will turn in 90% of homework on time"
    saved.goals[0].area = "attention and organization"
    saved.goals[0].support = Item(text="a planner", added_by="Ms T")
    saved.goals.append(Goal(area="reading", statement=Item(text="read 20 minutes a day", added_by="Ms T")))

    second = first + [_said_of(6, 2, "music", "interests"), _said_of(7, 2, "no", accommodation="extended time"),
                      _said_of(8, 2, "speak up in class", "goals.statement", goal_number=1)]
    d = carry_teacher_work(build_draft(s, second), saved, {1})
    assert [(i.text, i.edited, i.label, i.added_by) for i in d.strengths] == [
        ("kind to classmates", None, None, "Ms T"), ("drawing", None, area_of("drawing"), None),
        ("soccer", "plays soccer on a team", "motor", None)]
    assert [i.text for i in d.interests] == ["robots", "music"]  # "trains" stays removed; the new answer is added
    # the student changed their verdict: the new one counts, the old one is gone
    assert d.accommodations.helpful == [] and [i.text for i in d.accommodations.not_helpful] == ["no"]
    assert [g.statement.edited if g.statement else None for g in d.goals] == [
        "Sam will turn in 90% of homework on time", None, None]
    assert d.goals[0].area == "attention and organization" and d.goals[0].support.added_by == "Ms T"
    assert d.goals[0].measure.text == "my teacher checks"
    assert d.goals[1].statement.added_by == "Ms T" and d.goals[2].statement.text == "speak up in class"
    # nothing to carry from a draft the teacher left as it was built
    assert carry_teacher_work(build_draft(s, second), build_draft(s, first), {1}) == build_draft(s, second)
