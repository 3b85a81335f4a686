"""Live updates: mail sent over SMTP while the page is open shows up without a reload."""

from selenium.webdriver.common.by import By

from testmessage import make_message
from uihelpers import open_ui, row_for, row_subjects, rows, screenshot, unread_badge, wait


def test_mail_sent_over_smtp_appears_without_reload_and_unread_count_rises(mailpen, inbox, driver):
    open_ui(driver, mailpen, f"#/inbox/{inbox}")

    # The empty state says how to send the first message, with the real SMTP host and port.
    empty = driver.find_element(By.ID, "list-empty")
    assert empty.is_displayed()
    assert f"127.0.0.1:{mailpen.smtp_port}" in empty.text
    assert "swaks --server" in empty.text and "curl" in empty.text
    screenshot(driver, "empty-inbox")
    assert unread_badge(driver, inbox) == 0

    driver.execute_script("window.__sameDocument = 'yes'")
    mailpen.send(make_message("Live one"), inbox=inbox)
    wait(driver).until(lambda d: row_for(d, "Live one") is not None)
    wait(driver).until(lambda d: unread_badge(d, inbox) == 1)
    assert driver.execute_script("return window.__sameDocument") == "yes", "the page reloaded"
    assert not driver.find_element(By.ID, "list-empty").is_displayed()

    row = row_for(driver, "Live one")
    assert "unread" in row.get_attribute("class").split()
    weight = driver.execute_script("return getComputedStyle(arguments[0]).fontWeight", row.find_element(By.CSS_SELECTOR, ".row-subject"))
    assert int(weight) >= 600, "unread subjects are bold"
    assert row.find_element(By.CSS_SELECTOR, ".row-from").text == "Shop"
    assert "Bob" in row.find_element(By.CSS_SELECTOR, ".row-to").text
    assert "Hello there." in row.find_element(By.CSS_SELECTOR, ".row-snippet").text
    stamp = row.find_element(By.CSS_SELECTOR, "time")
    assert stamp.text == "just now"
    assert stamp.get_attribute("title"), "the exact time is on hover"
    assert stamp.get_attribute("datetime").endswith("Z")
    assert row.find_element(By.CSS_SELECTOR, ".row-size").text.endswith(("B", "KB"))

    # Newest first; the header counts follow.
    mailpen.send(make_message("Live two", attachment=("report.csv", b"a,b\n1,2\n", "text/csv")), inbox=inbox)
    wait(driver).until(lambda d: row_subjects(d)[:2] == ["Live two", "Live one"])
    wait(driver).until(lambda d: unread_badge(d, inbox) == 2)
    wait(driver).until(lambda d: "2 messages" in d.find_element(By.ID, "list-counts").text)
    assert row_for(driver, "Live two").find_elements(By.CSS_SELECTOR, ".row-attach"), "attachment icon"
    assert not row_for(driver, "Live one").find_elements(By.CSS_SELECTOR, ".row-attach")

    # Mail for another inbox raises that inbox's count and leaves this list alone.
    before = unread_badge(driver, "default")
    mailpen.send(make_message("Elsewhere"))
    wait(driver).until(lambda d: unread_badge(d, "default") == before + 1)
    assert row_subjects(driver) == ["Live two", "Live one"]
    assert driver.execute_script("return window.__sameDocument") == "yes"
    screenshot(driver, "live-list")


def test_burst_of_mail_arrives_in_order(mailpen, inbox, driver):
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    subjects = [f"Burst {i:02d}" for i in range(25)]
    for subject in subjects:
        mailpen.send(make_message(subject), inbox=inbox)
    wait(driver).until(lambda d: "25 messages" in d.find_element(By.ID, "list-counts").text)
    wait(driver).until(lambda d: row_subjects(d)[:10] == list(reversed(subjects))[:10])
    assert unread_badge(driver, inbox) == 25
    # no duplicates among the rendered rows
    ids = [row.get_attribute("data-id") for row in rows(driver)]
    assert len(ids) == len(set(ids))


def test_many_tabs_share_one_event_stream(mailpen, inbox, driver):
    # A browser allows six connections per server; a stream per tab would starve the seventh tab.
    tabs = []
    for n in range(8):
        if n:
            driver.switch_to.new_window("tab")
        open_ui(driver, mailpen, f"#/inbox/{inbox}")
        tabs.append(driver.current_window_handle)
    mailpen.send(make_message("Seen everywhere"), inbox=inbox)
    for handle in (tabs[0], tabs[-1]):
        driver.switch_to.window(handle)
        wait(driver).until(lambda d: row_for(d, "Seen everywhere") is not None)
    # The newest tab still loads messages: the connections are not all taken by streams.
    row_for(driver, "Seen everywhere").find_element(By.CSS_SELECTOR, ".row-link").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "msg-subject").text == "Seen everywhere")
