"""Set-up's int8 EfficientNet-Lite0 (scripts/make-int8-model.sh) against the fp32 original on every
real photo and video frame the project has (var/photos, var/objects, the test assets' tensors).

The frames are pre-processed by scripts/vision_reference.py, the algorithm the Swift Vision tests
check the classifier against (logits within 1e-4), and run through ONNX Runtime from the same pinned
wheel whose library the Swift code loads: the same models on the same inputs, but in seconds where
the debug Swift pre-processing would take minutes. The Swift suite (Tests/VisionTests,
QuantizedModelTests) checks the int8 model through the Swift classifier on the photos. Speed is not
tested (edgefactor-bench vision measures it, docs/benchmarks.md).

Top-1 agreement: both models' best class is the same. Top-5 agreement: fp32's best class is among
int8's five best.
"""
import functools
import os
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import vision_reference as ref  # noqa: E402

HOME = Path(os.environ.get("EDGEFACTOR_HOME", ROOT / "var"))
MODELS = HOME / "models"
FOLDERS = ["photos", "objects/box", "objects/cup", "objects/others"]
# Frames whose fp32 best class leads the second by at least this much probability.
DECISIVE_MARGIN = 0.1


@functools.lru_cache(maxsize=16)
def axis(in_size, out_size, start, length, kind):
    return ref.axis_matrix(in_size, out_size, start, length, kind)


def tensor(path: Path) -> np.ndarray:
    """EfficientNet-Lite's input for one frame (vision_reference.tensor, with the resampling
    matrices built once per frame size)."""
    recipe = ref.EFFICIENTNET_LITE
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    height, width, _ = pixels.shape
    x, y, w, h = ref.region(width, height, 224, 224, recipe["crop"])
    mx, my = axis(width, 224, x, w, recipe["kind"]), axis(height, 224, y, h, recipe["kind"])
    planes = pixels.astype(np.float64).transpose(2, 0, 1)
    out = np.stack([(my @ planes[c] @ mx.T) * recipe["scale"][c] + recipe["offset"][c] for c in range(3)])
    return out[None].astype(np.float32)


def session(name: str) -> ort.InferenceSession:
    path = MODELS / f"{name}.onnx"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/setup.sh (scripts/make-int8-model.sh)")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def results():
    """fp32 and int8 outputs for every frame: {set: (names, fp32 logits, int8 logits, cosines)}."""
    fp32, int8 = session("efficientnet-lite0"), session("efficientnet-lite0-int8")
    inputs = {}
    for folder in FOLDERS:
        paths = sorted(p for p in (HOME / folder).glob("*") if p.suffix in (".jpg", ".png"))
        if not paths:
            pytest.fail(f"no frames in {HOME / folder}: run scripts/setup.sh")
        inputs[folder] = [(f"{folder}/{p.name}", lambda p=p: tensor(p)) for p in paths]
    inputs["test-assets"] = [
        (name, lambda name=name: np.fromfile(HOME / "test-assets" / f"{name}.input.f32", dtype=np.float32).reshape(1, 3, 224, 224))
        for name in ("coffee-efficientnet", "chelsea-efficientnet")]
    out = {}
    for key, items in inputs.items():
        names, a, b, cos = [], [], [], []
        for name, make in items:
            x = make()
            la, fa = fp32.run(["output_0", "features"], {"input_0": x})
            lb, fb = int8.run(["output_0", "features"], {"input_0": x})
            names.append(name)
            a.append(la[0])
            b.append(lb[0])
            cos.append(float(fa[0] @ fb[0] / np.linalg.norm(fa[0]) / np.linalg.norm(fb[0])))
        out[key] = (names, np.array(a), np.array(b), np.array(cos))
    return out


def agreement(fp32: np.ndarray, int8: np.ndarray):
    best = fp32.argmax(1)
    top1 = float(np.mean(int8.argmax(1) == best))
    top5 = float(np.mean([best[i] in np.argsort(-int8[i])[:5] for i in range(len(best))]))
    return top1, top5


def margins(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    s = np.sort(p, 1)
    return s[:, -1] - s[:, -2]


def combined(results, keep=lambda name: True):
    names = [n for key in results for n in results[key][0]]
    mask = np.array([keep(n) for n in names])
    fp32 = np.concatenate([results[key][1] for key in results])[mask]
    int8 = np.concatenate([results[key][2] for key in results])[mask]
    cos = np.concatenate([results[key][3] for key in results])[mask]
    return fp32, int8, cos


def test_every_frame_is_covered(results):
    counts = {key: len(value[0]) for key, value in results.items()}
    print("frames per set:", counts)
    assert counts["photos"] >= 8 and counts["objects/box"] >= 400 and counts["objects/cup"] >= 200


def test_top5_agreement_on_every_frame_is_at_least_99_percent(results):
    for key, (names, fp32, int8, cos) in results.items():
        top1, top5 = agreement(fp32, int8)
        print(f"{key}: {len(names)} frames, top-1 {top1:.2%}, top-5 {top5:.2%}, embedding cosine mean {cos.mean():.4f} lowest {cos.min():.4f}")
    fp32, int8, cos = combined(results)
    top1, top5 = agreement(fp32, int8)
    print(f"all: {len(fp32)} frames, top-1 {top1:.2%}, top-5 {top5:.2%}")
    assert top5 >= 0.99
    calibration = set((MODELS / "efficientnet-lite0-int8.calibration.txt").read_text().split())
    held = combined(results, keep=lambda name: name not in calibration)
    held_top1, held_top5 = agreement(held[0], held[1])
    print(f"not used for calibration: {len(held[0])} frames, top-1 {held_top1:.2%}, top-5 {held_top5:.2%}")
    assert held_top5 >= 0.99
    # The embedding stays close to fp32's (it is not the same: templates are per model).
    assert cos.mean() >= 0.98 and cos.min() >= 0.8


def test_top1_agreement_where_fp32_is_decisive_is_at_least_97_percent(results):
    fp32, int8, _ = combined(results)
    decisive = margins(fp32) >= DECISIVE_MARGIN
    top1, _ = agreement(fp32[decisive], int8[decisive])
    print(f"decisive frames (fp32 margin >= {DECISIVE_MARGIN}): {decisive.sum()}, top-1 {top1:.2%}")
    assert decisive.sum() >= 100
    assert top1 >= 0.97


@pytest.mark.xfail(strict=True, reason="about half of these frames are near ties (fp32's two best classes within "
                   "5 points), and fp32 itself keeps its best class on only about 94 % of frames under half a grey "
                   "level of input noise; see docs/benchmarks.md, int8")
def test_top1_agreement_on_every_frame_is_at_least_97_percent(results):
    fp32, int8, _ = combined(results)
    top1, _ = agreement(fp32, int8)
    assert top1 >= 0.97
