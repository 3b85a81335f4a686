"""Releasing a message from the message view to a relay, with its deliveries following live."""
import shutil
import tempfile

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from testmessage import make_message
from uihelpers import Mailpen, open_ui, screenshot, wait


@pytest.fixture
def relay_pair():
    """A Mailpen to relay to, and one that captures with a relay to it (allowing *@mycompany.example)."""
    target_dir, source_dir = tempfile.mkdtemp(prefix="mailpen-ui-"), tempfile.mkdtemp(prefix="mailpen-ui-")
    target = Mailpen(target_dir).start()
    relay = f"team=smtp://127.0.0.1:{target.smtp_port}?tls=none&allow=*@mycompany.example"
    source = Mailpen(source_dir, ["--relay", relay]).start()
    yield source, target
    source.stop()
    target.stop()
    shutil.rmtree(target_dir, ignore_errors=True)
    shutil.rmtree(source_dir, ignore_errors=True)


def deliveries(driver):
    return driver.find_elements(By.CSS_SELECTOR, ".msg-deliveries .delivery")


def test_release_button_sends_to_the_relay_and_deliveries_follow_live(relay_pair, driver):
    source, target = relay_pair
    message_id = source.send(make_message("Release me", to="Dev <dev@mycompany.example>"),
                             rcpt=["dev@mycompany.example", "eve@other.example"])
    open_ui(driver, source, f"#/inbox/default/message/{message_id}")
    button = wait(driver).until(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, ".act-release") if b.is_displayed()), None))
    assert not driver.find_element(By.CSS_SELECTOR, ".msg-deliveries").is_displayed(), "no deliveries yet"
    button.click()
    assert button.get_attribute("aria-expanded") == "true"

    # The form starts with the envelope recipients; the relay's policy refuses one of them.
    relay = Select(driver.find_element(By.ID, "release-relay"))
    assert relay.first_selected_option.get_attribute("value") == "team"
    recipients = driver.find_element(By.ID, "release-to")
    assert recipients.get_attribute("value") == "dev@mycompany.example, eve@other.example"
    driver.find_element(By.CSS_SELECTOR, ".release-form button[type=submit]").click()
    error = wait(driver).until(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, ".release-error") if e.is_displayed()), None))
    assert "eve@other.example" in error.text and "dev@mycompany.example" not in error.text
    assert error.get_attribute("role") == "alert"
    assert deliveries(driver) == [], "a refused release queues nothing"
    status, body = source.api("GET", f"/api/v1/messages/{message_id}/deliveries")
    assert (status, body) == (200, {"deliveries": []})

    recipients.clear()
    recipients.send_keys("dev@mycompany.example")
    driver.find_element(By.CSS_SELECTOR, ".release-form button[type=submit]").click()
    wait(driver).until(lambda d: not d.find_element(By.CSS_SELECTOR, ".release-form").is_displayed())
    # The event stream moves the delivery from queued to sent without a reload.
    wait(driver, 20).until(lambda d: [e.get_attribute("data-status") for e in deliveries(d)] == ["sent"])
    row = deliveries(driver)[0]
    assert "team" in row.text and "dev@mycompany.example" in row.text and "1 attempt" in row.text
    assert "250 2.0.0 Ok: queued as" in row.find_element(By.CSS_SELECTOR, ".delivery-detail").text
    screenshot(driver, "release-deliveries")
    assert [m["subject"] for m in target.messages("default")["messages"]] == ["Release me"]


def test_without_relays_there_is_no_release_button(mailpen, inbox, driver):
    message_id = mailpen.send(make_message("Captured only"), inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{message_id}")
    wait(driver).until(lambda d: d.find_element(By.ID, "msg-subject").text == "Captured only")
    wait(driver).until(lambda d: d.execute_script("return document.querySelector('.act-release') !== null"))
    driver.implicitly_wait(0)
    assert not driver.find_element(By.CSS_SELECTOR, ".act-release").is_displayed()
    assert not driver.find_element(By.CSS_SELECTOR, ".msg-deliveries").is_displayed()
