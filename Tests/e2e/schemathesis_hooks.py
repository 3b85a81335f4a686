"""Schemathesis hooks: how to send a message/rfc822 body (the ingest route)."""
import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    # Generated bodies are arbitrary; give them a header block so that some of them are stored as messages.
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if not isinstance(value, (bytes, bytearray)):
        value = str(value).encode()
    return b"To: fuzz@example.com\r\nSubject: schemathesis\r\n\r\n" + bytes(value)
