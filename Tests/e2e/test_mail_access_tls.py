"""POP3 and IMAP over TLS (STLS/STARTTLS and implicit TLS with `--tls auto`), the login policy for
plaintext passwords — refused from a non-loopback address unless TLS is on or `--allow-plaintext-login` —
and the settings the inbox API advertises."""
import base64
import imaplib
import json
import os
import poplib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import mailaccess
from conftest import free_port, wait_for_port
from mailaccess import PASSWORD

TLS_LISTENERS = ("pop3", "pop3s", "imap", "imaps")


def test_starttls_and_implicit_tls(make_server):
    server = mailaccess.start(make_server, TLS_LISTENERS, args=["--tls", "auto"])
    ids = mailaccess.send(server, "shop", ["secret"])
    raw = mailaccess.raw(server, ids[0])
    context = mailaccess.unverified_tls()

    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    assert "STLS" in client.capa()
    assert client.stls(context).startswith(b"+OK")
    assert "STLS" not in client.capa()
    with pytest.raises(poplib.error_proto, match="TLS already active"):
        client._shortcmd("STLS")
    client.user("shop")
    client.pass_(PASSWORD)
    assert b"\r\n".join(client.retr(1)[1]) + b"\r\n" == raw
    client.rset()
    client.quit()

    client = poplib.POP3_SSL("127.0.0.1", server.pop3s, context=context, timeout=30)
    assert "STLS" not in client.capa()
    client.user("shop")
    client.pass_(PASSWORD)
    assert client.stat()[0] == 1
    client.quit()

    client = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    assert "STARTTLS" in client.capabilities
    assert client.starttls(context)[0] == "OK"
    assert "STARTTLS" not in client.capabilities
    client.login("shop", PASSWORD)
    client.select("INBOX")
    assert client.fetch("1", "(BODY.PEEK[])")[1][0][1] == raw
    client.logout()

    client = imaplib.IMAP4_SSL("127.0.0.1", server.imaps, ssl_context=context, timeout=30)
    assert "STARTTLS" not in client.capabilities
    client.login("shop", PASSWORD)
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()

    if shutil.which("curl"):
        user = ["-u", f"shop:{PASSWORD}", "--silent", "--show-error", "--insecure", "--max-time", "30"]
        for url in (f"pop3://127.0.0.1:{server.pop3}/1", f"pop3s://127.0.0.1:{server.pop3s}/1",
                    f"imap://127.0.0.1:{server.imap}/INBOX;MAILINDEX=1",
                    f"imaps://127.0.0.1:{server.imaps}/INBOX;MAILINDEX=1"):
            fetched = subprocess.run(["curl", *user, "--ssl-reqd", url], capture_output=True, check=True)
            assert fetched.stdout == raw, url


def test_inbox_api_advertises_the_mail_access_settings(make_server):
    server = mailaccess.start(make_server, TLS_LISTENERS, args=["--tls", "auto"])
    mailaccess.api(server, "/api/v1/inboxes", "POST", {"name": "shop", "password": PASSWORD})
    inbox = mailaccess.api(server, "/api/v1/inboxes/shop")
    assert inbox["pop3"] == {"host": "127.0.0.1", "port": server.pop3, "username": "shop", "password": PASSWORD,
                             "startTLS": True, "implicitTLSPort": server.pop3s}
    assert inbox["imap"] == {"host": "127.0.0.1", "port": server.imap, "username": "shop", "password": PASSWORD,
                             "startTLS": True, "implicitTLSPort": server.imaps}
    # The inbox list an inbox credential sees (its inbox alone) advertises the same settings.
    listing = urllib.request.Request(f"http://127.0.0.1:{server.http_port}/api/v1/inboxes", headers={
        "Authorization": "Basic " + base64.b64encode(f"shop:{PASSWORD}".encode()).decode()})
    with urllib.request.urlopen(listing, timeout=30) as response:
        [own] = json.loads(response.read())["inboxes"]
    assert (own["name"], own["pop3"], own["imap"]) == ("shop", inbox["pop3"], inbox["imap"])
    plain = mailaccess.start(make_server, ())
    inbox = mailaccess.api(plain, "/api/v1/inboxes/default")
    assert inbox["pop3"] is None and inbox["imap"] is None


def test_environment_turns_the_implicit_tls_listeners_on(make_server):
    pop3s, imaps = free_port(), free_port()
    server = make_server(["--tls", "auto"], env={"MAILPEN_POP3S": f"127.0.0.1:{pop3s}",
                                                 "MAILPEN_IMAPS": f"127.0.0.1:{imaps}"})
    wait_for_port(pop3s)
    wait_for_port(imaps)
    mailaccess.send(server, "shop", ["one"])
    context = mailaccess.unverified_tls()
    client = poplib.POP3_SSL("127.0.0.1", pop3s, context=context, timeout=30)
    client.user("shop")
    client.pass_(PASSWORD)
    assert client.stat()[0] == 1
    client.quit()
    client = imaplib.IMAP4_SSL("127.0.0.1", imaps, ssl_context=context, timeout=30)
    client.login("shop", PASSWORD)
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()
    inbox = mailaccess.api(server, "/api/v1/inboxes/shop")
    assert inbox["pop3"]["implicitTLSPort"] == pop3s and inbox["imap"]["implicitTLSPort"] == imaps


