"""Packaging and where things live: the wheel's package list, the shipped data
(dialogues, model catalog) found from a source checkout and from an installed
layout, the user folders and their environment overrides, and the rule that only
assistant/paths.py reads the environment.

The real wheel (built, installed into a clean venv, run from another folder) is
checked by .ci/wheel-check; these tests are the fast part."""

import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from assistant import paths
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_every_code_package_is_in_the_wheel():
    """pyproject lists the packages (find cannot see the mapped data folders): a new
    sub-package must be added there, or the wheel would lack it."""
    code = sorted(".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "assistant").rglob("__init__.py"))
    listed = SETUPTOOLS["packages"]
    assert sorted(p for p in listed if not p.startswith("assistant.data.")) == code
    for package, folder in SETUPTOOLS["package-dir"].items():
        assert package in listed and (ROOT / folder).is_dir()


def test_package_data_covers_the_shipped_files():
    data = SETUPTOOLS["package-data"]
    dialogues = sorted(p for pattern in data["assistant.data.dialogues"] for p in (ROOT / "dialogues").glob(pattern))
    assert dialogues == sorted((ROOT / "dialogues").rglob("*.yaml")) and dialogues
    assert (ROOT / "dialogues/en/lessons/lessons.yaml") in dialogues  # the lessons of `learn` are shipped too
    assert data["assistant.data.models"] == ["catalog.toml"]  # never the models downloaded beside it
    assert "py.typed" in data["assistant"] and (ROOT / "assistant" / "py.typed").is_file()
    assert SETUPTOOLS["include-package-data"] is False  # package-data is the whole list
    assert PYPROJECT["project"]["license"] == "MIT" and (ROOT / "LICENSE").is_file()


def test_from_a_checkout_the_top_level_folders_are_read():
    assert paths.source_checkout() == ROOT
    assert paths.dialogues_dir() == ROOT / "dialogues"
    assert paths.shipped("models") == ROOT / "models"


@pytest.mark.tried("an installed package whose shipped dialogues folder is missing", 1,
                   "exit 2, 'reinstall iep-assistant', no traceback")
def test_an_installed_layout_reads_its_package_resources(tmp_path, base_env):
    """The layout a wheel installs (assistant/data/...), with no checkout around it
    and run from an unrelated folder: the shipped files come from inside the package."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "assistant", site / "assistant", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "dialogues", site / "assistant" / "data" / "dialogues")
    (site / "assistant" / "data" / "models").mkdir()
    shutil.copy(ROOT / "models" / "catalog.toml", site / "assistant" / "data" / "models")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in base_env.items() if not k.startswith("IEP_ASSISTANT_")}
    env.update(PYTHONPATH=str(site), XDG_DATA_HOME=str(tmp_path / "xdg-data"))

    def run(*args):
        r = subprocess.run([sys.executable, "-m", "assistant", *args], env=env, cwd=elsewhere, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    probe = subprocess.run([sys.executable, "-c", "from assistant import paths; print(paths.source_checkout()); "
                            "print(paths.dialogues_dir()); print(paths.catalog_path()); print(*paths.model_dirs())"],
                           env=env, cwd=elsewhere, capture_output=True, text=True, check=True).stdout.split("\n")
    assert probe[:4] == ["None", str(site / "assistant/data/dialogues"), str(site / "assistant/data/models/catalog.toml"),
                         str(tmp_path / "xdg-data/iep-assistant-models")]
    listed = run("dialogues", "list")
    # the dialogues only: the lessons (dialogues/*/lessons/) are not dialogues
    assert len(listed.splitlines()) == len(list((ROOT / "dialogues").glob("*/*.yaml"))) and str(site) in listed
    assert "vosk-model-small-en-us-0.15" in run("models", "list")

    # a damaged install says so, rather than listing nothing
    shutil.rmtree(site / "assistant" / "data" / "dialogues")
    r = subprocess.run([sys.executable, "-m", "assistant", "dialogues", "list"], env=env, cwd=elsewhere,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "reinstall iep-assistant" in r.stderr and "Traceback" not in r.stderr


def test_user_folders_and_their_overrides(monkeypatch, tmp_path):
    for name in ("IEP_ASSISTANT_DATA", "IEP_ASSISTANT_MODELS", "IEP_ASSISTANT_CATALOG", "IEP_ASSISTANT_DEBUG",
                 "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home = tmp_path / "home"
    assert paths.default_data_dir() == home / ".local/share/iep-assistant"
    assert paths.models_dir() == home / ".local/share/iep-assistant-models"
    assert paths.bench_dir() == home / ".local/share/iep-assistant-bench"
    assert paths.cache_dir() == home / ".cache/iep-assistant"
    assert paths.catalog_path() == ROOT / "models" / "catalog.toml"
    assert paths.model_dirs() == [paths.models_dir(), ROOT / "models"]  # a checkout's own models/ is found too
    assert not paths.debug()

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    assert paths.default_data_dir() == tmp_path / "data-home/iep-assistant"
    assert paths.models_dir() == tmp_path / "data-home/iep-assistant-models"
    assert paths.cache_dir() == tmp_path / "cache-home/iep-assistant"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # the XDG spec: ignore a relative value
    assert paths.default_data_dir() == home / ".local/share/iep-assistant"

    monkeypatch.setenv("IEP_ASSISTANT_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("IEP_ASSISTANT_MODELS", str(tmp_path / "m"))
    monkeypatch.setenv("IEP_ASSISTANT_CATALOG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("IEP_ASSISTANT_DEBUG", "1")
    assert paths.default_data_dir() == tmp_path / "d"
    assert paths.models_dir() == tmp_path / "m" and paths.model_dirs() == [tmp_path / "m"]
    assert paths.catalog_path() == tmp_path / "c.toml"
    assert paths.debug()


def test_only_paths_reads_the_environment():
    """Settings come from one place. Copying the environment for a child process
    (dict(os.environ, ...)) is not reading it."""
    readers = []
    for f in sorted((ROOT / "assistant").rglob("*.py")):
        if f.name == "paths.py" and f.parent.name == "assistant":
            continue
        for n, line in enumerate(f.read_text().splitlines(), 1):
            uses = re.findall(r"os\.environ\b|getenv\b|environ\[", line)
            copies = re.findall(r"dict\(os\.environ\b", line)
            if len(uses) > len(copies):
                readers.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not readers, "read the environment in assistant/paths.py:\n" + "\n".join(readers)


def test_models_in_a_checkouts_models_folder_are_still_found(monkeypatch, tmp_path):
    """Models downloaded into a checkout's models/ before they had a user folder
    stay usable; one of the same name in the user folder wins, and downloading
    that name again needs --force."""
    from assistant import models
    from assistant.errors import UserError

    checkout = tmp_path / "checkout"
    for folder in (checkout / "models" / "vosk-model-small-en-us-0.15", checkout / "models" / "old-whisper",
                   tmp_path / "data-home" / "iep-assistant-models" / "old-whisper"):
        (folder / "am").mkdir(parents=True)
    monkeypatch.setattr(paths, "source_checkout", lambda: checkout)
    monkeypatch.delenv("IEP_ASSISTANT_MODELS", raising=False)
    monkeypatch.setenv("IEP_ASSISTANT_CATALOG", str(ROOT / "models" / "catalog.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))

    found = {m.name: m.path for m in models.installed_models() if m.source == "folder"}
    assert found == {"vosk-model-small-en-us-0.15": checkout / "models" / "vosk-model-small-en-us-0.15",
                     "old-whisper": tmp_path / "data-home" / "iep-assistant-models" / "old-whisper"}
    with pytest.raises(UserError, match="already installed at .*checkout/models/vosk-model-small-en-us-0.15"):
        models.download("vosk-model-small-en-us-0.15", progress=False)

    monkeypatch.setenv("IEP_ASSISTANT_MODELS", str(tmp_path / "only-here"))  # the override is the only folder
    assert [m for m in models.installed_models() if m.source == "folder"] == []
