"""Test assets for the Vision tests (called by scripts/make-test-assets.sh).

Writes, under OUT (var/):
- photos/: scikit-image's sample photos (coffee, chelsea, astronaut, motorcycle) as PNG and JPEG;
- models/test/resnet18-3class.onnx (+ labels) and resnet18-1000.onnx: ResNet-18-shaped networks
  (the original's architecture) with random weights, built with the onnx package;
- test-assets/: reference tensors for parity tests (pre-processing by scripts/vision_reference.py,
  logits by Python onnxruntime on the same tensors) and a manifest describing them.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import skimage
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vision_reference as ref  # noqa: E402

PHOTOS = ["coffee.png", "chelsea.png", "astronaut.png", "motorcycle_left.png"]


def copy_photos(out: Path) -> None:
    src = Path(skimage.__file__).resolve().parent / "data"
    out.mkdir(parents=True, exist_ok=True)
    for name in PHOTOS:
        target = out / name
        if not target.exists():
            shutil.copyfile(src / name, target)
        jpeg = target.with_suffix(".jpg")
        if not jpeg.exists():
            Image.open(target).convert("RGB").save(jpeg, quality=92)


def resnet18(classes: int, seed: int) -> onnx.ModelProto:
    """ResNet-18 (torchvision layout, batch norm folded into the convolutions), random weights."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def conv(x, cin, cout, k, stride, pad, relu, gain=1.0):
        w = (rng.standard_normal((cout, cin, k, k)) * gain * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.01).astype(np.float32)
        wn, bn, y = name("w"), name("b"), name("conv")
        inits.extend([numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn)])
        nodes.append(helper.make_node("Conv", [x, wn, bn], [y], kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        if relu:
            z = name("relu")
            nodes.append(helper.make_node("Relu", [y], [z]))
            return z
        return y

    x = conv("input_0", 3, 64, 7, 2, 3, True)
    y = name("pool")
    nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = y, 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        for block in range(2):
            s = stride if block == 0 else 1
            h = conv(x, cin, cout, 3, s, 1, True)
            h = conv(h, cout, cout, 3, 1, 1, False, gain=0.3)
            shortcut = conv(x, cin, cout, 1, s, 0, False) if (s != 1 or cin != cout) else x
            a, r = name("add"), name("relu")
            nodes.append(helper.make_node("Add", [h, shortcut], [a]))
            nodes.append(helper.make_node("Relu", [a], [r]))
            x, cin = r, cout
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    fc_w = (rng.standard_normal((classes, 512)) * np.sqrt(1.0 / 512)).astype(np.float32)
    fc_b = np.zeros(classes, dtype=np.float32)
    inits.extend([numpy_helper.from_array(fc_w, "fc.w"), numpy_helper.from_array(fc_b, "fc.b")])
    nodes.append(helper.make_node("Gemm", ["features", "fc.w", "fc.b"], ["output_0"], transB=1))
    graph = helper.make_graph(
        nodes, "resnet18",
        [helper.make_tensor_value_info("input_0", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("output_0", TensorProto.FLOAT, [1, classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="edgefactor-tests")
    model.ir_version = 8
    model.doc_string = f"ResNet-18-shaped test network with random weights (seed {seed}), {classes} classes."
    onnx.checker.check_model(model)
    return model


def save_model(model: onnx.ModelProto, path: Path) -> None:
    partial = path.with_suffix(".partial")
    onnx.save(model, str(partial))
    partial.replace(path)


def bad_models(out: Path) -> None:
    """Models with shapes a classifier must refuse: a 1-channel input and a rank-2 input."""
    def tiny(name, in_shape, out_shape, nodes, inits):
        graph = helper.make_graph(nodes, name,
                                  [helper.make_tensor_value_info("input_0", TensorProto.FLOAT, in_shape)],
                                  [helper.make_tensor_value_info("output_0", TensorProto.FLOAT, out_shape)], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        save_model(model, out / f"{name}.onnx")

    tiny("gray-input", [1, 1, 32, 32], [1, 1, 1, 1], [helper.make_node("GlobalAveragePool", ["input_0"], ["output_0"])], [])
    tiny("vector-input", [1, 10], [1, 10], [helper.make_node("Relu", ["input_0"], ["output_0"])], [])


def run(model_path: Path, x: np.ndarray, threads: int = 1) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input_0": x})[0].astype(np.float32)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("var")
    copy_photos(out / "photos")
    models = out / "models" / "test"
    models.mkdir(parents=True, exist_ok=True)
    resnet3 = models / "resnet18-3class.onnx"
    resnet1000 = models / "resnet18-1000.onnx"
    if not resnet3.exists():
        save_model(resnet18(3, seed=3), resnet3)
    if not resnet1000.exists():
        save_model(resnet18(1000, seed=1000), resnet1000)
    (models / "resnet18-3class.labels.txt").write_text("phone\nkeys\nwallet\n")
    (models / "two-labels.txt").write_text("phone\nkeys\n")
    bad_models(models)

    assets = out / "test-assets"
    assets.mkdir(parents=True, exist_ok=True)
    manifest = {"cases": []}
    default_model = out / "models" / "efficientnet-lite0.onnx"
    for photo in ["coffee.png", "chelsea.jpg"]:
        image = np.asarray(Image.open(out / "photos" / photo).convert("RGB"))
        for recipe_name, recipe, model in [("efficientnet", ref.EFFICIENTNET_LITE, default_model),
                                           ("resnet18-3class", ref.JETSON, resnet3)]:
            if not model.exists():
                continue
            x = ref.tensor(image, 224, 224, recipe["crop"], recipe["kind"], recipe["scale"], recipe["offset"])
            y = run(model, x)
            stem = f"{Path(photo).stem}-{recipe_name}"
            x.tofile(assets / f"{stem}.input.f32")
            y.tofile(assets / f"{stem}.logits.f32")
            manifest["cases"].append({
                "photo": f"photos/{photo}", "model": str(model.relative_to(out)), "recipe": recipe_name,
                "input": f"test-assets/{stem}.input.f32", "logits": f"test-assets/{stem}.logits.f32",
                "input_shape": list(x.shape), "logits_shape": list(y.shape),
            })
    (assets / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"test assets written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
