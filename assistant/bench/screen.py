"""The student's screen as a student meets it: a spoken session on virtual audio
devices with its page open in a real browser (headless chromium through
Selenium), timed by what is shown in the page and what is heard on the speaker:

- from starting the command to the page showing the first prompt;
- from the end of the student's answer (the last sound played into the
  microphone) to the read-back ("I heard: ...") shown in the page, and heard.

Times in the page are taken there (``Date.now()`` when the prompt's live region
changes, recorded by a script the browser runs before the page's own) and put on
this process's ``time.perf_counter`` clock, the one the sound watchers use.
Needs Selenium (the ``test`` extra) and Debian's chromium and chromium-driver; the
report says so when they are missing."""

from __future__ import annotations

import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from assistant.bench.measure import percentile, summary
from assistant.bench.program import PACKAGE_HOME, _read_lines, _wait_for_line

# Runs in the page before its own scripts: notes when the prompt's live region
# (aria-live="polite", where the page shows what is said) shows each new text, and
# when each word is lit (the page's span.word gains the class "now").
WATCH_PAGE = """
window.__shown = [];
window.__lit = [];
new MutationObserver((changes) => {
  const now = Date.now();
  const region = document.querySelector('[aria-live="polite"]');
  const text = region ? region.textContent.replace(/\\s+/g, ' ').trim() : '';
  const last = window.__shown.length ? window.__shown[window.__shown.length - 1].text : '';
  if (text && text !== last) window.__shown.push({t: now, text: text});
  for (const c of changes) {
    const el = c.target;
    if (c.type === 'attributes' && el.classList && el.classList.contains('word') && el.classList.contains('now')) {
      const line = el.closest('[data-line]');
      window.__lit.push({t: now, line: line ? Number(line.dataset.line) : null, index: Number(el.dataset.index),
                         word: el.textContent, text: line ? line.textContent : ''});
    }
  }
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ['class']});
"""


def missing() -> str | None:
    """Why the page cannot be measured here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed (pip install -e '.[test]')"
    for tool, package in (("chromium", "chromium"), ("chromedriver", "chromium-driver")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package {package})"
    return None


def browser(profile: Path):
    """Headless chromium that runs WATCH_PAGE in every page it opens (quit it when done)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_PAGE})
    return driver


def lit(driver, epoch_to_perf: float) -> list[dict]:
    """Each word the page lit so far: {"t" (perf_counter clock), "line", "index", "word",
    "text" (the whole line as shown: its words, one space between)}."""
    return [dict(e, t=e["t"] / 1000 + epoch_to_perf) for e in driver.execute_script("return window.__lit || []")]


def cached_line(speaker, text: str) -> Path:
    """The speech cache file a session played ``text`` from, found by ``speaker`` (a
    ``Speaker`` with the session's voice, rate and both caches): a line is in the
    student's private cache or the prompts' cache (which one, the dialogue decides).
    Only a file that was there before is taken: Piper's renders differ from run to
    run, so a line made again here would not match what the speaker played."""
    for private in (True, False):
        folder = speaker.private_cache if private else speaker.cache
        if folder is None:
            continue
        before = set(folder.glob("*.wav")) if folder.is_dir() else set()
        path = speaker.render(text, private)
        if path in before:
            return path
        path.unlink(missing_ok=True)  # made just now (not this folder's line): not left in the session's cache
    raise AssertionError(f"the line {text!r} is in neither speech cache ({speaker.private_cache}, {speaker.cache}): "
                         "the session did not cache it whole (stopped while it was said?), or it used another voice or "
                         f"rate than {speaker.choice.name} at {speaker.rate} words per minute")


