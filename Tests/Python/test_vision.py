"""Vision end to end: `edgefactor classify` as users run it, the default-model converter's safety,
and the pre-processing reference checked against Pillow (so the Swift parity tests compare against
something independent, not against a copy of themselves)."""
import io
import os
import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, free_port

sys.path.insert(0, str(ROOT / "scripts"))
import convert_efficientnet_lite as converter  # noqa: E402
import vision_reference as ref  # noqa: E402

HOME = Path(os.environ.get("EDGEFACTOR_HOME", ROOT / "var"))


def classify(edgefactor_bin, *args, env=None, timeout=120):
    return subprocess.run([edgefactor_bin, "classify", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def test_classify_photo_prints_espresso_and_writes_annotated_jpeg(edgefactor_bin, tmp_path):
    out = tmp_path / "annotated.jpg"
    result = classify(edgefactor_bin, HOME / "photos" / "coffee.jpg", out, "--topk", "3", "--threads", "2")
    assert result.returncode == 0, result.stderr
    first = next(line for line in result.stdout.splitlines() if line.startswith("frame 0"))
    assert "espresso (967)" in first.split("|")[0]
    assert "FPS" in result.stdout and "inference" in result.stdout
    annotated = np.asarray(Image.open(out).convert("RGB")).astype(int)
    original = np.asarray(Image.open(HOME / "photos" / "coffee.jpg").convert("RGB")).astype(int)
    assert annotated.shape == original.shape
    # The caption changes the top-left corner and leaves the rest of the photo alone.
    assert np.abs(annotated[:20, :100] - original[:20, :100]).mean() > 20
    assert np.abs(annotated[200:, 200:] - original[200:, 200:]).mean() < 3


def test_classify_custom_model_with_labels(edgefactor_bin):
    models = HOME / "models" / "test"
    result = classify(edgefactor_bin, HOME / "photos", "--model", models / "resnet18-3class.onnx",
                      "--labels", models / "resnet18-3class.labels.txt", "--input-blob", "input_0",
                      "--output-blob", "output_0", "--topk", "1")
    assert result.returncode == 0, result.stderr
    frames = [line for line in result.stdout.splitlines() if line.startswith("frame ")]
    assert len(frames) == len(list((HOME / "photos").glob("*.[jp][pn]g")))
    assert all(any(name in line for name in ("phone", "keys", "wallet")) for line in frames)


def test_classify_int8_model_by_name_reports_the_model(edgefactor_bin):
    result = classify(edgefactor_bin, HOME / "photos" / "coffee.jpg", "--model", "efficientnet-lite0-int8",
                      "--topk", "1", "--threads", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("model: efficientnet-lite0-int8 (") and "efficientnet-lite0-int8.onnx" in lines[0]
    assert "espresso (967)" in next(line for line in lines if line.startswith("frame 0"))
    assert lines[-1].startswith("model efficientnet-lite0-int8: 1 frames.")
    quiet = classify(edgefactor_bin, HOME / "photos" / "coffee.jpg", "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip().startswith("model efficientnet-lite0: 1 frames.")
    missing = classify(edgefactor_bin, HOME / "photos" / "coffee.jpg", "--model", "no-such-model")
    assert missing.returncode != 0 and "no-such-model.onnx not found" in missing.stderr


@pytest.mark.parametrize("args, message", [
    (["--labels", "{models}/two-labels.txt", "--model", "{models}/resnet18-3class.onnx"], "has 2 labels but the model has 3"),
    (["--model", "{models}/gray-input.onnx"], "does not look like an image classifier"),
    (["--model", "/nonexistent/model.onnx"], "not found"),
    (["--input-blob", "data"], "no input named data"),
    (["--provider", "cuda"], "not available in this ONNX Runtime build"),
])
def test_classify_bad_configuration_is_a_clear_error(edgefactor_bin, args, message):
    models = HOME / "models" / "test"
    result = classify(edgefactor_bin, HOME / "photos" / "coffee.jpg", *[a.format(models=models) for a in args])
    assert result.returncode != 0
    assert message in result.stderr


def test_classify_bad_inputs(edgefactor_bin, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((HOME / "photos" / "coffee.jpg").read_bytes()[:3000])
    result = classify(edgefactor_bin, broken)
    assert result.returncode != 0 and "corrupt or truncated" in result.stderr
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    result = classify(edgefactor_bin, text)
    assert result.returncode != 0
    result = classify(edgefactor_bin, tmp_path / "missing.jpg")
    assert result.returncode != 0 and "does not exist" in result.stderr


def test_missing_onnx_runtime_says_to_run_setup(edgefactor_bin):
    env = dict(os.environ, EDGEFACTOR_ORT_LIBRARY="/nonexistent/libonnxruntime.so")
    result = classify(edgefactor_bin, HOME / "photos" / "coffee.jpg", env=env)
    assert result.returncode != 0
    assert "scripts/setup.sh" in result.stderr and "/nonexistent/libonnxruntime.so" in result.stderr


def test_video_file_through_ffmpeg(edgefactor_bin, tmp_path):
    video = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-frames:v", "4", "-c:v", "mpeg4", str(video)], check=True, timeout=60)
    result = classify(edgefactor_bin, video, tmp_path / "out-%d.jpg", "--topk", "1", "--threads", "1")
    assert result.returncode == 0, result.stderr
    assert "4 frames." in result.stdout
    assert sorted(p.name for p in tmp_path.glob("out-*.jpg")) == [f"out-{i}.jpg" for i in range(4)]


def test_mjpeg_preview_streams_annotated_frames(edgefactor_bin):
    port = free_port()
    proc = subprocess.Popen([edgefactor_bin, "classify", "synthetic://320x240?frames=40&fps=10",
                             f"http://127.0.0.1:{port}", "--threads", "1", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        data = b""
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: preview\r\n\r\n")
                    while data.count(b"\xff\xd9") < 2 and time.monotonic() < deadline:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                break
            except OSError:
                time.sleep(0.2)
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert b"multipart/x-mixed-replace" in data
        start = data.index(b"\xff\xd8\xff")
        frame = Image.open(io.BytesIO(data[start:data.index(b"\xff\xd9", start) + 2]))
        assert frame.size == (320, 240)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read()


# --- the default-model converter -------------------------------------------------------------

class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_converter_refuses_pickles_that_would_run_code():
    payload = io.BytesIO()
    for obj in (converter.LEGACY_MAGIC, converter.LEGACY_PROTOCOL, {"little_endian": True}):
        pickle.dump(obj, payload)
    pickle.dump(_Evil(), payload)
    with pytest.raises(converter.LegacyFormatError, match="refusing global"):
        converter.load_legacy_state_dict(payload.getvalue())


def test_converter_refuses_non_checkpoints():
    with pytest.raises(converter.LegacyFormatError):
        converter.load_legacy_state_dict(b"PK\x03\x04 not a legacy checkpoint")
    with pytest.raises(converter.LegacyFormatError, match="magic"):
        converter.load_legacy_state_dict(pickle.dumps(12345))


def test_default_model_is_the_converted_efficientnet():
    import onnx
    model = onnx.load(str(HOME / "models" / "efficientnet-lite0.onnx"), load_external_data=False)
    assert "Apache-2.0" in model.doc_string
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    assert 4.5e6 < params < 4.8e6
    assert (HOME / "models" / "labels.txt").read_text().splitlines()[967] == "n07920052 espresso"


# --- the pre-processing reference against Pillow ---------------------------------------------

@pytest.mark.parametrize("kind, pil_filter", [("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)])
def test_reference_resampling_agrees_with_pillow(kind, pil_filter):
    image = Image.open(HOME / "photos" / "coffee.png").convert("RGB")
    ours = ref.resample(np.asarray(image), 224, 224, None, kind)
    pillow = np.asarray(image.resize((224, 224), pil_filter)).astype(np.float64).transpose(2, 0, 1)
    difference = np.abs(ours - pillow)
    # Pillow rounds to 8 bits between its two passes (and clips bicubic overshoot); we keep floats.
    assert difference.mean() < 0.5
    assert np.percentile(difference, 99) < 3
