"""IMAP end to end with Python's imaplib and a bare socket: the commands of IMAP4rev1 with IDLE, UIDPLUS,
LITERAL+, SASL-IR, ENABLE, ID, NAMESPACE and UNSELECT, and changes made elsewhere reaching a session."""
import base64
import imaplib
import re
import smtplib
import threading
import time

import pytest

import mailaccess
from mailaccess import PASSWORD, RawIMAP


def connect(server, inbox="shop"):
    client = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    client.login(inbox, PASSWORD)
    return client


def fetched_bytes(data):
    return [part[1] for part in data if isinstance(part, tuple)]


def uids(client, criteria="ALL"):
    typ, data = client.uid("SEARCH", None, criteria)
    assert typ == "OK"
    return [int(n) for n in data[0].split()]


def imap_date(seconds):
    """An IMAP search date (RFC 3501 `date`), in English whatever the locale."""
    day = time.gmtime(seconds)
    month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[day.tm_mon - 1]
    return f"{day.tm_mday}-{month}-{day.tm_year}"


def read_flags(server, inbox="shop"):
    return {m["id"]: m["read"] for m in mailaccess.inbox_messages(server, inbox)}


def test_every_command(make_server):
    server = mailaccess.start(make_server, ("imap",))
    ids = mailaccess.send(server, "shop", ["first", "second", "third"])
    raws = [mailaccess.raw(server, i) for i in ids]

    client = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    for name in ("IMAP4REV1", "IDLE", "UIDPLUS", "LITERAL+", "ENABLE", "AUTH=PLAIN", "NAMESPACE", "UNSELECT", "ID"):
        assert name in client.capabilities
    assert client.noop()[0] == "OK"
    assert client.capability()[0] == "OK"
    early = RawIMAP(server.imap)  # imaplib itself refuses to send SELECT before LOGIN
    assert early.command("SELECT INBOX")[1] == b"r1 BAD log in first\r\n"
    early.close()
    assert client.login("shop", PASSWORD)[0] == "OK"
    assert client.xatom("ID", '("name" "pytest")')[0] == "OK"
    assert client.untagged_responses.pop("ID")[0] == b'("name" "Mailpen")'
    assert client.enable("CONDSTORE")[0] == "OK"
    assert client.namespace() == ("OK", [b'(("" "/")) NIL NIL'])
    assert client.list() == ("OK", [b'(\\HasNoChildren) "/" INBOX'])
    assert client.list('""', "Other*") == ("OK", [None])
    assert client.lsub() == ("OK", [b'(\\HasNoChildren) "/" INBOX'])
    typ, status = client.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    fields = dict(re.findall(rb"(\w+) (\d+)", status[0]))
    assert fields[b"MESSAGES"] == b"3" and fields[b"UNSEEN"] == b"3" and fields[b"RECENT"] == b"0"
    assert client.status("Other", "(MESSAGES)")[0] == "NO"

    assert client.select("INBOX") == ("OK", [b"3"])
    assert client.untagged_responses["UIDVALIDITY"] == [fields[b"UIDVALIDITY"]]
    all_uids = uids(client)
    assert all_uids == sorted(all_uids) and len(set(all_uids)) == 3
    assert int(fields[b"UIDNEXT"]) == all_uids[-1] + 1

    typ, data = client.fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE)")
    assert typ == "OK" and len(data) == 3
    for line, uid, raw in zip(data, all_uids, raws):
        assert f"UID {uid} ".encode() in line and b"FLAGS ()" in line
        assert f"RFC822.SIZE {len(raw)}".encode() in line and b'INTERNALDATE "' in line
    for uid, raw in zip(all_uids, raws):
        typ, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        assert fetched_bytes(data) == [raw]
    assert not any(read_flags(server).values())  # PEEK sets nothing
    header, _, text = raws[0].partition(b"\r\n\r\n")
    assert fetched_bytes(client.fetch("1", "(BODY.PEEK[HEADER])")[1]) == [header + b"\r\n\r\n"]
    assert fetched_bytes(client.fetch("1", "(BODY.PEEK[TEXT])")[1]) == [text]
    assert fetched_bytes(client.fetch("1", "(BODY.PEEK[]<0.12>)")[1]) == [raws[0][:12]]
    assert fetched_bytes(client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1]) == [b"Subject: first\r\n\r\n"]
    assert fetched_bytes(client.fetch("1", "(RFC822.HEADER)")[1]) == [header + b"\r\n\r\n"]
    assert read_flags(server)[ids[0]] is False  # RFC822.HEADER, like BODY.PEEK[HEADER], leaves \Seen alone
    typ, data = client.fetch("1", "(ENVELOPE BODYSTRUCTURE BODY)")
    assert b'"first"' in data[0] and b'("text" "plain"' in data[0]

    typ, data = client.fetch("2", "(RFC822)")
    assert fetched_bytes(data) == [raws[1]] and b"\\Seen" in data[-1]
    assert read_flags(server)[ids[1]] is True  # a body fetch sets \Seen, which is Mailpen's read flag

    assert client.search(None, "ALL") == ("OK", [b"1 2 3"])
    assert client.search(None, "UNSEEN") == ("OK", [b"1 3"])
    assert client.search(None, "SEEN") == ("OK", [b"2"])
    assert client.search(None, 'SUBJECT "third"') == ("OK", [b"3"])
    assert client.search(None, 'FROM "sender@example.com" TEXT "Hello"') == ("OK", [b"1 2 3"])
    assert client.search("UTF-8", "BODY", "nothing-like-this") == ("OK", [b""])
    assert uids(client, "UNSEEN") == [all_uids[0], all_uids[2]]
    assert client.search(None, 'TO "rcpt@example.com"') == ("OK", [b"1 2 3"])
    assert client.search(None, "TO nobody@example.com") == ("OK", [b""])
    smallest = min(len(r) for r in raws)
    assert client.search(None, f"LARGER {smallest}") == (
        "OK", [" ".join(str(n) for n, r in enumerate(raws, start=1) if len(r) > smallest).encode()])
    assert client.search(None, f"SMALLER {smallest + 1}") == (
        "OK", [" ".join(str(n) for n, r in enumerate(raws, start=1) if len(r) == smallest).encode()])
    day = 24 * 3600
    yesterday, tomorrow = (imap_date(time.time() + offset) for offset in (-day, day))
    assert client.search(None, f"SINCE {yesterday} BEFORE {tomorrow}") == ("OK", [b"1 2 3"])
    assert client.search(None, f"BEFORE {yesterday}") == ("OK", [b""])
    assert client.search(None, f"UID {all_uids[1]}:{all_uids[2]}") == ("OK", [b"2 3"])

    typ, data = client.store("1", "+FLAGS", "(\\Seen \\Flagged)")
    assert typ == "OK" and b"\\Flagged" in data[0] and b"\\Seen" in data[0]
    assert read_flags(server)[ids[0]] is True
    client.store("1", "-FLAGS", "(\\Seen)")
    assert read_flags(server)[ids[0]] is False

    client.uid("STORE", str(all_uids[2]), "+FLAGS.SILENT", "(\\Deleted)")
    assert client.uid("EXPUNGE", str(all_uids[2]))[0] == "OK"
    assert client.untagged_responses.pop("EXPUNGE") == [b"3"]  # imaplib answers UID commands with FETCH
    client.store("1", "+FLAGS", "(\\Deleted)")
    assert client.expunge() == ("OK", [b"1"])
    assert list(read_flags(server)) == [ids[1]]

    assert client.check()[0] == "OK"
    assert client.copy("1", "Other")[0] == "NO"
    assert client._simple_command("MOVE", "1", "Other")[0] == "NO"
    assert client.create("Other")[0] == "NO"
    assert client.delete("INBOX")[0] == "NO"
    assert client.rename("INBOX", "Other")[0] == "NO"
    assert client.append("INBOX", None, None, b"Subject: x\r\n\r\nx\r\n")[0] == "NO"
    assert client.subscribe("INBOX")[0] == "OK"
    assert client.unsubscribe("INBOX")[0] == "OK"
    assert client.unselect()[0] == "OK"

    assert client.select("INBOX", readonly=True) == ("OK", [b"1"])
    assert client.store("1", "+FLAGS", "(\\Deleted)")[0] == "NO"
    assert client.close()[0] == "OK"
    client.select("INBOX")
    client.store("1", "+FLAGS", "(\\Deleted)")
    assert client.close()[0] == "OK"  # CLOSE expunges silently
    assert read_flags(server) == {}
    assert client.logout()[0] == "BYE"


