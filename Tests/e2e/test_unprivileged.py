"""Mailpen run by an unprivileged user, as most people run it: every listener serves and relaying connects.
A socket option that needs privileges (SO_DEBUG, once set by mistake where TCP_NODELAY was meant) made a
server run that way close every connection it accepted, while tests run as root passed. Run as root, these
tests start the server as `nobody` (with `setpriv`, which execs it: signals reach the server itself)."""
import imaplib
import json
import os
import poplib
import shutil
import time
import urllib.request

import pytest

import mailaccess
from conftest import BINARY, Server, free_port, wait_for_port

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to run as another user")


def as_nobody(command):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *command]


def release(server, message_id, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/api/v1/messages/{message_id}/release", method="POST",
        data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_an_unprivileged_server_serves_smtp_pop3_imap_and_relays(workdir):
    os.chmod(workdir, 0o755)
    os.makedirs(os.path.join(workdir, "target"))
    folder = os.path.join(workdir, "unprivileged")
    os.makedirs(folder)
    os.chmod(folder, 0o777)
    # A copy the unprivileged user can run wherever the checkout is (a home folder may be closed to others).
    binary = os.path.join(folder, "mailpen")
    shutil.copy(BINARY, binary)
    os.chmod(binary, 0o755)
    target = Server(os.path.join(workdir, "target"))
    pop3, imap = free_port(), free_port()
    relay = f"team=smtp://127.0.0.1:{target.smtp_port}?tls=none&allow=*@mycompany.example"
    server = Server(folder, ["--pop3", f"127.0.0.1:{pop3}", "--imap", f"127.0.0.1:{imap}", "--relay", relay],
                    binary=binary, wrapper=as_nobody)
    with target, server:
        served(server, target, pop3, imap)


def served(server, target, pop3, imap):
    wait_for_port(pop3)
    wait_for_port(imap)
    assert os.stat(server.db).st_uid != 0

    mailaccess.api(server, "/api/v1/inboxes", "POST", {"name": "shop", "password": mailaccess.PASSWORD})
    [message_id] = mailaccess.send(server, "shop", ["as nobody"])

    client = poplib.POP3("127.0.0.1", pop3, timeout=30)
    client.user("shop")
    client.pass_(mailaccess.PASSWORD)
    assert client.stat()[0] == 1
    client.quit()

    client = imaplib.IMAP4("127.0.0.1", imap, timeout=30)
    client.login("shop", mailaccess.PASSWORD)
    client.select("INBOX")
    assert client.search(None, "ALL")[1] == [b"1"]
    client.logout()

    assert release(server, message_id, {"relay": "team", "to": ["bob@mycompany.example"]}) in (200, 202)
    deadline = time.time() + 30
    while [subject for _, subject in target.messages()] != ["as nobody"] and time.time() < deadline:
        time.sleep(0.1)
    assert [subject for _, subject in target.messages()] == ["as nobody"]
