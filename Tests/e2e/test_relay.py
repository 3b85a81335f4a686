"""Relaying captured mail with real processes: a crash with a full queue, the CLI and the HTTP API, and an
auto-relay burst to postfix's smtp-sink with the ingest slowdown it causes."""
import json
import os
import re
import shutil
import socket
import smtplib
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import BINARY, Server, free_port, wait_for_port

QUEUED = re.compile(r"queued as ([0-9A-Z]{26})")
SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"


def make_server(workdir, name, args=(), **options):
    directory = os.path.join(workdir, name)
    os.makedirs(directory, exist_ok=True)
    return Server(directory, args, **options)


def api(server, method, path, body=None, headers=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def capture(server, recipients, subject, client=None):
    own = client is None
    client = client or smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30)
    client.ehlo_or_helo_if_needed()
    message = f"From: app@example.com\r\nTo: {', '.join(recipients)}\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n"
    client.mail("app@example.com")
    for recipient in recipients:
        client.rcpt(recipient)
    code, reply = client.data(message.encode())
    assert code == 250
    if own:
        client.quit()
    return QUEUED.search(reply.decode()).group(1)


def wait_until(predicate, timeout, message):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def test_kill_with_100_queued_to_a_down_target_sends_each_once_after_restart(workdir):
    target = make_server(workdir, "target")
    relay = f"down=smtp://127.0.0.1:{target.smtp_port}?tls=none&allow=*@example.com&backoff=300ms"
    source = make_server(workdir, "source", ["--relay", relay]).start()
    client = smtplib.SMTP("127.0.0.1", source.smtp_port, timeout=30)
    ids = [capture(source, [f"r{index}@example.com"], f"queued {index}", client) for index in range(100)]
    client.quit()
    for message_id in ids:
        status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release", {"relay": "down"})
        assert status == 202, body
        assert body["deliveries"][0]["status"] == "queued"
    # The target is down: every delivery fails its first attempt and waits for the next.
    wait_until(lambda: source.query("SELECT count(*) FROM delivery WHERE attempts >= 1")[0][0] == 100, 60,
               "not every delivery was attempted")
    source.kill()  # SIGKILL: no chance to tidy the queue
    assert source.query("SELECT count(*) FROM delivery WHERE status IN ('sent', 'failed')") == [(0,)]

    target.start()
    source.start()
    wait_until(lambda: source.query("SELECT count(*) FROM delivery WHERE status = 'sent'")[0][0] == 100, 120,
               "not every delivery was sent after the restart")
    assert source.query("SELECT count(*) FROM delivery") == [(100,)]
    time.sleep(1)  # anything sent twice would have arrived by now
    subjects = [subject for _, subject in target.messages()]
    assert sorted(subjects) == sorted(f"queued {index}" for index in range(100)), "each message arrives once"
    source.stop()
    target.stop()


