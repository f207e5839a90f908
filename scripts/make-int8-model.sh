#!/usr/bin/env bash
# Builds the int8 classifier once: a static int8 quantization of the default EfficientNet-Lite0 with
# ONNX Runtime's own tools (onnxruntime.quantization.quantize_static), calibrated on real frames
# (the sample photos and the personal-object frames, which make-test-assets.sh and
# make-object-data.sh produce first). Labels: the shared var/models/labels.txt.
# Output: var/models/efficientnet-lite0-int8.onnx and var/models/efficientnet-lite0-int8.calibration.txt
# (the frames that calibrated it). Idempotent: does nothing when the fp32 model, the frames and the
# quantizer are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py="$root/.venv/bin/python"
[ -x "$py" ] || { echo "make-int8-model.sh: no .venv; run scripts/setup.sh first" >&2; exit 1; }
out="$root/var/models"
fp32="$out/efficientnet-lite0.onnx"
int8="$out/efficientnet-lite0-int8.onnx"
list="$out/efficientnet-lite0-int8.calibration.txt"
stamp="$out/.efficientnet-lite0-int8.stamp"
[ -f "$fp32" ] || { echo "make-int8-model.sh: $fp32 missing; run scripts/make-default-model.sh first" >&2; exit 1; }

frames=()
while IFS= read -r -d '' f; do frames+=("$f"); done < <(
  find -L "$root/var/photos" "$root/var/objects/box" "$root/var/objects/cup" "$root/var/objects/others" \
    -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) -print0 2>/dev/null | sort -z)
[ ${#frames[@]} -gt 0 ] || { echo "make-int8-model.sh: no frames in var/photos or var/objects; run scripts/make-test-assets.sh and scripts/make-object-data.sh first" >&2; exit 1; }

want=$( { sha256sum "$fp32" scripts/quantize_efficientnet_lite.py scripts/vision_reference.py | cut -d' ' -f1
          "$py" -c 'import onnxruntime; print(onnxruntime.__version__)'
          printf '%s\n' "${frames[@]#$root/}"; } | sha256sum | cut -d' ' -f1)
if [ -f "$int8" ] && [ -f "$list" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

printf '\033[1m==> %s\033[0m\n' "quantizing EfficientNet-Lite0 to int8 (static, ${#frames[@]} frames, every 8th calibrates)"
"$py" scripts/quantize_efficientnet_lite.py "$fp32" "$int8" "$list" "${frames[@]}"
echo "$want" > "$stamp"
