"""Builds the RFC 5322 messages the Python tests send: text, optional HTML (with an inline cid: image), an
optional attachment and any extra headers. One builder, so that every test's mail is well-formed the same way.
"""
import base64
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

# A 16×16 red PNG, used as an inline cid: image.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAGklEQVR4nGP4z8BAEmIY1TCqYVTDqIYBowEAaSEf8QfxQ3kAAAAASUVORK5CYII=")


def make_message(subject, text="Hello there.\n", html=None, sender="Shop <shop@example.com>",
                 to="Bob <bob@example.com>", cid_image=False, attachment=None, headers=None):
    """An EmailMessage: `text`, and `html` as its alternative (with the PNG as cid:logo@mailpen.test when
    `cid_image`); `attachment` is (filename, bytes, content type); `headers` adds header fields."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
        if cid_image:
            message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@mailpen.test>", filename="logo.png")
    if attachment:
        name, data, ctype = attachment
        maintype, subtype = ctype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def message_bytes(subject, **fields):
    """The same message as the bytes SMTP carries (CRLF line endings)."""
    return as_bytes(make_message(subject, **fields))


def as_bytes(message):
    """An EmailMessage (or bytes, passed through) as SMTP's bytes."""
    return message if isinstance(message, (bytes, bytearray)) else message.as_bytes(policy=SMTP_POLICY)
