"""What an operator is told when a set-up cannot work: each message names the cause and the fix.
- the hub's admin verbs (and the front-end, module and agent) without a hub to find;
- `users add` without a labels file to check the classes against;
- the agent on a folder camera without --camera-loop;
- the front-end with --behind-tls reached over plain HTTP: every sign-in is refused as an
  expired form, and the log says why;
- a secret file that exists but cannot be read."""
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import Server, free_port, wait_for_port
from storage_support import storage  # noqa: F401  (fixture)


def bare_env(home):
    env = dict(os.environ, EDGEFACTOR_HOME=str(home))
    for name in ("IOTHUB_CONNECTION_STRING", "AZURE_STORAGE_CONNECTION_STRING", "EDGEFACTOR_HUB_CONNECTION_STRING"):
        env.pop(name, None)
    return env


def run(binary, *args, env, stdin=None):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, env=env, input=stdin)


def test_no_hub_names_the_folders_tried_and_the_options(edgefactor_bin, tmp_path):
    env = bare_env(tmp_path / "home")
    admin = run(edgefactor_bin, "hub", "devices", "list", env=env)
    assert admin.returncode != 0
    assert f"no hub.json in {tmp_path / 'home' / 'hub'}" in admin.stderr and "/var/lib/edgefactor/hub" in admin.stderr
    assert "--data-dir" in admin.stderr and "--connection-string" in admin.stderr and "EDGEFACTOR_HOME" in admin.stderr
    # The module reads its secret first: give it one, so that the hub is what is missing.
    run(edgefactor_bin, "secrets", "new", "--device", "edgefactor-device", "--module", "edgefactor-module", env=env)
    module = run(edgefactor_bin, "module", env=env)
    assert module.returncode != 0
    assert "Start the hub first" in module.stderr and "--hub-data-dir" in module.stderr and "--hub-connection-string" in module.stderr


def test_users_add_without_labels_says_what_to_pass(edgefactor_bin, tmp_path):
    env = bare_env(tmp_path / "home")
    refused = run(edgefactor_bin, "users", "add", "bob", "--class", "espresso", "--device", "d1", "--password-stdin",
                  env=env, stdin="a fine long password\n")
    assert refused.returncode != 0
    assert "no model labels at" in refused.stderr and "--labels" in refused.stderr and "--skip-label-check" in refused.stderr
    assert not (tmp_path / "home" / "frontend" / "frontend.sqlite").exists() or "added" not in refused.stdout
    added = run(edgefactor_bin, "users", "add", "bob", "--class", "espresso", "--device", "d1", "--password-stdin",
                "--skip-label-check", env=env, stdin="a fine long password\n")
    assert added.returncode == 0, added.stderr
    assert f"(in {tmp_path / 'home' / 'frontend' / 'frontend.sqlite'})" in added.stdout


def test_agent_warns_about_a_folder_camera_without_loop(edgefactor_bin, tmp_path):
    env = bare_env(tmp_path / "home")
    camera = tmp_path / "camera"
    camera.mkdir()
    run(edgefactor_bin, "secrets", "new", "--device", "edgefactor-device", env=env)
    without = run(edgefactor_bin, "agent", "--camera", str(camera), "--health-address", "off", env=env)
    assert "--camera-loop is not set" in without.stdout + without.stderr
    looped = run(edgefactor_bin, "agent", "--camera", str(camera), "--camera-loop", "--health-address", "off", env=env)
    assert "--camera-loop is not set" not in looped.stdout + looped.stderr
    live = run(edgefactor_bin, "agent", "--camera", "v4l2:///dev/video0", "--health-address", "off", env=env)
    assert "--camera-loop is not set" not in live.stdout + live.stderr


def test_unreadable_secret_says_who_must_own_it(edgefactor_bin, tmp_path):
    if os.geteuid() == 0:
        # root reads any file: make the "file" a folder, which no user can read as text.
        secret = tmp_path / "dev.secret"
        secret.mkdir()
    else:
        secret = tmp_path / "dev.secret"
        secret.write_text("x")
        secret.chmod(0)
    env = bare_env(tmp_path / "home")
    result = run(edgefactor_bin, "agent", "--device-secret-file", str(secret), "--camera", "synthetic://64x64",
                 "--health-address", "off", env=env)
    assert result.returncode != 0
    assert f"cannot read the secret {secret}" in result.stderr and "must belong to the user this runs as" in result.stderr


