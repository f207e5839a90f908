"""The whole system as separate `edgefactor` processes on loopback ports, and a headless Chromium
driven over WebDriver, for the front-end's end-to-end tests.

Everything real: the built-in storage and hub, the edge module, the device agent with the real
model looking at an image-folder camera (the only stand-in: no V4L2 camera here), and the front-end.
"""
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, Server, free_port, wait_for_port

PASSWORD = "correct horse battery staple"
DEVICE = "cam1"
MODULE = "edgefactor"
ARTIFACTS = ROOT / "var" / "artifacts"


def base_home() -> Path:
    """Where set-up put the model and photos."""
    return Path(os.environ.get("EDGEFACTOR_HOME") or ROOT / "var")


class EdgeFactorSystem:
    """Storage, hub, secrets, module, agent and front-end, each an `edgefactor` process."""

    def __init__(self, binary: str, tmp: Path, request_lifetime: int = 20):
        self.binary = binary
        self.home = tmp / "home"
        self.logs = tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        # The model and ONNX Runtime come from set-up; the data of this run stays in `home`.
        for shared in ("runtime", "models"):
            if (base_home() / shared).exists() and not (self.home / shared).exists():
                (self.home / shared).symlink_to((base_home() / shared).resolve())
        self.env = dict(os.environ, EDGEFACTOR_HOME=str(self.home))
        self.env.pop("IOTHUB_CONNECTION_STRING", None)
        self.env.pop("AZURE_STORAGE_CONNECTION_STRING", None)
        self.models = base_home() / "models"
        self.request_lifetime = request_lifetime
        self.servers = {}
        self.commands = {}
        self.restarts = 0
        self.database = self.home / "frontend" / "frontend.sqlite"

    # -- processes ---------------------------------------------------------------------------
    def run(self, *args, stdin: str = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([self.binary, *args], input=stdin, capture_output=True, text=True,
                                timeout=120, env=self.env)
        if check and result.returncode != 0:
            raise AssertionError(f"edgefactor {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def spawn(self, name: str, *args) -> Server:
        server = Server([self.binary, *args], self.logs / f"{name}.log", env=self.env)
        self.servers[name] = server
        self.commands[name] = args
        return server

    def restart(self, name: str, kill: bool = False) -> Server:
        """Stops `name` (SIGKILL with `kill`, as a crash) and starts it again with the same arguments."""
        self.servers[name].stop(kill=kill)
        self.restarts += 1
        server = Server([self.binary, *self.commands[name]], self.logs / f"{name}-{self.restarts}.log", env=self.env)
        self.servers[name] = server
        return server

    def start(self, with_device: bool = True):
        blob, queue = free_port(), free_port()
        storage = self.spawn("storage", "storage", "--data-dir", str(self.home / "storage"),
                             "--blob-port", str(blob), "--queue-port", str(queue), "--log-level", "warning",
                             "--metrics-address", "off")
        wait_for_port(blob, proc=storage.proc)
        wait_for_port(queue, proc=storage.proc)
        self.storage_connection_string = self.run(
            "storage", "--print-connection-string", "--blob-port", str(blob), "--queue-port", str(queue)).stdout.strip().splitlines()[-1]

        rest, mqtt = free_port(), free_port()
        hub = self.spawn("hub", "hub", "--data-dir", str(self.home / "hub"), "--mqtt-port", str(mqtt),
                         "--rest-port", str(rest), "--log-level", "warning", "--metrics-address", "off")
        wait_for_port(rest, proc=hub.proc)
        wait_for_port(mqtt, proc=hub.proc)

        self.run("secrets", "new", "--device", DEVICE)
        self.run("secrets", "new", "--device", DEVICE, "--module", MODULE)
        # As the deployment guide has it: the edge box gets grants for its own queue and container,
        # never the account key; module and agent find them in the secrets store.
        self.run("secrets", "grant", "--device", DEVICE, "--module", MODULE,
                 "--storage-connection-string", self.storage_connection_string)
        if with_device:
            # One after the other: both register their identity in the hub on first start.
            self.start_module()
            self.wait_until_connected(agent=False)
            self.start_agent()
            self.wait_until_connected()

        self.port = free_port()
        frontend = self.spawn("frontend", "frontend", "--port", str(self.port),
                              "--storage-connection-string", self.storage_connection_string,
                              "--request-lifetime", str(self.request_lifetime), "--log-level", "debug",
                              "--metrics-address", "off")
        wait_for_port(self.port, proc=frontend.proc)
        self.base_url = f"http://127.0.0.1:{self.port}"
        return self

    def start_module(self, device: str = DEVICE, name: str = "module", queue: str = None):
        args = ["module", "--device-id", device, "--module-id", MODULE, "--health-address", "off"]
        if queue:
            args += ["--requests-queue", queue]
        self.spawn(name, *args)

    def start_agent(self, photos=("coffee.jpg", "chelsea.jpg"), camera: Path = None, frame_rate: float = None):
        """The agent, its camera an image folder: `camera` if given, else a copy of `photos`."""
        if camera is None:
            camera = self.home / "camera"
            camera.mkdir(exist_ok=True)
            for index, photo in enumerate(photos):
                shutil.copy(base_home() / "photos" / photo, camera / f"{index:02d}-{photo}")
        rate = ["--frame-rate", str(frame_rate)] if frame_rate else []
        self.spawn("agent", "agent", "--device-id", DEVICE, "--camera", str(camera), "--camera-loop", *rate,
                   "--model", str(self.models / "efficientnet-lite0.onnx"), "--labels", str(self.labels),
                   "--health-address", "off")

    def point_camera(self, camera: Path = None, frame_rate: float = None):
        """Points the camera elsewhere: restarts the agent on another image folder (None: the
        sample photos). Its templates stay in its state folder, as on a real device."""
        self.servers["agent"].stop()
        self.wait_until_disconnected()
        self.start_agent(camera=camera, frame_rate=frame_rate)
        self.wait_until_connected()

    def wait_until_disconnected(self, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            devices = self.run("hub", "devices", "list", "--data-dir", str(self.home / "hub"), check=False).stdout
            line = next((l for l in devices.splitlines() if DEVICE in l.split()), "")
            if "Connected" not in line or "Disconnected" in line:
                return
            time.sleep(0.2)
        raise AssertionError(f"the agent still shows as connected after {timeout}s")

    def wait_until_connected(self, timeout: float = 60.0, agent: bool = True):
        """Until the module and the agent's device show as connected in the hub's registry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            modules = self.run("hub", "modules", "list", DEVICE, "--data-dir", str(self.home / "hub"), check=False).stdout
            devices = self.run("hub", "devices", "list", "--data-dir", str(self.home / "hub"), check=False).stdout
            module_line = next((l for l in modules.splitlines() if MODULE in l), "")
            device_line = next((l for l in devices.splitlines() if DEVICE in l), "")
            module_up = "Disconnected" not in module_line and "Connected" in module_line
            device_up = "Disconnected" not in device_line and "Connected" in device_line
            if module_up and (device_up or not agent):
                return
            for name in ("module", "agent") if agent else ("module",):
                if self.servers[name].proc.poll() is not None:
                    raise AssertionError(f"{name} exited:\n{self.logs_text()}")
            time.sleep(0.3)
        raise AssertionError(f"module/agent not connected within {timeout}s:\n{self.logs_text()}")

    @property
    def labels(self) -> Path:
        for name in ("labels.json", "labels.txt"):
            if (self.models / name).exists():
                return self.models / name
        raise AssertionError(f"no labels in {self.models}: run scripts/setup.sh")

    def add_user(self, name: str, classes, device: str = DEVICE, threshold: float = 50, module: str = MODULE, admin: bool = False):
        args = ["users", "add", name, "--device", device, "--module", module, "--threshold", str(threshold),
                "--labels", str(self.labels), "--password-stdin"] + (["--admin"] if admin else [])
        for cls in classes:
            args += ["--class", cls]
        self.run(*args, stdin=PASSWORD + "\n")

    def audit(self, user: str):
        out = self.run("frontend", "audit", "--user", user, "--json", "--limit", "100").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def stop(self):
        for name in reversed(list(self.servers)):
            self.servers[name].stop()

    def logs_text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(self.logs.glob("*.log")))


def make_browser(width: int = 1200, height: int = 900, javascript: bool = True):
    """Headless Chromium (Debian's or Ubuntu's) through chromedriver (WebDriver)."""
    options = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=en"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    # Debian names it chromium, Ubuntu chromium-browser.
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    options.binary_location = chromium
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


def sign_in(driver, base_url: str, user: str, password: str = PASSWORD):
    """Fills and posts the sign-in form, then waits until the answer has replaced the form's page:
    a click may return before the post is answered, and the next navigation would then race it."""
    driver.get(base_url + "/")
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    button = driver.find_element(By.CSS_SELECTOR, "form.form button[type=submit]")
    button.click()

    def answered(_):
        # The old page's button is gone once the answer has replaced the page. Mid-navigation,
        # chromedriver reports that either as a stale element or as a node that "does not belong
        # to the document"; both mean the same here.
        try:
            button.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(driver, 30, poll_frequency=0.02).until(answered)


def wait_for_headline(driver, words, timeout: float = 60.0) -> str:
    """Waits until a server-rendered page (not a live page mid-update) has an h1 containing one
    of `words`; returns the h1's text."""
    words = [words] if isinstance(words, str) else list(words)

    def settled(d):
        try:
            live = d.find_elements(By.CSS_SELECTOR, "[data-verification][data-terminal=false]")
            if live:
                return False
            text = d.find_element(By.TAG_NAME, "h1").text
        except WebDriverException as error:
            # Mid-navigation chromedriver reports a replaced node either as stale or as one that
            # "does not belong to the document": both mean "not yet", as in sign_in.
            if "does not belong to the document" in str(error):
                return False
            raise
        return text if any(w in text for w in words) else False

    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(settled)


def object_frames(tmp: Path, name: str, first: int, count: int, step: int) -> Path:
    """A folder of every `step`-th frame of one of set-up's filmed objects (var/objects/cup, box):
    a camera that shows that object being turned in the hand. A debug build is slow per frame."""
    source = base_home() / "objects" / name
    folder = tmp / f"{name}-{first}-{step}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        frame = source / f"{first + i * step:04d}.jpg"
        if frame.exists():
            shutil.copy(frame, folder / frame.name)
    if not any(folder.iterdir()):
        raise AssertionError(f"no frames of {name} in {source}: run scripts/setup.sh (it makes var/objects)")
    return folder


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
