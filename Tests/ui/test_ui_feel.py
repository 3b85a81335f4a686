"""Deep links and history, keyboard, dark mode, narrow screens, inboxes and SMTP settings."""
import re
import shutil
import subprocess

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from testmessage import make_message
from uihelpers import (BINARY, background_luminance, emulate_color_scheme, new_driver, open_ui, row_for,
                       row_subjects, screenshot, wait)


def subject_shown(driver):
    elements = driver.find_elements(By.ID, "msg-subject")
    return elements[0].text if elements else None


def test_deep_links_open_the_right_message_and_back_forward_work(mailpen, inbox, driver):
    first = mailpen.send(make_message("First deep", text="first body\n"), inbox=inbox)
    second = mailpen.send(make_message("Second deep", text="second body\n"), inbox=inbox)

    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{first}", live=False)
    wait(driver).until(lambda d: subject_shown(d) == "First deep")
    assert "open" in row_for(driver, "First deep").get_attribute("class").split()
    assert driver.find_element(By.CSS_SELECTOR, f'#inbox-list a[data-inbox="{inbox}"]').get_attribute("aria-current") == "page"

    driver.get("about:blank")
    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{second}/headers", live=False)
    wait(driver).until(lambda d: subject_shown(d) == "Second deep")
    assert driver.find_element(By.ID, "tab-headers").get_attribute("aria-selected") == "true"

    # Back and forward walk through what was opened.
    driver.get("about:blank")
    open_ui(driver, mailpen, f"#/inbox/{inbox}", live=False)
    row_for(driver, "First deep").find_element(By.CSS_SELECTOR, ".row-link").click()
    wait(driver).until(lambda d: subject_shown(d) == "First deep")
    row_for(driver, "Second deep").find_element(By.CSS_SELECTOR, ".row-link").click()
    wait(driver).until(lambda d: subject_shown(d) == "Second deep")
    assert driver.find_element(By.ID, "tab-text").get_attribute("aria-selected") == "true"  # no HTML body
    driver.find_element(By.ID, "tab-envelope").click()
    assert driver.current_url.endswith(f"/message/{second}/envelope")  # tab in the address, no new entry
    driver.back()
    wait(driver).until(lambda d: subject_shown(d) == "First deep")
    assert driver.current_url.endswith(f"/message/{first}")
    driver.forward()
    wait(driver).until(lambda d: subject_shown(d) == "Second deep")
    driver.back()
    driver.back()
    wait(driver).until(lambda d: subject_shown(d) is None and d.find_elements(By.CSS_SELECTOR, "#view .view-empty"))

    # A link to a message that is gone says so.
    driver.get("about:blank")
    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/01ZZZZZZZZZZZZZZZZZZZZZZZZ", live=False)
    wait(driver).until(lambda d: "does not exist" in d.find_element(By.ID, "view").text)


def test_keyboard_shortcuts(mailpen, inbox, driver):
    for subject in ("Key one", "Key two", "Key three"):
        mailpen.send(make_message(subject), inbox=inbox)
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    wait(driver).until(lambda d: row_subjects(d) == ["Key three", "Key two", "Key one"])
    keys = ActionChains(driver)

    def cursor():
        return driver.execute_script("const r = document.querySelector('#rows .row.cursor'); return r && r.querySelector('.row-subject').textContent")

    keys.send_keys("j").perform()
    wait(driver).until(lambda d: cursor() == "Key three")
    assert driver.switch_to.active_element.get_attribute("class") == "row-link", "the row is focused"
    keys.send_keys("j").perform()
    keys.send_keys("j").perform()
    wait(driver).until(lambda d: cursor() == "Key one")
    keys.send_keys("k").perform()
    wait(driver).until(lambda d: cursor() == "Key two")
    keys.send_keys(Keys.ENTER).perform()
    wait(driver).until(lambda d: subject_shown(d) == "Key two")

    keys.send_keys("/").perform()
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("id") == "search")
    keys.send_keys(Keys.ESCAPE).perform()
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("id") != "search")

    keys.send_keys(Keys.ESCAPE).perform()  # closes the message
    wait(driver).until(lambda d: subject_shown(d) is None)
    keys.send_keys("x").perform()
    wait(driver).until(lambda d: d.find_element(By.ID, "selection-count").text == "1 selected")
    keys.send_keys(Keys.DELETE).perform()
    wait(driver).until(lambda d: row_subjects(d) == ["Key three", "Key one"])

    keys.send_keys("?").perform()
    shortcuts = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog#shortcuts[open]"))
    assert "j" in shortcuts.text and "Delete" in shortcuts.text
    keys.send_keys(Keys.ESCAPE).perform()
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog#shortcuts[open]"))


