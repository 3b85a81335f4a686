"""Helpers for the web UI tests: one real `mailpen serve` (cwd = repository root, so it serves web/),
real SMTP from smtplib, and headless Debian chromium driven by selenium through chromium-driver.

Environment: MAILPEN_BINARY (default .build/debug/mailpen), CHROMIUM (default /usr/bin/chromium),
CHROMEDRIVER (default /usr/bin/chromedriver). Screenshots land in out/ui-screenshots/.
"""
import json
import os
import re
import smtplib
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from mailpenprocess import BINARY, MailpenProcess, free_port  # noqa: E402
from testmessage import as_bytes  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "out" / "ui-screenshots"
WINDOW = (1400, 900)


class Mailpen(MailpenProcess):
    """A running `mailpen serve` (serving the repository's web/) with helpers for its API and SMTP."""

    def __init__(self, workdir, args=()):
        super().__init__(workdir, args=args, db=os.path.join(str(workdir), "m.sqlite"), cwd=ROOT)

    def start(self, timeout=30):
        if not os.access(self.binary, os.X_OK):
            pytest.fail(f"mailpen binary not found at {self.binary} (build it, or set MAILPEN_BINARY)")
        return super().start(timeout)

    def stop(self):
        try:
            super().stop(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

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
        raw = as_bytes(message)
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
