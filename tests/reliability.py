"""A pytest plugin that writes ``docs/reliability.md`` from a test run: each fault
or bad input a test tried, how many times, and what happened.

A test asks for the session-scoped ``reliability`` fixture and records what it
tried, once it knows the result::

    def test_kill_9(reliability):
        ...
        reliability.record("kill -9 during a typed session", 33, "every confirmed answer kept; integrity ok")

Rows belong to the test that recorded them; if that test then fails (in its
body or its teardown), its rows are marked as failed in the report, so a row
never claims a result the run did not show.

A test whose tries are known before it runs can say so with a marker instead
(recorded when it starts, marked failed if it fails)::

    @pytest.mark.tried("a port out of range (70000, -1, ...)", 5, "exit 2 with a clear message")

Nothing is written unless pytest is given ``--reliability-report PATH``:

    python -m pytest --reliability-report docs/reliability.md
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.text import md_escape

REGENERATE = "python -m pytest --reliability-report docs/reliability.md"


@dataclass
class Row:
    fault: str
    tries: int
    result: str
    detail: str
    test: str
    outcome: str = "passed"  # "failed" once the test that recorded it fails


class Reliability:
    """What the tests of this run tried. ``record`` is the only method tests need."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.current: str | None = None  # the node id of the test running now

    def record(self, fault: str, tries: int, result: str, detail: str = "") -> None:
        """Note that ``fault`` (a fault injected, or a bad input given) was tried
        ``tries`` times with ``result``; ``detail`` is anything worth adding (a seed,
        the moments covered)."""
        if self.current is None:
            raise RuntimeError("reliability.record() is for use inside a test")
        if not isinstance(tries, int) or isinstance(tries, bool) or tries < 0:
            raise TypeError(f"tries must be a count (an int >= 0), not {tries!r}")
        for name, value in (("fault", fault), ("result", result), ("detail", detail)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be text, not {type(value).__name__}")
        if not fault.strip() or not result.strip():
            raise ValueError("a row needs a fault and a result")
        self.rows.append(Row(fault, tries, result, detail, self.current))

    def mark_failed(self, test: str) -> None:
        for row in self.rows:
            if row.test == test:
                row.outcome = "failed"

    def markdown(self, command: str) -> str:
        failed = sum(r.outcome == "failed" for r in self.rows)
        tests = len({r.test for r in self.rows})
        out = [
            "# Reliability: faults and bad inputs tried",
            "",
            ("_Written by a test run (the pytest plugin `tests/reliability.py`), not by hand. "
             f"Regenerate it from the whole suite with `{REGENERATE}`._"),
            "",
            f"- Command: `{command}`",
            f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
            f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            f"- Rows: {len(self.rows)}, from {tests} tests; rows of tests that failed: {failed}",
            "",
            "| fault / bad input | tries | result | test |",
            "| --- | ---: | --- | --- |",
        ]
        for r in self.rows:
            result = md_escape(r.result) + (f" ({md_escape(r.detail)})" if r.detail else "")
            if r.outcome == "failed":
                result = f"**FAILED: the test failed after recording this.** {result}"
            test = r.test.replace("`", "'").replace("|", "\\|")  # a pipe ends a cell, even in code
            out.append(f"| {md_escape(r.fault)} | {r.tries} | {result} | `{test}` |")
        if not self.rows:
            out.append("| (no test recorded anything) | 0 | | |")
        return "\n".join(out) + "\n"


_KEY = pytest.StashKey[Reliability]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reliability-report", metavar="PATH", default=None,
                     help="write the faults and bad inputs the tests tried, and their results, "
                          "as a Markdown table to PATH (e.g. docs/reliability.md)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = Reliability()
    config.addinivalue_line("markers", "tried(fault, tries, result, detail=''): a fault or bad input this test tries, "
                                       "for the reliability report")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    state = item.config.stash[_KEY]
    state.current = item.nodeid
    for mark in item.iter_markers("tried"):
        state.record(*mark.args, **mark.kwargs)
    try:
        return (yield)
    finally:
        state.current = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        item.config.stash[_KEY].mark_failed(item.nodeid)
    return report


@pytest.fixture(scope="session")
def reliability(request: pytest.FixtureRequest) -> Reliability:
    """Record each fault or bad input a test tried: ``reliability.record(fault, tries, result, detail="")``."""
    return request.config.stash[_KEY]


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    path = session.config.getoption("--reliability-report")
    if not path:
        return
    params = session.config.invocation_params
    command = " ".join(shlex.quote(a) for a in [Path(sys.executable).name, "-m", "pytest", *params.args])
    out = Path(params.dir) / path
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(session.config.stash[_KEY].markdown(command), encoding="utf-8")
    tmp.replace(out)
