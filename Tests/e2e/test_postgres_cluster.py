"""Two `mailpen serve` nodes on one PostgreSQL database behind HAProxy, driven by real SMTP and HTTP clients.

Needs MAILPEN_TEST_POSTGRES (a server whose user may create databases; `make test` starts one with
scripts/test-postgres.sh) and Debian's `haproxy`.
"""
import imaplib
import json
import os
import poplib
import shutil
import smtplib
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import BINARY, Server, free_port, wait_for_port

POSTGRES = os.environ.get("MAILPEN_TEST_POSTGRES")
pytestmark = [
    pytest.mark.skipif(not POSTGRES, reason="MAILPEN_TEST_POSTGRES is not set (scripts/test-postgres.sh start)"),
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed"),
]


def psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True)


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def get(port, path, timeout=10):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return json.loads(response.read())


def send(port, subject, sender="app@example.com", login=None):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        if login:
            client.login(*login)
        client.sendmail(sender, ["user@example.com"],
                        f"From: {sender}\r\nTo: user@example.com\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n")


HAPROXY_CONFIG = """
global
    maxconn 1000
defaults
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend smtp
    mode tcp
    bind 127.0.0.1:{smtp}
    default_backend mailpen_smtp
backend mailpen_smtp
    mode tcp
    balance roundrobin
{smtp_servers}
frontend http
    mode http
    bind 127.0.0.1:{http}
    default_backend mailpen_http
backend mailpen_http
    mode http
    balance roundrobin
    option httpchk GET /healthz
{http_servers}
"""


