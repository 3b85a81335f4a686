"""POP3 end to end with Python's poplib: every command of RFC 1939 with CAPA, STLS, SASL PLAIN and the
response codes, against a real `mailpen serve`."""
import base64
import imaplib
import poplib
import socket
import subprocess
import time

import pytest

import mailaccess
from conftest import free_port, wait_for_port
from mailaccess import PASSWORD

DOTTED_BODY = "Hello.\r\n.a line starting with a dot\r\n..two dots\r\n.\r\nend\r\n"


def login(server, inbox, password=PASSWORD):
    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    client.user(inbox)
    client.pass_(password)
    return client


def test_every_transaction_command(make_server):
    server = mailaccess.start(make_server, ("pop3",))
    ids = mailaccess.send(server, "shop", ["first", "second", "third"], body=DOTTED_BODY)
    raws = [mailaccess.raw(server, i) for i in ids]

    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    assert client.getwelcome().startswith(b"+OK")
    capabilities = client.capa()
    for name in ("TOP", "UIDL", "USER", "SASL", "RESP-CODES", "PIPELINING"):
        assert name in capabilities
    assert capabilities["SASL"] == ["PLAIN"]
    assert client.user("shop").startswith(b"+OK")
    assert client.pass_(PASSWORD).startswith(b"+OK")
    assert "USER" not in client.capa()  # no logins in TRANSACTION

    assert client.stat() == (3, sum(len(r) for r in raws))
    response, listing, _ = client.list()
    assert [line.split() for line in listing] == [[str(n + 1).encode(), str(len(r)).encode()] for n, r in enumerate(raws)]
    assert client.list(2).split() == [b"+OK", b"2", str(len(raws[1])).encode()]
    _, uids, _ = client.uidl()
    assert [line.split()[1].decode() for line in uids] == ids  # oldest first, UIDL = Mailpen's id
    assert client.uidl(3).split()[2].decode() == ids[2]

    for number, expected in enumerate(raws, start=1):
        _, lines, octets = client.retr(number)
        assert b"\r\n".join(lines) + b"\r\n" == expected  # dot-unstuffed back to the exact bytes
    _, top, _ = client.top(1, 1)
    header, _, body = raws[0].partition(b"\r\n\r\n")
    assert b"\r\n".join(top) == header + b"\r\n\r\n" + body.split(b"\r\n")[0]
    _, top_zero, _ = client.top(2, 0)
    assert b"\r\n".join(top_zero) == raws[1].partition(b"\r\n\r\n")[0] + b"\r\n"

    assert client.noop().startswith(b"+OK")
    assert client.dele(1).startswith(b"+OK")
    with pytest.raises(poplib.error_proto, match="no such message"):
        client.retr(1)
    with pytest.raises(poplib.error_proto, match="no such message"):
        client.list(9)
    assert client.stat()[0] == 2
    assert client.rset().startswith(b"+OK")
    assert client.stat()[0] == 3
    client.dele(1)
    client.dele(3)
    assert client.quit().startswith(b"+OK")

    assert [m["id"] for m in mailaccess.inbox_messages(server, "shop")] == [ids[1]]


def test_errors_in_authorization_state(make_server):
    server = mailaccess.start(make_server, ("pop3",), args=["--smtp-auth", "strict"])
    mailaccess.api(server, "/api/v1/inboxes", "POST", {"name": "shop", "password": PASSWORD})
    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    with pytest.raises(poplib.error_proto, match="not permitted before login"):
        client.stat()
    with pytest.raises(poplib.error_proto, match="send USER first"):
        client.pass_(PASSWORD)
    with pytest.raises(poplib.error_proto, match="APOP not supported"):
        client._shortcmd("APOP shop 0123456789abcdef0123456789abcdef")
    with pytest.raises(poplib.error_proto, match="STLS not available"):
        client._shortcmd("STLS")
    with pytest.raises(poplib.error_proto):
        client._shortcmd("FROB")
    client.user("shop")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\] authentication failed"):
        client.pass_("wrong")
    client.user("nosuchinbox")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        client.pass_(PASSWORD)
    client.user("shop")
    assert client.pass_(PASSWORD).startswith(b"+OK")
    with pytest.raises(poplib.error_proto, match="already logged in"):
        client.user("shop")
    client.quit()


def test_sasl_plain_with_and_without_initial_response(make_server):
    server = mailaccess.start(make_server, ("pop3",))
    mailaccess.send(server, "shop", ["one"])
    token = base64.b64encode(b"\0shop\0" + PASSWORD.encode()).decode()
    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    response, mechanisms, _ = client._longcmd("AUTH")  # RFC 5034: lists the mechanisms
    assert response.startswith(b"+OK") and mechanisms == [b"PLAIN"]
    assert client._shortcmd(f"AUTH PLAIN {token}").startswith(b"+OK")
    assert client.stat()[0] == 1
    client.quit()

    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    assert client._shortcmd("AUTH PLAIN").startswith(b"+ ")
    assert client._shortcmd(token).startswith(b"+OK")
    client.quit()

    client = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    with pytest.raises(poplib.error_proto, match="unsupported mechanism"):
        client._shortcmd("AUTH CRAM-MD5")
    authorize_other = base64.b64encode(b"other\0shop\0" + PASSWORD.encode()).decode()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        client._shortcmd(f"AUTH PLAIN {authorize_other}")
    client.quit()


