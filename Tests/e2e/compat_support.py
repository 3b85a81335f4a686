"""Helpers for the Mailpit and MailHog compatibility tests: a server with the MailHog listener, SMTP
delivery, and plain HTTP calls made the way the clients make them."""
import base64
import json
import smtplib
import time
import urllib.error
import urllib.request

from conftest import free_port, wait_for_port

# Date and Delivered-To because the Python mailpit-api-client refuses headers without them (as it would
# refuse Mailpit's).
HTML_MESSAGE = (
    "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nDelivered-To: bob@example.com\r\n"
    "From: Shop <shop@example.com>\r\nTo: Bob <bob@example.com>\r\nCc: carol@example.com\r\n"
    "Reply-To: help@example.com\r\nSubject: {subject}\r\nMessage-ID: <{mid}@example.com>\r\nMIME-Version: 1.0\r\n"
    "List-Unsubscribe: <https://example.com/u>, <mailto:u@example.com>\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
    "--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
    "--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    "Thanks, see https://example.com/o/1 =E2=9C=93\r\n"
    "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<p style=\"display:flex\">Thanks <img src=\"cid:logo@x\"></p>\r\n--alt--\r\n"
    "--outer\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
    "--outer\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
    "Content-Disposition: attachment; filename=\"notes.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.b64encode(b"attached notes").decode() + "\r\n--outer--\r\n")


def start_compat_server(make_server, args=()):
    """A server with the MailHog listener on a free port (its port is `mailhog_port`)."""
    port = free_port()
    server = make_server(args=["--mailhog-api", f"127.0.0.1:{port}", *args])
    wait_for_port(port)
    server.mailhog_port = port
    return server


def send(server, subject="Order 1", mid=None, user=None, password=None, sender="shop@example.com",
         recipients=("bob@example.com", "carol@example.com", "audit@example.com")):
    raw = HTML_MESSAGE.format(subject=subject, mid=mid or subject.replace(" ", "-").lower())
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        if user:
            client.login(user, password or "x")
        client.sendmail(sender, list(recipients), raw.encode())


def call(method, url, body=None, headers=None, auth=None):
    """(status, headers, body bytes) of one request; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def json_call(method, url, payload=None, auth=None):
    body = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"} if payload is not None else {}
    status, headers, data = call(method, url, body, headers, auth)
    return status, headers, data


def wait_until(predicate, timeout=10):
    deadline = time.time() + timeout
    while True:
        result = predicate()
        if result or time.time() > deadline:
            return result
        time.sleep(0.05)


def inbox_password(server, name):
    status, _, data = call("GET", f"http://127.0.0.1:{server.http_port}/api/v1/inboxes/{name}")
    assert status == 200, data
    return json.loads(data)["smtp"]["password"]
