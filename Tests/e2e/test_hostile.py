"""Hostile requests against the real binary: each attack in its original form is refused with a clear error,
and the server keeps answering afterwards."""
import http.client
import json
import os
import shutil
import smtplib
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest

from compat_support import start_compat_server
from conftest import BINARY, ROOT, greeted

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nbody\r\n"


def request(server, method, path, body=None, headers=None, host=None):
    """Sends one request on a new connection; returns (status, headers, parsed JSON or bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{server.http_port}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        try:
            data = json.loads(data)
        except ValueError:
            pass
        return response.status, {name.lower(): value for name, value in response.getheaders()}, data
    finally:
        connection.close()


def assert_alive(server):
    status, _, body = request(server, "GET", "/healthz")
    assert status == 200, body
    assert server.process.poll() is None


def inbox_names(server):
    status, _, body = request(server, "GET", "/api/v1/inboxes")
    assert status == 200, body
    return [inbox["name"] for inbox in body["inboxes"]]


def message_count(server, inbox="default"):
    status, _, body = request(server, "GET", f"/api/v1/inboxes/{inbox}/messages?limit=1")
    assert status == 200, body
    return body["total"]


# ---- 1. One request must never crash the process ----

CRASHING_QUERY = urllib.parse.quote("larger:999999999999g")


@pytest.mark.parametrize("method,path", [
    ("GET", f"/api/v1/inboxes/default/messages?q={CRASHING_QUERY}"),
    ("GET", f"/api/v1/inboxes/default/wait?timeout=0.1&q={CRASHING_QUERY}"),
    ("DELETE", f"/api/v1/inboxes/default/messages?q={CRASHING_QUERY}"),
])
def test_the_overflowing_size_is_a_syntax_error_not_a_crash(server, method, path):
    status, _, body = request(server, method, path)
    assert status == 400, body
    assert "search syntax error at character 8" in body["error"], body
    assert_alive(server)


def test_hostile_query_parameters_are_400s(server):
    for query in ("limit=99999999999999999999", "limit=-1", "offset=1e9999", "since=99999-99-99T99:99:99Z",
                  "q=%FF%FE", "q=" + "a%20" * 65, "q=before:9999-99-99", "q=smaller:" + "9" * 40):
        status, _, body = request(server, "GET", f"/api/v1/inboxes/default/messages?{query}")
        assert status == 400, (query, status, body)
        assert isinstance(body, dict) and body.get("error"), (query, body)
    for query in ("timeout=1e20", "timeout=nan", "timeout=-1", "count=0", "count=99999999999999999999"):
        status, _, body = request(server, "GET", f"/api/v1/inboxes/default/wait?{query}")
        assert status == 400, (query, status, body)
    assert_alive(server)


def test_a_body_with_broken_chunked_framing_is_a_400(server):
    # The body's framing fails while the route reads it; that is the client's error, not an internal one.
    for size in (b"ZZ", b"F" * 40):
        connection = socket.create_connection(("127.0.0.1", server.http_port), timeout=10)
        try:
            connection.sendall(b"POST /api/v1/inboxes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\n{}\r\n0\r\n\r\n")
            answer = b""
            while b"}" not in answer:
                data = connection.recv(4096)
                if not data:
                    break
                answer += data
        finally:
            connection.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), (size, answer)
        assert b"malformed request" in body and b"internal" not in body, answer
    assert "request failed" not in server.log()
    assert_alive(server)


def test_hostile_json_bodies_are_400s(server):
    json_type = {"Content-Type": "application/json"}
    for body in (b"{", b"[]", b'{"name": 1e999}', b'{"name": "x", "maxMessages": 1e30}',
                 b'{"name": "x", "maxAgeSeconds": -5}', b'{"name": "' + b"a" * 100 + b'"}',
                 b'{"name": "x", "routes": ' + json.dumps(["r%d@x" % i for i in range(257)]).encode() + b"}",
                 b'\xff\xfe'):
        status, _, answer = request(server, "POST", "/api/v1/inboxes", body, json_type)
        assert status == 400, (body[:60], status, answer)
        assert "internal" not in answer["error"]
    assert_alive(server)


# ---- 3. Browser-origin protection ----

def test_a_cross_origin_plain_text_post_is_refused(server):
    before = message_count(server)
    # The original attack: a page posts a "simple" request, which a browser sends without asking first.
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", MESSAGE,
                              {"Content-Type": "text/plain", "Origin": "http://evil.example"})
    assert status == 403, body
    assert "cross-origin" in body["error"]
    status, _, body = request(server, "POST", "/api/v1/inboxes", json.dumps({"name": "0", "routes": ["*"]}).encode(),
                              {"Content-Type": "text/plain", "Origin": "http://evil.example"})
    assert status == 403, body
    # The same with the page's browser saying where it comes from, and without an Origin at all.
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", MESSAGE,
                              {"Content-Type": "message/rfc822", "Sec-Fetch-Site": "cross-site"})
    assert status == 403, body
    status, _, body = request(server, "DELETE", "/api/v1/inboxes/default/messages",
                              headers={"Sec-Fetch-Site": "same-site"})
    assert status == 403, body
    assert message_count(server) == before
    assert "0" not in inbox_names(server)
    assert_alive(server)


def test_bodies_must_have_the_right_media_type(server):
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", MESSAGE,
                              {"Content-Type": "text/plain"})
    assert status == 415, body
    assert "message/rfc822" in body["error"]
    status, _, body = request(server, "POST", "/api/v1/inboxes", b'{"name": "plain"}', {"Content-Type": "text/plain"})
    assert status == 415, body
    status, _, body = request(server, "POST", "/api/v1/inboxes", b'{"name": "plain"}')
    assert status == 415, body
    assert "plain" not in inbox_names(server)


def test_curl_style_clients_and_same_origin_pages_keep_working(server):
    # No Origin, no Sec-Fetch-*: command-line clients and CI scripts.
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", MESSAGE,
                              {"Content-Type": "message/rfc822"})
    assert status == 201, body
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", MESSAGE,
                              {"Content-Type": "application/octet-stream"})
    assert status == 201, body
    # Mailpen's own UI: same origin, under any of the loopback names.
    for number, host in enumerate((f"127.0.0.1:{server.http_port}", f"localhost:{server.http_port}",
                                   f"[::1]:{server.http_port}")):
        status, _, body = request(
            server, "POST", "/api/v1/inboxes", json.dumps({"name": f"ui-{number}"}).encode(),
            {"Content-Type": "application/json; charset=utf-8", "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"},
            host=host)
        assert status == 201, (host, body)
    status, _, body = request(server, "DELETE", "/api/v1/inboxes/default/messages",
                              headers={"Origin": f"http://127.0.0.1:{server.http_port}"})
    assert status == 200, body


def test_a_foreign_host_is_refused_dns_rebinding(server):
    # The original attack: a page whose name now points at 127.0.0.1 reads every inbox's SMTP password.
    status, _, body = request(server, "GET", "/api/v1/inboxes", host="evil.example")
    assert status == 421, body
    assert "password" not in json.dumps(body)
    assert "--allowed-host" in body["error"]
    for host in ("evil.example:8025", "127.0.0.1.evil.example", "localhost.evil.example", "[::2]:1"):
        status, _, _ = request(server, "GET", "/", host=host)
        assert status == 421, host
    # A proxy or an SSH forward may change the port; loopback names are served under any port.
    for host in ("localhost", "localhost:1234", "LOCALHOST.", "127.0.0.1:9", "[::1]"):
        status, _, body = request(server, "GET", "/api/v1/inboxes", host=host)
        assert status == 200, (host, body)
    # Liveness probes use whatever address the platform has.
    status, _, _ = request(server, "GET", "/healthz", host="10.1.2.3:8025")
    assert status == 200


def test_allowed_hosts_extend_the_names_served(make_server):
    server = make_server(args=["--allowed-host", "mail.test"], env={"MAILPEN_ALLOWED_HOSTS": "ignored.test"})
    assert request(server, "GET", "/api/v1/inboxes", host="mail.test:80")[0] == 200
    assert request(server, "GET", "/api/v1/inboxes", host="ignored.test")[0] == 421
    # Origin must still match the Host it was sent to.
    status, _, _ = request(server, "POST", "/api/v1/inboxes", b'{"name": "proxied"}',
                           {"Content-Type": "application/json", "Origin": "http://mail.test"}, host="mail.test")
    assert status == 201
    other = make_server(env={"MAILPEN_ALLOWED_HOSTS": "a.test, b.test"})
    assert request(other, "GET", "/api/v1/inboxes", host="b.test")[0] == 200
    assert request(other, "GET", "/api/v1/inboxes", host="c.test")[0] == 421


def test_listening_on_every_address_says_how_to_allow_the_machines_names(make_server, workdir):
    # On 0.0.0.0 the machine's own name is refused like any other: the banner says which flag serves it.
    hint = "add --allowed-host "
    local = make_server(log_path=os.path.join(workdir, "local.log"))
    assert hint not in local.wait_for_log("DB     ")
    for args, hinted in ((["--allowed-host", "mail.test"], True), (["--allowed-host", "*"], False)):
        server = make_server(start=False, log_path=os.path.join(workdir, f"every-{hinted}.log"))
        server.args = ["--http", f"0.0.0.0:{server.http_port}", *args]
        server.start()
        log = server.wait_for_log("DB     ")
        assert f"HTTP   http://0.0.0.0:{server.http_port}/" in log, log
        if hinted:
            line = next(line for line in log.splitlines() if hint in line)
            assert "answers to localhost, mail.test only" in line, line
            assert f":{server.http_port}/ {hint}" in line, line
        else:
            assert hint not in log, log
        server.stop()


def test_ui_and_raw_bodies_carry_framing_and_sniffing_protection(server):
    status, headers, _ = request(server, "GET", "/")
    assert status == 200
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "SAMEORIGIN"
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\nContent-Type: text/plain\r\n\r\n<html><script>1</script>\r\n")
    message_id = request(server, "GET", "/api/v1/inboxes/default/messages")[2]["messages"][0]["id"]
    for suffix in ("raw", "text"):
        status, headers, _ = request(server, "GET", f"/api/v1/messages/{message_id}/{suffix}")
        assert headers["content-security-policy"].startswith("sandbox"), (suffix, headers)
        assert headers["x-content-type-options"] == "nosniff", suffix


# ---- 4. Bounded work ----

def test_search_tags_and_routes_limits_at_the_edge_and_one_past(server):
    words = " ".join(f"w{i}" for i in range(64))
    assert request(server, "GET", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote(words))[0] == 200
    status, _, body = request(server, "GET", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote(words + " w64"))
    assert status == 400 and "64" in body["error"], body

    json_type = {"Content-Type": "application/json"}
    routes = [f"r{i}@shop.example" for i in range(256)]
    assert request(server, "POST", "/api/v1/inboxes", json.dumps({"name": "routed", "routes": routes}).encode(),
                   json_type)[0] == 201
    status, _, body = request(server, "PATCH", "/api/v1/inboxes/routed",
                              json.dumps({"routes": routes + ["one@more.example"]}).encode(), json_type)
    assert status == 400 and "256" in body["error"], body

    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", MESSAGE, {"Content-Type": "message/rfc822"})
    message_id = body["id"]
    tags = [f"t{i}" for i in range(63)] + ["x" * 128]
    status, _, body = request(server, "PATCH", f"/api/v1/messages/{message_id}", json.dumps({"tags": tags}).encode(), json_type)
    assert status == 200 and len(body["tags"]) == 64, body
    for bad in (tags + ["t64"], [f"t{i}" for i in range(10)] + ["x" * 129]):
        status, _, body = request(server, "PATCH", f"/api/v1/messages/{message_id}", json.dumps({"tags": bad}).encode(), json_type)
        assert status == 400, body


def test_an_http_connection_flood_does_not_starve_smtp_or_health(make_server):
    server = make_server(args=["--http-max-connections", "64"])
    idle = []
    try:
        for _ in range(2000):
            sock = socket.socket()
            sock.settimeout(5)
            try:
                sock.connect(("127.0.0.1", server.http_port))
            except OSError:
                sock.close()
                continue
            idle.append(sock)
        # With two thousand idle sockets open: mail still goes in, and health answers.
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        for _ in range(3):
            status, _, body = request(server, "GET", "/healthz")
            assert status == 200, body
        assert message_count(server) == 1
    finally:
        for sock in idle:
            sock.close()
    assert_alive(server)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_a_client_that_pipelines_without_reading_cannot_grow_memory(server):
    # EHLO is the cheapest command with the longest reply: a client that never reads its replies makes the
    # server either stop reading it or hold everything it would write.
    sent = {"bytes": 0}
    stop = threading.Event()
    floods = []
    for _ in range(2):
        flood = socket.create_connection(("127.0.0.1", server.smtp_port))
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        flood.settimeout(1)
        floods.append(flood)

    def pipeline(flood):
        chunk = b"EHLO flood.example\r\n" * 5000
        while not stop.is_set() and sent["bytes"] < 200 * 1024 * 1024:
            try:
                sent["bytes"] += flood.send(chunk)
            except socket.timeout:
                continue
            except OSError:
                return

    threads = [threading.Thread(target=pipeline, args=(flood,), daemon=True) for flood in floods]
    baseline = rss_kib(server.process.pid)
    for thread in threads:
        thread.start()
    peak = baseline
    delivered = 0
    try:
        deadline = time.time() + 25
        while time.time() < deadline and any(thread.is_alive() for thread in threads):
            peak = max(peak, rss_kib(server.process.pid))
            # Other sessions keep getting mail through meanwhile.
            with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
                client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            delivered += 1
            time.sleep(0.5)  # pacing: a message every half second while the floods run, not a wait
    finally:
        stop.set()
        for flood in floods:
            flood.close()
        for thread in threads:
            thread.join(5)
    peak = max(peak, rss_kib(server.process.pid))
    assert peak < 200 * 1024, f"server RSS reached {peak // 1024} MB"
    # Without backpressure a debug build grows by some 80 MB in this time; with it, by a few.
    assert peak - baseline < 48 * 1024, f"server RSS grew from {baseline // 1024} to {peak // 1024} MB"
    assert message_count(server) == delivered > 10
    assert_alive(server)


def test_a_session_waiting_on_its_auth_check_is_not_read_from(server):
    # While a session waits (here on its AUTH check, held back by a chaos delay), what the client pipelines
    # stays in its own socket buffers: Mailpen reads nothing until the session can take input again.
    json_type = {"Content-Type": "application/json"}
    assert request(server, "POST", "/api/v1/inboxes", b'{"name": "slow"}', json_type)[0] == 201
    rules = {"rules": [{"stage": "auth", "delayMs": 30000}]}
    assert request(server, "PUT", "/api/v1/inboxes/slow/chaos", json.dumps(rules).encode(), json_type)[0] == 200
    baseline = rss_kib(server.process.pid)
    flood = socket.create_connection(("127.0.0.1", server.smtp_port), timeout=10)
    try:
        reader = flood.makefile("rb")
        assert reader.readline().startswith(b"220")
        flood.sendall(b"EHLO flood.example\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        flood.sendall(b"AUTH PLAIN " + __import__("base64").b64encode(b"\0slow\0pw") + b"\r\n")
        flood.settimeout(0.5)
        chunk = b"NOOP\r\n" * 50000
        sent = 0
        deadline = time.time() + 8
        while time.time() < deadline and sent < 200 * 1024 * 1024:
            try:
                sent += flood.send(chunk)
            except socket.timeout:
                continue
        peak = rss_kib(server.process.pid)
        # Socket buffers on both sides take some megabytes; reading the flood would take it all, at once.
        assert sent < 32 * 1024 * 1024, f"the server read {sent // (1024 * 1024)} MB from a waiting session"
        assert peak - baseline < 48 * 1024, f"server RSS grew from {baseline // 1024} to {peak // 1024} MB"
        # Other sessions are not held up.
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert message_count(server) == 1
    finally:
        flood.close()
    assert_alive(server)


# ---- 1. Flags and the CLI: usage errors, never a trap ----

@pytest.mark.parametrize("arguments", [
    ["serve", "--max-age", "99999999999999d"],
    ["serve", "--max-message-size", "99999999999999G"],
    ["serve", "--idle-timeout", "99999999999"],
    ["serve", "--shutdown-grace", "99999999999"],
    ["serve", "--max-messages", "-1"],
    ["serve", "--http-max-connections", "0"],
    ["wait", "--timeout", "1e20"],
    ["wait", "--timeout", "nan"],
    ["wait", "--count", "0"],
])
def test_out_of_range_flags_are_usage_errors(workdir, arguments):
    result = subprocess.run([BINARY, *arguments, "--db" if arguments[0] == "serve" else "--server",
                             os.path.join(workdir, "x.sqlite") if arguments[0] == "serve" else "http://127.0.0.1:9"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 64, (arguments, result.returncode, result.stderr)
    assert "Error:" in result.stderr, result.stderr
    env_name = {"--max-age": "MAILPEN_MAX_AGE"}.get(arguments[1])
    if env_name:
        result = subprocess.run([BINARY, "serve", "--db", os.path.join(workdir, "y.sqlite")], capture_output=True,
                                text=True, timeout=30, env=dict(os.environ, **{env_name: arguments[2]}))
        assert result.returncode == 64, result.stderr


# ---- 5. Smaller fixes ----

def test_log_lines_cannot_be_forged_by_a_subject_or_username(server):
    subject = "=?utf-8?q?hi=0D=0A2026-01-01T00:00:00+0000_critical_mailpen:_forged?="
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], f"Subject: {subject}\r\n\r\nbody\r\n".encode())
        try:
            client.docmd("AUTH", "PLAIN " + __import__("base64").b64encode(b"\0bad\r\nname forged\0pw").decode())
        except smtplib.SMTPException:
            pass
    # The AUTH refusal is logged after the stored message: once it is there, both are.
    log = server.wait_for_log("AUTH login refused")
    forged = [line for line in log.splitlines() if "forged" in line]
    assert forged, log
    for line in forged:
        assert line.startswith(("20", "stored")) or "info" in line or "stored" in line, line
        assert not line.lstrip().startswith("2026-01-01T00:00:00"), line
    assert "hi\\r\\n" in log


def test_static_files_stay_inside_the_web_root(make_server, workdir):
    root = os.path.join(workdir, "web")
    os.makedirs(root)
    with open(os.path.join(root, "index.html"), "w") as index:
        index.write("<!doctype html><title>ui</title>")
    with open(os.path.join(root, ".env"), "w") as secret:
        secret.write("SECRET=1")
    with open(os.path.join(workdir, "outside.txt"), "w") as outside:
        outside.write("outside")
    os.symlink(os.path.join(workdir, "outside.txt"), os.path.join(root, "link.txt"))
    os.symlink("/etc", os.path.join(root, "etc"))
    server = make_server(args=["--web-root", root])
    assert request(server, "GET", "/")[0] == 200
    for path in ("/.env", "/link.txt", "/etc/passwd", "/%2e%2e/outside.txt", "/..%2foutside.txt", "/./.env"):
        status, _, body = request(server, "GET", path)
        assert status == 404, (path, status, body)


def test_the_default_web_root_is_never_the_working_directorys(make_server, workdir):
    # A ./web of the working directory (another project's) is not served; the UI beside the binary is.
    os.makedirs(os.path.join(workdir, "web"))
    with open(os.path.join(workdir, "web", "index.html"), "w") as index:
        index.write("<!doctype html><title>not mailpen</title>")
    server = make_server(db=":memory:", cwd=workdir)
    status, _, page = request(server, "GET", "/")
    assert status == 200
    assert b"not mailpen" not in page
    assert b"Mailpen" in page


def test_link_following_refuses_private_addresses_unless_allowed(make_server):
    import http.server
    hits = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    target = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    link = f"http://127.0.0.1:{target.server_address[1]}/internal-admin"
    raw = f"Subject: links\r\nContent-Type: text/plain\r\n\r\nSee {link} and http://localhost:{target.server_address[1]}/x\r\n"
    try:
        for args, followed in (([], False), (["--links-allow-private"], True)):
            server = make_server(args=args)
            with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
                client.sendmail("a@example.com", ["b@example.com"], raw.encode())
            message_id = request(server, "GET", "/api/v1/inboxes/default/messages")[2]["messages"][0]["id"]
            hits.clear()
            status, _, report = request(server, "GET", f"/api/v1/messages/{message_id}/checks/links?follow=1")
            assert status == 200, report
            statuses = [link["status"] for link in report["links"]]
            if followed:
                assert len(hits) == 2 and all(s["ok"] for s in statuses), report
            else:
                assert hits == [], hits
                assert all("refused" in s["error"] and "--links-allow-private" in s["error"] for s in statuses), report
            server.stop()
    finally:
        target.shutdown()


def test_spamd_is_sent_no_message_past_its_size_limit(make_server):
    # A real spamd scores the small message; the large one is never sent (spamd would hold it, and this
    # process two more copies of it) and its check answers 422 saying why, here and in Mailpit's sa-check.
    spamd = os.environ.get("MAILPEN_TEST_SPAMD")
    if not spamd:
        pytest.skip("needs MAILPEN_TEST_SPAMD (a spamd, as CI starts)")
    server = make_server(args=["--spamd", spamd, "--spamd-max-size", "4K"])
    ids = {}
    for name, size in (("small", 1000), ("large", 6000)):
        raw = f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {name}\r\n\r\n" + "word " * (size // 5)
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], raw.encode())
        listing = request(server, "GET", "/api/v1/inboxes/default/messages")[2]["messages"]
        ids[name] = next(m["id"] for m in listing if m["subject"] == name)
    status, _, report = request(server, "GET", f"/api/v1/messages/{ids['small']}/checks/spam")
    assert status == 200 and report["engine"] == "spamassassin", report
    status, _, report = request(server, "GET", f"/api/v1/messages/{ids['large']}/checks/spam")
    assert status == 422, report
    assert "spamd is sent messages of at most 4096" in report["error"] and "--spamd-max-size" in report["error"]
    status, _, report = request(server, "GET", f"/api/v1/message/{ids['large']}/sa-check")
    assert status == 200 and "at most 4096" in report["Error"] and report["IsSpam"] is False, report


def test_a_non_ascii_address_without_smtputf8_is_taken_and_flagged(server):
    # Mailpen captures what a sloppy client sends, and the lint check says a real server would refuse it.
    with greeted(server) as (sock, reader):
        for command in (b"MAIL FROM:<a@example.com>", "RCPT TO:<zoë@example.org>".encode(), b"DATA"):
            sock.sendall(command + b"\r\n")
            assert reader.readline()[:3] in (b"250", b"354")
        sock.sendall(MESSAGE + b".\r\n")
        assert reader.readline().startswith(b"250")
    message_id = request(server, "GET", "/api/v1/inboxes/default/messages")[2]["messages"][0]["id"]
    status, _, report = request(server, "GET", f"/api/v1/messages/{message_id}/checks/lint")
    assert status == 200, report
    finding = next(f for f in report["findings"] if f["id"] == "eight-bit-address-without-smtputf8")
    assert "zoë@example.org" in finding["message"] and finding["severity"] == "error", finding


def closed_by_server(sock, within):
    """Whether the server closes `sock` within `within` seconds (it reads EOF or a reset)."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_http_connections_at_the_cap_make_room_and_idle_ones_close(make_server):
    server = make_server(args=["--http-max-connections", "4", "--http-idle-timeout", "3"])
    idle = []
    opened = []
    for _ in range(4):
        idle.append(socket.create_connection(("127.0.0.1", server.http_port)))
        opened.append(time.time())
        # Spaced apart, so that "longest idle" is one socket whichever event loop admitted each.
        time.sleep(0.1)
    try:
        # The fifth connection is served; the longest-idle one is closed to make room.
        status, _, body = request(server, "GET", "/api/v1/inboxes")
        assert status == 200, body
        assert closed_by_server(idle[0], 5)
        # Connections without a request are closed after the idle timeout, not before.
        assert closed_by_server(idle[3], 15)
        assert time.time() - opened[3] >= 2.5
    finally:
        for sock in idle:
            sock.close()
    assert_alive(server)


