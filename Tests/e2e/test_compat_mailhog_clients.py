"""MailHog's clients against Mailpen's MailHog listener: the Python `mailhog` client driven end to end, and
the call sequences of cypress-mailhog and the `mailhog` npm client (replayed from their sources, as npm is
not reachable here), with the fields and quirks they depend on."""
import base64
import json
import quopri
import re
import socket
import urllib.parse

from mailhog import Mailhog

from compat_support import call, send, start_compat_server, wait_until


def hog(server):
    return f"http://127.0.0.1:{server.mailhog_port}"


def npm_request(method, url):
    """The npm client's `request`: an empty body resolves with the response, anything else is JSON.parse'd
    (and a body that is not JSON rejects)."""
    status, headers, data = call(method, url)
    if not data:
        return {"statusCode": status}
    return json.loads(data)


def npm_get_content(mail, type_pattern):
    """The npm client's getContent: the top-level content, then the MIME parts, decoded by their headers."""
    parts = [mail["Content"]] + (mail["MIME"]["Parts"] if mail["MIME"] else [])
    for part in parts:
        content_type = ",".join(part["Headers"].get("Content-Type", []))
        if re.match(type_pattern, content_type, re.I):
            encoding = ",".join(part["Headers"].get("Content-Transfer-Encoding", [])).lower()
            body = part["Body"]
            if encoding == "quoted-printable":
                return quopri.decodestring(body.encode()).decode()
            if encoding == "base64":
                return base64.b64decode(body).decode()
            return body
    return None


def test_python_mailhog_client_lists_searches_and_deletes(make_server):
    server = start_compat_server(make_server)
    send(server, "Welcome", sender="hello@example.com", recipients=["jane@example.com"])
    send(server, "Receipt", sender="billing@example.com", recipients=["joe@example.com"])
    client = Mailhog(host="127.0.0.1", port=server.mailhog_port)

    messages = client.messages()
    assert (messages.total, messages.count, messages.start) == (2, 2, 0)
    newest = messages.items[0]
    # The client reads the envelope paths and a header map it takes as strings ("['Receipt']").
    assert newest.get_sender() == "billing@example.com" and newest.get_recipients() == ["joe@example.com"]
    assert newest.get_subject() == "Receipt"
    assert newest.content.size > 0 and "=E2=9C=93" in newest.content.body
    assert newest.mime is not None and len(newest.mime.parts) == 3
    assert [m.get_subject() for m in client.messages(start=1, limit=1).items] == ["Welcome"]

    # Searches read the search index, which follows the writer by a few milliseconds.
    found = wait_until(lambda: client.search("joe@example.com", kind="to").items)
    assert [m.get_subject() for m in found] == ["Receipt"]
    assert client.search("Welcome").count == 1
    assert client.search("nobody@example.com", kind="to").items == []

    client.delete(newest)
    assert [m.get_subject() for m in client.messages().items] == ["Welcome"]
    client.delete_all()
    assert client.messages().total == 0


def test_cypress_mailhog_call_sequence(make_server):
    server = start_compat_server(make_server)
    send(server, "Welcome")
    send(server, "Receipt", sender="billing@example.com")
    # messages(limit): GET /api/v2/messages?limit=N, body parsed from text (MailHog sends text/json).
    status, headers, data = call("GET", hog(server) + "/api/v2/messages?limit=50")
    assert status == 200 and headers["Content-Type"] == "text/json"
    items = json.loads(data.decode())["items"]
    assert len(items) == 2
    # mhGetMailsBySubject: Content.Headers.Subject[0]
    assert [m for m in items if m["Content"]["Headers"]["Subject"][0] == "Receipt"]
    # mhGetMailsByRecipient: To[].Mailbox@Domain (the envelope)
    receipt = next(m for m in items if m["Content"]["Headers"]["Subject"][0] == "Receipt")
    assert [f"{r['Mailbox']}@{r['Domain']}" for r in receipt["To"]] == [
        "bob@example.com", "carol@example.com", "audit@example.com"]
    # mhGetMailsBySender: Raw.From
    assert receipt["Raw"]["From"] == "billing@example.com"
    # mhGetBody: Content.Body, still transfer-encoded
    assert "=E2=9C=93" in receipt["Content"]["Body"]
    # mhGetJimMode: with Jim not invited it answers 404; mhSetJimMode(false) is a DELETE
    assert call("GET", hog(server) + "/api/v2/jim")[0] == 404
    assert call("DELETE", hog(server) + "/api/v2/jim")[0] == 200
    # mhDeleteAll
    assert call("DELETE", hog(server) + "/api/v1/messages")[0] == 200
    assert json.loads(call("GET", hog(server) + "/api/v2/messages?limit=50")[2])["items"] == []


