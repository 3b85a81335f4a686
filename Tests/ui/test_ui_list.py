"""The message list: search, selection, delete, mark read/unread, clear, and a large inbox."""
import http.client

import pytest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from testmessage import make_message
from uihelpers import open_ui, row_for, row_subjects, rows, screenshot, unread_badge, wait


def search(driver, query):
    box = driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys(query, Keys.ENTER)


def wait_indexed(mailpen, inbox, query):
    """Search may index a moment after the 250; the wait endpoint tells when a query finds the message."""
    status, data = mailpen.api("GET", f"/api/v1/inboxes/{inbox}/wait?q={query}&timeout=10")
    assert status == 200, (status, data)


def test_search_narrows_the_list_and_speaks_the_grammar(mailpen, inbox, driver):
    mailpen.send(make_message("Invoice 2024-001", sender="Alice <alice@shop.example>",
                              attachment=("invoice.pdf", b"%PDF-1.4", "application/pdf")), inbox=inbox)
    mailpen.send(make_message("Password reset", sender="Security <security@example.com>", text="Reset it here.\n"), inbox=inbox)
    mailpen.send(make_message("Weekly digest", sender="News <news@example.com>", text="This week: a zebra escaped.\n"), inbox=inbox)
    for query in ("subject:invoice", "subject:password", "zebra"):
        wait_indexed(mailpen, inbox, query)
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    assert row_subjects(driver) == ["Weekly digest", "Password reset", "Invoice 2024-001"]

    cases = [
        ("subject:invoice", ["Invoice 2024-001"]),
        ("zebra", ["Weekly digest"]),                       # bare words match the body text
        ("-subject:invoice", ["Weekly digest", "Password reset"]),
        ("has:attachment", ["Invoice 2024-001"]),
        ("from:security@example.com", ["Password reset"]),
        ('"password reset"', ["Password reset"]),
    ]
    for query, expected in cases:
        search(driver, query)
        wait(driver).until(lambda d: d.execute_script("return document.body.dataset.list") == "loaded" and row_subjects(d) == expected,
                           message=f"search {query!r}")
    assert "1 match" in driver.find_element(By.ID, "list-counts").text
    screenshot(driver, "search")

    # New mail that matches the search shows up live; mail that does not stays out.
    search(driver, "subject:invoice")
    wait(driver).until(lambda d: row_subjects(d) == ["Invoice 2024-001"])
    mailpen.send(make_message("Invoice 2024-002"), inbox=inbox)
    mailpen.send(make_message("Unrelated news"), inbox=inbox)
    wait(driver).until(lambda d: row_subjects(d) == ["Invoice 2024-002", "Invoice 2024-001"])

    search(driver, "nothing-matches-this")
    wait(driver).until(lambda d: "No messages match" in d.find_element(By.ID, "list-empty").text)
    driver.find_element(By.CSS_SELECTOR, "#list-empty button").click()
    wait(driver).until(lambda d: len(row_subjects(d)) == 5)

    # The help popover lists the grammar.
    driver.find_element(By.CSS_SELECTOR, '[popovertarget="search-help"]').click()
    help_box = driver.find_element(By.ID, "search-help")
    wait(driver).until(lambda d: help_box.is_displayed())
    for token in ("from:", "rcpt:", "header:", "is:unread", "has:attachment", "before:", "larger:", "-word"):
        assert token in help_box.text
    screenshot(driver, "search-help")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait(driver).until(lambda d: not help_box.is_displayed())


