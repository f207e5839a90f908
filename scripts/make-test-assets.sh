#!/usr/bin/env bash
# Test assets for the Vision tests: scikit-image's sample photos in var/photos, ResNet-18-shaped
# random-weight models in var/models/test, reference tensors in var/test-assets.
# Idempotent: re-runs only when the generators changed or an output is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
py="$PWD/.venv/bin/python"
[ -x "$py" ] || { echo "make-test-assets.sh: no .venv; run scripts/setup.sh --test" >&2; exit 1; }
stamp=var/test-assets/.stamp
want=$(cat scripts/make_test_assets.py scripts/vision_reference.py var/models/.efficientnet-lite0.stamp 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -f var/test-assets/manifest.json ] && [ -f var/models/test/resnet18-1000.onnx ] \
   && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
printf '\033[1m==> %s\033[0m\n' "making Vision test assets"
"$py" scripts/make_test_assets.py var
echo "$want" > "$stamp"
