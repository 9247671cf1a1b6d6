"""The plugin that writes docs/reliability.md (tests/reliability.py), run on a small
suite of its own in a temporary folder (pytester)."""


pytest_plugins = ["pytester"]

SUITE = """
import pytest

def test_kept(reliability):
    reliability.record("kill -9 | mid-answer", 3, "all kept", "seed 7")

def test_fails_after_recording(reliability):
    reliability.record("a corrupt file", 2, "refused with a message")
    assert False, "the result was not what was recorded"

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown failed")

def test_fails_in_teardown(reliability, broken_teardown):
    reliability.record("an empty answer", 1, "asked again")

def test_records_nothing():
    pass
"""


def run(pytester, *args):
    pytester.makepyfile(test_suite=SUITE)
    return pytester.runpytest("-p", "tests.reliability", "-p", "no:cacheprovider", *args)


def test_the_report_has_a_row_per_record_and_marks_failed_tests(pytester):
    result = run(pytester, "--reliability-report", "out/reliability.md")
    result.assert_outcomes(passed=3, failed=1, errors=1)
    text = (pytester.path / "out" / "reliability.md").read_text()
    assert "python -m pytest --reliability-report docs/reliability.md" in text  # how to regenerate it
    assert "-m pytest -p tests.reliability -p no:cacheprovider --reliability-report out/reliability.md" in text  # the command that wrote it
    assert "CPUs" in text and "Date:" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3, text
    kept, failed, teardown = rows
    assert kept == r"| kill -9 \| mid-answer | 3 | all kept (seed 7) | `test_suite.py::test_kept` |"
    assert "FAILED" not in kept
    assert failed.startswith("| a corrupt file | 2 | **FAILED") and "refused with a message" in failed
    assert teardown.startswith("| an empty answer | 1 | **FAILED")
    assert "Rows: 3, from 3 tests; rows of tests that failed: 2" in text


def test_without_the_option_nothing_is_written(pytester):
    run(pytester).assert_outcomes(passed=3, failed=1, errors=1)
    written = {p.name for p in pytester.path.rglob("*") if "__pycache__" not in p.parts}
    assert written == {"test_suite.py"}


def test_record_refuses_what_is_not_a_count(pytester):
    pytester.makepyfile(test_bad="""
import pytest

def test_bad(reliability):
    with pytest.raises(TypeError):
        reliability.record("x", "3", "ok")
    with pytest.raises(TypeError):
        reliability.record("x", -1, "ok")
    with pytest.raises(ValueError):
        reliability.record(" ", 1, "ok")
""")
    pytester.runpytest("-p", "tests.reliability").assert_outcomes(passed=1)
