"""Fixtures for the web UI tests (see uihelpers.py for the server, SMTP and browser helpers)."""
import itertools
import re
import shutil
import tempfile

import pytest

from uihelpers import SCREENSHOTS, Mailpen, new_driver


@pytest.fixture(scope="session")
def mailpen():
    workdir = tempfile.mkdtemp(prefix="mailpen-ui-")
    server = Mailpen(workdir).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def fresh_mailpen():
    """A server of its own, for a test that needs to see nothing but its own inboxes."""
    workdir = tempfile.mkdtemp(prefix="mailpen-ui-")
    server = Mailpen(workdir).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


_names = itertools.count(1)


@pytest.fixture
def inbox(mailpen, request):
    """A fresh inbox for one test, so tests never see each other's mail."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    name = f"{name}-{next(_names)}"
    mailpen.create_inbox(name)
    return name


@pytest.fixture
def driver(request):
    driver = new_driver()
    yield driver
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"FAILED-{request.node.name}.png"))
        for entry in driver.get_log("browser"):
            print("browser:", entry.get("level"), entry.get("message"))
    driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