def test_second_session_on_an_inbox_gets_in_use(make_server):
    server = mailaccess.start(make_server, ("pop3",))
    mailaccess.send(server, "shop", ["one"])
    first = login(server, "shop")
    second = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    second.user("SHOP")  # the same inbox, whatever the case
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        second.pass_(PASSWORD)
    other = login(server, "other")  # another inbox is free
    other.quit()
    first.quit()
    second.user("shop")
    assert second.pass_(PASSWORD).startswith(b"+OK")  # released at QUIT
    second.quit()

    # A dropped connection releases the lock too.
    dropped = login(server, "shop")
    dropped.sock.shutdown(socket.SHUT_RDWR)  # poplib's file object would keep a bare close() from closing
    dropped.close()
    for _ in range(50):
        try:
            login(server, "shop").quit()
            break
        except poplib.error_proto:
            time.sleep(0.1)
    else:
        pytest.fail("the lock of a dropped session was not released")


def test_mark_read_mode_keeps_the_messages(make_server):
    server = mailaccess.start(make_server, ("pop3",), args=["--pop3-delete", "mark-read"])
    ids = mailaccess.send(server, "shop", ["one", "two"])
    client = login(server, "shop")
    client.dele(1)
    client.quit()
    messages = mailaccess.inbox_messages(server, "shop")
    assert [(m["id"], m["read"]) for m in messages] == [(ids[0], True), (ids[1], False)]


def test_quit_without_transaction_and_retr_of_a_message_deleted_meanwhile(make_server):
    server = mailaccess.start(make_server, ("pop3",))
    ids = mailaccess.send(server, "shop", ["one", "two"])
    client = login(server, "shop")
    mailaccess.api(server, f"/api/v1/messages/{ids[0]}", "DELETE")
    with pytest.raises(poplib.error_proto, match=r"\[SYS/PERM\]"):
        client.retr(1)
    assert client.retr(2)[0].startswith(b"+OK")
    client.quit()
    anonymous = poplib.POP3("127.0.0.1", server.pop3, timeout=30)
    assert anonymous.quit().startswith(b"+OK")


def test_pipelined_commands_are_answered_in_order(make_server):
    server = mailaccess.start(make_server, ("pop3",))
    mailaccess.send(server, "shop", ["one", "two"])
    with socket.create_connection(("127.0.0.1", server.pop3), timeout=30) as sock:
        sock.sendall(f"USER shop\r\nPASS {PASSWORD}\r\nSTAT\r\nLIST\r\nRETR 2\r\nQUIT\r\n".encode())
        data = b""
        while not data.endswith(b"signing off\r\n"):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
    lines = data.split(b"\r\n")
    assert lines[0].startswith(b"+OK")
    assert lines[1] == b"+OK send PASS"
    assert lines[2].startswith(b"+OK maildrop has 2 messages")
    assert lines[3].startswith(b"+OK 2 ")
    assert b"Subject: two" in data


def test_overlong_line_and_too_many_errors(make_server):
    server = mailaccess.start(make_server, ("pop3",))
    with socket.create_connection(("127.0.0.1", server.pop3), timeout=30) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"NOOP " + b"x" * 100_000 + b"\r\n")
        assert reader.readline() == b"-ERR line too long\r\n"
        sock.sendall(b"BOGUS\r\n" * 30)
        lines = [reader.readline() for _ in range(30)]
        assert b"-ERR too many errors\r\n" in lines
        assert reader.readline() == b""  # closed


def test_environment_turns_the_listeners_on(make_server):
    pop3, imap = free_port(), free_port()
    server = make_server(env={"MAILPEN_POP3": f"127.0.0.1:{pop3}", "MAILPEN_IMAP": f"127.0.0.1:{imap}",
                              "MAILPEN_POP3_DELETE": "mark-read"})
    wait_for_port(pop3)
    wait_for_port(imap)
    ids = mailaccess.send(server, "shop", ["one"])
    client = poplib.POP3("127.0.0.1", pop3, timeout=30)
    client.user("shop")
    client.pass_(PASSWORD)
    client.dele(1)
    client.quit()
    assert [(m["id"], m["read"]) for m in mailaccess.inbox_messages(server, "shop")] == [(ids[0], True)]
    reader = imaplib.IMAP4("127.0.0.1", imap, timeout=30)
    reader.login("shop", PASSWORD)
    assert reader.select("INBOX") == ("OK", [b"1"])
    reader.logout()

    bad = make_server(start=False)
    result = subprocess.run(bad.command() + ["--pop3-delete", "keep"], capture_output=True, timeout=60)
    assert result.returncode != 0
    assert b"--pop3-delete takes 'delete' or 'mark-read', not 'keep'" in result.stderr
