"""A realistic inbox, captured in light and dark: the screenshots the README shows (out/ui-screenshots/)."""
import struct
import zlib

from selenium.webdriver.common.by import By

from testmessage import make_message
from uihelpers import emulate_color_scheme, open_ui, row_for, row_subjects, screenshot, unread_badge, wait


def png(width, height, pixel):
    """A minimal RGB PNG; `pixel(x, y)` returns (r, g, b)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def logo(x, y):
    # a blue tile with a white envelope-ish band
    inside = 10 <= x < 54 and 18 <= y < 46
    edge = inside and (x in (10, 11, 52, 53) or y in (18, 19, 44, 45) or abs((x - 32) - (y - 18) * 0.8) < 1.5 or abs((32 - x) - (y - 18) * 0.8) < 1.5)
    return (255, 255, 255) if edge else (20, 86, 200)


ORDER_HTML = """<!doctype html><html><body style="margin:0;background:#f2f4f7;font-family:Helvetica,Arial,sans-serif;color:#1a1d23">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f2f4f7;padding:24px 0"><tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;overflow:hidden">
<tr><td style="background:#1456c8;padding:18px 28px;color:#ffffff;font-size:20px;font-weight:bold">
<img id="logo" src="cid:logo@acme.example" width="32" height="32" alt="" style="vertical-align:middle;margin-right:10px;border-radius:6px">Acme Shop</td></tr>
<tr><td style="padding:28px">
<h1 id="greeting" style="margin:0 0 12px;font-size:24px">Your order is on its way</h1>
<p style="margin:0 0 16px;line-height:1.5">Hi Bob, good news: order <strong>#1042</strong> left our warehouse this morning and should arrive on <strong>Thursday</strong>.</p>
<table role="presentation" width="100%" cellpadding="8" cellspacing="0" style="border-collapse:collapse;margin:0 0 20px;font-size:14px">
<tr style="border-bottom:1px solid #e3e6eb"><td>Wireless headphones</td><td align="right">1 × $89.00</td></tr>
<tr style="border-bottom:1px solid #e3e6eb"><td>USB-C cable, 2 m</td><td align="right">2 × $12.00</td></tr>
<tr><td><strong>Total</strong></td><td align="right"><strong>$113.00</strong></td></tr></table>
<p style="margin:0 0 24px"><a href="https://acme.example/track/1042" style="background:#1456c8;color:#ffffff;text-decoration:none;padding:12px 22px;border-radius:6px;display:inline-block;font-weight:bold">Track your parcel</a></p>
<p style="margin:0;color:#5b6472;font-size:13px">Questions? Reply to this email or visit <a href="https://acme.example/help" style="color:#1456c8">acme.example/help</a>.</p>
</td></tr></table></td></tr></table></body></html>"""


def test_showcase_screenshots(fresh_mailpen, driver):
    mailpen = fresh_mailpen
    inbox = "acme-shop"
    mailpen.create_inbox(inbox)
    mails = [
        make_message("Welcome to Acme, Bob!", sender="Acme <hello@acme.example>", to="Bob Smith <bob@example.com>",
                     text="Thanks for signing up. Here is what you can do next: browse the catalogue, save favourites and check out in one click.\n"),
        make_message("Reset your password", sender="Acme Security <security@acme.example>", to="bob@example.com",
                     text="Someone asked to reset the password of your account. The link below works for 30 minutes.\n"),
        make_message("Weekly deals: 20% off headphones", sender="Acme Deals <deals@acme.example>", to="bob@example.com",
                     text="This week only: twenty percent off every pair of headphones, free shipping over $50.\n",
                     html="<h1>Weekly deals</h1><p>20% off headphones.</p>"),
        make_message("Invoice INV-2024-0042", sender="Acme Billing <billing@acme.example>", to="Bob Smith <bob@example.com>",
                     text="Your invoice for order #1042 is attached. Amount due: $113.00, paid by card.\n",
                     attachment=("INV-2024-0042.pdf", b"%PDF-1.4\n% fake invoice\n" * 200, "application/pdf")),
        make_message("Your cart is waiting", sender="Acme <hello@acme.example>", to="bob@example.com",
                     text="You left two items in your cart. They are still there, but stock is limited.\n"),
    ]
    for message in mails:
        mailpen.send(message, inbox=inbox, mail_from="bounces@acme.example")
    order = make_message("Your order #1042 has shipped", sender="Acme Shop <orders@acme.example>", to="Bob Smith <bob@example.com>",
                         text="Hi Bob, good news: order #1042 left our warehouse this morning.\n", html=ORDER_HTML)
    order.get_payload()[1].add_related(png(64, 64, logo), "image", "png", cid="<logo@acme.example>", filename="logo.png")
    mailpen.send(order, inbox=inbox, mail_from="bounces@acme.example", rcpt=["bob@example.com"])
    mailpen.send(make_message("Your order #1041 was delivered", sender="Acme Shop <orders@acme.example>"))  # default inbox

    # Read one of them so the list shows both kinds.
    listing = mailpen.messages(inbox)["messages"]
    welcome = next(m for m in listing if m["subject"].startswith("Welcome"))
    assert mailpen.api("PATCH", f"/api/v1/messages/{welcome['id']}", {"read": True})[0] == 200

    open_ui(driver, mailpen, f"#/inbox/{inbox}")
    wait(driver).until(lambda d: row_subjects(d)[0] == "Your order #1042 has shipped")
    assert row_for(driver, "Invoice INV-2024-0042").find_elements(By.CSS_SELECTOR, ".row-attach")
    row_for(driver, "Your order #1042 has shipped").find_element(By.CSS_SELECTOR, ".row-link").click()
    frame = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#panel-html iframe"))
    driver.switch_to.frame(frame)
    image = wait(driver).until(lambda d: d.find_element(By.ID, "logo"))
    wait(driver).until(lambda d: image.get_property("complete") and image.get_property("naturalWidth") == 64)
    driver.switch_to.default_content()
    wait(driver).until(lambda d: "unread" not in row_for(d, "Your order #1042 has shipped").get_attribute("class").split())
    wait(driver).until(lambda d: unread_badge(d, inbox) == 4)
    screenshot(driver, "showcase-light")

    emulate_color_scheme(driver, "dark")
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("data-effective-theme") == "dark")
    screenshot(driver, "showcase-dark")
    emulate_color_scheme(driver, "light")