def highlight_offsets(entries: list[dict], watcher, speaker) -> tuple[list[float], list[str], list[str]]:
    """How late (+) or early (-) the page lit each word after its sound reached the
    speaker, in seconds, for every line whose words were all lit live, in order
    (``entries``: ``lit``), from the speaker's monitor recorded over them
    (``watcher``, made with keep=True) and each line's cache file (``cached_line``);
    the lines measured; and notes: each line left out (one the page connected in the
    middle of) and each word lit more than 150 ms from its sound."""
    from assistant.speech.tts import word_offsets_in_recording

    by_line: dict[int, list[dict]] = {}
    for e in entries:
        by_line.setdefault(e["line"], []).append(e)
    offsets: list[float] = []
    measured: list[str] = []
    notes: list[str] = []
    for line, words in sorted(by_line.items()):
        text = words[-1]["text"]
        indices = [e["index"] for e in words]
        if indices != list(range(len(text.split()))):
            notes.append(f"line {line} ({text[:40]!r}...) left out: words {indices} of {len(text.split())} were lit "
                         "(the page connected while it was said, or it was cut)")
            continue
        found = word_offsets_in_recording([(e["index"], e["t"]) for e in words], cached_line(speaker, text), watcher)
        # the worst words by name, for a reader who wants to know why (a late line? one word?)
        notes += [f"line {line}, word {e['index']} {e['word']!r}: lit {x * 1000:+.0f} ms after its sound"
                  for e, x in zip(words, found, strict=True) if abs(x) > 0.150]
        offsets += found
        measured.append(text)
    return offsets, measured, notes


def spread(offsets: list[float]) -> dict:
    """The highlight's figures: median, 90th percentile and max of |offset| (seconds), and n."""
    if not offsets:
        return {"median": None, "p90": None, "max": None, "n": 0}
    errors = sorted(abs(x) for x in offsets)
    return {"median": statistics.median(errors), "p90": percentile(errors, 90), "max": errors[-1], "n": len(errors)}


def _shown(driver, epoch_to_perf: float) -> list[tuple[float, str]]:
    """What the page's live region showed so far, each with when (perf_counter clock)."""
    return [(e["t"] / 1000 + epoch_to_perf, e["text"]) for e in driver.execute_script("return window.__shown || []")]


