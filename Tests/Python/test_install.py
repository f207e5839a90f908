"""The installed binary stands alone: `edgefactor` copied away from the build tree (as
docs/deployment.md installs it) prints its version and serves the front-end's pages, whose
templates and assets are compiled into it rather than kept in a resource bundle beside it."""
import os
import re
import shutil
import subprocess
import urllib.request

from conftest import Server, free_port, wait_for_port


def installed_copy(edgefactor_bin, tmp_path):
    """The binary alone in a folder of its own, as `install -m 0755 … /usr/local/bin/` leaves it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    target = folder / "edgefactor"
    shutil.copy2(edgefactor_bin, target)
    return str(target)


def test_version_names_the_release(edgefactor_bin, tmp_path):
    binary = installed_copy(edgefactor_bin, tmp_path)
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"edgefactor \d+\.\d+\.\d+(-[0-9A-Za-z.]+)? \(Swift [^)]*\)\n", result.stdout), result.stdout


def test_binary_refers_to_no_resource_bundle(edgefactor_bin):
    """A SwiftPM resource bundle is found through a path compiled into the binary (the build
    tree's), so a copy would work until the build tree is gone: no such path may be in it."""
    with open(edgefactor_bin, "rb") as binary:
        contents = binary.read()
    assert b"_FrontEnd.resources" not in contents


def test_frontend_serves_its_pages_from_a_copied_binary(edgefactor_bin, tmp_path):
    binary = installed_copy(edgefactor_bin, tmp_path)
    home = tmp_path / "home"
    env = dict(os.environ, EDGEFACTOR_HOME=str(home))
    env.pop("IOTHUB_CONNECTION_STRING", None)
    env.pop("AZURE_STORAGE_CONNECTION_STRING", None)
    servers = []
    try:
        blob, queue = free_port(), free_port()
        storage = Server([binary, "storage", "--blob-port", str(blob), "--queue-port", str(queue), "--log-level", "warning"],
                         tmp_path / "storage.log", env=env)
        servers.append(storage)
        wait_for_port(blob, proc=storage.proc)
        wait_for_port(queue, proc=storage.proc)
        connection = subprocess.run([binary, "storage", "--print-connection-string", "--blob-port", str(blob),
                                     "--queue-port", str(queue)], capture_output=True, text=True, timeout=60,
                                    env=env, check=True).stdout.strip().splitlines()[-1]
        rest, mqtt = free_port(), free_port()
        hub = Server([binary, "hub", "--mqtt-port", str(mqtt), "--rest-port", str(rest), "--log-level", "warning"],
                     tmp_path / "hub.log", env=env)
        servers.append(hub)
        wait_for_port(rest, proc=hub.proc)
        port = free_port()
        frontend = Server([binary, "frontend", "--port", str(port), "--storage-connection-string", connection],
                          tmp_path / "frontend.log", env=env)
        servers.append(frontend)
        wait_for_port(port, proc=frontend.proc)

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200
        assert 'name="password"' in page and "/static/app.css" in page, page[:2000]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.css", timeout=10) as response:
            assert response.status == 200 and len(response.read()) > 1000
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.js", timeout=10) as response:
            assert response.status == 200 and len(response.read()) > 1000
    finally:
        for server in reversed(servers):
            server.stop()