def test_authenticate_plain_literal_plus_and_bad_input(make_server):
    server = mailaccess.start(make_server, ("imap",))
    mailaccess.send(server, "shop", ["one"])
    token = base64.b64encode(b"\0shop\0" + PASSWORD.encode()).decode()

    raw = RawIMAP(server.imap)
    assert raw.greeting.startswith(b"* OK [CAPABILITY ")
    _, done = raw.command(f"AUTHENTICATE PLAIN {token}")  # SASL-IR
    assert done.startswith(b"r1 OK")
    raw.close()

    raw = RawIMAP(server.imap)
    raw.send(b"a AUTHENTICATE PLAIN\r\n")
    assert raw.line() == b"+ \r\n"
    raw.send(token.encode() + b"\r\n")
    assert raw.until("a")[1].startswith(b"a OK")
    raw.close()

    # LITERAL+: the client sends literals without waiting for a continuation.
    raw = RawIMAP(server.imap)
    raw.send(b"b LOGIN {4+}\r\nshop {%d+}\r\n%s\r\n" % (len(PASSWORD), PASSWORD.encode()))
    assert raw.until("b")[1].startswith(b"b OK")
    # A synchronizing literal gets its continuation first.
    raw.send(b"c SELECT {5}\r\n")
    assert raw.line().startswith(b"+ ")
    raw.send(b"INBOX\r\n")
    untagged, done = raw.until("c")
    assert done.startswith(b"c OK [READ-WRITE]") and b"* 1 EXISTS\r\n" in untagged
    _, done = raw.command("FETCH 5 FLAGS")
    assert done.startswith(b"r1 BAD")
    _, done = raw.command("FROBNICATE")
    assert done.startswith(b"r2 BAD")
    _, done = raw.command("UID FETCH 1:* (FLAGS")
    assert done.startswith(b"r3 BAD")
    raw.send(b"d APPEND INBOX {10}\r\n")
    assert raw.line().startswith(b"d NO [CANNOT]")  # refused before the client sends the literal
    untagged, done = raw.command("LOGOUT")
    assert untagged[0].startswith(b"* BYE") and done.startswith(b"r4 OK")
    raw.close()

    client = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.authenticate("PLAIN", lambda _: b"other\0shop\0" + PASSWORD.encode())


