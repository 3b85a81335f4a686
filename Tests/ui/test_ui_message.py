"""The message view: HTML (sandboxed, cid: images), Text, Source, Headers, Parts, Checks, Envelope."""
from selenium.webdriver.common.by import By

from testmessage import make_message
from uihelpers import open_ui, row_for, screenshot, unread_badge, wait

HTML = """<!doctype html><html><body style="font-family: sans-serif">
<h1 id="greeting">Hello Bob</h1>
<p>Your order <strong>#1042</strong> has shipped.</p>
<p><img id="logo" src="cid:logo@mailpen.test" alt="Logo" width="16" height="16"></p>
<p><a href="https://example.com/track/1042">Track your parcel</a></p>
</body></html>"""


def open_message(driver, subject):
    row = wait(driver).until(lambda d: row_for(d, subject))
    row.find_element(By.CSS_SELECTOR, ".row-link").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "msg-subject").text == subject)


def select_tab(driver, name):
    driver.find_element(By.ID, f"tab-{name}").click()
    wait(driver).until(lambda d: d.find_element(By.ID, f"tab-{name}").get_attribute("aria-selected") == "true")
    panel = driver.find_element(By.ID, f"panel-{name}")
    assert panel.is_displayed()
    return panel


def test_html_tab_renders_in_a_sandbox_with_cid_images_and_opening_marks_read(mailpen, inbox, driver):
    message_id = mailpen.send(make_message("Order shipped", text="Your order has shipped.\n", html=HTML, cid_image=True), inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    assert unread_badge(driver, inbox) == 1
    open_message(driver, "Order shipped")
    assert driver.current_url.endswith(f"#/inbox/{inbox}/message/{message_id}")
    assert driver.find_element(By.ID, "tab-html").get_attribute("aria-selected") == "true"

    frame = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-html iframe"))
    sandbox = frame.get_attribute("sandbox")
    assert sandbox is not None and "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    assert frame.get_attribute("src").endswith(f"/api/v1/messages/{message_id}/html")

    driver.switch_to.frame(frame)
    heading = wait(driver).until(lambda d: d.find_element(By.ID, "greeting"))
    assert heading.text == "Hello Bob"
    image = driver.find_element(By.ID, "logo")
    wait(driver).until(lambda d: image.get_property("complete"))
    assert image.get_property("naturalWidth") > 0, "the cid: image loads"
    assert "cid:" not in image.get_attribute("src")
    assert f"/api/v1/messages/{message_id}/parts/" in image.get_attribute("src")
    driver.switch_to.default_content()

    # Opening marked it read: in the list, the inbox count and the API.
    wait(driver).until(lambda d: unread_badge(d, inbox) == 0)
    wait(driver).until(lambda d: "unread" not in row_for(d, "Order shipped").get_attribute("class").split())
    assert mailpen.messages(inbox)["messages"][0]["read"] is True
    screenshot(driver, "message-html")

    # Width presets.
    for preset, width in (("phone", 375), ("tablet", 768)):
        driver.find_element(By.CSS_SELECTOR, f'.seg[data-width="{preset}"]').click()
        wait(driver).until(lambda d: abs(d.find_element(By.CSS_SELECTOR, "#panel-html iframe").size["width"] - width) <= 1)
        assert driver.find_element(By.CSS_SELECTOR, f'.seg[data-width="{preset}"]').get_attribute("aria-checked") == "true"
    screenshot(driver, "message-html-tablet")
    driver.find_element(By.CSS_SELECTOR, '.seg[data-width="full"]').click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-html iframe").size["width"] > 768)

    # Mark unread from the view, then read again.
    driver.find_element(By.CSS_SELECTOR, ".act-read").click()
    wait(driver).until(lambda d: unread_badge(d, inbox) == 1)
    assert mailpen.messages(inbox)["messages"][0]["read"] is False
    driver.find_element(By.CSS_SELECTOR, ".act-read").click()
    wait(driver).until(lambda d: unread_badge(d, inbox) == 0)


def test_text_source_headers_parts_and_envelope_tabs(mailpen, inbox, driver):
    message = make_message("Tabs tour", text="Plain text line one.\nSee https://example.com/x\n", html=HTML, cid_image=True,
                           attachment=("invoice.pdf", b"%PDF-1.4 fake", "application/pdf"),
                           headers={"X-Campaign": "spring", "Subject-Note": "=?utf-8?q?caf=C3=A9?="})
    message_id = mailpen.send(message, inbox=inbox, mail_from="bounce@shop.example", rcpt=["bob@example.com", "carol@example.com"])
    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{message_id}")
    wait(driver).until(lambda d: d.find_element(By.ID, "msg-subject").text == "Tabs tour")
    attachments = driver.find_element(By.CSS_SELECTOR, ".msg-attachments").text
    assert "invoice.pdf" in attachments

    text = select_tab(driver, "text")
    assert "Plain text line one." in text.text
    link = text.find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href") == "https://example.com/x"

    source = select_tab(driver, "source")
    code = wait(driver).until(lambda d: source.find_element(By.CSS_SELECTOR, "pre.code"))
    assert "Subject: Tabs tour" in code.text
    gutter = source.find_element(By.CSS_SELECTOR, "pre.gutter").get_attribute("textContent").split("\n")
    assert gutter[:3] == ["1", "2", "3"] and len(gutter) == len(code.get_attribute("textContent").split("\n"))
    download = source.find_element(By.CSS_SELECTOR, 'a[download]')
    assert download.get_attribute("href").endswith(f"/api/v1/messages/{message_id}/raw?download=1")
    status, raw = mailpen.api("GET", f"/api/v1/messages/{message_id}/raw?download=1")
    assert status == 200 and "Tabs tour" in raw
    screenshot(driver, "message-source")

    headers = select_tab(driver, "headers")
    table = headers.find_element(By.CSS_SELECTOR, "table.headers-table")
    names = [cell.text for cell in table.find_elements(By.CSS_SELECTOR, "tbody th")]
    assert "Subject" in names and "X-Campaign" in names
    assert "café" in table.text, "decoded encoded-word"
    headers.find_element(By.CSS_SELECTOR, '.seg[data-mode="raw"]').click()
    raw_view = headers.find_element(By.CSS_SELECTOR, "pre.raw-headers")
    wait(driver).until(lambda d: raw_view.is_displayed())
    assert "=?utf-8?" in raw_view.text.lower(), "the raw field keeps the encoded word"
    assert not table.is_displayed()

    parts = select_tab(driver, "parts")
    tree = parts.text
    for content_type in ("multipart/mixed", "multipart/alternative", "text/plain", "text/html", "image/png", "application/pdf"):
        assert content_type in tree
    assert "invoice.pdf" in tree
    downloads = [a.get_attribute("href") for a in parts.find_elements(By.CSS_SELECTOR, "a[download]")]
    assert any("/parts/" in href and href.endswith("?download=1") for href in downloads)
    screenshot(driver, "message-parts")

    envelope = select_tab(driver, "envelope")
    text = envelope.text
    assert "<bounce@shop.example>" in text
    assert "<bob@example.com>" in text and "<carol@example.com>" in text
    assert "ui-test.example" in text, "HELO name"
    assert "127.0.0.1" in text, "client address"
    assert inbox in text, "AUTH user"
    assert "TLS" in text and "Received" in text and "Size" in text
    screenshot(driver, "message-envelope")


def test_checks_tab_renders_every_report_or_says_it_is_unavailable(mailpen, inbox, driver):
    html = '<html><body><p style="display:flex">Hi</p><a href="https://example.com/">link</a></body></html>'
    message_id = mailpen.send(make_message("Checks please", html=html), inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{message_id}/checks")
    wait(driver).until(lambda d: d.find_element(By.ID, "tab-checks").get_attribute("aria-selected") == "true")
    panel = driver.find_element(By.ID, "panel-checks")
    for kind in ("spam", "html", "links", "lint"):
        section = panel.find_element(By.ID, f"check-{kind}")
        body = section.find_element(By.CSS_SELECTOR, ".check-body")
        wait(driver, 20).until(lambda d: body.get_attribute("role") != "status")
        unavailable = body.find_elements(By.CSS_SELECTOR, "[data-unavailable]")
        if unavailable:
            assert "HTTP" in unavailable[0].text
            continue
        if kind == "spam":
            assert body.find_element(By.CSS_SELECTOR, ".score-value").text
            assert "threshold" in body.text
        elif kind == "html":
            assert "%" in body.text or "no HTML" in body.text
        elif kind == "links":
            assert "https://example.com/" in body.text
        elif kind == "lint":
            assert "error" in body.text and "warning" in body.text
    screenshot(driver, "message-checks")
