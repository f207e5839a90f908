"""docs/deployment.md runs as written: every command of its `sh` blocks, in order, in one bash
process, then a sign-in through the front-end it set up. So the guide cannot drift from the code.

What differs from a real deployment, and nothing else:
- folders and ports are substituted (`/var/lib/edgefactor`, `/etc/edgefactor`, `/etc/systemd/system`,
  `/usr/local/bin` and `/root` move under a temporary folder; 10000, 10001, 8443, 8080, 9464, 9465
  and 9470–9473 become free ports; the example host names become `localhost`, `0.0.0.0` loopback). The devices'
  MQTT port stays 8883: device connection strings carry no port, so it must be free here;
- both "machines" are this one, run by one user: `useradd` makes the home folder, `chown` does
  nothing, `install -o/-g` drops the owner, and `scp` copies locally (or not at all when the file
  is already there);
- `systemctl enable --now UNIT` starts the unit's `ExecStart` in the background with its
  `Environment=` and `EnvironmentFile=` as systemd expands them (`${VAR}` one word, `$VAR` split),
  returning at once as systemd does for `Type=simple`;
- `scripts/setup.sh` and `swift build` are already done: the binary under test is installed;
- the camera is a folder with the sample coffee photo (`v4l2:///dev/video0` becomes that folder
  and `--camera-loop`), and the password `users add` asks for comes on standard input.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import ROOT, free_port, wait_for_port

GUIDE = ROOT / "docs" / "deployment.md"
PASSWORD = "a long guide password 42"
MQTT_PORT = 8883


def guide_commands() -> str:
    """The `sh` blocks of the guide, in order, as one script."""
    blocks = re.findall(r"^```sh\n(.*?)^```", GUIDE.read_text(), flags=re.S | re.M)
    assert len(blocks) >= 6, "the guide's sh blocks were not found"
    return "\n".join(blocks)


def substitute(text: str, table) -> str:
    for pattern, replacement in table:
        text = re.sub(pattern, lambda _: replacement, text)
    return text


SYSTEMCTL = r'''
import json, os, re, shlex, subprocess, sys
table = json.load(open(os.environ["GUIDE_TABLE"]))
def sub(text):
    for pattern, replacement in table:
        text = re.sub(pattern, lambda _: replacement, text)
    return text
def read_env(path, env):
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
args = sys.argv[1:]
if args[:1] == ["daemon-reload"]:
    sys.exit(0)
if args[:2] != ["enable", "--now"]:
    sys.exit("systemctl stand-in: only daemon-reload and enable --now")
for unit in args[2:]:
    path = os.path.join(os.environ["GUIDE_UNITS"], unit + ".service")
    text = sub(open(path).read())
    env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
    command = None
    for line in text.splitlines():
        if line.startswith("Environment="):
            key, value = line[len("Environment="):].split("=", 1)
            env[key] = value
        elif line.startswith("EnvironmentFile="):
            file = line[len("EnvironmentFile="):]
            optional = file.startswith("-")
            file = file.lstrip("-")
            if os.path.exists(file):
                read_env(file, env)
            elif not optional:
                sys.exit(f"{unit}: no {file}")
        elif line.startswith("ExecStart="):
            command = line[len("ExecStart="):]
    words = []
    for word in command.split():
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole:
            words += env.get(whole.group(1), "").split()
        else:
            words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word))
    log = open(os.path.join(os.environ["GUIDE_LOGS"], unit + ".log"), "ab")
    process = subprocess.Popen(words, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    with open(os.environ["GUIDE_PIDS"], "a") as pids:
        pids.write(f"{unit} {process.pid}\n")
'''

SCP = r'''
import os, re, shutil, sys
args = [a for a in sys.argv[1:] if not a.startswith("-")]
*sources, destination = [re.sub(r"^[A-Za-z0-9.-]+:", "", a) for a in args]
for source in sources:
    target = os.path.join(destination, os.path.basename(source.rstrip("/"))) if os.path.isdir(destination) else destination
    if os.path.abspath(source) in (os.path.abspath(target), os.path.abspath(destination)):
        continue
    if os.path.isdir(source):
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
'''


def write_tool(folder: Path, name: str, text: str):
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)


def shims(folder: Path, edgefactor_bin: str):
    folder.mkdir()
    python = sys.executable
    write_tool(folder, "systemctl", f"#!{python}\n{SYSTEMCTL}")
    write_tool(folder, "scp", f"#!{python}\n{SCP}")
    write_tool(folder, "useradd", "#!/bin/sh\n# one user here: make the home folder, as useradd --create-home does\n"
                                  "while [ $# -gt 0 ]; do [ \"$1\" = --home-dir ] && mkdir -p \"$2\"; shift; done\n")
    write_tool(folder, "chown", "#!/bin/sh\nexit 0\n")
    write_tool(folder, "install", "#!/bin/sh\n# install without -o/-g (one user here)\nset --  $(for a; do echo \"$a\"; done | "
                                  "awk 'skip {skip=0; next} $0==\"-o\"||$0==\"-g\" {skip=1; next} {print}')\nexec /usr/bin/install \"$@\"\n")
    write_tool(folder, "swift", f"#!/bin/sh\n# the build is done: the binary under test\ncase \"$*\" in *--show-bin-path*) "
                                f"dirname '{edgefactor_bin}' ;; esac\n")


class Cookies:
    """The session cookie by hand: urllib would not send a Secure cookie over plain HTTP, and
    the guide's front-end runs with --behind-tls (here without the TLS proxy in front)."""

    def __init__(self):
        self.values = {}

    def take(self, response):
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.values[name] = rest.split(";", 1)[0]

    def header(self):
        return "; ".join(f"{k}={v}" for k, v in self.values.items() if v)


