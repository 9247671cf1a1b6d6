#!/usr/bin/env bash
# Set up iep-assistant on this machine: system packages (Debian/Ubuntu), a
# virtual environment in .venv, and the project with its speech models.
#
#   ./setup.sh          what a classroom computer needs
#   ./setup.sh --dev    also what the tests need (the Vosk Korean test model, pytest, test audio)
set -euo pipefail
cd "$(dirname "$0")"

dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# speech output (espeak-ng drives pyttsx3), audio devices (PortAudio, and
# PulseAudio with its ALSA plug-in), and for tests real speech recordings and
# the tools that play into and record from virtual devices.
packages=(espeak-ng libespeak-ng1 libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins)
if [ "$dev" = 1 ]; then
  packages+=(pocketsphinx-testdata sox util-linux chromium chromium-driver)
  # npm fetches axe-core (below); a machine with Node.js from elsewhere has it already
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo apt-get update -qq
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "setup: these Debian packages are missing: ${missing[*]}" >&2
      echo "setup: ask an administrator to run: sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
else
  echo "setup: not a Debian/Ubuntu system: install espeak-ng and PortAudio yourself (e.g. brew install espeak-ng portaudio)" >&2
fi

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "setup: Python 3.11 or newer is needed (sudo apt-get install python3 python3-venv)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$python" --version)"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
  # axe-core, the accessibility checker the browser tests run in the page: from npm,
  # pinned by version and the SHA-256 of its package (PyPI's copies bundle a 2019 axe)
  axe=.venv/share/axe-core/axe.min.js
  if [ ! -f "$axe" ]; then
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent axe-core@4.14.1 >/dev/null)
    echo "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745  $tmp/axe-core-4.14.1.tgz" | sha256sum -c --quiet
    mkdir -p "$(dirname "$axe")"
    tar -xzf "$tmp/axe-core-4.14.1.tgz" -C "$tmp" package/axe.min.js package/LICENSE
    mv "$tmp/package/LICENSE" "$(dirname "$axe")/LICENSE"
    mv "$tmp/package/axe.min.js" "$axe"
    rm -rf "$tmp"
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
# the natural voice with its word timings (the student's screen lights each word as it
# is spoken): patched once into the user's cache, so the first prompt does not wait for it
.venv/bin/python -c "from assistant.speech import piper
for v in piper.installed_voices(): piper.aligned_model(v)" || echo "setup: the voice's word timings will be prepared at its first use"
echo "setup: ready. Installed speech models:"
.venv/bin/iep-assistant models list | sed -n '/^Installed/,/^Can be fetched/p' | sed '$d'
