"""Where things live, every setting read from the environment, and the rules for
folders and files that hold student data.

This is the one module that reads the environment (``assistant/simulate/pulse.py``
and ``assistant/bench/program.py`` only build environments for child processes):

- ``IEP_ASSISTANT_DATA``: the student data folder (``--data-dir`` wins over it)
- ``IEP_ASSISTANT_MODELS``: the speech models folder
- ``IEP_ASSISTANT_CATALOG``: a model catalog to use instead of the shipped one
- ``IEP_ASSISTANT_DEBUG``: tracebacks instead of one-line internal errors
- ``XDG_DATA_HOME``, ``XDG_CACHE_HOME``: the user's data and cache folders
  (``~/.local/share`` and ``~/.cache`` when unset)

What comes with the program (the dialogues, the model catalog) is read-only and
found by ``shipped``; everything the program writes goes under the user's folders:

- student data: ``$XDG_DATA_HOME/iep-assistant`` (``default_data_dir``)
- speech models: ``$XDG_DATA_HOME/iep-assistant-models`` (``models_dir``)
- benchmark results: ``$XDG_DATA_HOME/iep-assistant-bench`` (``bench_dir``)
- the prompt cache and verified hashes: ``$XDG_CACHE_HOME/iep-assistant`` (``cache_dir``)

The models and benchmark folders sit beside the data folder, not in it: the data
folder is private and holds nothing but student data.

Student data (the database, recordings, speech made from a student's words,
exports, backups) lives in one private data folder: the folder is 0700 and every
file 0600, whatever the umask, so no other account on a shared classroom
computer can read it. Speech models and the cache of the dialogue's own prompts
are not student data and follow the user's umask.
"""

from __future__ import annotations

import os
import stat
import tempfile
from importlib import resources
from pathlib import Path

from assistant.errors import UserError

DB_NAME = "iep.sqlite3"
MARKER = ".iep-assistant-data"  # says "this folder is ours", so it may be made private


def _xdg(variable: str, fallback: str) -> Path:
    """An XDG base folder. The XDG spec says to ignore a relative value: it would
    make the folder depend on where the command was started."""
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else Path.home() / fallback


def data_home() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share")


def default_data_dir() -> Path:
    if os.environ.get("IEP_ASSISTANT_DATA"):
        return Path(os.environ["IEP_ASSISTANT_DATA"])
    return data_home() / "iep-assistant"


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "iep-assistant"


def models_dir() -> Path:
    """Where ``models download`` and ``models import`` put models."""
    if os.environ.get("IEP_ASSISTANT_MODELS"):
        return Path(os.environ["IEP_ASSISTANT_MODELS"])
    return data_home() / "iep-assistant-models"


def model_dirs() -> list[Path]:
    """Where installed models are looked for: ``models_dir()``, then, when running
    from a source checkout and ``$IEP_ASSISTANT_MODELS`` is not set, the
    checkout's ``models/`` (where models were downloaded before they had a user
    folder; git ignores them)."""
    checkout = source_checkout()
    if os.environ.get("IEP_ASSISTANT_MODELS") or checkout is None:
        return [models_dir()]
    return [models_dir(), checkout / "models"]


def catalog_path() -> Path:
    if os.environ.get("IEP_ASSISTANT_CATALOG"):
        return Path(os.environ["IEP_ASSISTANT_CATALOG"])
    return shipped("models") / "catalog.toml"


def bench_dir() -> Path:
    """Where ``bench`` writes its results without ``--out``."""
    return data_home() / "iep-assistant-bench"


# Human English speech the benchmark measures word error rates on, where Debian's
# pocketsphinx-testdata puts it (``bench --librivox DIR`` for another folder).
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def debug() -> bool:
    return bool(os.environ.get("IEP_ASSISTANT_DEBUG"))


def graphical_display() -> bool:
    """Whether a graphical display is there (X11 or Wayland): the student's screen
    then opens in a browser window by default."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# ---------------------------------------------------------------- what comes with the program

def _package() -> Path:
    package = resources.files("assistant")
    if not isinstance(package, Path):  # pip always unpacks a wheel; a zip bundle would land here
        raise UserError(f"iep-assistant must be installed as files (pip install), not run from {package}")
    return package


def source_checkout() -> Path | None:
    """The source checkout the running package belongs to (an editable install,
    or the checkout on sys.path), or None when it was installed from a wheel."""
    root = _package().parent
    return root if (root / "pyproject.toml").is_file() else None


def shipped(name: str) -> Path:
    """A folder of read-only data that comes with the program: ``dialogues``, or
    ``models`` (the model catalog).

    An installed wheel has them as package resources, ``assistant/data/NAME``
    (pyproject.toml maps the checkout's top-level folders there). A source
    checkout has them at the top, beside the package that is running. Looking
    beside that package, rather than importing ``assistant.data.NAME`` through
    an editable install's finder, keeps a second checkout (a git worktree run
    with another checkout's environment) reading its own files."""
    installed = _package() / "data" / name
    if installed.is_dir():
        return installed
    checkout = source_checkout()
    if checkout is not None and (checkout / name).is_dir():
        return checkout / name
    raise UserError(f"the folder {installed}, which comes with the program, is missing (a damaged install?): "
                    "reinstall iep-assistant")


def dialogues_dir() -> Path:
    return shipped("dialogues")


def is_data_dir(path: Path) -> bool:
    return (path / MARKER).exists() or (path / DB_NAME).exists()


def prepare_data_dir(path: Path) -> Path:
    """Make ``path`` the private data folder: create it 0700, or take an existing
    one that is ours (or empty) and make it 0700. A folder that already holds
    other files (a home folder, /tmp, a shared drive) is refused rather than
    silently made private: chmod-ing someone's shared folder would lock others out."""
    path = Path(path)
    try:
        if not path.exists():
            path.mkdir(parents=True, mode=0o700)
        elif not path.is_dir():
            raise UserError(f"the data folder {path} is a file, not a folder; pass --data-dir with a folder")
        else:
            st = path.stat()
            if st.st_uid != os.geteuid():
                raise UserError(f"the data folder {path} belongs to another user; student data needs a folder of "
                                "your own: pass --data-dir with a new folder")
            if not is_data_dir(path):
                others = sorted(p.name for p in path.iterdir())
                if others:
                    shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
                    raise UserError(f"the folder {path} already holds other files ({shown}); student data needs a "
                                    f"folder of its own that only you can read, so it was not used. Pass a new or "
                                    f"empty folder, e.g. --data-dir {path / 'iep-assistant'}")
        os.chmod(path, 0o700)
        (path / MARKER).touch(mode=0o600, exist_ok=True)
        os.chmod(path / MARKER, 0o600)
    except OSError as e:
        raise UserError(f"cannot use the data folder {path}: {e.strerror}; pass --data-dir with a folder you can write") from None
    return path


def private_dir(path: Path) -> Path:
    """A folder for student data, 0700 (made with its parents inside the data folder)."""
    path = Path(path)
    missing = []
    level = path
    while not level.is_dir():
        missing.append(level)
        level = level.parent
    for level in reversed(missing):  # each missing level 0700 (mkdir(parents=True) would give them the umask's mode)
        level.mkdir(mode=0o700, exist_ok=True)
        os.chmod(level, 0o700)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def make_private(path: Path) -> None:
    """A file that holds student data: 0600."""
    if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
        os.chmod(path, 0o600)


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` as a 0600 file, atomically: a full disk or a crash
    leaves the old file (or none), never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
