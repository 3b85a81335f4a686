"""Mailpit's `/api/v1/info` runtime statistics on a live server: the counts of what it accepted, refused
and deleted since it started, the same numbers `/metrics` reports."""
import json
import smtplib

import pytest

from compat_support import call, json_call, send, wait_until


def info(server):
    status, _, data = call("GET", f"http://127.0.0.1:{server.http_port}/api/v1/info")
    assert status == 200, data
    return json.loads(data)["RuntimeStats"]


def metric(server, name):
    status, _, data = call("GET", f"http://127.0.0.1:{server.http_port}/metrics")
    assert status == 200, data
    for line in data.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_runtime_stats_count_accepted_rejected_and_deleted_messages(make_server):
    server = make_server()
    url = f"http://127.0.0.1:{server.http_port}"
    before = info(server)
    assert before["SMTPAccepted"] == 0 and before["MessagesDeleted"] == 0 and before["Memory"] > 0
    for number in range(3):
        send(server, f"Counted {number}")
    status, _, data = call("GET", url + "/api/v1/messages")
    messages = json.loads(data)["messages"]
    assert status == 200 and len(messages) == 3
    # A chaos rule refuses the next message once its data has arrived.
    status, _, data = json_call(
        "PUT", url + "/api/v1/chaos",
        {"rules": [{"stage": "message", "reply": "554 5.7.1 Message refused", "times": 1}]})
    assert status == 200, data
    with pytest.raises(smtplib.SMTPDataError):
        send(server, "Refused")
    status, _, data = json_call("DELETE", url + "/api/v1/messages", {"IDs": [messages[0]["ID"]]})
    assert (status, data) == (200, b"ok")

    # Deletions are counted from the store's change feed, a moment after the answer.
    stats = wait_until(lambda: (lambda s: s if s["MessagesDeleted"] == 1 else None)(info(server)))
    assert stats, info(server)
    assert stats["SMTPAccepted"] == 3
    assert stats["SMTPAcceptedSize"] == sum(message["Size"] for message in messages)
    assert stats["SMTPRejected"] == 1
    assert stats["SMTPIgnored"] == 0
    assert stats["Uptime"] >= 0 and stats["Memory"] > 0
    assert metric(server, "mailpen_messages_stored_total") == 3
    assert metric(server, "mailpen_messages_deleted_total") == 1
    assert metric(server, "mailpen_smtp_messages_rejected_total") == 1