def test_implicit_tls_needs_a_certificate(make_server):
    for option in ("--pop3s", "--imaps"):
        server = make_server(start=False)
        result = subprocess.run(server.command() + [option, "127.0.0.1:0"], capture_output=True, timeout=60)
        assert result.returncode != 0
        assert f"{option} needs a certificate".encode() in result.stderr


# ---- Plaintext logins from another machine ----

CLIENT = r'''
import imaplib, poplib, ssl, sys
host, pop3, imap, password, expect_allowed, tls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1", sys.argv[6] == "1"
context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
pop = poplib.POP3(host, pop3, timeout=20)
if tls:
    pop.stls(context)
caps = pop.capa()
print("POP3 CAPA", sorted(caps))
try:
    pop.user("shop"); pop.pass_(password); print("POP3 LOGIN OK", pop.stat())
except poplib.error_proto as error:
    print("POP3 LOGIN REFUSED", error)
pop.quit()
client = imaplib.IMAP4(host, imap, timeout=20)
if tls:
    client.starttls(context)
print("IMAP CAPABILITY", " ".join(client.capabilities))
try:
    client.login("shop", password); print("IMAP LOGIN OK", client.select("INBOX"))
except imaplib.IMAP4.error as error:
    print("IMAP LOGIN REFUSED", error)
client.logout()
'''


@pytest.fixture
def other_host():
    """A network namespace joined to this one by a veth pair: a client there connects from a non-loopback
    address (198.18.0.0/15, the benchmarking range, exists only on this pair)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.fail("needs root and iproute2 (ip) to make a network namespace")
    suffix = f"{os.getpid() % 100000}"
    namespace, host_end, other_end = f"mpns{suffix}", f"mpva{suffix}", f"mpvb{suffix}"
    octet = os.getpid() % 250 + 1
    host_address, other_address = f"198.18.{octet}.1", f"198.18.{octet}.2"

    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    ip("netns", "add", namespace)
    try:
        ip("link", "add", host_end, "type", "veth", "peer", "name", other_end)
        ip("link", "set", other_end, "netns", namespace)
        ip("addr", "add", f"{host_address}/30", "dev", host_end)
        ip("link", "set", host_end, "up")
        ip("-n", namespace, "addr", "add", f"{other_address}/30", "dev", other_end)
        ip("-n", namespace, "link", "set", other_end, "up")
        ip("-n", namespace, "link", "set", "lo", "up")
        yield namespace, host_address
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)


def run_client(namespace, host, server, expect_allowed, tls=False):
    for _ in range(100):
        try:
            socket.create_connection((host, server.imap), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-c", CLIENT, host, str(server.pop3), str(server.imap),
         PASSWORD, "1" if expect_allowed else "0", "1" if tls else "0"],
        capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def test_plaintext_login_is_refused_from_a_non_loopback_address(make_server, other_host):
    namespace, host = other_host
    server = mailaccess.start(make_server, ("pop3", "imap"), host=host)
    mailaccess.send(server, "shop", ["one"])
    output = run_client(namespace, host, server, expect_allowed=False)
    assert "POP3 LOGIN REFUSED b'-ERR [AUTH] plaintext authentication disallowed" in output
    assert "'USER'" not in output and "'SASL'" not in output
    assert "LOGINDISABLED" in output and "AUTH=PLAIN" not in output
    assert "IMAP LOGIN REFUSED" in output and "PRIVACYREQUIRED" in output
    # From loopback — any address of 127.0.0.0/8 — the same server lets the login through... were it
    # listening there; a second loopback source address is loopback too.
    loopback = mailaccess.start(make_server, ("imap",))
    with socket.create_connection(("127.0.0.1", loopback.imap), timeout=30, source_address=("127.0.0.2", 0)) as sock:
        raw = mailaccess.RawIMAP(loopback.imap, sock=sock)
        assert b"AUTH=PLAIN" in raw.greeting and b"LOGINDISABLED" not in raw.greeting
        assert raw.command(f"LOGIN shop {PASSWORD}")[1].startswith(b"r1 OK")


def test_tls_or_the_flag_allows_a_plaintext_login_from_another_host(make_server, other_host):
    namespace, host = other_host
    server = mailaccess.start(make_server, ("pop3", "imap"), host=host, args=["--tls", "auto"])
    mailaccess.send(server, "shop", ["one"])
    output = run_client(namespace, host, server, expect_allowed=True, tls=True)
    assert "POP3 LOGIN OK" in output and "IMAP LOGIN OK" in output
    server.stop()

    allowed = mailaccess.start(make_server, ("pop3", "imap"), host=host, args=["--allow-plaintext-login"])
    output = run_client(namespace, host, allowed, expect_allowed=True)
    assert "POP3 LOGIN OK" in output and "IMAP LOGIN OK" in output
    assert "LOGINDISABLED" not in output
