"""Helpers for the web UI tests: one real `mailpen serve` (cwd = repository root, so it serves web/),
real SMTP from smtplib, and headless Debian chromium driven by selenium through chromium-driver.

Environment: MAILPEN_BINARY (default .build/debug/mailpen), CHROMIUM (default /usr/bin/chromium),
CHROMEDRIVER (default /usr/bin/chromedriver). Screenshots land in out/ui-screenshots/.
"""
import base64
import json
import os
import re
import smtplib
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid, formatdate
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("MAILPEN_BINARY", str(ROOT / ".build" / "debug" / "mailpen"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "out" / "ui-screenshots"
WINDOW = (1400, 900)

# A 16×16 red PNG, used as an inline cid: image.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAGklEQVR4nGP4z8BAEmIY1TCqYVTDqIYBowEAaSEf8QfxQ3kAAAAASUVORK5CYII=")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailpen:
    """A running `mailpen serve` with helpers for its API and SMTP."""

    def __init__(self, workdir, args=()):
        self.workdir = Path(workdir)
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self.log_path = self.workdir / "server.log"
        self.command = [BINARY, "serve", "--smtp", f"127.0.0.1:{self.smtp_port}", "--http",
                        f"127.0.0.1:{self.http_port}", "--db", str(self.workdir / "m.sqlite"), *args]
        self.process = None

    def start(self):
        if not os.access(BINARY, os.X_OK):
            pytest.fail(f"mailpen binary not found at {BINARY} (build it, or set MAILPEN_BINARY)")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mailpen exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mailpen did not start listening")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()

    # ---- HTTP API ----

    def api(self, method, path, body=None, raw=None, content_type=None):
        """Calls the API; returns (status, parsed JSON or text or None)."""
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            data = raw
            headers["Content-Type"] = content_type or "message/rfc822"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _decode(response)
        except urllib.error.HTTPError as error:
            return error.code, _decode(error)

    def messages(self, inbox, **query):
        status, data = self.api("GET", f"/api/v1/inboxes/{urllib.parse.quote(inbox)}/messages?{urllib.parse.urlencode(query)}")
        assert status == 200, data
        return data

    def create_inbox(self, name, **extra):
        status, data = self.api("POST", "/api/v1/inboxes", {"name": name, **extra})
        assert status == 201, (status, data)
        return data

    # ---- SMTP ----

    def send(self, message, inbox=None, mail_from="sender@example.com", rcpt=None):
        """Sends `message` (EmailMessage or bytes) over SMTP; logs in as `inbox` to route it there.
        Returns the stored message id from the 250 reply."""
        raw = message.as_bytes(policy=SMTP_POLICY) if isinstance(message, EmailMessage) else message
        recipients = rcpt or ["bob@example.com"]
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as client:
            client.ehlo("ui-test.example")
            if inbox and inbox != "default":
                client.login(inbox, "secret")
            code, reply = client.mail(mail_from)
            assert code == 250, reply
            for address in recipients:
                code, reply = client.rcpt(address)
                assert code in (250, 251), reply
            code, reply = client.data(raw)
            assert code == 250, reply
        match = re.search(rb"queued as (\S+)", reply)
        assert match, reply
        return match.group(1).decode()


def _decode(response):
    text = response.read()
    if not text:
        return None
    if "json" in (response.headers.get("Content-Type") or ""):
        return json.loads(text)
    return text.decode("utf-8", "replace")


def make_message(subject, text="Hello there.\n", html=None, sender="Shop <shop@example.com>",
                 to="Bob <bob@example.com>", cid_image=False, attachment=None, headers=None):
    """An RFC 5322 message: text, optional HTML (with an inline cid:logo image), optional attachment."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
        if cid_image:
            message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@mailpen.test>", filename="logo.png")
    if attachment:
        name, data, ctype = attachment
        maintype, subtype = ctype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def chrome_options(width=WINDOW[0], height=WINDOW[1]):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1",
                     "--lang=en-US", "--disable-search-engine-choice-screen", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def new_driver(width=WINDOW[0], height=WINDOW[1]):
    if not os.access(CHROMEDRIVER, os.X_OK):
        pytest.fail(f"chromedriver not found at {CHROMEDRIVER}: apt-get install chromium chromium-driver")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chrome_options(width, height))
    driver.set_page_load_timeout(30)
    return driver


# ---- page helpers ----

def wait(driver, timeout=10):
    """Polls every 20 ms; rows re-rendered mid-check (stale elements) just mean "not yet"."""
    return WebDriverWait(driver, timeout, poll_frequency=0.02,
                         ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))


def open_ui(driver, mailpen, hash_="", live=True):
    """Loads the UI at `hash_` and waits until the list is loaded (and the event stream is live)."""
    driver.get(f"{mailpen.base_url}/{hash_}")
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.list") == "loaded")
    if live:
        wait(driver).until(lambda d: d.execute_script("return document.body.dataset.live") == "live")


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#rows .row:not(.placeholder)")


def row_subjects(driver):
    """The subjects of the rendered rows, top to bottom, read in one go."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows .row:not(.placeholder)')]"
        ".sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)"
        ".map((row) => row.querySelector('.row-subject').textContent)")


def row_for(driver, subject):
    """The rendered row showing `subject`, or None."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows .row:not(.placeholder)')]"
        ".find((row) => row.querySelector('.row-subject').textContent === arguments[0]) || null", subject)


def unread_badge(driver, inbox):
    elements = driver.find_elements(By.CSS_SELECTOR, f'#inbox-list a[data-inbox="{inbox}"] .unread-count')
    return int(elements[0].get_attribute("data-count")) if elements else None


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def emulate_color_scheme(driver, scheme):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def background_luminance(driver, selector="body"):
    """Relative luminance (0 black … 1 white) of an element's computed background colour."""
    color = driver.execute_script(f"return getComputedStyle(document.querySelector({json.dumps(selector)})).backgroundColor")
    numbers = [float(n) for n in re.findall(r"[\d.]+", color)[:3]]

    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(n) for n in numbers)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