def test_strict_logins(make_server):
    server = mailaccess.start(make_server, ("imap",), args=["--smtp-auth", "strict"])
    mailaccess.api(server, "/api/v1/inboxes", "POST", {"name": "shop", "password": PASSWORD})
    client = imaplib.IMAP4("127.0.0.1", server.imap, timeout=30)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login("shop", "wrong")
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login("nosuchinbox", PASSWORD)
    assert client.login("Shop", PASSWORD)[0] == "OK"  # inbox names ignore case
    assert client.select("INBOX") == ("OK", [b"0"])
    client.logout()


def test_changes_elsewhere_reach_a_selected_session(make_server):
    server = mailaccess.start(make_server, ("imap",))
    ids = mailaccess.send(server, "shop", ["one", "two", "three"])
    watcher = connect(server)
    watcher.select("INBOX")
    watcher.untagged_responses.pop("EXISTS")  # SELECT's; only those of the changes below are wanted
    other = connect(server)
    other.select("INBOX")

    # Another session marks a message read and deletes one.
    other.store("1", "+FLAGS", "(\\Seen)")
    other.store("3", "+FLAGS", "(\\Deleted)")
    other.expunge()
    # The API deletes one; SMTP delivers one.
    mailaccess.api(server, f"/api/v1/messages/{ids[1]}", "DELETE")
    new_id = mailaccess.send(server, "shop", ["four"])[0]
    deadline = time.time() + 5
    seen = {"EXPUNGE": [], "EXISTS": [], "FETCH": []}
    while time.time() < deadline and not (len(seen["EXPUNGE"]) == 2 and seen["FETCH"] and seen["EXISTS"]):
        watcher.noop()
        for name in seen:
            seen[name] += watcher.untagged_responses.pop(name, [])
        time.sleep(0.05)
    assert sorted(seen["EXPUNGE"], reverse=True) == seen["EXPUNGE"]  # highest first
    assert len(seen["EXPUNGE"]) == 2
    assert any(b"\\Seen" in line for line in seen["FETCH"])
    assert seen["EXISTS"][-1] == b"2"
    typ, data = watcher.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = [part[1].strip() for part in data if isinstance(part, tuple)]
    assert subjects == [b"Subject: one", b"Subject: four"]
    assert mailaccess.raw(server, new_id) == fetched_bytes(watcher.fetch("2", "(BODY.PEEK[])")[1])[0]
    # No EXPUNGE during a FETCH by sequence number (RFC 3501 §7.4.1): it waits for the next NOOP.
    mailaccess.api(server, f"/api/v1/messages/{ids[0]}", "DELETE")
    time.sleep(0.5)
    typ, data = watcher.fetch("1:2", "(UID)")
    assert typ == "OK" and "EXPUNGE" not in watcher.untagged_responses
    watcher.noop()
    assert watcher.untagged_responses.pop("EXPUNGE") == [b"1"]
    watcher.logout()
    other.logout()


