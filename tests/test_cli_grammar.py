"""`transcribe --grammar`: the phrases come as a comma list or a repeated flag, so
the files can follow the flag in the natural order (`--grammar yes,no answer.wav`)."""

from __future__ import annotations

import pytest

from assistant.cli import _grammar, build_parser


def test_comma_lists_and_repeated_flags_give_the_phrases_and_leave_the_files_alone():
    args = build_parser().parse_args(["transcribe", "--grammar", "yes, no", "--grammar", "not sure", "a.wav", "b.wav"])
    assert _grammar(args) == ["yes", "no", "not sure"] and args.files == ["a.wav", "b.wav"]
    args = build_parser().parse_args(["transcribe", "a.wav", "--grammar", "yes,no,yes"])
    assert _grammar(args) == ["yes", "no"] and args.files == ["a.wav"]  # each once, in order
    assert _grammar(build_parser().parse_args(["transcribe", "a.wav"])) is None


def test_the_file_after_the_grammar_is_read_as_a_file(cli, tmp_path):
    r = cli("transcribe", "--grammar", "yes,no", tmp_path / "answer.wav")
    assert r.returncode == 2 and "answer.wav" in r.stderr and "no such file" in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_a_grammar_without_a_phrase_is_refused_with_what_to_give(cli, tmp_path):
    r = cli("transcribe", "--grammar", " , ", tmp_path / "answer.wav")
    assert r.returncode == 2
    assert "no phrase in ' , '" in r.stderr and "separated by commas, e.g. yes,no" in r.stderr, r.stderr


@pytest.mark.slow  # Whisper on three short files, twice (~8 s)
def test_transcribe_with_a_grammar_before_the_files(cli, speech):
    files = [speech("yes"), speech("not sure"), speech("purple elephants")]
    for flags in (["--grammar", "yes,no,not sure"], ["--grammar", "yes", "--grammar", "no", "--grammar", "not sure"]):
        r = cli("transcribe", *flags, *files)
        assert r.returncode == 0, r.stderr
        lines = [ln.split(": ", 1)[1] if ": " in ln else "" for ln in r.stdout.splitlines()]
        assert lines == ["yes", "not sure", ""], r.stdout
