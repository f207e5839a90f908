"""`scripts/setup.sh` names each system package as the running distribution does (Debian's
libjpeg62-turbo-dev and chromium, Ubuntu's libjpeg-turbo8-dev and chromium-browser), offers an
edge box's lean runtime set, and refuses a Python older than 3.11 before installing anything,
saying what to do. Nothing is installed: `--print-packages` and a too-old interpreter both stop
before apt runs."""
import os
import shutil
import subprocess

from conftest import ROOT

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'


def packages(tmp_path, os_release: str, *options) -> list:
    release = tmp_path / "os-release"
    release.write_text(os_release)
    result = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), "--print-packages", *options],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, EDGEFACTOR_OS_RELEASE=str(release)))
    assert result.returncode == 0, result.stderr
    # Each line lists one package's names, this distribution's first.
    return [line.split("|")[0] for line in result.stdout.split()]


def test_debian_names(tmp_path):
    names = packages(tmp_path, DEBIAN, "--test")
    assert "libjpeg62-turbo-dev" in names and "chromium" in names and "chromium-driver" in names
    assert "libjpeg-turbo8-dev" not in names and "chromium-browser" not in names


def test_ubuntu_names(tmp_path):
    names = packages(tmp_path, UBUNTU, "--test")
    assert "libjpeg-turbo8-dev" in names and "chromium-browser" in names and "chromium-chromedriver" in names
    assert "libjpeg62-turbo-dev" not in names


def test_runtime_set_is_lean(tmp_path):
    for release, jpeg in ((DEBIAN, "libjpeg62-turbo"), (UBUNTU, "libjpeg-turbo8")):
        names = packages(tmp_path, release, "--runtime")
        assert jpeg in names and "libsqlite3-0" in names
        assert not any(name.endswith("-dev") for name in names), names
        assert "ffmpeg" not in names and "pkg-config" not in names


def test_runtime_requirements_are_a_subset_without_scikit_image():
    runtime = (ROOT / "scripts" / "requirements-runtime.txt").read_text()
    full = (ROOT / "scripts" / "requirements.txt").read_text()
    assert "onnxruntime==" in runtime and "scikit-image" not in runtime
    assert "-r requirements-runtime.txt" in full and "scikit-image==" in full


def test_old_python_is_refused_before_anything_is_installed(tmp_path):
    """A copy of the scripts in a fresh folder (no .venv), with PYTHON naming a 3.10."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    fake = tmp_path / "python3.10"
    fake.write_text("#!/bin/sh\ncase \"$*\" in *version_info*) exit 1 ;; *python_version*) echo 3.10.12 ;; esac\n")
    fake.chmod(0o755)
    result = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, PYTHON=str(fake), PATH="/usr/bin:/bin"))
    assert result.returncode == 1
    assert "needs Python 3.11 or later" in result.stderr and "3.10.12" in result.stderr, result.stderr
    assert "PYTHON=python3.11" in result.stderr
    assert "installing system packages" not in result.stdout
    assert not (tmp_path / ".venv").exists()