def test_select_mark_read_unread_delete_and_clear(mailpen, inbox, driver):
    for subject in ("Alpha", "Bravo", "Charlie", "Delta"):
        mailpen.send(make_message(subject), inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    wait(driver).until(lambda d: row_subjects(d) == ["Delta", "Charlie", "Bravo", "Alpha"])

    # Select two, mark read, then unread.
    for subject in ("Charlie", "Alpha"):
        row_for(driver, subject).find_element(By.CSS_SELECTOR, ".row-check").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "selection-count").text == "2 selected")
    driver.find_element(By.ID, "act-read").click()
    wait(driver).until(lambda d: unread_badge(d, inbox) == 2)
    assert "unread" not in row_for(driver, "Charlie").get_attribute("class").split()
    assert {m["subject"]: m["read"] for m in mailpen.messages(inbox)["messages"]} == \
        {"Delta": False, "Charlie": True, "Bravo": False, "Alpha": True}
    driver.find_element(By.ID, "act-unread").click()
    wait(driver).until(lambda d: unread_badge(d, inbox) == 4)

    # Delete the selection.
    driver.find_element(By.ID, "act-delete").click()
    wait(driver).until(lambda d: row_subjects(d) == ["Delta", "Bravo"])
    assert [m["subject"] for m in mailpen.messages(inbox)["messages"]] == ["Delta", "Bravo"]
    wait(driver).until(lambda d: unread_badge(d, inbox) == 2)

    # Open one and delete it with the Delete key.
    row_for(driver, "Delta").find_element(By.CSS_SELECTOR, ".row-link").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "msg-subject").text == "Delta")
    driver.find_element(By.ID, "msg-subject").click()  # focus the page, not a form field
    ActionChains(driver).send_keys(Keys.DELETE).perform()
    wait(driver).until(lambda d: row_subjects(d) == ["Bravo"])
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#view .view-empty"))
    assert f"#/inbox/{inbox}" in driver.current_url and "/message/" not in driver.current_url
    assert [m["subject"] for m in mailpen.messages(inbox)["messages"]] == ["Bravo"]

    # Clear the inbox (with confirmation).
    mailpen.send(make_message("Echo"), inbox=inbox)
    wait(driver).until(lambda d: row_subjects(d) == ["Echo", "Bravo"])
    driver.find_element(By.ID, "act-clear").click()
    dialog = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"))
    assert "Clear" in dialog.text
    screenshot(driver, "clear-confirm")
    dialog.find_element(By.CSS_SELECTOR, 'button[value="ok"]').click()
    wait(driver).until(lambda d: d.find_element(By.ID, "list-empty").is_displayed())
    assert rows(driver) == []
    assert mailpen.messages(inbox)["total"] == 0
    wait(driver).until(lambda d: unread_badge(d, inbox) == 0)


def test_someone_else_deleting_updates_the_open_page(mailpen, inbox, driver):
    ids = [mailpen.send(make_message(s), inbox=inbox) for s in ("One", "Two", "Three")]
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    wait(driver).until(lambda d: row_subjects(d) == ["Three", "Two", "One"])
    status, _ = mailpen.api("DELETE", f"/api/v1/messages/{ids[1]}")
    assert status == 204
    wait(driver).until(lambda d: row_subjects(d) == ["Three", "One"])
    status, data = mailpen.api("DELETE", f"/api/v1/inboxes/{inbox}/messages")
    assert status == 200 and data["deleted"] == 2
    wait(driver).until(lambda d: d.find_element(By.ID, "list-empty").is_displayed())


def test_a_large_inbox_is_virtualised(mailpen, inbox, driver):
    count = 1500
    connection = http.client.HTTPConnection("127.0.0.1", mailpen.http_port)
    for i in range(count):
        raw = f"From: bulk@example.com\r\nTo: bob@example.com\r\nSubject: Bulk {i:04d}\r\n\r\nBody {i}\r\n".encode()
        connection.request("POST", f"/api/v1/inboxes/{inbox}/messages", body=raw, headers={"Content-Type": "message/rfc822"})
        response = connection.getresponse()
        response.read()
        assert response.status == 201, response.status
    connection.close()

    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    wait(driver).until(lambda d: "1,500 messages" in d.find_element(By.ID, "list-counts").text)
    assert row_subjects(driver)[0] == "Bulk 1499"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#rows .row")) < 80, "only the rows in view exist"
    viewport = driver.find_element(By.ID, "list-viewport")

    # Jump to the bottom: the oldest message is fetched and shown.
    driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", viewport)
    wait(driver).until(lambda d: "Bulk 0000" in row_subjects(d))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#rows .row")) < 80
    # And the middle.
    driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight / 2", viewport)
    wait(driver).until(lambda d: any(s.startswith("Bulk 07") for s in row_subjects(d)))

    # New mail while scrolled down keeps the reader's place and is counted.
    before = row_subjects(driver)
    mailpen.send(make_message("Fresh on top"), inbox=inbox)
    wait(driver).until(lambda d: "1,501 messages" in d.find_element(By.ID, "list-counts").text)
    assert row_subjects(driver)[:5] == before[:5]
    driver.execute_script("arguments[0].scrollTop = 0", viewport)
    wait(driver).until(lambda d: row_subjects(d)[:2] == ["Fresh on top", "Bulk 1499"])


def test_search_field_with_quoted_phrase(mailpen, inbox, driver):
    mailpen.send(make_message("Password reset"), inbox=inbox)
    mailpen.send(make_message("Password changed"), inbox=inbox)
    wait_indexed(mailpen, inbox, "subject:changed")
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    search(driver, 'subject:"password reset"')
    wait(driver, 5).until(lambda d: row_subjects(d) == ["Password reset"])