def test_release_over_http_and_the_cli(workdir):
    target = make_server(workdir, "target").start()
    relay = f"team=smtp://127.0.0.1:{target.smtp_port}?tls=none&allow=*@mycompany.example&deny=ceo@mycompany.example"
    source = make_server(workdir, "source", ["--relay", relay, "--relay", "open=smtp://u:hunter2@127.0.0.1:9"]).start()
    message_id = capture(source, ["bob@mycompany.example", "eve@other.example"], "cli release")

    status, body = api(source, "GET", "/api/v1/relays")
    assert status == 200
    assert [relay["name"] for relay in body["relays"]] == ["team", "open"]
    assert "hunter2" not in json.dumps(body)

    status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release", {"relay": "team"})
    assert status == 400 and "eve@other.example" in body["error"] and "bob@" not in body["error"]
    status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release",
                       {"relay": "team", "to": ["ceo@mycompany.example"]})
    assert status == 400 and "ceo@mycompany.example" in body["error"]
    status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release",
                       {"relay": "team", "to": ["bob@mycompany.example"]},
                       headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert api(source, "GET", f"/api/v1/messages/{message_id}/deliveries") == (200, {"deliveries": []})

    result = subprocess.run(
        [BINARY, "release", message_id, "--relay", "team", "--to", "bob@mycompany.example", "--wait", "20",
         "--server", f"127.0.0.1:{source.http_port}", "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    deliveries = json.loads(result.stdout)["deliveries"]
    assert [(d["status"], d["to"], d["attempts"]) for d in deliveries] == [("sent", ["bob@mycompany.example"], 1)]
    assert [subject for _, subject in target.messages()] == ["cli release"]

    refused = subprocess.run(
        [BINARY, "release", message_id, "--relay", "open", "--server", f"127.0.0.1:{source.http_port}"],
        capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "only recipients named in 'to'" in refused.stderr

    status, body = api(source, "GET", "/api/v1/deliveries?status=sent&relay=team")
    assert status == 200 and [d["messageId"] for d in body["deliveries"]] == [message_id]
    source.stop()
    target.stop()


def run_source(port, messages):
    started = time.perf_counter()
    subprocess.run([SOURCE, "-s", "8", "-m", str(messages), "-l", "2048", "-f", "app@example.com",
                    "-t", "team@mycompany.example", f"127.0.0.1:{port}"], check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


@pytest.mark.skipif(not (os.path.exists(SINK) and os.path.exists(SOURCE)), reason="needs postfix's smtp-sink and smtp-source")
def test_auto_relay_burst_to_smtp_sink(workdir):
    messages = 1000
    sink_port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([SINK] + user + [f"127.0.0.1:{sink_port}", "1024"])
    try:
        wait_for_port(sink_port)
        relay = f"team=smtp://127.0.0.1:{sink_port}?tls=none&allow=*@mycompany.example"
        timings = {}
        # Alternate plain and relaying runs so that a busy moment of the machine hurts both alike.
        for round_number in range(5):
            for mode in ("plain", "relaying"):
                server = make_server(workdir, f"{mode}-{round_number}", ["--relay", relay, "--max-messages", "0"])
                server.start()
                if mode == "relaying":
                    status, body = api(server, "PATCH", "/api/v1/inboxes/default",
                                       {"autoRelay": [{"relay": "team", "query": "rcpt:@mycompany.example"}]})
                    assert status == 200, body
                timings.setdefault(mode, []).append(run_source(server.smtp_port, messages))
                if mode == "relaying":
                    wait_until(
                        lambda: server.query("SELECT count(*) FROM delivery WHERE status = 'sent'")[0][0] == messages,
                        300, "not every auto-relayed delivery was sent")
                    assert server.query("SELECT count(*) FROM delivery") == [(messages,)]
                server.stop()
        plain, relaying = min(timings["plain"]), min(timings["relaying"])
        slowdown = relaying / plain - 1
        print(f"\nauto-relay burst: {messages} messages ingested in {plain:.2f}s plain, {relaying:.2f}s with "
              f"auto-relay to smtp-sink ({slowdown:+.1%})")
        # Best of five alternating runs each, so that a busy moment of a shared machine does not decide it.
        assert slowdown <= 0.2
    finally:
        sink.kill()
        sink.wait()


def test_mailpit_and_mailhog_release_send_through_a_configured_relay(workdir):
    target = make_server(workdir, "target").start()
    relay = f"team=smtp://127.0.0.1:{target.smtp_port}?tls=none&allow=*@example.com"
    mailhog_port = free_port()
    source = make_server(workdir, "source", ["--relay", relay, "--mailhog-api", f"127.0.0.1:{mailhog_port}"]).start()
    try:
        wait_for_port(mailhog_port)
        message_id = capture(source, ["someone@example.com"], "released the Mailpit way")

        def release(port, path, body):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", method="POST", data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        # Mailpit's clients learn from the web UI settings that release works, and where it sends.
        status, settings = api(source, "GET", "/api/v1/webui")
        assert status == 200 and settings["MessageRelay"]["Enabled"] is True
        assert settings["MessageRelay"]["SMTPServer"] == f"127.0.0.1:{target.smtp_port}"
        # Mailpit's client posts {"To": [...]}; the first configured relay sends, and policy still applies.
        path = f"/api/v1/message/{message_id}/release"
        assert release(source.http_port, path, {"To": ["outsider@elsewhere.test"]})[0] == 400
        assert release(source.http_port, path, {"To": []}) == (400, "No valid addresses found")
        assert release(source.http_port, path, {"To": ["team@example.com"]}) == (200, "ok")
        # MailHog's names an outgoing server; only a configured relay's name is accepted.
        mailhog_path = f"/api/v1/messages/{message_id}/release"
        assert release(mailhog_port, mailhog_path, {"Host": "mx.elsewhere.test", "Port": "25",
                                                    "Email": "team@example.com"})[0] == 500
        assert release(mailhog_port, mailhog_path, {"Name": "team", "Email": "lead@example.com"})[0] == 200

        wait_until(lambda: len(target.messages()) == 2, 60, "the released copies did not arrive")
        status, deliveries = api(source, "GET", f"/api/v1/messages/{message_id}/deliveries")
        assert status == 200 and sorted(d["to"][0] for d in deliveries["deliveries"]) == \
            ["lead@example.com", "team@example.com"]
    finally:
        source.stop()
        target.stop()


def test_a_stop_waits_for_a_silent_upstream_only_for_its_grace(workdir):
    # An upstream that accepts and never greets holds its attempt for the 5-minute greeting timeout; a stop
    # lets it go after the grace, leaving the delivery `sending` for the next start to send again.
    silent = socket.create_server(("127.0.0.1", 0))
    silent.settimeout(30)
    relay = f"silent=smtp://127.0.0.1:{silent.getsockname()[1]}?tls=none&allow=*@example.com"
    source = make_server(workdir, "source", ["--relay", relay, "--shutdown-grace", "1"]).start()
    try:
        message_id = capture(source, ["bob@example.com"], "to a silent upstream")
        status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release", {"relay": "silent"})
        assert status == 202, body
        held, _ = silent.accept()  # the attempt is under way
        started = time.time()
        assert source.stop() == 0
        # The grace is 1 s; the relay's own default would be 5.
        assert time.time() - started < 4, f"the stop took {time.time() - started:.1f} s"
        assert source.query("SELECT status FROM delivery") == [("sending",)]
        held.close()
    finally:
        silent.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_silent_upstream_leaves_the_other_relays_their_turn(workdir, store_options):
    # Ten deliveries to an upstream that accepts and never greets, then one to a working relay. The working
    # relay's goes at once, before any silent attempt ends; the silent one never holds more than the 8
    # slots, and with timeout=5s each of its attempts is cut there rather than at the 5-minute greeting
    # timeout.
    silent = socket.create_server(("127.0.0.1", 0), backlog=64)
    lock = threading.Lock()
    counts = {"accepted": 0, "open": 0, "most": 0}
    held = []

    def hold(connection):
        with lock:
            counts["open"] += 1
            counts["most"] = max(counts["most"], counts["open"])
        try:
            connection.recv(1)  # returns once Mailpen closes the connection
        except OSError:
            pass
        with lock:
            counts["open"] -= 1

    def accept():
        while True:
            try:
                connection = silent.accept()[0]
            except OSError:
                return
            held.append(connection)
            with lock:
                counts["accepted"] += 1
            threading.Thread(target=hold, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    target = make_server(workdir, "target").start()
    source = make_server(workdir, "source", [
        "--relay", f"silent=smtp://127.0.0.1:{silent.getsockname()[1]}?tls=none&allow=*@example.com&timeout=5s",
        "--relay", f"team=smtp://127.0.0.1:{target.smtp_port}?tls=none&allow=*@example.com",
        "--shutdown-grace", "1"], **store_options).start()
    try:
        message_id = capture(source, ["bob@example.com"], "to both relays")
        for index in range(10):
            status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release",
                               {"relay": "silent", "to": [f"s{index}@example.com"]})
            assert status == 202, body
        wait_until(lambda: counts["accepted"] >= 4, 10, "the silent relay's attempts did not start")
        status, body = api(source, "POST", f"/api/v1/messages/{message_id}/release",
                           {"relay": "team", "to": ["t@example.com"]})
        assert status == 202, body
        team_id = body["deliveries"][0]["id"]

        def deliveries():
            return api(source, "GET", f"/api/v1/messages/{message_id}/deliveries")[1]["deliveries"]

        wait_until(lambda: next(d for d in deliveries() if d["id"] == team_id)["status"] == "sent", 10,
                   "the working relay's delivery waited")
        # Sent while the silent relay's attempts still hang: none has ended yet (they are cut after 5 s).
        assert all(d["attempts"] == 0 for d in deliveries() if d["relay"] == "silent"), deliveries()
        assert [subject for _, subject in target.messages()] == ["to both relays"]

        def cut():
            return [d for d in deliveries() if d["relay"] == "silent" and d["attempts"] >= 1]

        wait_until(lambda: len(cut()) >= 4, 20, "no silent attempt was cut at its timeout")
        for d in cut():
            assert d["status"] == "queued", d
            assert d["lastError"] == "the attempt ran past its limit of 5 s while waiting for the greeting", d
        assert counts["most"] <= 8, f"the silent relay held {counts['most']} connections at once"
        assert source.stop() == 0
        assert target.stop() == 0
    finally:
        source.kill()
        target.kill()
        silent.close()
        for connection in held:
            connection.close()
