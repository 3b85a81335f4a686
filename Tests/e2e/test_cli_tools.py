"""The CLI commands CI jobs and apps use: wait, send, sendmail, inbox — run as the real binary."""
import base64
import json
import os
import smtplib
import subprocess
import threading
import urllib.parse
import urllib.request

from conftest import BINARY
from requestrelay import RequestRelay


def run(server, *args, input=None, timeout=60, env=None):
    environment = dict(os.environ, MAILPEN_SERVER=f"http://127.0.0.1:{server.http_port}",
                       MAILPEN_SMTP=f"127.0.0.1:{server.smtp_port}")
    environment.update(env or {})
    return subprocess.run([BINARY, *args], capture_output=True, input=input, timeout=timeout, env=environment)


def api(server, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}{path}", timeout=30) as response:
        return json.load(response)


def search(server, query, count=1):
    """The messages of the default inbox matching `query`, once `count` of them are searchable: a search
    right after the 250 could run before the search index has the message."""
    encoded = urllib.parse.quote(query)
    return api(server, f"/api/v1/inboxes/default/wait?q={encoded}&count={count}&timeout=10")


def wait_in_background(server, *args):
    """Runs `mailpen wait` in a thread through a relay and returns once its request has reached the server:
    mail sent from then on arrives while the wait is pending. Returns the thread and where the result lands."""
    results = {}
    relay = RequestRelay(server.http_port)

    def waiter():
        results["wait"] = run(server, "wait", *args, env={"MAILPEN_SERVER": relay.url})
        relay.close()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert relay.forwarded.wait(30), "the wait never sent its request"
    assert thread.is_alive(), results
    return thread, results


def test_wait_returns_matching_message_and_exit_codes(server):
    thread, results = wait_in_background(server, "--query", 'subject:"Reset your password"', "--timeout", "20", "--json")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: Reset your password\r\n\r\nhttps://x/reset\r\n")
    thread.join()
    result = results["wait"]
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)["messages"]
    assert [m["subject"] for m in messages] == ["Reset your password"]

    # A reader that stops early ends the command quietly (141, as SIGPIPE would), never a crash. (The reader
    # closes its input at once and stays a moment, so that the write fails while the pipe still exists.)
    piped = subprocess.run(["bash", "-c", f"{BINARY} wait --query subject:reset --json | (exec 0<&-; sleep 0.2); "
                            "echo status=${PIPESTATUS[0]}"],
                           capture_output=True, timeout=60, env=dict(os.environ, MAILPEN_SERVER=f"http://127.0.0.1:{server.http_port}"))
    assert b"Fatal error" not in piped.stderr and b"Broken pipe" not in piped.stderr, piped.stderr
    assert piped.stdout.strip() == b"status=141", piped.stdout

    plain = run(server, "wait", "--query", "subject:reset")
    assert plain.returncode == 0
    assert b"Reset your password" in plain.stdout

    timed_out = run(server, "wait", "--query", "subject:never", "--timeout", "0.5")
    assert timed_out.returncode == 1
    assert b"timed out after 0.5 s waiting for 1 message matching 'subject:never' in inbox 'default'; 0 matched" in timed_out.stderr

    bad_query = run(server, "wait", "--query", 'subject:"open')
    assert bad_query.returncode == 2
    assert b"unterminated quote" in bad_query.stderr

    unreachable = run(server, "wait", "--server", "http://127.0.0.1:1", "--timeout", "1")
    assert unreachable.returncode == 2
    assert b"cannot reach Mailpen" in unreachable.stderr


def test_wait_on_an_inbox_created_by_the_awaited_mail_and_a_server_that_is_down(server):
    thread, results = wait_in_background(server, "--inbox", "fresh1", "--query", "subject:hello", "--timeout", "20")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.login("fresh1", "any")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: hello\r\n\r\nfirst\r\n")
    thread.join()
    assert results["wait"].returncode == 0, results["wait"].stderr
    assert b"hello" in results["wait"].stdout

    down = run(server, "wait", "--timeout", "1", env={"MAILPEN_SERVER": "http://127.0.0.1:1"})
    assert down.returncode == 2
    assert b"cannot reach Mailpen at http://127.0.0.1:1: connection refused" in down.stderr, down.stderr


