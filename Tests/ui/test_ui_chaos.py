"""The Chaos panel of an inbox: rules set from the JSON editor reach the SMTP server, their hit counters show
after a refused session, a bad rule shows the server's reason, and Clear removes them."""
import smtplib

import pytest
from selenium.webdriver.common.by import By

from uihelpers import open_ui, screenshot, wait


def open_chaos(driver, server, inbox):
    open_ui(driver, server, f"#/inbox/{inbox}")
    wait(driver).until(lambda d: d.find_element(By.ID, "act-chaos")).click()
    return wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open].chaos-dialog"))


def set_editor(driver, text):
    editor = driver.find_element(By.ID, "chaos-editor")
    driver.execute_script("arguments[0].value = arguments[1]", editor, text)


def test_chaos_panel_sets_shows_and_clears_rules(mailpen, inbox, driver):
    dialog = open_chaos(driver, mailpen, inbox)
    wait(driver).until(lambda d: d.find_element(By.ID, "chaos-empty").is_displayed())
    set_editor(driver, '[{"stage": "mail", "reply": "451 4.3.0 Chaos says later", "times": 3}]')
    dialog.find_element(By.ID, "chaos-save").click()
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chaos-rules tr")) == 1)
    with smtplib.SMTP("127.0.0.1", mailpen.smtp_port, timeout=30) as client:
        client.login(inbox, "x")
        with pytest.raises(smtplib.SMTPSenderRefused) as raised:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nbody\r\n")
    assert raised.value.smtp_code == 451
    dialog.find_element(By.ID, "chaos-refresh").click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#chaos-rules .chaos-hits").text == "1")
    row = dialog.find_element(By.CSS_SELECTOR, "#chaos-rules tr").text
    assert "mail" in row and "451 4.3.0 Chaos says later" in row
    screenshot(driver, "chaos-panel")
    set_editor(driver, '[{"stage": "mail", "reply": "250 fine"}]')
    dialog.find_element(By.ID, "chaos-save").click()
    error = wait(driver).until(lambda d: d.find_element(By.ID, "chaos-error"))
    wait(driver).until(lambda d: error.is_displayed() and "400 to 599" in error.text)
    dialog.find_element(By.ID, "chaos-clear").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "chaos-empty").is_displayed())
    status, state = mailpen.api("GET", f"/api/v1/inboxes/{inbox}/chaos")
    assert status == 200 and state["rules"] == []
