"""Hostile mail runs nothing: not in the sandboxed HTML preview, not in the UI around it."""
import base64

from selenium.webdriver.common.by import By

from testmessage import make_message
from uihelpers import open_ui, row_for, wait

# Every script below would set a marker attribute on its own document and try to reach the top page.
SET = "document.documentElement.setAttribute('data-pwned','{how}');try{{top.__pwned='{how}'}}catch(e){{}};try{{parent.document.documentElement.setAttribute('data-pwned','{how}')}}catch(e){{}}"

HOSTILE_HTML = f"""<!doctype html><html><head>
<script>{SET.format(how="script")}</script>
<meta http-equiv="refresh" content="0;url=javascript:{SET.format(how="refresh")}">
</head><body onload="{SET.format(how="onload")}">
<p id="before">Before</p>
<img id="broken" src="/no-such-image.png" onerror="{SET.format(how="onerror")}">
<svg><script>{SET.format(how="svg")}</script></svg>
<a id="jslink" href="javascript:{SET.format(how="javascript-link")}">Click me</a>
<iframe srcdoc="<script>{SET.format(how="srcdoc")}</script>"></iframe>
<object data="javascript:{SET.format(how="object")}"></object>
<p id="after">After</p>
</body></html>"""

SUBJECT = """<img src=x onerror="top.__pwned='subject'"> Deals <script>top.__pwned='subject2'</script>"""


def test_scripts_handlers_and_javascript_links_in_mail_run_nothing(mailpen, inbox, driver):
    message = make_message(SUBJECT, text="<script>top.__pwned='text'</script> Plain part\n", html=HOSTILE_HTML,
                           sender='"<img src=x onerror=top.__pwned=1>" <evil@example.com>',
                           attachment=('<img src=x onerror="top.__pwned=9">.txt', b"x", "text/plain"))
    message_id = mailpen.send(message, inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    title = driver.title

    # The list shows the subject and sender as text.
    row = wait(driver).until(lambda d: row_for(d, SUBJECT))
    assert row.find_elements(By.CSS_SELECTOR, "img, script") == []

    row.find_element(By.CSS_SELECTOR, ".row-link").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "msg-subject").text == SUBJECT)
    frame = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-html iframe"))
    assert "allow-scripts" not in frame.get_attribute("sandbox")

    driver.switch_to.frame(frame)
    wait(driver).until(lambda d: d.find_element(By.ID, "after"))
    # The load event waits for the broken image's error event, so once the document is complete every
    # handler that could have fired has had its chance.
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert driver.find_element(By.ID, "broken").get_property("complete")
    assert driver.execute_script("return document.documentElement.getAttribute('data-pwned')") is None
    driver.find_element(By.ID, "jslink").click()
    driver.switch_to.default_content()
    # Clicking the link did not navigate anything either: the frame still shows the message.
    frame = driver.find_element(By.CSS_SELECTOR, "#panel-html iframe")
    driver.switch_to.frame(frame)
    wait(driver).until(lambda d: d.find_element(By.ID, "after"))
    assert driver.execute_script("return document.documentElement.getAttribute('data-pwned')") is None
    driver.switch_to.default_content()

    # The top page: no marker anywhere, nothing injected into the header, the title is ours.
    assert driver.execute_script("return window.__pwned") is None
    assert driver.execute_script("return document.documentElement.getAttribute('data-pwned')") is None
    assert driver.find_elements(By.CSS_SELECTOR, ".msg-header img, .msg-header script, #rows img, #rows script") == []
    assert "Deals" in driver.title and driver.title != "PWNED" and title.endswith("Mailpen")
    assert driver.current_url.endswith(f"/message/{message_id}")

    # Text and Source show the markup as text.
    driver.find_element(By.ID, "tab-text").click()
    text = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-text pre"))
    assert "<script>top.__pwned='text'</script>" in text.text
    assert text.find_elements(By.CSS_SELECTOR, "script") == []
    driver.find_element(By.ID, "tab-source").click()
    code = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-source pre.code"))
    assert "<script>" in code.text
    driver.find_element(By.ID, "tab-headers").click()
    driver.find_element(By.ID, "tab-parts").click()
    assert driver.find_elements(By.CSS_SELECTOR, "#panel-parts img, #panel-headers img, #panel-parts script") == []
    assert driver.execute_script("return window.__pwned") is None


def test_the_html_endpoint_is_served_with_a_sandboxing_csp(mailpen, inbox):
    import urllib.request
    message_id = mailpen.send(make_message("CSP", html="<p>hi</p>"), inbox=inbox)
    with urllib.request.urlopen(f"{mailpen.base_url}/api/v1/messages/{message_id}/html") as response:
        policy = response.headers.get("Content-Security-Policy", "")
    assert "sandbox" in policy and "allow-scripts" not in policy


def test_direction_controls_in_a_name_cannot_reorder_the_address_beside_it(mailpen, inbox, driver):
    """A display name ending in an unclosed right-to-left override (U+202E) would show the mailbox after it
    reversed (`moc.kcatta@evil.test` as `tset.live@attack.com`). The name and the mailbox are isolated from
    each other and from the text around them, in the message header and the list."""
    message = make_message("Your invoice \u202efdp.exe", text="Pay now\n",
                           sender="=?utf-8?b?" + base64.b64encode("Support \u202e".encode()).decode()
                           + "?= <moc.kcatta@evil.test>")
    mailpen.send(message, inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    row = wait(driver).until(lambda d: row_for(d, "Your invoice \u202efdp.exe"))
    for selector in (".row-from", ".row-subject", ".row-snippet"):
        element = row.find_element(By.CSS_SELECTOR, selector)
        assert element.value_of_css_property("unicode-bidi") == "isolate", selector
    # The sender's tooltip is text: its name and mailbox are isolated with U+2068 and U+2069.
    tooltip = row.find_element(By.CSS_SELECTOR, ".row-from").get_attribute("title")
    assert tooltip == "\u2068Support \u202e\u2069 <\u2068moc.kcatta@evil.test\u2069>", repr(tooltip)
    row.find_element(By.CSS_SELECTOR, ".row-link").click()
    dd = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, ".msg-addresses dd bdi")).find_element(By.XPATH, "../..")
    name, mailbox = dd.find_elements(By.CSS_SELECTOR, "bdi")
    assert (name.text.strip(), mailbox.text) == ("Support \u202e".strip(), "moc.kcatta@evil.test")
    # Shown left to right: the name, then the mailbox, each where it belongs.
    left = driver.execute_script(
        "const [n, m] = arguments; return [n.getBoundingClientRect().right, m.getBoundingClientRect().left];",
        name, mailbox)
    assert left[0] <= left[1] + 1, left
    assert driver.find_element(By.ID, "msg-subject").value_of_css_property("unicode-bidi") == "isolate"
