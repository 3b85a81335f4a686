"""Mailpit's clients against Mailpen's Mailpit API: the Python mailpit-api-client driven end to end, and the
exact call sequences of cypress-mailpit and the mailpit-api npm client (replayed from their sources), with
the fields each of them reads."""
import json
import re
import urllib.parse

import websocket
from mailpit.client.api import API

from compat_support import call, json_call, send, start_compat_server, wait_until


def base(server):
    return f"http://127.0.0.1:{server.http_port}"


def listing(server, **params):
    status, _, data = call("GET", base(server) + "/api/v1/messages?" + urllib.parse.urlencode(params))
    assert status == 200, data
    return json.loads(data)


def test_mailpit_api_client_lists_reads_and_deletes(make_server):
    server = start_compat_server(make_server)
    send(server, "Order 1")
    send(server, "Order 2")
    api = API(base(server), timeout=10)

    messages = api.get_messages()
    assert (messages.total, messages.unread, messages.count, messages.start) == (2, 2, 2, 0)
    assert [m.subject for m in messages.messages] == ["Order 2", "Order 1"]
    newest = messages.messages[0]
    assert newest.from_.address == "shop@example.com" and newest.from_.name == "Shop"
    assert [c.address for c in newest.to] == ["bob@example.com"]
    assert newest.message_id == "order-2@example.com"
    assert newest.read is False and newest.attachments >= 1
    assert newest.created.year >= 2024

    message = api.get_message(newest.id)
    assert message.read is False or message.read is True
    assert message.subject == "Order 2" and message.from_.address == "shop@example.com"
    assert "Thanks, see https://example.com/o/1 \u2713" in message.text
    assert "<p style=" in message.html
    assert [a.file_name for a in message.attachments] == ["notes.txt"]
    assert [i.content_id for i in message.inline] == ["logo@x"]
    # Opening a message marks it read, as in Mailpit.
    assert api.get_messages().unread == 1

    headers = api.get_message_headers(newest.id)
    assert headers.from_ == ["Shop <shop@example.com>"]
    assert headers.message_id == ["<order-2@example.com>"]
    assert headers.content_type[0].startswith("multipart/mixed")

    attachment = message.attachments[0]
    assert api.get_message_attachment(newest.id, attachment.part_id) == "attached notes"

    # The client sends the ids as a form; Mailpit reads no JSON there and deletes everything.
    api.delete_messages([newest.id])
    assert api.last_response.status_code == 200
    assert api.get_messages().total == 0


