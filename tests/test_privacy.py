"""Student data at rest, and students' words as data: private folders and files
whatever the umask, no shared folder taken over, speech made from a student's
words kept in their private folder and deleted with them, braces in answers,
huge numbers and a damaged database each met with a clear message."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.session_driver import TypedSession


def run(env, *args, umask: int | None = None, **kw) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "assistant", *map(str, args)]
    if umask is not None:
        cmd = ["sh", "-c", f'umask {umask:03o}; exec "$@"', "sh", *cmd]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, **kw)


def modes(folder) -> dict[str, int]:
    out = {".": stat.S_IMODE(folder.stat().st_mode)}
    for p in folder.rglob("*"):
        out[str(p.relative_to(folder))] = stat.S_IMODE(p.lstat().st_mode)
    return out


@pytest.mark.tried("braces in answers, a student name and accommodations ({x}, {% raw %}, {0}, {name})", 5, "said and stored as written; no crash")
# ---------------------------------------------------------------- text is data

def test_braces_in_answers_and_accommodations_are_said_as_they_were_written(base_env, tmp_path):
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    r = run(env, "student", "add", "Kai {name}", "--grade", "7", "--accommodation", "notes in {braces}",
            "--accommodation", "a {% raw %} quiet room")
    assert r.returncode == 0, r.stderr
    s = TypedSession(env, "--student", "Kai {name}")
    shown = s.read_prompt()
    assert "Kai {name}" in shown  # the welcome says the name as it is
    for answer in ("I am good at {x}", "{% raw %} and {0} and {name}"):
        s.answer(answer)
        assert f"I heard: {answer}. Is that right?" in s.read_prompt()
        s.answer("yes")
        s.read_prompt()
    for _ in range(40):  # on to the accommodations
        s.answer("no")
        shown = s.read_prompt()
        if "Your IEP lists" in shown:
            break
        if "Is that right?" in shown:
            s.answer("yes")
            s.read_prompt()
    assert "Your IEP lists notes in {braces}" in shown
    s.answer("help")
    assert "notes in {braces}: does it help you at school?" in s.read_prompt()
    s.answer("stop")
    code, _, err = s.finish()
    assert code == 0 and "internal error" not in err, err
    d = json.loads(run(env, "export", "--student", "Kai {name}", "--format", "json").stdout)
    assert [i["text"] for i in d["strengths"]][:2] == ["I am good at {x}", "{% raw %}"]

@pytest.mark.tried("NUL and escape characters typed in an answer", 1, "stored as U+FFFD; DOCX export works")

def test_control_characters_typed_by_a_student_are_kept_visible_and_harmless(base_env, tmp_path):
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    assert run(env, "student", "add", "Ana", "--grade", "5").returncode == 0
    r = run(env, "session", "--student", "Ana", "--text", "--no-voice", input="soccer\x00 and\x1b[31m art\nyes\nstop\n")
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(tmp_path / "data" / "iep.sqlite3")
    assert db.execute("SELECT text FROM answers").fetchone()[0] == "soccer\ufffd and\ufffd[31m art"
    docx = tmp_path / "out.docx"
    assert run(env, "export", "--student", "Ana", "--format", "docx", "--out", docx).returncode == 0


@pytest.mark.tried("student numbers out of range (#99999999999999999999, #2^63, #0, #-1)", 4, "exit 2: not a valid student number")
# ---------------------------------------------------------------- clear messages

@pytest.mark.slow  # ~3 s
def test_a_student_number_too_big_for_the_database_gets_a_clear_message(base_env, tmp_path):
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    assert run(env, "student", "add", "Leo", "--grade", "4").returncode == 0
    for command in (["session", "--student", "#99999999999999999999", "--text", "--no-voice"],
                    ["student", "show", "Leo#9223372036854775808"], ["export", "--student", "#0"],
                    ["student", "remove", "#-1", "--yes"]):
        r = run(env, *command, input="")
        assert r.returncode == 2, (command, r.stderr)
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "student" in r.stderr and "student list" in r.stderr, r.stderr


def _damage(db_path) -> str:
    """Overwrite a page in the middle of the database file; returns the file's hash."""
    size = db_path.stat().st_size
    page = 4096
    assert size >= 8 * page, size
    with open(db_path, "r+b") as f:
        f.seek((size // page // 2) * page)
        f.write(b"\xa5" * page)
    return hashlib.sha256(db_path.read_bytes()).hexdigest()

@pytest.mark.tried("a database page overwritten in the middle, then session, student list, export", 3, "exit 2: damaged, restore a backup; the file is not written")

@pytest.mark.slow  # ~3.5 s
def test_a_database_damaged_in_the_middle_gets_a_clear_message_and_is_not_written(base_env, tmp_path):
    env = dict(base_env, IEP_ASSISTANT_DATA=str(tmp_path / "data"))
    assert run(env, "student", "add", "Mia", "--grade", "8").returncode == 0
    answers = "".join(f"I am good at thing number {n} {'and more ' * 40}\nyes\n" for n in range(60))
    run(env, "session", "--student", "Mia", "--text", "--no-voice", input=answers + "stop\n")
    db = tmp_path / "data" / "iep.sqlite3"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    digest = _damage(db)
    for command in (["session", "--student", "Mia", "--resume", "--text", "--no-voice"], ["student", "list"],
                    ["export", "--student", "Mia", "--format", "json"]):
        r = run(env, *command, input="stop\n")
        assert r.returncode == 2, (command, r.returncode, r.stderr)
        assert "damaged" in r.stderr and "iep-assistant restore" in r.stderr, r.stderr
        assert "internal error" not in r.stderr and "nothing saved was lost" not in r.stderr, r.stderr
        assert hashlib.sha256(db.read_bytes()).hexdigest() == digest  # nothing was written to it


@pytest.mark.tried("umask 022 for student add, a session and an export", 3, "folders 0700, files 0600")
# ---------------------------------------------------------------- files at rest

def test_student_data_is_private_whatever_the_umask(base_env, tmp_path):
    data = tmp_path / "data"
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    assert run(env, "student", "add", "Eva", "--grade", "6", umask=0o022).returncode == 0
    r = run(env, "session", "--student", "Eva", "--text", "--no-voice", input="I like maps\nyes\nstop\n", umask=0o022)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "eva.pdf"
    assert run(env, "export", "--student", "Eva", "--format", "pdf", "--out", out, umask=0o022).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    found = modes(data)
    assert "iep.sqlite3" in found
    for name, mode in found.items():
        is_dir = (data / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), (name, oct(mode))

@pytest.mark.tried("a data folder 0755 with a database 0644", 1, "made 0700/0600 when opened")

def test_an_older_data_folder_is_made_private_when_opened(base_env, tmp_path):
    data = tmp_path / "data"
    env = dict(base_env, IEP_ASSISTANT_DATA=str(data))
    assert run(env, "student", "add", "Eva", "--grade", "6").returncode == 0
    os.chmod(data, 0o755)
    os.chmod(data / "iep.sqlite3", 0o644)
    (data / "audio").mkdir(mode=0o755, exist_ok=True)
    assert run(env, "student", "list").returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "iep.sqlite3").stat().st_mode) == 0o600