def test_dark_mode_follows_the_system_and_the_toggle(mailpen, inbox, driver):
    message_id = mailpen.send(make_message("Dark", html="<p>Hi</p>"), inbox=inbox)
    emulate_color_scheme(driver, "dark")
    open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{message_id}")
    html = driver.find_element(By.TAG_NAME, "html")
    wait(driver).until(lambda d: html.get_attribute("data-effective-theme") == "dark")
    assert background_luminance(driver) < 0.05
    assert background_luminance(driver, ".topbar") < 0.05
    screenshot(driver, "dark-message")

    emulate_color_scheme(driver, "light")  # the system switches: the page follows
    wait(driver).until(lambda d: html.get_attribute("data-effective-theme") == "light")
    assert background_luminance(driver) > 0.8

    toggle = driver.find_element(By.ID, "theme-toggle")
    assert "system" in toggle.get_attribute("aria-label")
    toggle.click()  # system → light
    assert toggle.get_attribute("aria-label").startswith("Theme: Light")
    toggle.click()  # light → dark, against the system
    wait(driver).until(lambda d: html.get_attribute("data-effective-theme") == "dark")
    assert background_luminance(driver) < 0.05
    driver.refresh()  # the choice sticks
    wait(driver).until(lambda d: d.execute_script("return document.body.dataset.list") == "loaded")
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("data-theme") == "dark"
    assert background_luminance(driver) < 0.05
    driver.find_element(By.ID, "theme-toggle").click()  # dark → system (light)
    wait(driver).until(lambda d: html.get_attribute("data-effective-theme") == "light")
    assert html.get_attribute("data-theme") is None


def test_usable_at_360_pixels(mailpen, inbox):
    message_id = mailpen.send(make_message("A rather long subject line that has to fit on a small phone screen",
                                           html="<h1 id='hi'>Hi</h1>"), inbox=inbox)
    driver = new_driver(400, 800)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True})
        open_ui(driver, mailpen, f"#/inbox/{inbox}")
        assert driver.execute_script("return innerWidth") == 360
        overflow = "return document.documentElement.scrollWidth"
        assert driver.execute_script(overflow) <= 360
        assert driver.find_element(By.ID, "list-pane").is_displayed()
        assert not driver.find_element(By.ID, "view").is_displayed()
        for control in ("search", "act-read", "act-delete", "act-clear", "drawer-toggle", "theme-toggle"):
            element = driver.find_element(By.ID, control)
            assert element.is_displayed()
            box = element.rect
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360, control
        screenshot(driver, "mobile-list")

        driver.find_element(By.CSS_SELECTOR, "#rows .row-link").click()
        wait(driver).until(lambda d: d.find_element(By.ID, "view").is_displayed())
        assert not driver.find_element(By.ID, "list-pane").is_displayed()
        assert driver.execute_script(overflow) <= 360
        frame = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-html iframe"))
        assert frame.rect["width"] <= 360
        screenshot(driver, "mobile-message")
        back = driver.find_element(By.CSS_SELECTOR, ".back-button")
        assert back.is_displayed()
        back.click()
        wait(driver).until(lambda d: d.find_element(By.ID, "list-pane").is_displayed())
        assert f"/message/{message_id}" not in driver.current_url

        driver.find_element(By.ID, "drawer-toggle").click()
        # Looked up on every poll: the inbox list is drawn again when an inbox event arrives, and an element
        # kept from before would stay stale until the wait gave up.
        def shown_default_link(d):
            link = d.find_element(By.CSS_SELECTOR, '#inbox-list a[data-inbox="default"]')
            return link if link.is_displayed() and link.rect["x"] >= 0 else False
        wait(driver).until(shown_default_link)
        screenshot(driver, "mobile-inboxes")
        wait(driver).until(shown_default_link).click()
        wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#list-title .inbox-title").text == "default")
        wait(driver).until(lambda d: not d.find_element(By.ID, "inbox-pane").is_displayed())
    finally:
        driver.quit()


