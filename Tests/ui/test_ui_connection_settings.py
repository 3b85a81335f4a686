"""The connection settings panel: SMTP always, and IMAP and POP3 with their ports, credentials and a
Thunderbird manual-setup snippet when the server runs them."""
import shutil
import tempfile

import pytest
from selenium.webdriver.common.by import By

from uihelpers import Mailpen, free_port, open_ui, screenshot, wait


@pytest.fixture
def mail_access_mailpen():
    workdir = tempfile.mkdtemp(prefix="mailpen-ui-")
    ports = {name: free_port() for name in ("imap", "imaps", "pop3")}
    server = Mailpen(workdir, args=["--tls", "auto", "--imap", f"127.0.0.1:{ports['imap']}",
                                    "--imaps", f"127.0.0.1:{ports['imaps']}", "--pop3", f"127.0.0.1:{ports['pop3']}"])
    server.ports = ports
    yield server.start()
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def open_settings(driver, server, inbox):
    open_ui(driver, server, f"#/inbox/{inbox}")
    button = wait(driver).until(lambda d: d.find_element(By.ID, "act-settings"))
    assert button.get_attribute("aria-label") == "Connection settings"
    button.click()
    return wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"))


def test_imap_and_pop3_settings_and_thunderbird_snippet(mail_access_mailpen, driver):
    server = mail_access_mailpen
    server.create_inbox("reader", password="pa55")
    dialog = open_settings(driver, server, "reader")
    assert "Connection settings — reader" in dialog.text
    imap = dialog.find_element(By.CSS_SELECTOR, 'dl[data-protocol="imap"]').text
    assert str(server.ports["imap"]) in imap and f"port {server.ports['imaps']}" in imap and "reader" in imap
    assert "STARTTLS\noffered" in imap
    pop3 = dialog.find_element(By.CSS_SELECTOR, 'dl[data-protocol="pop3"]').text
    assert str(server.ports["pop3"]) in pop3 and "Implicit TLS (POP3S)\noff" in pop3
    dialog.find_element(By.ID, "snippet-tab-thunderbird").click()
    code = dialog.find_element(By.CSS_SELECTOR, ".snippet pre").text
    assert "Protocol:                IMAP" in code
    assert f"Port:                    {server.ports['imap']}" in code
    assert "Connection security:     STARTTLS" in code
    assert "Username:                reader" in code and "pa55" in code
    assert f"Port:                    {server.smtp_port}" in code
    screenshot(driver, "connection-settings")


def test_without_mail_access_the_panel_shows_smtp_only(mailpen, inbox, driver):
    dialog = open_settings(driver, mailpen, inbox)
    assert "Connection settings" in dialog.text and str(mailpen.smtp_port) in dialog.text
    assert not dialog.find_elements(By.CSS_SELECTOR, "dl[data-protocol]")
    assert not dialog.find_elements(By.ID, "snippet-tab-thunderbird")