@pytest.mark.tried("--data-dir pointing at a shared folder with other files", 1, "refused with a suggested subfolder; not chmod-ed, nothing written")

def test_a_shared_folder_is_refused_not_made_private(base_env, tmp_path):
    shared = tmp_path / "Documents"
    shared.mkdir()
    (shared / "lesson plans.txt").write_text("week 1\n")
    os.chmod(shared, 0o755)
    r = run(base_env, "student", "add", "Zoe", "--grade", "3", "--data-dir", shared)
    assert r.returncode == 2, r.stderr
    assert "already holds other files" in r.stderr and str(shared / "iep-assistant") in r.stderr, r.stderr
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # not chmod-ed
    assert sorted(p.name for p in shared.iterdir()) == ["lesson plans.txt"]  # nothing written
    # the subfolder it suggests works
    assert run(base_env, "student", "add", "Zoe", "--grade", "3", "--data-dir", shared / "iep-assistant").returncode == 0

@pytest.mark.tried("a spoken read-back of a student's answer, then student remove", 1, "rendered only in the student's private folder; an older shared cache deleted; all gone with the student")

@pytest.mark.slow  # a spoken session on virtual audio devices (~25 s)
def test_speech_made_from_a_students_words_stays_in_their_private_folder(pulse, tmp_path, cache_home):
    """Read-backs, the welcome with the name, accommodation prompts: rendered into the
    student's private folder, never the shared cache; deleted with the student. The
    cache of an older version, which held such lines, is deleted."""
    from assistant.speech.tts import Speaker

    data = tmp_path / "data"
    cache = tmp_path / "cache"
    old = cache / "iep-assistant" / "tts"
    old.mkdir(parents=True)
    (old / "0123456789abcdef.wav").write_bytes(b"RIFF")  # a read-back cached by an older version
    env = dict(pulse.env, IEP_ASSISTANT_DATA=str(data), XDG_CACHE_HOME=str(cache))
    assert run(env, "student", "add", "Lin Park", "--grade", "3", "--accommodation", "a secret accommodation").returncode == 0
    answer = "my secret is purple dinosaurs"
    r = run(env, "session", "--student", "Lin Park", "--text", "--output-device", "pulse", "--rate", "400",
            input=f"{answer}\nyes\nstop\n")
    assert r.returncode == 0, r.stderr
    assert "could not be spoken" not in r.stdout and "stopped working" not in r.stdout, r.stdout
    speaker = Speaker(rate=400, cache=tmp_path / "unused")  # only for its cache keys
    private_lines = [f"I heard: {answer}. Is that right?"]
    public_lines = ["What are you good at, in school or outside of school?"]
    shared = cache / "iep-assistant" / "prompts"
    private = data / "speech" / "student-1"
    key = lambda text: speaker._key(" ".join(text.split())) + ".wav"  # noqa: E731
    for line in private_lines:
        assert not (shared / key(line)).exists() and (private / key(line)).exists(), line
    for line in public_lines:
        assert (shared / key(line)).exists(), line
    welcome = [p for p in private.iterdir()]
    assert len(welcome) >= 2  # the welcome (with the name) and the read-back at least
    assert not old.exists()
    for p in private.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert run(env, "student", "remove", "Lin Park", "--yes").returncode == 0
    assert not private.exists() and not (data / "audio" / "student-1").exists()