def test_mailhog_npm_call_sequence(make_server):
    server = start_compat_server(make_server)
    for number in range(3):
        send(server, f"Report {number}", sender=f"sender{number}@example.com",
             recipients=[f"user{number}@example.com"])
    url = hog(server)
    # messages(start, limit)
    result = npm_request("GET", url + "/api/v2/messages?start=1&limit=1")
    assert (result["total"], result["count"], result["start"]) == (3, 1, 1)
    mail = result["items"][0]
    # The getters the client injects read these fields.
    assert mail["Content"]["Headers"]["Subject"] == ["Report 1"]
    assert mail["Content"]["Headers"]["From"] == ["Shop <shop@example.com>"]
    assert mail["Content"]["Headers"]["To"] == ["Bob <bob@example.com>"]
    assert mail["Content"]["Headers"]["Cc"] == ["carol@example.com"]
    assert mail["Content"]["Headers"]["Reply-To"] == ["help@example.com"]
    assert re.match(r"\d{4}-\d\d-\d\dT", mail["Created"])
    # The text is nested (multipart/alternative) and the client looks only at the top-level parts: its first
    # text/plain part is the attachment, as against MailHog.
    assert npm_get_content(mail, r"^text/plain($|;)") == "attached notes"
    alternative = mail["MIME"]["Parts"][0]
    assert alternative["Headers"]["Content-Type"][0].startswith("multipart/alternative")
    texts = [p for p in alternative["MIME"]["Parts"] if p["Headers"]["Content-Type"][0].startswith("text/plain")]
    assert quopri.decodestring(texts[0]["Body"].encode()).decode().startswith("Thanks, see https://example.com/o/1 \u2713")
    # getAttachments: /^attachment;\s*filename="?([^"]+)"?$/ on each top-level part's Content-Disposition
    names = [re.match(r'^attachment;\s*filename="?([^"]+)"?$', ",".join(p["Headers"].get("Content-Disposition", [])))
             for p in mail["MIME"]["Parts"]]
    assert [m.group(1) for m in names if m] == ["notes.txt"]
    # search(query, kind, start, limit); latestFrom / latestTo / latestContaining use (kind, 0, 1)
    def latest(kind, query, total=1):
        # Searches see mail once the search index has it: wait until every expected message is found.
        path = f"/api/v2/search?kind={kind}&query={urllib.parse.quote(query)}&limit=1"
        found = wait_until(lambda: (page := npm_request("GET", url + path))["total"] >= total and page)
        return found and found["items"][0]
    # kind=from matches the From header (every report's is shop@), so the latest is the newest report.
    assert latest("from", "shop@example.com", total=3)["Raw"]["From"] == "sender2@example.com"
    assert latest("to", "user0@example.com")["Content"]["Headers"]["Subject"] == ["Report 0"]
    assert latest("containing", "Report 1")["Content"]["Headers"]["Subject"] == ["Report 1"]
    assert npm_request("GET", url + "/api/v2/search?kind=to&query=nobody%40example.com")["count"] == 0
    assert call("GET", url + "/api/v2/search?kind=subject&query=x")[0] == 400
    # v1: one message, its download, a part's download, an unknown id
    mail_id = mail["ID"]
    one = npm_request("GET", url + f"/api/v1/messages/{mail_id}")
    assert one["ID"] == mail_id and one["Raw"]["To"] == ["user1@example.com"]
    status, _, data = call("GET", url + "/api/v1/messages/NOPE")
    assert (status, data) == (200, b"null")
    status, headers, data = call("GET", url + f"/api/v1/messages/{mail_id}/download")
    assert status == 200 and headers["Content-Type"] == "message/rfc822" and b"\r\nFrom: Shop <shop@example.com>\r\n" in data
    status, headers, data = call("GET", url + f"/api/v1/messages/{mail_id}/mime/part/2/download")
    assert status == 200 and base64.b64decode(data.strip()) == b"attached notes"
    # releaseMessage: MailHog answers a release it could not make with a 500
    status, _, _ = call("POST", url + f"/api/v1/messages/{mail_id}/release",
                        json.dumps({"host": "127.0.0.1", "port": "1", "email": "x@example.com"}).encode(),
                        {"Content-Type": "application/json"})
    assert status == 500
    # deleteMessage / deleteAll resolve with the response object: their bodies are empty (the client would
    # JSON.parse anything else).
    assert npm_request("DELETE", url + f"/api/v1/messages/{mail_id}") == {"statusCode": 200}
    assert npm_request("GET", url + "/api/v2/messages")["total"] == 2
    assert npm_request("DELETE", url + "/api/v1/messages") == {"statusCode": 200}
    result = npm_request("GET", url + "/api/v2/messages")
    assert (result["total"], result["count"], result["items"]) == (0, 0, [])