@pytest.fixture
def cluster(tmp_path):
    database = "mailpen_e2e_" + uuid.uuid4().hex
    psql(POSTGRES, f"CREATE DATABASE {database}")
    url = with_database(POSTGRES, database)
    nodes = []
    haproxy = None
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            node = Server(str(workdir), args=["--smtp-auth", "strict"])
            node.db = url
            nodes.append(node.start())
        smtp, http = free_port(), free_port()
        config = HAPROXY_CONFIG.format(
            smtp=smtp, http=http,
            smtp_servers="\n".join(f"    server {n} 127.0.0.1:{node.smtp_port}" for n, node in zip("ab", nodes)),
            http_servers="\n".join(f"    server {n} 127.0.0.1:{node.http_port} check inter 500ms"
                                   for n, node in zip("ab", nodes)))
        config_path = tmp_path / "haproxy.cfg"
        config_path.write_text(config)
        haproxy = subprocess.Popen(["haproxy", "-db", "-f", str(config_path)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(smtp)
        wait_for_port(http)
        yield {"a": nodes[0], "b": nodes[1], "smtp": smtp, "http": http, "url": url}
    finally:
        if haproxy:
            haproxy.terminate()
            haproxy.wait(timeout=10)
        for node in nodes:
            node.stop()
        psql(POSTGRES, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def test_both_nodes_take_mail_through_haproxy(cluster):
    subjects = [f"balanced {index}" for index in range(10)]
    for subject in subjects:
        send(cluster["smtp"], subject)
    for node in (cluster["a"], cluster["b"]):
        assert "stored " in node.log(), "each node took some of the mail"
        listing = get(node.http_port, "/api/v1/inboxes/default/messages?limit=50")
        assert sorted(m["subject"] for m in listing["messages"]) == sorted(subjects)
    # Searchable once their texts are filled, a moment after the 250s.
    waited = get(cluster["http"], "/api/v1/inboxes/default/wait?q=subject%3Abalanced&count=10&timeout=10")
    assert len(waited["messages"]) == 10
    through_proxy = get(cluster["http"], "/api/v1/inboxes/default/messages?q=subject%3Abalanced")
    assert through_proxy["total"] == 10


def test_wait_on_b_for_mail_sent_to_a(cluster):
    a, b = cluster["a"], cluster["b"]
    waiting = subprocess.Popen(
        [BINARY, "wait", "--server", f"http://127.0.0.1:{b.http_port}", "--query", "subject:crossnode",
         "--timeout", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    send(a.smtp_port, "crossnode hello")
    out, err = waiting.communicate(timeout=40)
    assert waiting.returncode == 0, err.decode()
    assert b"crossnode hello" in out


def test_event_stream_on_b_sees_mail_from_a_and_deletes_show_everywhere(cluster):
    a, b = cluster["a"], cluster["b"]
    events = []
    connected = threading.Event()

    def read():
        connection = socket.create_connection(("127.0.0.1", b.http_port), timeout=20)
        connection.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
        connected.set()
        buffer = b""
        deadline = time.time() + 20
        while time.time() < deadline and b"sse-crossnode" not in buffer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            buffer += chunk
        events.append(buffer)
        connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    connected.wait(5)
    time.sleep(0.5)
    send(a.smtp_port, "sse-crossnode")
    reader.join(25)
    assert events and b"event: stored" in events[0] and b"sse-crossnode" in events[0]

    # A search finds the message once its texts are filled, a moment after the 250: a wait says when.
    listing = get(a.http_port, "/api/v1/inboxes/default/wait?q=subject%3Asse-crossnode&timeout=10")
    message_id = listing["messages"][0]["id"]
    request = urllib.request.Request(f"http://127.0.0.1:{b.http_port}/api/v1/messages/{message_id}", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(a.http_port, f"/api/v1/messages/{message_id}")
    assert missing.value.code == 404


def test_strict_auth_across_nodes(cluster):
    a, b = cluster["a"], cluster["b"]
    body = json.dumps({"name": "team", "password": "s3cret-pw"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{a.http_port}/api/v1/inboxes", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()
    send(b.smtp_port, "authenticated on b", login=("team", "s3cret-pw"))
    assert get(a.http_port, "/api/v1/inboxes/team/messages")["total"] == 1
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(b.smtp_port, "wrong password", login=("team", "not-it"))


def test_healthz_on_both_nodes(cluster):
    for node in (cluster["a"], cluster["b"]):
        assert get(node.http_port, "/healthz") == {"status": "ok"}


SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                      "scripts", "test-postgres.sh")


def healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def eventually(check, timeout, interval=0.2):
    deadline = time.time() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception:
            if time.time() >= deadline:
                raise
        if time.time() >= deadline:
            return check()
        time.sleep(interval)


def test_postgres_outage_gives_451_and_503_then_recovers(tmp_path):
    """A cluster of the test's own, stopped under a serving node for 5 s and started again."""
    directory = f"/tmp/mailpen-outage-{uuid.uuid4().hex[:8]}"
    started = subprocess.run([SCRIPT, "start", "--dir", directory], check=True, capture_output=True, text=True)
    url = started.stdout.strip().split("=", 1)[1]
    pop3_port, imap_port = free_port(), free_port()
    node = Server(str(tmp_path), ["--pop3", f"127.0.0.1:{pop3_port}", "--imap", f"127.0.0.1:{imap_port}"])
    node.db = url
    try:
        node.start()
        wait_for_port(pop3_port)
        wait_for_port(imap_port)
        send(node.smtp_port, "before the outage")
        waiting = subprocess.Popen(
            [BINARY, "wait", "--server", f"http://127.0.0.1:{node.http_port}", "--query", "subject:after",
             "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)  # the wait is pending before the outage
        subprocess.run([SCRIPT, "halt", "--dir", directory], check=True, capture_output=True)
        halted = time.time()

        status, body = eventually(lambda: healthz(node.http_port)[0] == 503 and healthz(node.http_port), 5)
        assert status == 503 and body["status"] == "degraded" and body["reason"]
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(node.smtp_port, "during the outage")
        assert refused.value.smtp_code == 451 and b"4.3.0" in refused.value.smtp_error
        with pytest.raises(urllib.error.HTTPError) as unavailable:
            get(node.http_port, "/api/v1/inboxes/default/messages")
        assert unavailable.value.code == 503
        # Logins cannot be checked: each protocol says "try again later", never "wrong password".
        with pytest.raises(smtplib.SMTPAuthenticationError) as auth:
            send(node.smtp_port, "authenticated during the outage", login=("default", "any"))
        assert auth.value.smtp_code == 454 and b"4.7.0" in auth.value.smtp_error
        pop3 = poplib.POP3("127.0.0.1", pop3_port, timeout=10)
        pop3.user("default")
        with pytest.raises(poplib.error_proto) as pop3_refused:
            pop3.pass_("any")
        assert pop3_refused.value.args[0].startswith(b"-ERR [SYS/TEMP]")
        pop3.quit()
        imap = imaplib.IMAP4("127.0.0.1", imap_port, timeout=10)
        with pytest.raises(imaplib.IMAP4.error) as imap_refused:
            imap.login("default", "any")
        assert "[UNAVAILABLE]" in str(imap_refused.value)
        imap.logout()

        time.sleep(max(0.0, 5 - (time.time() - halted)))
        subprocess.run([SCRIPT, "resume", "--dir", directory], check=True, capture_output=True)
        resumed = time.time()
        assert eventually(lambda: healthz(node.http_port)[0] == 200, 10)

        def delivered():
            try:
                send(node.smtp_port, "after the outage")
                return True
            except smtplib.SMTPDataError:
                return False
        assert eventually(delivered, 10)
        assert time.time() - resumed < 10
        out, err = waiting.communicate(timeout=30)
        assert waiting.returncode == 0, err.decode()
        assert b"after the outage" in out
        subjects = {m["subject"] for m in get(node.http_port, "/api/v1/inboxes/default/messages")["messages"]}
        assert subjects == {"before the outage", "after the outage"}
    finally:
        node.stop()
        subprocess.run([SCRIPT, "stop", "--dir", directory], capture_output=True)


def test_sigkill_under_load_loses_nothing_acknowledged(cluster):
    """16 sessions into node A, SIGKILL: every message that got a 250 is in PostgreSQL, byte-identical."""
    from test_durability import load

    a = cluster["a"]
    acknowledged, sent, stop = {}, [], threading.Event()
    workers = [threading.Thread(target=load, args=(a.smtp_port, worker, acknowledged, sent, stop))
               for worker in range(16)]
    for worker in workers:
        worker.start()
    deadline = time.time() + 30
    while len(acknowledged) < 300 and time.time() < deadline:
        time.sleep(0.01)
    a.kill()
    stop.set()
    for worker in workers:
        worker.join()
    assert len(acknowledged) >= 300
    result = subprocess.run(
        ["psql", cluster["url"], "-At", "-c",
         "SELECT m.id || ' ' || encode(r.raw, 'hex') FROM message m JOIN message_raw r ON r.seq = m.seq"],
        check=True, capture_output=True, text=True)
    stored = dict(line.split(" ", 1) for line in result.stdout.splitlines() if line)
    missing = [message_id for message_id in acknowledged if message_id not in stored]
    assert not missing, f"{len(missing)} acknowledged message(s) lost"
    for message_id, message in acknowledged.items():
        assert bytes.fromhex(stored[message_id]) == message


def test_chaos_rules_set_on_one_node_apply_on_the_other(cluster):
    a, b = cluster["a"], cluster["b"]
    body = json.dumps({"rules": [{"stage": "mail", "reply": "451 4.3.0 Cluster says later", "times": 4}]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{a.http_port}/api/v1/chaos", data=body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    # Node b learns of the rules on its next refresh (every second).
    deadline = time.time() + 10
    while True:
        try:
            send(b.smtp_port, "chaos probe")
        except smtplib.SMTPSenderRefused as error:
            assert error.smtp_code == 451
            break
        assert time.time() < deadline, "node b never applied the rules set through node a"
        time.sleep(0.2)
    with pytest.raises(smtplib.SMTPSenderRefused):
        send(a.smtp_port, "chaos on a")
    # Hits from both nodes add up in the shared counter.
    deadline = time.time() + 10
    while sum(rule["hits"] for rule in get(a.http_port, "/api/v1/chaos")["rules"]) < 2:
        assert time.time() < deadline, get(a.http_port, "/api/v1/chaos")
        time.sleep(0.2)