def request(port, method, path, cookies, form=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookies.header()}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read().decode(errors="replace")
    cookies.take(response)
    connection.close()
    return response, data


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def test_the_deployment_guide_runs_as_written_and_signs_in(edgefactor_bin, tmp_path):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the hub binds it
        try:
            probe.bind(("127.0.0.1", MQTT_PORT))
        except OSError:
            pytest.fail(f"port {MQTT_PORT} is in use: the guide's devices dial the hub there (device connection strings carry no port)")
    base = Path(os.environ.get("EDGEFACTOR_HOME") or ROOT / "var")
    root = tmp_path
    work = root / "checkout"                      # the clone the guide's commands run in
    (work / "scripts").mkdir(parents=True)
    write_tool(work / "scripts", "setup.sh", "#!/bin/sh\n# done by the test's set-up\nexit 0\n")
    shutil.copytree(ROOT / "deploy", work / "deploy")
    (work / "var").mkdir()
    for shared in ("runtime", "models"):
        (work / "var" / shared).symlink_to((base / shared).resolve())
    camera = root / "camera"
    camera.mkdir()
    shutil.copy(base / "photos" / "coffee.jpg", camera / "coffee.jpg")
    for folder in ("bin", "systemd", "root", "logs"):
        (root / folder).mkdir()
    ports = {name: free_port() for name in ("10000", "10001", "8443", "8080", "9464", "9465", "9470", "9471", "9472", "9473")}
    table = [
        (r"/var/lib/edgefactor", str(root / "lib")),
        (r"/etc/systemd/system", str(root / "systemd")),
        (r"/etc/edgefactor", str(root / "etc")),
        (r"/usr/local/bin", str(root / "bin")),
        (r"/root/", str(root / "root") + "/"),
        (r"hub\.example\.internal|server\.example\.internal", "localhost"),
        (r"0\.0\.0\.0", "127.0.0.1"),
        (r"v4l2:///dev/video0", f"{camera} --camera-loop"),
    ] + [(rf"\b{port}\b", str(free)) for port, free in ports.items()]
    (root / "table.json").write_text(json.dumps(table))
    script = root / "guide.sh"
    script.write_text("set -euo pipefail\nset -x\n" + substitute(guide_commands(), table))
    shims(root / "shims", edgefactor_bin)

    env = dict(os.environ, PATH=f"{root / 'shims'}:{root / 'bin'}:{os.environ['PATH']}", HOME=str(root / "root"),
               GUIDE_TABLE=str(root / "table.json"), GUIDE_UNITS=str(root / "systemd"),
               GUIDE_LOGS=str(root / "logs"), GUIDE_PIDS=str(root / "pids"))
    for name in ("EDGEFACTOR_HOME", "IOTHUB_CONNECTION_STRING", "AZURE_STORAGE_CONNECTION_STRING", "EDGEFACTOR_HUB_CONNECTION_STRING"):
        env.pop(name, None)

    def logs() -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted((root / "logs").glob("*.log")))

    try:
        result = subprocess.run(["bash", str(script)], cwd=work, env=env, input=PASSWORD + "\n", capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, f"the guide stopped:\n{result.stderr[-6000:]}\n{logs()}"
        assert re.search(r"edgefactor \d+\.\d+\.\d+", result.stdout), result.stdout

        # The edge box's module and agent are up once the hub lists them as connected.
        home = dict(env, EDGEFACTOR_HOME=str(root / "lib"))
        binary = str(root / "bin" / "edgefactor")
        deadline = time.monotonic() + 120
        while True:
            devices = subprocess.run([binary, "hub", "devices", "list"], env=home, capture_output=True, text=True, timeout=60).stdout
            modules = subprocess.run([binary, "hub", "modules", "list", "camera-01"], env=home, capture_output=True, text=True, timeout=60).stdout
            if re.search(r"camera-01\s+\S+\s+Connected", devices) and re.search(r"edgefactor\s+Connected", modules):
                break
            assert time.monotonic() < deadline, f"module and agent not connected:\n{devices}\n{modules}\n{logs()}"
            time.sleep(0.5)

        port = ports["8080"]
        wait_for_port(port, timeout=60)
        cookies = Cookies()
        response, page = request(port, "GET", "/", cookies)
        assert response.status == 200 and cookies.values, page[:1000]
        response, page = request(port, "POST", "/login", cookies,
                                 {"username": "alice", "password": PASSWORD, "csrf": csrf_of(page)})
        assert response.status == 303, f"{response.status} {page[:2000]}\n{logs()}"
        location = response.getheader("Location")
        assert location.startswith("/verify/"), location
        deadline = time.monotonic() + 90
        while True:
            response, status = request(port, "GET", location + "/status", cookies)
            view = json.loads(status)
            if view["terminal"]:
                break
            assert time.monotonic() < deadline, f"no answer from the device:\n{status}\n{logs()}"
            time.sleep(0.3)
        assert view["found"], f"{status}\n{logs()}"
        response, page = request(port, "GET", location, cookies)
        response, page = request(port, "POST", location + "/complete", cookies, {"csrf": csrf_of(page)})
        assert response.status == 303 and response.getheader("Location") == "/account", page[:2000]
        response, page = request(port, "GET", "/account", cookies)
        assert response.status == 200 and "alice" in page, page[:2000]
    finally:
        pids = root / "pids"
        if pids.exists():
            for line in reversed(pids.read_text().splitlines()):
                pid = int(line.split()[1])
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
            for line in pids.read_text().splitlines():
                pid = int(line.split()[1])
                for _ in range(150):
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.1)
                else:
                    os.kill(pid, signal.SIGKILL)
