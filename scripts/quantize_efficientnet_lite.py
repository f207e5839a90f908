"""Static int8 quantization of set-up's EfficientNet-Lite0 with ONNX Runtime's own tools.

    quantize_efficientnet_lite.py FP32_MODEL OUTPUT_MODEL CALIBRATION_LIST FRAME...

Calibration uses real frames (every CALIBRATION_STRIDE-th of the FRAME files given, in sorted
order), pre-processed exactly as EdgeFactor's Swift classifier does for this model (centre crop
224/256, bicubic, (x - 127) / 128, RGB, NCHW float32; the algorithm is scripts/vision_reference.py,
which the Vision tests check against the Swift code). Quantization is
`onnxruntime.quantization.quantize_static`: QDQ format, unsigned 8-bit activations and signed 8-bit
weights (ONNX Runtime's preferred pairing on x86), per-channel weights, MinMax ranges. The stem
convolution (the node that reads the image) stays in float: quantizing its input would round the
resampled pixels to 8 bits again (up to half a grey level), and on this project's frames, where many
answers are near ties, that alone flips about 3 % of the best classes (docs/benchmarks.md, "int8").

The model keeps both outputs (`output_0`, the logits, and `features`, the 1280-d embedding) and the
`edgefactor.*` metadata, so the Swift classifier loads it like the fp32 one. CALIBRATION_LIST
receives the calibration frames' names, so the agreement test can report held-out frames apart.
"""
from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vision_reference as ref  # noqa: E402

# Every this-many-th frame (sorted by path) calibrates; the rest are never seen by calibration.
CALIBRATION_STRIDE = 8
INPUT_SIZE = 224

# The axis matrices depend only on the frame size, and most frames share one: build each once.
ref.axis_matrix = functools.lru_cache(maxsize=64)(ref.axis_matrix)


def tensor(path: str) -> np.ndarray:
    """The model input for one frame, as the Swift classifier makes it."""
    recipe = ref.EFFICIENTNET_LITE
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    return ref.tensor(pixels, INPUT_SIZE, INPUT_SIZE, recipe["crop"], recipe["kind"], recipe["scale"], recipe["offset"])


class FrameReader(CalibrationDataReader):
    """Feeds the calibration frames one at a time (a batch of one, as the classifier runs)."""

    def __init__(self, input_name: str, frames: list[str]):
        self.input_name = input_name
        self.frames = iter(frames)

    def get_next(self):
        path = next(self.frames, None)
        return None if path is None else {self.input_name: tensor(path)}


def main(argv: list[str]) -> int:
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    source, output, calibration_list = Path(argv[1]), Path(argv[2]), Path(argv[3])
    frames = sorted(argv[4:])
    calibration = frames[::CALIBRATION_STRIDE]
    if len(calibration) < 16:
        print(f"quantize_efficientnet_lite.py: {len(frames)} frames give only {len(calibration)} calibration frames; "
              "run scripts/make-test-assets.sh and scripts/make-object-data.sh first", file=sys.stderr)
        return 1
    model = onnx.load(str(source))
    input_name = model.graph.input[0].name
    outputs = [o.name for o in model.graph.output]
    metadata = {p.key: p.value for p in model.metadata_props}
    keep_float = [node.name for node in model.graph.node if input_name in node.input]

    with tempfile.TemporaryDirectory(dir=output.parent) as work:
        partial = Path(work) / output.name
        quantize_static(
            str(source), str(partial), FrameReader(input_name, calibration),
            quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            per_channel=True, calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=keep_float)
        quantized = onnx.load(str(partial))
        # The classifier finds its pre-processing and embedding output in the metadata.
        have = {p.key for p in quantized.metadata_props}
        for key, value in metadata.items():
            if key not in have:
                quantized.metadata_props.add(key=key, value=value)
        quantized.metadata_props.add(key="edgefactor.quantization",
                                     value=f"static int8 (QDQ, U8 activations, S8 per-channel weights, MinMax; float: {', '.join(keep_float)}) "
                                           f"from {source.name}, {len(calibration)} calibration frames")
        got = [o.name for o in quantized.graph.output]
        if got != outputs:
            print(f"quantize_efficientnet_lite.py: outputs changed from {outputs} to {got}", file=sys.stderr)
            return 1
        onnx.save(quantized, str(partial))
        os.replace(partial, output)
    calibration_list.write_text("".join(os.path.relpath(p, calibration_list.parent.parent) + "\n" for p in calibration))
    print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB; {len(calibration)} of {len(frames)} frames calibrated)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