def test_mailhog_limit_is_capped_at_250_and_v1_lists_everything(make_server):
    server = start_compat_server(make_server)
    send(server, "One")
    result = json.loads(call("GET", hog(server) + "/api/v2/messages?limit=100000&start=-3")[2])
    assert (result["start"], result["count"]) == (0, 1)
    listed = json.loads(call("GET", hog(server) + "/api/v1/messages")[2])
    assert isinstance(listed, list) and listed[0]["Content"]["Headers"]["Subject"] == ["One"]


def test_mailhog_refusals_are_4xx_not_500(make_server):
    """A page beyond the merged window of several inboxes, and a Jim body over the limit, are the client's
    errors, answered as MailHog's routes answer them (text), not as the server's 500."""
    server = start_compat_server(make_server)
    send(server, "One")
    send(server, "Two", user="shop")
    for path in ("/api/v2/messages?start=10001", "/api/v2/search?kind=containing&query=o&start=10001",
                 f"/api/v2/messages?start={2**63 - 1}"):
        status, _, data = call("GET", hog(server) + path)
        assert status == 400 and b"at most 10000" in data, (path, status, data)
    status, _, data = call("POST", hog(server) + "/api/v2/jim", b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           {"Content-Type": "application/json"})
    assert status == 413, (status, data)
    assert call("GET", hog(server) + "/api/v2/jim")[0] == 404


def test_mailhog_events_stream_new_messages(make_server):
    server = start_compat_server(make_server)
    connection = socket.create_connection(("127.0.0.1", server.mailhog_port), timeout=10)
    connection.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
    received = b""
    while b": connected" not in received:
        received += connection.recv(4096)
    send(server, "Streamed")
    while True:
        if b"data: " in received and b"\n\n" in received.split(b"data: ", 1)[1]:
            break
        received += connection.recv(65536)
    payload = json.loads(received.split(b"data: ", 1)[1].split(b"\n\n", 1)[0])
    assert payload["Content"]["Headers"]["Subject"] == ["Streamed"]
    connection.close()


def php_flatten(parts):
    """rpkamp/mailhog-client's flattenParts: nested multiparts (`MIME.Parts`) are walked, leaves kept."""
    flat = []
    for part in parts:
        nested = (part.get("MIME") or {}).get("Parts")
        flat += php_flatten(nested) if nested is not None else [part]
    return flat


