"""axe-core, the accessibility checker, run inside a real page (Selenium).

``./setup.sh --dev`` fetches axe-core from npm (pinned version and SHA-256) into
``.venv/share/axe-core`` (the running Python's prefix: a git worktree's tests find
it in the venv they run with). Checked: WCAG 2.x A and AA rules, best practices, and
AAA's enhanced contrast (7:1 for body text), since the students read with effort."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

AXE = Path(sys.prefix) / "share" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice", "wcag2aaa"]
SERIOUS = ("serious", "critical")


def _script() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run ./setup.sh --dev", pytrace=False)
    return Path(AXE).read_text(encoding="utf-8")


def violations(driver, context: str | None = None, impacts: tuple[str, ...] = SERIOUS) -> list[dict]:
    """axe-core's violations of at least ``impacts`` on the page as it is now
    (``context``: a CSS selector to check only part of it)."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(_script())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(arguments[0] || document, {runOnly: {type: 'tag', values: arguments[1]}})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        context, TAGS)
    return [v for v in result if v.get("impact") in impacts]


def describe(found: list[dict]) -> str:
    """The violations, readable in a failing test's message."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}: "
                     + "; ".join(n.get("failureSummary", "").replace("\n", " ") + " @ " + ",".join(n.get("target", []))
                                 for n in v.get("nodes", [])[:5]) for v in found)


def assert_accessible(driver, where: str, context: str | None = None) -> None:
    found = violations(driver, context)
    assert not found, f"{where}: axe-core found\n{describe(found)}"