def test_create_inbox_smtp_settings_snippets_and_delete_inbox(mailpen, driver):
    open_ui(driver, mailpen, "#/inbox/default")
    driver.find_element(By.ID, "new-inbox").click()
    dialog = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"))
    name = "made-in-ui"
    dialog.find_element(By.ID, "new-inbox-name").send_keys(name)
    dialog.find_element(By.ID, "new-inbox-password").send_keys("pa55")
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    wait(driver).until(lambda d: d.current_url.endswith(f"#/inbox/{name}"))
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#inbox-list a[data-inbox="{name}"]'))
    status, data = mailpen.api("GET", f"/api/v1/inboxes/{name}")
    assert status == 200 and data["smtp"]["password"] == "pa55"

    # A duplicate is refused with the server's message.
    driver.find_element(By.ID, "new-inbox").click()
    dialog = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"))
    dialog.find_element(By.ID, "new-inbox-name").send_keys(name)
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    error = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] .form-error"))
    wait(driver).until(lambda d: error.text.strip() != "")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))

    # SMTP settings with the real port and credentials, and a snippet per framework.
    driver.find_element(By.ID, "act-settings").click()
    dialog = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"))
    assert str(mailpen.smtp_port) in dialog.text and name in dialog.text
    secret = dialog.find_element(By.CSS_SELECTOR, ".settings-grid .secret")
    assert secret.text != "pa55", "the password is hidden until asked for"
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Show']").click()
    assert secret.text == "pa55"
    expected = {
        "rails": "config.action_mailer.smtp_settings", "django": "EMAIL_HOST", "laravel": "MAIL_HOST=",
        "node": "nodemailer.createTransport", "spring": "spring.mail.host=", "php": "sendmail_path",
    }
    for snippet, marker in expected.items():
        dialog.find_element(By.ID, f"snippet-tab-{snippet}").click()
        code = dialog.find_element(By.CSS_SELECTOR, ".snippet pre").text
        assert marker in code and str(mailpen.smtp_port) in code, snippet
        assert name in code and "pa55" in code, snippet
    assert re.search(rf'sendmail_path = "/path/to/mailpen sendmail -t -i --smtp 127.0.0.1:{mailpen.smtp_port} --inbox {name} --password pa55"', code)
    assert "MAILPEN_SMTP" in code
    dialog.find_element(By.ID, "snippet-tab-rails").click()
    screenshot(driver, "smtp-settings")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"))

    # The PHP snippet works as written: its sendmail_path command delivers into this inbox.
    command = re.search(r'^sendmail_path = "(.*)"$', code, re.M).group(1).replace("/path/to/mailpen", BINARY)
    mail = b"From: php@example.com\nTo: bob@example.com\nSubject: Sent by sendmail_path\n\nHello from PHP.\n"
    result = subprocess.run(command, shell=True, input=mail, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    wait(driver).until(lambda d: row_subjects(d) == ["Sent by sendmail_path"])

    # Mail logged in as the inbox lands in it, live.
    mailpen.send(make_message("Routed by login"), inbox=name)
    wait(driver).until(lambda d: row_subjects(d) == ["Routed by login", "Sent by sendmail_path"])

    # Delete the inbox; the default one cannot be deleted.
    driver.find_element(By.ID, "act-delete-inbox").click()
    dialog = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open]"))
    dialog.find_element(By.CSS_SELECTOR, 'button[value="ok"]').click()
    wait(driver).until(lambda d: d.current_url.endswith("#/inbox/default"))
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'#inbox-list a[data-inbox="{name}"]'))
    assert mailpen.api("GET", f"/api/v1/inboxes/{name}")[0] == 404
    assert not driver.find_element(By.ID, "act-delete-inbox").is_enabled()