def test_cypress_mailpit_call_sequence(make_server):
    server = start_compat_server(make_server)
    url = base(server)
    send(server, "Welcome Jane")
    send(server, "Reset password")

    # mailpitGetAllMails(start = 0, limit = 50)
    all_mails = listing(server, start=0, limit=50)
    assert all_mails["messages_count"] == 2 and len(all_mails["messages"]) == 2
    # mailpitGetMail() -> /api/v1/message/latest
    status, _, data = call("GET", url + "/api/v1/message/latest")
    latest = json.loads(data)
    assert status == 200 and latest["Subject"] == "Reset password"
    # mailpitGetSubject / GetRecipientAddress / GetFromAddress / GetAttachments
    assert [r["Address"] for r in latest["To"]] == ["bob@example.com"]
    assert latest["From"]["Address"] == "shop@example.com"
    assert [a["FileName"] for a in latest["Attachments"]] == ["notes.txt"]
    # mailpitSendMail(): the library's default body
    status, _, data = json_call("POST", url + "/api/v1/send", {
        "Attachments": [], "Bcc": ["bcc@example.com"], "Cc": [{"Email": "cc@example.com", "Name": "CC"}],
        "From": {"Email": "from@example.com", "Name": "From"}, "HTML": "<p>hello from mailpit</p>", "Headers": {},
        "ReplyTo": [{"Email": "replyto@example.com", "Name": "ReplyTo"}], "Subject": "Hello Mailpit", "Tags": [],
        "Text": "hello from mailpit", "To": [{"Email": "jane@example.com", "Name": "Jane"}]})
    assert status == 200, data
    sent_id = json.loads(data)["ID"]
    # mailpitSearchEmails / GetEmailsBySubject / HasEmailsByTo (polled until messages_count > 0)
    def search(query):
        status, _, data = call("GET", url + "/api/v1/search?" + urllib.parse.urlencode(
            {"query": query, "start": 0, "limit": 50}))
        assert status == 200, data
        return json.loads(data)
    found = wait_until(lambda: search("subject:Hello Mailpit")["messages_count"] > 0 and search("subject:Hello Mailpit"))
    assert found["messages"][0]["ID"] == sent_id
    assert wait_until(lambda: search("to:jane@example.com")["messages_count"] == 1)
    assert search("to:nobody@example.com")["messages_count"] == 0
    # mailpitGetMail(id) with the sent message's fields
    status, _, data = call("GET", url + f"/api/v1/message/{sent_id}")
    sent = json.loads(data)
    assert sent["Cc"] == [{"Address": "cc@example.com", "Name": "CC"}]
    assert sent["ReplyTo"] == [{"Address": "replyto@example.com", "Name": "ReplyTo"}]
    assert sent["Text"].strip() == "hello from mailpit" and sent["HTML"].strip() == "<p>hello from mailpit</p>"
    # mailpitGetMailSpamAssassinSummary
    status, _, data = call("GET", url + f"/api/v1/message/{sent_id}/sa-check")
    spam = json.loads(data)
    assert status == 200 and isinstance(spam["Score"], (int, float)) and isinstance(spam["IsSpam"], bool)
    assert isinstance(spam["Rules"], list)
    # mailpitGetMailHTMlBody / mailpitGetMailTextBody
    status, headers, data = call("GET", url + f"/view/{sent_id}.html")
    assert status == 200 and b"hello from mailpit" in data and headers["Content-Type"].startswith("text/html")
    status, headers, data = call("GET", url + f"/view/{sent_id}.txt")
    assert status == 200 and data.decode().strip() == "hello from mailpit"
    # mailpitSetStatusAsUnRead(message) / SetAllEmailStatusAsRead / AsUnRead: {IDs, Read}
    status, _, data = json_call("PUT", url + "/api/v1/messages", {"IDs": [sent_id], "Read": False})
    assert (status, data) == (200, b"ok")
    assert listing(server)["unread"] >= 1
    assert json_call("PUT", url + "/api/v1/messages", {"IDs": [], "Read": True})[0] == 200
    assert listing(server)["unread"] == 0
    assert json_call("PUT", url + "/api/v1/messages", {"IDs": [], "Read": False})[0] == 200
    assert listing(server)["unread"] == 3
    # mailpitDeleteEmailsBySearch(query) then mailpitDeleteAllEmails()
    status, _, data = call("DELETE", url + "/api/v1/search?" + urllib.parse.urlencode({"query": "subject:Welcome"}))
    assert (status, data) == (200, b"ok")
    assert [m["Subject"] for m in listing(server)["messages"]] == ["Hello Mailpit", "Reset password"]
    status, _, data = call("DELETE", url + "/api/v1/messages")
    assert (status, data) == (200, b"ok")
    assert listing(server)["total"] == 0
    # mailpitGetMail() with no mail: 404
    assert call("GET", url + "/api/v1/message/latest")[0] == 404