def test_idle_sees_new_mail_within_a_second(make_server):
    server = mailaccess.start(make_server, ("imap",))
    mailaccess.send(server, "shop", ["before"])
    raw = RawIMAP(server.imap)
    raw.command(f"LOGIN shop {PASSWORD}")
    untagged, _ = raw.command("SELECT INBOX")
    assert b"* 1 EXISTS\r\n" in untagged
    raw.send(b"i IDLE\r\n")
    assert raw.line().startswith(b"+ ")
    delays = []
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
        smtp.login("shop", PASSWORD)
        for count in range(2, 7):
            mailaccess.send_one(smtp, mailaccess.message_bytes(f"during idle {count}"))
            accepted = time.monotonic()
            assert raw.line() == f"* {count} EXISTS\r\n".encode()
            delays.append(time.monotonic() - accepted)
    # A deletion and a read flag set elsewhere arrive during IDLE too.
    ids = [m["id"] for m in mailaccess.inbox_messages(server, "shop")]
    mailaccess.api(server, f"/api/v1/messages/{ids[1]}", "PATCH", {"read": True})
    assert re.match(rb"\* 2 FETCH \(UID \d+ FLAGS \(\\Seen\)\)\r\n", raw.line())
    mailaccess.api(server, f"/api/v1/messages/{ids[0]}", "DELETE")
    assert raw.line() == b"* 1 EXPUNGE\r\n"
    raw.send(b"DONE\r\n")
    assert raw.until("i")[1].startswith(b"i OK")
    assert max(delays) < 1.0, delays
    raw.close()


def test_uids_are_never_reused_and_uidvalidity_is_stable(make_server, workdir):
    server = mailaccess.start(make_server, ("imap",))
    mailaccess.send(server, "shop", ["one", "two"])
    client = connect(server)
    client.select("INBOX")
    validity = client.untagged_responses["UIDVALIDITY"][0]
    first = uids(client)
    client.store("2", "+FLAGS", "(\\Deleted)")
    client.expunge()
    client.logout()
    mailaccess.send(server, "shop", ["three"])
    client = connect(server)
    client.select("INBOX")
    assert client.untagged_responses["UIDVALIDITY"][0] == validity
    after = uids(client)
    assert after[0] == first[0] and after[1] > first[1]
    client.logout()
    # The same after a restart.
    server.stop()
    server.start()
    client = connect(server)
    client.select("INBOX")
    assert client.untagged_responses["UIDVALIDITY"][0] == validity
    assert uids(client) == after
    client.logout()


def test_connection_limit_and_graceful_shutdown(make_server):
    server = mailaccess.start(make_server, ("imap", "pop3"), args=["--max-connections", "2"])
    first = RawIMAP(server.imap)
    second = RawIMAP(server.imap)
    third = RawIMAP(server.imap)
    assert third.greeting.startswith(b"* BYE")
    assert third.line() == b""
    third.close()
    second.close()
    first.command(f"LOGIN shop {PASSWORD}")
    first.command("SELECT INBOX")
    first.send(b"i IDLE\r\n")
    assert first.line().startswith(b"+ ")
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    assert first.line() == b"* BYE Server shutting down\r\n"
    stopping.join(30)
    assert server.process.returncode == 0