def test_the_empty_state_commands_deliver_mail(mailpen, inbox, driver):
    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    commands = {block.find_element(By.CSS_SELECTOR, ".command-head span").text: block.find_element(By.CSS_SELECTOR, "pre").text
                for block in driver.find_elements(By.CSS_SELECTOR, "#list-empty .command")}
    assert set(commands) == {"swaks", "curl"}
    expected = []
    for tool, subject in (("curl", "Hello from curl"), ("swaks", "Hello from swaks")):
        if not shutil.which(tool):
            continue
        result = subprocess.run(commands[tool], shell=True, capture_output=True, timeout=30)
        assert result.returncode == 0, (tool, result.stdout, result.stderr)
        expected.insert(0, subject)
        wait(driver).until(lambda d: row_subjects(d) == expected)
    assert expected, "neither curl nor swaks is installed"


CONTRAST_JS = """
const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const background = (el) => {
  for (; el; el = el.parentElement) {
    const c = parse(getComputedStyle(el).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
return arguments[0].flatMap((selector) => [...document.querySelectorAll(selector)].slice(0, 3)
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map((el) => [selector, parse(getComputedStyle(el).color).slice(0, 3), background(el)]));
"""

TEXT = [".brand span", ".live-label", ".inbox-name", ".total-count", ".unread-count:not(.zero)", "#list-title",
        ".list-counts", ".row-from", ".row-to", ".row-time", ".row-subject", ".row-snippet", ".row-size", ".btn",
        ".btn-danger .label", ".tab", ".tab[aria-selected=true]", ".msg-addresses dt", ".msg-addresses dd", ".seg",
        ".seg[aria-checked=true]", ".chip", ".pane-head h2"]


def contrast(fg, bg):
    def luminance(rgb):
        def channel(value):
            value /= 255
            return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(v) for v in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_text_contrast_meets_wcag_aa_in_both_themes(mailpen, inbox, driver):
    message_id = mailpen.send(make_message("Contrast", html="<p>Hi</p>",
                                           attachment=("a.txt", b"x", "text/plain")), inbox=inbox)
    mailpen.send(make_message("Unread neighbour"), inbox=inbox)
    for scheme in ("light", "dark"):
        emulate_color_scheme(driver, scheme)
        open_ui(driver, mailpen, f"#/inbox/{inbox}/message/{message_id}", live=False)
        wait(driver).until(lambda d: subject_shown(d) == "Contrast")
        wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("data-effective-theme") == scheme)
        samples = driver.execute_script(CONTRAST_JS, TEXT)
        assert len({selector for selector, _, _ in samples}) >= len(TEXT) - 3
        low = [(selector, fg, bg, round(contrast(fg, bg), 2)) for selector, fg, bg in samples if contrast(fg, bg) < 4.5]
        assert not low, f"{scheme}: {low}"
        # Focus is visible: moving with the keyboard outlines the focused row.
        ActionChains(driver).send_keys("j").perform()
        focused = wait(driver).until(lambda d: d.switch_to.active_element if "row-link" in (d.switch_to.active_element.get_attribute("class") or "") else None)
        assert driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", focused) == "solid"
        assert driver.execute_script("return parseFloat(getComputedStyle(arguments[0]).outlineWidth)", focused) >= 2
        driver.get("about:blank")