def test_mailpit_api_npm_call_sequence(make_server):
    server = start_compat_server(make_server)
    url = base(server)
    send(server, "Invoice 7")
    # getInfo / getConfiguration
    status, _, data = call("GET", url + "/api/v1/info")
    info = json.loads(data)
    assert status == 200 and info["Messages"] == 1 and info["Unread"] == 1
    assert {"Memory", "Uptime", "SMTPAccepted", "MessagesDeleted"} <= set(info["RuntimeStats"])
    status, _, data = call("GET", url + "/api/v1/webui")
    config = json.loads(data)
    assert status == 200 and config["MessageRelay"]["Enabled"] is False and config["ChaosEnabled"] is True
    # getMessageSummary() (latest), getMessageHeaders(), getMessageSource()
    status, _, data = call("GET", url + "/api/v1/message/latest")
    summary = json.loads(data)
    message_id = summary["ID"]
    assert summary["MessageID"] == "invoice-7@example.com" and summary["ListUnsubscribe"]["Links"] == [
        "https://example.com/u", "mailto:u@example.com"]
    assert all(len(a["Checksums"]["SHA256"]) == 64 for a in summary["Attachments"] + summary["Inline"])
    status, _, data = call("GET", url + "/api/v1/message/latest/headers")
    headers = json.loads(data)
    assert headers["Subject"] == ["Invoice 7"] and headers["Message-Id"] == ["<invoice-7@example.com>"]
    assert list(headers) == sorted(headers)
    status, response_headers, data = call("GET", url + f"/api/v1/message/{message_id}/raw")
    assert status == 200 and b"\r\nFrom: Shop <shop@example.com>\r\n" in data and response_headers["Content-Type"].startswith("text/plain")
    # getMessageAttachment(id, partID) as a blob with its type; getAttachmentThumbnail
    inline = summary["Inline"][0]
    status, response_headers, data = call("GET", url + f"/api/v1/message/{message_id}/part/{inline['PartID']}")
    assert status == 200 and response_headers["Content-Type"] == "image/png" and data.startswith(b"\x89PNG")
    status, response_headers, data = call("GET", url + f"/api/v1/message/{message_id}/part/{inline['PartID']}/thumb")
    assert status == 200 and response_headers["Content-Type"] == "image/jpeg" and data[:2] == b"\xff\xd8"
    # releaseMessage: a Mailpit without a relay refuses (the client then throws)
    status, _, data = json_call("POST", url + f"/api/v1/message/{message_id}/release", {"To": ["x@example.com"]})
    assert status == 400
    # sendMessage({From, To, Subject}) -> {ID}
    status, _, data = json_call("POST", url + "/api/v1/send", {
        "From": {"Email": "user@example.test", "Name": "First LastName"},
        "To": [{"Email": "rec@example.test", "Name": "Recipient Name"}, {"Email": "another@example.test"}],
        "Subject": "Test Email", "Tags": ["Tag 1"]})
    assert status == 200, data
    sent_id = json.loads(data)["ID"]
    # listMessages(start, limit) and its fields
    page = listing(server, start=0, limit=50)
    assert {"messages", "messages_count", "messages_unread", "start", "tags", "total", "unread"} <= set(page)
    assert page["tags"] == ["Tag 1"]
    item = page["messages"][0]
    assert item["ID"] == sent_id and isinstance(item["Attachments"], int) and item["Tags"] == ["Tag 1"]
    assert {"Bcc", "Cc", "Created", "From", "MessageID", "Read", "ReplyTo", "Size", "Snippet", "Subject", "To"} <= set(item)
    # setReadStatus() sends {} and marks every message unread; setReadStatus({Read: true, Search})
    assert json_call("PUT", url + "/api/v1/messages", {})[0] == 200
    assert listing(server)["unread"] == 2
    status, _, data = json_call("PUT", url + "/api/v1/messages", {"IDs": [sent_id], "Search": "x", "Read": True})
    assert status == 400 and data == b"You may specify either IDs or a search query, not both"
    wait_until(lambda: json.loads(call("GET", url + "/api/v1/search?query=subject%3AInvoice")[2])["messages_count"] == 1)
    assert json_call("PUT", url + "/api/v1/messages?tz=Pacific/Auckland", {"Search": "subject:Invoice", "Read": True})[0] == 200
    assert listing(server)["unread"] == 1
    # searchMessages({query}) / waitForMessage polls messages_count
    status, _, data = call("GET", url + "/api/v1/search?query=rec%40example.test")
    assert json.loads(data)["messages"][0]["ID"] == sent_id
    # htmlCheck / linkCheck(follow=false) / spamAssassinCheck
    status, _, data = call("GET", url + f"/api/v1/message/{message_id}/html-check")
    check = json.loads(data)
    assert status == 200 and check["Total"]["Tests"] >= 1
    assert any(w["Slug"] == "css-display-flex" for w in check["Warnings"]), [w["Slug"] for w in check["Warnings"]]
    status, _, data = call("GET", url + f"/api/v1/message/{message_id}/link-check?follow=false")
    links = json.loads(data)
    assert status == 200 and "https://example.com/o/1" in [l["URL"] for l in links["Links"]]
    assert links["Errors"] == sum(1 for l in links["Links"] if l["StatusCode"] == 0 or l["StatusCode"] >= 400)
    status, _, data = call("GET", url + f"/api/v1/message/{message_id}/html-check".replace(message_id, sent_id))
    assert status == 400  # no HTML in a text-only message
    # getTags / setTags / renameTag / deleteTag
    assert json.loads(call("GET", url + "/api/v1/tags")[2]) == ["Tag 1"]
    assert json_call("PUT", url + "/api/v1/tags", {"IDs": [message_id], "Tags": ["Tag 1", "urgent!"]})[0] == 200
    assert json.loads(call("GET", url + "/api/v1/tags")[2]) == ["Tag 1", "urgent"]
    assert json_call("PUT", url + "/api/v1/tags/" + urllib.parse.quote("Tag 1"), {"Name": "Paid"})[0] == 200
    assert json.loads(call("GET", url + "/api/v1/tags")[2]) == ["Paid", "urgent"]
    assert call("DELETE", url + "/api/v1/tags/urgent")[0] == 200
    assert json.loads(call("GET", url + "/api/v1/tags")[2]) == ["Paid"]
    # getChaosTriggers / setChaosTriggers: Mailpen's global chaos rules seen as Mailpit's triggers
    off = {"ErrorCode": 451, "Probability": 0}
    status, _, data = call("GET", url + "/api/v1/chaos")
    assert status == 200
    assert {key: json.loads(data)[key] for key in ("Sender", "Recipient", "Authentication")} == {
        "Sender": off, "Recipient": off, "Authentication": off}
    status, _, data = json_call("PUT", url + "/api/v1/chaos", {"Sender": {"ErrorCode": 451, "Probability": 5}})
    assert status == 200 and json.loads(data)["Sender"] == {"ErrorCode": 451, "Probability": 5}
    status, _, data = json_call("PUT", url + "/api/v1/chaos", {})
    assert status == 200 and json.loads(data)["Sender"] == off
    # renderMessageHTML(id, embed) / renderMessageText
    status, _, data = call("GET", url + f"/view/{message_id}.html?embed=1")
    assert status == 200 and f"/api/v1/message/{message_id}/part/".encode() in data and b"cid:" not in data
    assert call("GET", url + f"/view/{sent_id}.html")[0] == 404
    # deleteMessages({IDs}) then deleteMessages() without a body
    status, _, data = json_call("DELETE", url + "/api/v1/messages", {"IDs": [sent_id]})
    assert (status, data) == (200, b"ok") and listing(server)["total"] == 1
    status, _, data = call("DELETE", url + "/api/v1/messages")
    assert (status, data) == (200, b"ok") and listing(server)["total"] == 0


