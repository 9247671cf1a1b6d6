"""The draft's sections, declared once (``assistant.draft.SECTIONS``): the declaration
matches the draft's model, and what derives from it agrees with it."""

import typing

import pytest

from assistant.draft import (
    FIELDS,
    LISTS,
    SECTION,
    SECTIONS,
    Fill,
    Goal,
    IEPDraft,
    Item,
    StudentInfo,
    lists,
    to_markdown,
)


def _item_lists(model, prefix=()):
    """The paths of every list of items in a pydantic model class, found by reading its fields."""
    for name, f in model.model_fields.items():
        ann = f.annotation
        if typing.get_origin(ann) is list and issubclass(typing.get_args(ann)[0], Item):
            yield (*prefix, name)
        elif isinstance(ann, type) and hasattr(ann, "model_fields") and not issubclass(ann, Item):
            yield from _item_lists(ann, (*prefix, name))


def test_every_list_of_items_in_the_draft_is_declared_and_nothing_else():
    found = set(_item_lists(IEPDraft)) - {("past_goals",)}  # last year's goals: one per goal the teacher entered
    assert found == {s.path for s in LISTS}
    d = IEPDraft(student=StudentInfo(name="A", grade=3))
    for s in SECTIONS:
        if s.fill is Fill.GOAL_PART:
            assert s.path[-1] in Goal.model_fields  # a part of each goal
        else:
            s.items(d)  # the path leads somewhere in the draft
    assert all(lists(d)[s.key] is s.items(d) for s in LISTS)  # the same objects: editing one edits the draft


def test_keys_and_titles_are_unique_and_headings_exist():
    assert len(SECTION) == len(SECTIONS)
    assert len({s.title for s in LISTS}) == len(LISTS)
    assert all(s.under in SECTION for s in SECTIONS if s.under)


def test_dialogue_fields_come_from_the_declaration():
    from assistant.dialogue.schema import Prompt

    assert FIELDS == tuple(s.key for s in SECTIONS if s.answered)
    base = dict(id="p", text="What?", simpler="Tell me.", example="This.")
    for f in FIELDS:
        if f not in ("accommodations", "past_goals"):  # asked per item, by their own kinds of prompt
            assert Prompt(**base, field=f).field == f
    with pytest.raises(ValueError):
        Prompt(**base, field="accommodations.helpful")  # sorted into by the builder, never answered directly


def test_the_student_document_has_a_heading_for_every_top_section():
    md = to_markdown(IEPDraft(student=StudentInfo(name="A", grade=3)))
    for s in SECTIONS:
        if s.under is None and s.key not in ("past_goals", "transition"):  # shown only when there is something
            assert f"## {s.mine}\n" in md, s.key


def test_the_review_app_lists_the_declared_sections():
    from assistant.review.editor import LIST_SECTIONS

    assert LIST_SECTIONS == {s.key: s.title for s in LISTS}


def _full_draft() -> IEPDraft:
    """A draft with words in every section, each a word found nowhere else."""
    from assistant.draft import AccommodationItem, PastGoal

    d = IEPDraft(student=StudentInfo(name="Ada Quill", grade=11))
    for n, s in enumerate(LISTS):
        s.items(d).append(s.item(text=f"word{n}x"))
    d.past_goals.append(PastGoal(text="pastwordx", goal="read forty books"))
    d.goals.append(Goal(statement=Item(text="goalwordx"), measure=Item(text="measurewordx")))
    assert all(isinstance(i, AccommodationItem) for i in d.accommodations.helpful)
    return d


@pytest.mark.parametrize("fmt", ["md", "pdf", "docx"])
def test_every_export_has_every_section_the_student_spoke_about(fmt):
    """The PDF and DOCX follow the declaration as the Markdown does: last year's goals,
    life after school and the message to the team are in every document."""
    import io

    from assistant.review.exports import render

    d = _full_draft()
    body = render(fmt, d, [], {})
    if fmt == "pdf":
        from pypdf import PdfReader

        text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(body)).pages)
    elif fmt == "docx":
        from docx import Document

        text = " ".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    else:
        text = body.decode()
    for n, s in enumerate(LISTS):
        assert f"word{n}x" in text, (s.key, fmt)
    assert "pastwordx" in text and "goalwordx" in text and "measurewordx" in text
    for s in SECTIONS:
        if s.under is None and fmt != "md":
            assert s.mine in text, (s.key, fmt)