def stream_closed(sock, within):
    """Whether the server closes a stream within `within` seconds, reading past whatever it sent before."""
    deadline = time.time() + within
    try:
        while time.time() < deadline:
            sock.settimeout(max(0.01, deadline - time.time()))
            if sock.recv(65536) == b"":
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        pass
    return False


def test_streams_filling_the_http_cap_give_way_after_a_while(make_server):
    """Event streams (and waits, and bodies sent a byte at a time) are busy for as long as they last: a cap
    full of them must not lock everyone out. A newcomer is refused while the streams are recent, and served
    once they have run a while, the oldest stream closed to make room."""
    server = make_server(args=["--http-max-connections", "4"])
    streams = []
    try:
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", server.http_port), timeout=10)
            sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "stream not opened"
            streams.append(sock)
            time.sleep(0.1)
        # Recent requests are not cut for a newcomer.
        refused = socket.create_connection(("127.0.0.1", server.http_port), timeout=10)
        assert closed_by_server(refused, 5)
        refused.close()
        time.sleep(5.5)
        status, _, body = request(server, "GET", "/healthz")
        assert status == 200, body
        assert stream_closed(streams[0], 5)
        assert not stream_closed(streams[3], 0.5)
    finally:
        for sock in streams:
            sock.close()
    assert_alive(server)