def test_mailpit_api_npm_events_over_the_websocket(make_server):
    server = start_compat_server(make_server)
    socket = websocket.create_connection(f"ws://127.0.0.1:{server.http_port}/api/events", timeout=10)
    try:
        send(server, "Event 1")
        frame = json.loads(socket.recv())
        assert frame["Type"] == "new" and frame["Data"]["Subject"] == "Event 1"
        assert frame["Data"]["MessageID"] == "event-1@example.com"
        stats = json.loads(socket.recv())
        assert stats["Type"] == "stats" and stats["Data"]["Total"] == 1 and stats["Data"]["Unread"] == 1
        message_id = frame["Data"]["ID"]
        call("GET", f"http://127.0.0.1:{server.http_port}/api/v1/message/{message_id}")
        update = json.loads(socket.recv())
        assert update == {"Type": "update", "Data": {"ID": message_id, "Read": True, "Tags": []}}
        call("DELETE", f"http://127.0.0.1:{server.http_port}/api/v1/messages")
        truncate = json.loads(socket.recv())
        assert truncate == {"Type": "truncate", "Data": None}
    finally:
        socket.close()


def test_unknown_messages_and_paths_answer_like_mailpit(make_server):
    server = start_compat_server(make_server)
    url = base(server)
    status, headers, data = call("GET", url + "/api/v1/message/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert (status, data) == (404, b"404 page not found") and headers["Content-Type"].startswith("text/plain")
    status, _, data = call("GET", url + "/api/v1/search")
    assert (status, data) == (400, b"Error: no search query")
    status, headers, _ = call("POST", url + "/api/v1/messages")
    assert status == 405 and "GET" in headers["Allow"]
    # Mailpen's own API is still there beside Mailpit's.
    assert call("GET", url + "/api/v1/inboxes")[0] == 200
    assert call("GET", url + "/livez")[0] == 200 and call("GET", url + "/readyz")[0] == 200
    # A form cannot post to the send route.
    status, _, data = call("POST", url + "/api/v1/send", b"From=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "Error" in json.loads(data)


def test_a_search_of_only_separators_deletes_nothing(make_server):
    # A query of control characters has no terms and would match every message: refused like an empty one.
    server = start_compat_server(make_server)
    url = base(server)
    for subject in ("Keep apple", "Keep pear"):
        send(server, subject)
    for query in ("%0A", "%00", "%0D%0A%09", "%20%0B%0C", "%C2%85"):
        assert call("DELETE", url + "/api/v1/search?query=" + query)[::2] == (400, b"Error: no search query"), query
        assert call("GET", url + "/api/v1/search?query=" + query)[::2] == (400, b"Error: no search query"), query
    status, _, data = call("GET", url + "/api/v1/messages")
    assert status == 200 and json.loads(data)["messages_count"] == 2
    assert call("DELETE", url + "/api/v1/search?query=apple")[0] == 200
    assert json.loads(call("GET", url + "/api/v1/messages")[2])["messages_count"] == 1


def test_latest_with_a_query_is_the_newest_match(make_server):
    server = start_compat_server(make_server)
    url = base(server)
    for subject in ("Order 1", "Order 2", "Refund 3"):
        send(server, subject)

    def latest(suffix, query):
        return call("GET", url + f"/api/v1/message/latest{suffix}?" + urllib.parse.urlencode({"query": query}))

    # Searches read the search index, which follows the writer by a few milliseconds: wait until it has all three.
    assert wait_until(lambda: json.loads(call("GET", url + "/api/v1/search?query=subject%3AOrder")[2])[
        "messages_count"] == 2 and json.loads(call("GET", url + "/api/v1/search?query=Refund")[2])["messages_count"])
    assert json.loads(latest("", "subject:Order")[2])["Subject"] == "Order 2"
    assert json.loads(latest("", "")[2])["Subject"] == "Refund 3"
    assert b"\r\nSubject: Order 1\r\n" in latest("/raw", 'subject:"Order 1"')[2]
    headers = json.loads(latest("/headers", "subject:Refund")[2])
    assert headers["Subject"] == ["Refund 3"]
    status, _, data = latest("", "subject:Nothing")
    assert (status, data) == (404, b"Message not found")