def test_send_composes_a_proper_mime_message(server, workdir):
    attachment = os.path.join(workdir, "report.csv")
    with open(attachment, "w") as f:
        f.write("a,b\n1,2\n")
    result = run(server, "send", "--to", "bob@example.com", "--cc", "carol@example.com", "--bcc", "dave@example.com",
                 "--from", "app@example.com", "--subject", "Grüße aus Köln", "--text", "Hallo Bob",
                 "--html", "<p>Hallo <b>Bob</b></p>", "--attach", attachment, "--header", "X-Campaign: spring",
                 "--inbox", "cli")
    assert result.returncode == 0, result.stderr
    assert b"queued as" in result.stdout
    listing = api(server, "/api/v1/inboxes/cli/messages")
    assert listing["total"] == 1
    message = api(server, f"/api/v1/messages/{listing['messages'][0]['id']}")
    assert message["subject"] == "Grüße aus Köln"
    assert message["text"].strip() == "Hallo Bob"
    assert "<b>Bob</b>" in message["html"]
    assert [a["filename"] for a in message["attachments"]] == ["report.csv"]
    assert message["envelope"]["recipients"] == [
        {"address": a, "parameters": []} for a in ["bob@example.com", "carol@example.com", "dave@example.com"]]
    assert not any(h["name"].lower() == "bcc" for h in message["headers"])
    assert any(h["name"] == "X-Campaign" and h["value"] == "spring" for h in message["headers"])
    assert message["session"]["authenticatedUser"] == "cli"

    missing = run(server, "send", "--subject", "x")
    assert missing.returncode != 0
    assert b"--to" in missing.stderr


def test_send_takes_display_names_and_standard_input(server):
    result = run(server, "send", "--from", "Café Shop <shop@example.com>", "--to", "Zoë <zoe@example.com>",
                 "--to", "Bob Smith <bob@example.com>", "--subject", "names", "--header", "X-Note: héllo",
                 "--text", "-", input=b"stdin text\n")
    assert result.returncode == 0, result.stderr
    message = api(server, "/api/v1/messages/" + search(server, "subject:names")["messages"][0]["id"])
    assert message["from"] == {"name": "Café Shop", "address": "shop@example.com"}
    assert message["to"] == [{"name": "Zoë", "address": "zoe@example.com"}, {"name": "Bob Smith", "address": "bob@example.com"}]
    assert message["envelope"]["mailFrom"] == "shop@example.com"
    assert [r["address"] for r in message["envelope"]["recipients"]] == ["zoe@example.com", "bob@example.com"]
    assert message["text"] == "stdin text\n"
    note = next(h for h in message["headers"] if h["name"] == "X-Note")
    assert note["value"] == "héllo" and note["raw"].isascii()

    bad = run(server, "send", "--to", "not an address", "--subject", "x")
    assert bad.returncode != 0 and b"--to needs one address" in bad.stderr


def test_sendmail_works_as_php_sendmail_path(server):
    message = b"To: Bob <bob@example.com>\nCc: carol@example.com\nBcc: secret@example.com\nSubject: From PHP\n\n.starts with a dot\nbody\n"
    result = run(server, "sendmail", "-t", "-i", "-f", "bounces@example.com", input=message)
    assert result.returncode == 0, result.stderr
    listing = search(server, 'subject:"From PHP"')
    stored = api(server, f"/api/v1/messages/{listing['messages'][0]['id']}")
    assert stored["envelope"]["mailFrom"] == "bounces@example.com"
    assert [r["address"] for r in stored["envelope"]["recipients"]] == [
        "bob@example.com", "carol@example.com", "secret@example.com"]
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/api/v1/messages/{stored['id']}/raw") as raw:
        body = raw.read()
    assert b"Bcc:" not in body
    assert b"\r\n.starts with a dot\r\nbody\r\n" in body
    assert b"\n" not in body.replace(b"\r\n", b"")

    # Without -i, a lone dot ends the message; recipients may be arguments.
    dotted = run(server, "sendmail", "eve@example.com", input=b"Subject: dotted\n\nkept\n.\nlost\n")
    assert dotted.returncode == 0, dotted.stderr
    listing = search(server, "subject:dotted")
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/api/v1/messages/{listing['messages'][0]['id']}/raw") as raw:
        body = raw.read()
    assert body.endswith(b"kept\r\n") and b"lost" not in body

    no_recipients = run(server, "sendmail", input=b"Subject: nobody\n\nx\n")
    assert no_recipients.returncode == 64
    refused = run(server, "sendmail", "-t", env={"MAILPEN_SMTP": "127.0.0.1:1"}, input=b"To: a@b.c\n\nx\n")
    assert refused.returncode == 75
    assert b"cannot connect" in refused.stderr
    usage = run(server, "sendmail", "-Z")
    assert usage.returncode == 64 and b"unknown sendmail option -Z" in usage.stderr
    helped = run(server, "sendmail", "--help", input=b"")
    assert helped.returncode == 0 and b"sendmail_path" in helped.stdout


