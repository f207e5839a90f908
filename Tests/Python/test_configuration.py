"""The CLI's configuration file, through the built binary (docs/configuration.md): a value from
`--config`, `EDGEFACTOR_CONFIG` or `$EDGEFACTOR_HOME/edgefactor.json` is used when no flag or
variable gives it; a variable wins over the file; a file that does not parse stops the command
with an error naming the file. No network: only commands that fail or answer locally."""
import json
import os
import subprocess


def bare_env(**extra):
    env = dict(os.environ)
    for name in ("EDGEFACTOR_HOME", "EDGEFACTOR_CONFIG", "IOTHUB_CONNECTION_STRING",
                 "AZURE_STORAGE_CONNECTION_STRING", "EDGEFACTOR_HUB_CONNECTION_STRING", "EDGEFACTOR_STORAGE_CA_FILE"):
        env.pop(name, None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(binary, *args, env):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, env=env)


def write(path, value):
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def test_home_from_the_file_and_the_variable_over_it(edgefactor_bin, tmp_path):
    config = write(tmp_path / "settings.json", {"home": str(tmp_path / "from-file")})
    listed = run(edgefactor_bin, "secrets", "list", "--config", str(config), env=bare_env())
    assert listed.returncode == 0, listed.stderr
    assert f"no secrets in {tmp_path / 'from-file' / 'secrets'}" in listed.stdout
    named = run(edgefactor_bin, "secrets", "list", env=bare_env(EDGEFACTOR_CONFIG=config))
    assert f"no secrets in {tmp_path / 'from-file' / 'secrets'}" in named.stdout
    overridden = run(edgefactor_bin, "secrets", "list", "--config", str(config), env=bare_env(EDGEFACTOR_HOME=tmp_path / "from-env"))
    assert f"no secrets in {tmp_path / 'from-env' / 'secrets'}" in overridden.stdout


def test_the_home_file_is_read_when_it_exists(edgefactor_bin, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = bare_env(EDGEFACTOR_HOME=home)
    # No file: the admin verbs look for the built-in hub.
    before = run(edgefactor_bin, "hub", "devices", "list", env=env)
    assert before.returncode != 0 and "no built-in hub found" in before.stderr
    # The file's service connection string is used instead (and rejected: it is not one).
    write(home / "edgefactor.json", {"hub": {"serviceConnectionString": "not-a-connection-string"}})
    after = run(edgefactor_bin, "hub", "devices", "list", env=env)
    assert after.returncode != 0 and "invalid service connection string" in after.stderr, after.stderr
    assert '"not-a-connection-string"' in after.stderr
    # The variable and a flag win over the file: these have no key, so the error is theirs.
    variable = run(edgefactor_bin, "hub", "devices", "list", env=dict(env, IOTHUB_CONNECTION_STRING="HostName=h"))
    flagged = run(edgefactor_bin, "hub", "devices", "list", "--connection-string", "HostName=h;SharedAccessKeyName=s", env=env)
    for result in (variable, flagged):
        assert result.returncode != 0 and "has no SharedAccessKey" in result.stderr, result.stderr
        assert "not-a-connection-string" not in result.stderr


def test_a_broken_file_is_an_error_naming_it(edgefactor_bin, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    broken = write(home / "edgefactor.json", '{"storage": {"caFile": "/x.pem",}')
    result = run(edgefactor_bin, "secrets", "list", env=bare_env(EDGEFACTOR_HOME=home))
    assert result.returncode != 0
    assert f"the configuration file {broken} does not parse" in result.stderr
    wrong = write(tmp_path / "wrong.json", {"storage": {"caFile": 7}})
    result = run(edgefactor_bin, "secrets", "list", "--config", str(wrong), env=bare_env(EDGEFACTOR_HOME=home))
    assert result.returncode != 0 and f"{wrong}: storage.caFile must be a string" in result.stderr
    missing = tmp_path / "missing.json"
    result = run(edgefactor_bin, "secrets", "list", env=bare_env(EDGEFACTOR_CONFIG=missing))
    assert result.returncode != 0 and f"no configuration file at {missing}" in result.stderr