def trickled_until_closed(sock, within):
    """Sends one more header line every half second, never the blank line that ends the head; returns whether
    the server closes the socket within `within` seconds."""
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            return True
        if closed_by_server(sock, 0.5):
            return True
    return False


def listener_port(make_server, listener, args):
    """A server and the port of `listener`: Mailpen's HTTP listener or the MailHog one (same protections)."""
    if listener == "mailhog":
        server = start_compat_server(make_server, args)
        return server, server.mailhog_port
    server = make_server(args=args)
    return server, server.http_port


@pytest.mark.parametrize("listener", ["http", "mailhog"])
def test_a_partial_first_request_head_is_closed_after_the_idle_timeout(make_server, listener):
    server, port = listener_port(make_server, listener, ["--http-idle-timeout", "3"])
    partial = socket.create_connection(("127.0.0.1", port))
    trickling = socket.create_connection(("127.0.0.1", port))
    opened = time.time()
    try:
        partial.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        trickling.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        # Slowloris: half a head holds the socket only until the idle timeout, however the rest trickles in.
        assert not closed_by_server(partial, 1)
        assert trickled_until_closed(trickling, 3 + 10)
        assert closed_by_server(partial, 3 + 10)
        assert time.time() - opened >= 2.5
    finally:
        partial.close()
        trickling.close()
    assert_alive(server)
    # A client timed out is routine, not a server error.
    assert " error " not in server.log(), server.log()