def php_message(data):
    """rpkamp/mailhog-client's MessageFactory::fromMailhogResponse, field for field."""
    parts = php_flatten(data["MIME"]["Parts"]) if (data.get("MIME") or {}).get("Parts") is not None else []
    body = data["Content"]["Body"]
    attachments = []
    if parts:
        body = ""
        for part in parts:
            content_type = part["Headers"].get("Content-Type", [None])[0]
            if content_type and content_type.lower().startswith("text/html"):
                body = part["Body"]
                break
            if content_type and content_type.lower().startswith("text/plain") and "name=" not in content_type.lower():
                body = part["Body"]
        for part in parts:
            disposition = part["Headers"].get("Content-Disposition", [""])[0]
            if disposition.lower().startswith("attachment"):
                name = re.search(r"filename=(?P<filename>.*?)(;|$)", disposition, re.I)
                encoding = part["Headers"].get("Content-Transfer-Encoding", [None])[0]
                content = base64.b64decode(part["Body"]) if encoding == "base64" else part["Body"].encode()
                attachments.append((name.group("filename") if name else "unknown",
                                    part["Headers"].get("Content-Type", ["application/octet-stream"])[0].split(";")[0],
                                    content))
    return {"id": data["ID"], "sender": f"{data['From']['Mailbox']}@{data['From']['Domain']}",
            "recipients": [f"{r['Mailbox']}@{r['Domain']}" for r in data["To"]],
            "subject": data["Content"]["Headers"]["Subject"][0], "body": body, "attachments": attachments}


def test_php_mailhog_client_call_sequence(make_server):
    """The calls of rpkamp/mailhog-client (PHP; Composer is not reachable here), replayed over HTTP."""
    server = start_compat_server(make_server)
    url = hog(server)
    send(server, "Invoice", sender="billing@example.com", recipients=["jane@example.com"])
    send(server, "Plain", sender="plain@example.com", recipients=["joe@example.com"])
    # getNumberOfMessages: GET /api/v2/messages?limit=1, reads total
    assert json.loads(call("GET", url + "/api/v2/messages?limit=1")[2])["total"] == 2
    # getAllMessages: pages with start=1, 2, … (the client's pre-increment) until a page has count 0, so it
    # never sees the newest message, against MailHog as here
    seen, start = [], 0
    while True:
        start += 1
        page = json.loads(call("GET", url + f"/api/v2/messages?limit=50&start={start}")[2])
        if page["count"] == 0:
            break
        seen += [php_message(item) for item in page["items"]]
    assert [m["subject"] for m in seen] == ["Invoice"]
    invoice = seen[0]
    assert invoice["sender"] == "billing@example.com" and invoice["recipients"] == ["jane@example.com"]
    # The HTML part wins over the text, found through the nested multipart/alternative.
    assert invoice["body"].startswith("<p style=\"display:flex\">Thanks")
    assert invoice["attachments"] == [('"notes.txt"', "text/plain", b"attached notes")]
    # getMessageById: the message, or null for an unknown id (the client throws NoSuchMessageException)
    assert php_message(json.loads(call("GET", url + f"/api/v1/messages/{invoice['id']}")[2]))["subject"] == "Invoice"
    assert json.loads(call("GET", url + "/api/v1/messages/unknown")[2]) is None
    # releaseMessage posts {Host, Port, Email} and ignores the answer; purgeMessages empties the mailbox
    status, _, _ = call("POST", url + f"/api/v1/messages/{invoice['id']}/release",
                        json.dumps({"Host": "127.0.0.1", "Port": "1", "Email": "x@example.com"}).encode())
    assert status == 500
    assert call("DELETE", url + "/api/v1/messages")[0] == 200
    assert json.loads(call("GET", url + "/api/v2/messages?limit=1")[2])["total"] == 0


def test_mailhog_listener_has_the_host_and_origin_checks(make_server):
    """A page on another site, or one reached by DNS rebinding, gets nothing from the MailHog listener."""
    server = start_compat_server(make_server)
    send(server, "Private")
    url = hog(server)
    status, _, _ = call("GET", url + "/api/v2/messages", headers={"Host": "evil.example"})
    assert status == 421
    status, _, _ = call("GET", url + "/api/v2/messages", headers={"Host": f"localhost:{server.mailhog_port}"})
    assert status == 200
    for path in ("/api/v1/messages", "/api/v2/jim"):
        status, _, _ = call("DELETE", url + path, headers={"Origin": "http://evil.example"})
        assert status == 403, path
    status, _, _ = call("POST", url + "/api/v2/jim", b"{}", {"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert json.loads(call("GET", url + "/api/v2/messages")[2])["total"] == 1
    assert call("GET", url + "/api/v2/jim")[0] == 404
