"""The tests themselves run as the README says: plain `pytest` as well as
`python -m pytest`, from the checkout or from any other folder, and the `slow`
split of the development loop."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYTEST = Path(sys.executable).parent / "pytest"  # the venv's script, as `.venv/bin/pytest` is run


@pytest.mark.parametrize("how", ["pytest", "python -m pytest"])
@pytest.mark.parametrize("where", ["the checkout", "another folder"])
def test_pytest_collects_from_anywhere(how, where, tmp_path):
    """`tests/` is not a package: its modules import `tests.conftest` through the
    checkout on sys.path (`pythonpath` in pyproject.toml), wherever pytest starts."""
    assert PYTEST.is_file(), f"no pytest script next to {sys.executable}: run ./setup.sh --dev"
    cmd = [str(PYTEST)] if how == "pytest" else [sys.executable, "-m", "pytest"]
    # test_backup imports tests.conftest and tests.session_driver
    target = "tests/test_backup.py" if where == "the checkout" else str(ROOT / "tests" / "test_backup.py")
    r = subprocess.run([*cmd, "--collect-only", "-q", "-p", "no:cacheprovider", target],
                       cwd=ROOT if where == "the checkout" else tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "tests/test_backup.py::test_round_trip" in r.stdout, r.stdout[-2000:]


def test_the_slow_marker_is_registered_and_strict(tmp_path):
    """`-m "not slow"` leaves out what is marked slow, and a mistyped mark is an error:
    no test drops out of the split unseen."""
    (tmp_path / "test_marks.py").write_text("import pytest\n\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n\n\n"
                                            "def test_fast():\n    pass\n")
    (tmp_path / "test_typo.py").write_text("import pytest\n\n\n@pytest.mark.slwo\ndef test_typo():\n    pass\n")
    run = lambda *args: subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),  # noqa: E731
                                        "--rootdir", str(ROOT), "-p", "no:cacheprovider", *args],
                                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    fast = run("-m", "not slow", "-v", str(tmp_path / "test_marks.py"))
    assert fast.returncode == 0 and "test_fast PASSED" in fast.stdout and "1 deselected" in fast.stdout, fast.stdout
    assert "test_slow" not in fast.stdout.replace("1 deselected", "")
    typo = run(str(tmp_path / "test_typo.py"))
    assert typo.returncode != 0 and "'slwo' not found in `markers`" in typo.stdout + typo.stderr, typo.stdout + typo.stderr