def test_behind_tls_over_plain_http_is_refused_and_the_log_says_why(edgefactor_bin, tmp_path, storage):  # noqa: F811
    env = bare_env(tmp_path / "home")
    port = free_port()
    frontend = Server([edgefactor_bin, "frontend", "--port", str(port), "--behind-tls",
                       "--hub-connection-string", "HostName=localhost:1;SharedAccessKeyName=iothubowner;SharedAccessKey=AAAA",
                       "--storage-connection-string", storage.connection_string()], tmp_path / "frontend.log", env=env)
    try:
        wait_for_port(port, proc=frontend.proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
            assert "__Host-edgefactor" in (response.headers.get("Set-Cookie") or "")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        # A browser over plain HTTP drops the Secure cookie: the post comes without it.
        body = f"username=alice&password=whatever&csrf={csrf}".encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("the post was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 403
            assert "The sign-in form expired" in error.read().decode()
        deadline = time.monotonic() + 10
        while "the browser sent no session cookie" not in frontend.output():
            assert time.monotonic() < deadline, frontend.output()
            time.sleep(0.1)
        log = frontend.output()
        assert "browsers keep it only over HTTPS" in log
        assert "--behind-tls: session cookies are Secure" in log
    finally:
        frontend.stop()


def test_demo_warns_when_no_sample_photo_shows_the_class(edgefactor_bin, tmp_path):
    """`demo --class "tabby, tabby cat"`: the sample cat scores 17.9 %, below the demo's 60 %."""
    env = dict(os.environ)
    home = Path(env.get("EDGEFACTOR_HOME") or Path(__file__).resolve().parents[2] / "var")
    env["EDGEFACTOR_HOME"] = str(home)
    demo = Server([edgefactor_bin, "demo", "--data-dir", str(tmp_path / "demo"), "--port", "0", "--class", "tabby, tabby cat"],
                  tmp_path / "demo.log", env=env)
    try:
        deadline = time.monotonic() + 120
        while "no sample photo shows 'tabby, tabby cat' at the demo's 60 %" not in demo.output():
            assert demo.proc.poll() is None and time.monotonic() < deadline, demo.output()
            time.sleep(0.2)
        assert "chelsea.jpg, 17.9 %" in demo.output()
    finally:
        demo.stop()


def test_every_server_logs_json_lines_when_asked(edgefactor_bin, tmp_path):
    """`--log-format json` on storage, hub and front-end (as on module and agent): every line on
    standard error is one JSON object with time, level, label and message."""
    import json
    env = bare_env(tmp_path / "home")
    blob, queue, rest, mqtt, web = (free_port() for _ in range(5))
    commands = {
        "storage": (["storage", "--blob-port", str(blob), "--queue-port", str(queue)], blob),
        "hub": (["hub", "--mqtt-port", str(mqtt), "--rest-port", str(rest)], rest),
    }
    processes = []
    try:
        for name, (args, port) in commands.items():
            err = open(tmp_path / f"{name}.err", "wb")
            process = subprocess.Popen([edgefactor_bin, *args, "--log-format", "json", "--log-level", "info"],
                                       stdout=subprocess.DEVNULL, stderr=err, env=env)
            processes.append((name, process, err))
            wait_for_port(port, proc=process)
        deadline = time.monotonic() + 30
        while not (tmp_path / "home" / "hub" / "hub.json").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        connection = run(edgefactor_bin, "storage", "--print-connection-string", "--blob-port", str(blob),
                         "--queue-port", str(queue), env=env).stdout.strip().splitlines()[-1]
        err = open(tmp_path / "frontend.err", "wb")
        frontend = subprocess.Popen([edgefactor_bin, "frontend", "--port", str(web), "--storage-connection-string", connection,
                                     "--log-format", "json", "--log-level", "debug"], stdout=subprocess.DEVNULL, stderr=err, env=env)
        processes.append(("frontend", frontend, err))
        wait_for_port(web, proc=frontend)
        urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=10).read()
    finally:
        for _, process, _ in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        for _, _, err in processes:
            err.close()
    for name, _, _ in processes:
        lines = [l for l in (tmp_path / f"{name}.err").read_text().splitlines() if l.strip()]
        assert lines, f"{name} logged nothing"
        for line in lines:
            event = json.loads(line)
            assert {"time", "level", "label", "message"} <= set(event), line
            assert isinstance(event["label"], str) and event["label"], line