def _wait_shown(driver, epoch_to_perf: float, text: str, after: float, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for when, shown in _shown(driver, epoch_to_perf):
            if when >= after and text in shown:
                return when
        time.sleep(0.02)
    raise RuntimeError(f"the page did not show '{text}' within {timeout:.0f} s; it showed: {_shown(driver, epoch_to_perf)[-3:]}")


def _address(err, timeout: float = 60) -> str:
    """The page's address, from the session's one line on standard error."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(err, lines), daemon=True).start()
    return _wait_for_line(lines, "student screen: ", timeout).split("student screen: ", 1)[1].strip()


def screen(tmp: Path, reps: int, log=print, pause: float = 0.5) -> dict:
    """A spoken session with its page open, ``reps`` times (the first with an empty speech cache).
    The highlight: every word of the lines lit whole before the app first listens,
    in all runs (``highlight_offsets``)."""
    from assistant.recordings import StudentFiles
    from assistant.simulate.pulse import VirtualAudio
    from assistant.speech.tts import Speaker
    from assistant.store import Store

    why = missing()
    if why:
        log(f"bench: the student's screen is not measured: {why}")
        return {"missing": why}
    answer = tmp / "screen-answer.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(answer), "I am good at drawing and building things"],
                   check=True, capture_output=True)
    first_shown, readback_shown, readback_heard = [], [], []
    offsets: list[float] = []
    with VirtualAudio(tmp / "pulse-screen") as va, tempfile.TemporaryDirectory() as profile:
        env = dict(va.env, IEP_ASSISTANT_DATA=str(tmp / "screen"), XDG_CACHE_HOME=str(tmp / "cache-screen"))
        subprocess.run([sys.executable, "-m", "assistant", "student", "add", "Sam", "--grade", "5"], env=env,
                       capture_output=True, check=True, cwd=PACKAGE_HOME)
        store = Store(tmp / "screen")
        try:
            sid = store.roster.find("Sam").id
        finally:
            store.close()
        # the session's voice, rate and caches: the lines it played are found there (not made again)
        line_cache = Speaker(play=False, cache=tmp / "cache-screen" / "iep-assistant" / "prompts",
                             private_cache=StudentFiles(tmp / "screen", sid).speech_cache())
        driver = browser(Path(profile))
        try:
            with va.watch_speaker() as speaker, va.watch_mic() as mic:
                for i in range(reps):
                    speaker.wait_for_quiet(0.5, timeout=15)
                    epoch_to_perf = time.perf_counter() - time.time()
                    lines: queue.Queue = queue.Queue()
                    heard_lines = va.watch("speaker.monitor", keep=True)  # what the highlight is measured against
                    t_cmd = time.perf_counter()
                    p = subprocess.Popen([sys.executable, "-m", "assistant", "session", "--student", "Sam", "--new",
                                          "--screen", "browser", "--no-open", "--input-device", "pulse",
                                          "--output-device", "pulse"], env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, cwd=PACKAGE_HOME)
                    threading.Thread(target=_read_lines, args=(p.stdout, lines), daemon=True).start()
                    try:
                        driver.get(_address(p.stderr))
                        # the greeting is the first line the page shows
                        first = _wait_shown(driver, epoch_to_perf, "Sam", t_cmd, 60)
                        first_shown.append(first - t_cmd)
                        _wait_for_line(lines, "(listening)", 120)
                        # measured once the session has ended: finding the lines may load the voice here,
                        # which would slow the session's listening on a small machine
                        before_listening = lit(driver, epoch_to_perf)
                        time.sleep(pause)
                        va.play_into_mic(answer)
                        end = mic.last_sound_before(time.perf_counter())
                        if end is None:
                            raise RuntimeError("the answer played into the microphone was not heard there")
                        shown = _wait_shown(driver, epoch_to_perf, "I heard", end, 60)
                        heard = speaker.first_sound_after(end, timeout=30)
                        if heard is None:
                            raise RuntimeError("the read-back was shown but not heard")
                        readback_shown.append(shown - end)
                        readback_heard.append(heard - end)
                    finally:
                        heard_lines.close()
                        p.terminate()
                        p.wait(30)
                    found, _, notes = highlight_offsets(before_listening, heard_lines, line_cache)
                    offsets += found
                    for note in notes:
                        log(f"bench:   screen run {i + 1}: highlight: {note}")
                    log(f"bench:   screen run {i + 1}: first line shown {first_shown[-1]:.2f} s after the command; "
                        f"read-back shown {readback_shown[-1]:.2f} s and heard {readback_heard[-1]:.2f} s "
                        f"after the answer ended; {len(found)} words lit, |offset| median "
                        f"{statistics.median(abs(x) for x in found) * 1000 if found else float('nan'):.0f} ms, max "
                        f"{max((abs(x) for x in found), default=float('nan')) * 1000:.0f} ms")
        finally:
            driver.quit()
            line_cache.close()
    if not offsets:
        log("bench: the student's screen: no line was lit whole before the app listened: the highlight is not measured")
    return {"first_shown_cold": first_shown[0], "first_shown_warm": summary(first_shown[1:]),
            "readback_shown": summary(readback_shown), "readback_heard": summary(readback_heard),
            # left out when no line was lit whole: the report shows the highlight only when it was measured
            **({"highlight": spread(offsets)} if offsets else {})}


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant.bench.screen [--runs N] [--json FILE]``: the student's
    screen alone (a few minutes), printed as the benchmark report's section; the
    whole ``iep-assistant bench`` takes about an hour."""
    import argparse
    import json
    import os

    from assistant.bench.report import screen_section

    p = argparse.ArgumentParser(prog="python -m assistant.bench.screen")
    p.add_argument("--runs", type=int, default=3, help="sessions (the first with an empty speech cache)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        result = screen(Path(tmp), max(2, args.runs), lambda line: print(line, flush=True))
    result["load"] = {"at_start": load, "at_end": os.getloadavg()[0]}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print("\n".join(screen_section(result)))
    print(f"\n(load average {load:.2f} at the start, {result['load']['at_end']:.2f} at the end, "
          f"{os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