@pytest.mark.parametrize("listener", ["http", "mailhog"])
def test_garbage_instead_of_a_request_is_a_400_and_closed(make_server, listener):
    server, port = listener_port(make_server, listener, ["--http-idle-timeout", "3"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"\x00\x01\x02 / HTTP/1.1\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):  # the server closes after answering; a timeout fails the test
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer
    assert b"connection: close" in head.lower(), answer
    assert "malformed request" in json.loads(body)["error"], answer
    assert_alive(server)
    assert " error " not in server.log(), server.log()


def test_event_streams_outlive_the_http_idle_timeout(make_server):
    """Mailpit's web socket and the server-sent events are long-lived: the idle timeout does not cut them."""
    import websocket

    server = make_server(args=["--http-idle-timeout", "2"])
    events = websocket.create_connection(f"ws://127.0.0.1:{server.http_port}/api/events", timeout=10)
    stream = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        stream.request("GET", "/api/v1/events", headers={"Accept": "text/event-stream"})
        response = stream.getresponse()
        assert response.status == 200
        assert response.readline().startswith(b"retry:")
        time.sleep(5)
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        frame = json.loads(events.recv())
        assert frame["Type"] == "new" and frame["Data"]["Subject"] == "hello", frame
        lines = []
        while not any(line.startswith(b"event: stored") for line in lines):
            lines.append(response.readline())
            assert lines[-1], lines  # an empty read is the end of the stream
    finally:
        events.close()
        stream.close()


def test_http_ingest_keeps_to_the_recipient_limit(make_server):
    server = make_server(["--max-recipients", "3"])
    headers = {"Content-Type": "message/rfc822"}
    to = "&".join(f"to=r{n}@example.com" for n in range(4))
    status, _, body = request(server, "POST", f"/api/v1/inboxes/default/messages?{to}", MESSAGE, headers)
    assert status == 400 and "at most 3" in body["error"], body
    many = b"From: a@example.com\r\nTo: " + b", ".join(b"r%d@example.com" % n for n in range(4)) + b"\r\n\r\nx\r\n"
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages", many, headers)
    assert status == 400, body
    status, _, body = request(server, "POST", "/api/v1/send", json.dumps(
        {"From": {"Email": "a@example.com"}, "To": [{"Email": f"r{n}@example.com"} for n in range(4)],
         "Subject": "s", "Text": "t"}).encode(), {"Content-Type": "application/json"})
    assert status == 400 and "at most 3" in str(body), body
    three = "&".join(f"to=r{n}@example.com" for n in range(3))
    status, _, body = request(server, "POST", f"/api/v1/inboxes/default/messages?{three}", MESSAGE, headers)
    assert status == 201, body


def test_another_sites_page_cannot_make_mailpen_follow_links(server):
    # A private address: following it is refused by the address policy, so no request leaves the machine.
    status, _, body = request(server, "POST", "/api/v1/inboxes/default/messages?to=b@example.com",
                              b"Subject: links\r\n\r\nhttp://127.0.0.1:9/x\r\n", {"Content-Type": "message/rfc822"})
    assert status == 201, body
    message_id = body["id"]
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    follow = f"/api/v1/messages/{message_id}/checks/links?follow=1"
    for path in (follow, f"/api/v1/messages/{message_id}/checks/links/?follow=1", "/api/v1/message/latest/link-check",
                 "/api/v1/message/latest/link-check/", "/api/v1//message/latest/link-check"):
        status, _, body = request(server, "GET", path, headers=cross_site)
        assert status in (403, 404), (path, body)
        assert status == 404 or "followed" not in str(body), (path, body)
    # Listing the links requests nothing, and scripts and Mailpen's own pages may follow them.
    assert request(server, "GET", f"/api/v1/messages/{message_id}/checks/links", headers=cross_site)[0] == 200
    for headers in ({}, {"Sec-Fetch-Site": "same-origin"}):
        status, _, body = request(server, "GET", follow, headers=headers)
        assert status == 200 and body["followed"] is True, (headers, body)


def test_a_declared_length_past_the_limit_is_refused_before_its_body(make_server):
    server = make_server(["--max-message-size", "1000"])
    connection = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
    try:
        connection.sendall(f"POST /api/v1/inboxes/default/messages?to=b@example.com HTTP/1.1\r\n"
                           f"Host: 127.0.0.1:{server.http_port}\r\nContent-Type: message/rfc822\r\n"
                           f"Content-Length: 5000000\r\n\r\n".encode())
        answer = connection.recv(4096).decode(errors="replace")  # no body sent: answered at once, or times out
    finally:
        connection.close()
    assert answer.startswith("HTTP/1.1 413"), answer


def test_a_binary_without_its_resources_says_so_without_paths(make_server, workdir):
    # Copied away from its resource bundle, the binary cannot run the HTML check: a 500 that names the
    # missing data, with where it looked only in the log.
    hidden = os.path.join(workdir, "hidden-install")
    os.makedirs(hidden)
    binary = os.path.join(hidden, "mailpen")
    shutil.copy(BINARY, binary)
    env = {name: value for name, value in os.environ.items() if name != "MAILPEN_CANIEMAIL"}
    server = make_server(binary=binary, env=env, args=["--web-root", os.path.join(ROOT, "web")])
    message = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n"
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
        client.sendmail("a@example.com", ["b@example.com"], message)
    status, _, listing = request(server, "GET", "/api/v1/inboxes/default/wait?timeout=5")
    message_id = listing["messages"][0]["id"]
    status, _, answer = request(server, "GET", f"/api/v1/messages/{message_id}/checks/html")
    assert status == 500 and "caniemail.json" in answer["error"], answer
    assert hidden not in answer["error"] and "/" not in answer["error"], answer
    status, _, body = request(server, "GET", f"/api/v1/message/{message_id}/html-check")
    shown = json.dumps(body) if isinstance(body, dict) else body.decode("utf-8", "replace")
    assert status == 500 and hidden not in shown, shown
    with open(server.log_path, encoding="utf-8", errors="replace") as log:
        assert hidden in log.read()
