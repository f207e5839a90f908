"""`edgefactor enrol` and `edgefactor match` as users run them, on set-up's filmed objects
(var/objects: a black cup and a yellow box): exit statuses 0 matched, 1 not matched, 2 or more on
errors, and the refusals that say what to do."""
import os
import shutil
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT

HOME = Path(os.environ.get("EDGEFACTOR_HOME", ROOT / "var"))
OBJECTS = HOME / "objects"


def run(edgefactor_bin, *args, timeout=300):
    return subprocess.run([edgefactor_bin, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def frames(tmp_path, name, first, count, step):
    """A folder of every `step`-th frame of one object's video (a debug build is slow per frame)."""
    folder = tmp_path / f"{name}-{first}"
    folder.mkdir()
    for i in range(count):
        file = f"{first + i * step:04d}.jpg"
        shutil.copy(OBJECTS / name / file, folder / file)
    return folder


@pytest.fixture(scope="module")
def cup_template(edgefactor_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("enrol")
    template = tmp / "cup.eft"
    result = run(edgefactor_bin, "enrol", frames(tmp, "cup", 1, 16, 5), "--template", template, "--name", "black cup", "--views", "4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "enrolled \"black cup\": 4 views" in result.stdout
    return template


def test_enrol_writes_a_private_template(cup_template):
    assert stat.S_IMODE(cup_template.stat().st_mode) == 0o600
    assert cup_template.read_bytes()[:8] == b"EFOBJTPL"


def test_match_exit_status_matched_and_not_matched(edgefactor_bin, cup_template, tmp_path):
    later_cup = frames(tmp_path, "cup", 150, 6, 10)  # views the template never saw
    matched = run(edgefactor_bin, "match", later_cup, "--template", cup_template)
    assert matched.returncode == 0, matched.stdout + matched.stderr
    assert "matched \"black cup\"" in matched.stdout
    box = frames(tmp_path, "box", 200, 6, 20)
    refused = run(edgefactor_bin, "match", box, "--template", cup_template)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "not matched" in refused.stdout


def test_match_errors_exit_2_with_what_to_do(edgefactor_bin, cup_template, tmp_path):
    later_cup = frames(tmp_path, "cup", 150, 2, 10)
    tampered = tmp_path / "tampered.eft"
    data = bytearray(cup_template.read_bytes())
    data[len(data) // 2] ^= 1
    tampered.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.eft"
    truncated.write_bytes(cup_template.read_bytes()[:100])
    foreign = tmp_path / "foreign.eft"
    foreign.write_bytes(b'{"views": [1, 2, 3]}')
    for template, message in [(tampered, "checksum mismatch"), (truncated, "truncated or altered"), (foreign, "not an EdgeFactor template")]:
        result = run(edgefactor_bin, "match", later_cup, "--template", template)
        assert result.returncode == 2, (template, result.stdout, result.stderr)
        assert message in result.stderr
    # A template of the default model refused by another model, saying so.
    other = run(edgefactor_bin, "match", later_cup, "--template", cup_template, "--model", HOME / "models/test/resnet18-1000.onnx",
                "--embedding-output", "output_0")
    assert other.returncode == 2, other.stdout + other.stderr
    assert "was made with model efficientnet-lite0.onnx" in other.stderr
    missing = run(edgefactor_bin, "match", later_cup, "--template", tmp_path / "none.eft")
    assert missing.returncode >= 2


def test_enrol_refuses_black_frames_and_a_still_scene(edgefactor_bin, tmp_path):
    black = tmp_path / "black"
    black.mkdir()
    for i in range(6):
        Image.fromarray(np.zeros((120, 160, 3), np.uint8)).save(black / f"{i}.jpg")
    result = run(edgefactor_bin, "enrol", black, "--template", tmp_path / "t.eft")
    assert result.returncode != 0
    assert "blurred, dark or uniform" in result.stderr
    assert not (tmp_path / "t.eft").exists()
    still = tmp_path / "still"
    still.mkdir()
    for i in range(6):
        shutil.copy(OBJECTS / "cup" / "0001.jpg", still / f"{i}.jpg")
    result = run(edgefactor_bin, "enrol", still, "--template", tmp_path / "s.eft")
    assert result.returncode != 0
    assert "turn the object slowly" in result.stderr
    assert not (tmp_path / "s.eft").exists()