def test_sendmail_clustered_flags_and_every_blind_copy_field(server):
    # `-ti` is `-t -i`: recipients from the headers, and a lone dot does not end the message.
    # `Bcc :` (a space before the colon, RFC 5322's obsolete syntax) is not a field to the MIME parser, which
    # ends the header there as Python's email does; it must not reach the stored bytes all the same.
    message = (b"To: bob@example.com\nBcc: hidden@example.com\nResent-Bcc: resent@example.com\n"
               b"Subject: clustered\nbcc:\n  folded@example.com\nBcc : spaced@example.com\n\nbefore\n.\nafter\n")
    result = run(server, "sendmail", "-ti", "-fbounces@example.com", input=message)
    assert result.returncode == 0, result.stderr
    listing = search(server, "subject:clustered")
    stored = api(server, f"/api/v1/messages/{listing['messages'][0]['id']}")
    assert stored["envelope"]["mailFrom"] == "bounces@example.com"
    assert "hidden@example.com" in [r["address"] for r in stored["envelope"]["recipients"]]
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/api/v1/messages/{stored['id']}/raw") as raw:
        body = raw.read()
    for hidden in (b"hidden@", b"resent@", b"folded@", b"spaced@"):
        assert hidden not in body, body
    assert body.endswith(b"before\r\n.\r\nafter\r\n"), body
    assert b"To: bob@example.com\r\n" in body


def test_sendmail_symlink(server, workdir):
    link = os.path.join(workdir, "sendmail")
    os.symlink(BINARY, link)
    environment = dict(os.environ, MAILPEN_SMTP=f"127.0.0.1:{server.smtp_port}")
    result = subprocess.run([link, "-t"], input=b"To: x@example.com\nSubject: via symlink\n\nx\n",
                            capture_output=True, env=environment, timeout=30)
    assert result.returncode == 0, result.stderr
    assert len(search(server, "subject:symlink")["messages"]) == 1


def test_inbox_commands(server):
    created = run(server, "inbox", "create", "qa", "--password", "pw", "--route", "*@qa.test")
    assert created.returncode == 0, created.stderr
    listing = run(server, "inbox", "list")
    assert b"qa" in listing.stdout and b"qa / pw" in listing.stdout
    as_json = json.loads(run(server, "inbox", "list", "--json").stdout)
    assert [i["name"] for i in as_json["inboxes"]] == ["default", "qa"]
    assert as_json["inboxes"][1]["routes"] == ["*@qa.test"]
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["tester@qa.test"], b"Subject: routed\r\n\r\nx\r\n")
    cleared = run(server, "inbox", "clear", "qa")
    assert cleared.returncode == 0
    assert b"deleted 1 message(s)" in cleared.stdout
    duplicate = run(server, "inbox", "create", "qa")
    assert duplicate.returncode == 1 and b"already exists" in duplicate.stderr
    assert run(server, "inbox", "delete", "qa").returncode == 0
    refused = run(server, "inbox", "delete", "default")
    assert refused.returncode == 1 and b"cannot be deleted" in refused.stderr


def test_wait_prints_a_subjects_escape_sequences_as_text(server):
    # A captured subject that would clear the screen and retitle the window reaches the terminal as text.
    subject = "=?utf-8?b?" + base64.b64encode("ok\x1b[2J\x1b]0;pwned\x07\u202edone".encode()).decode() + "?="
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.sendmail("a@example.com", ["b@example.com"],
                        f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n\r\nbody\r\n".encode())
    result = run(server, "wait", "--query", "subject:ok")
    assert result.returncode == 0, result.stderr
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout, result.stdout
    assert "ok\\u{1B}[2J\\u{1B}]0;pwned\\u{7}\\u{202E}done" in result.stdout.decode(), result.stdout
