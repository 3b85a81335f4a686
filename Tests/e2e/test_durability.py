"""Durability: a SIGKILL under load loses nothing acknowledged; a full disk gets 451 and loses nothing."""
import re
import signal
import smtplib
import socket
import threading

from testmessage import message_bytes

QUEUED = re.compile(r"queued as ([0-9A-Z]{26})")


def make_load_message(worker, index):
    body = (f"worker {worker} message {index}\n" + "x" * (200 + index % 700) + "\n.dot line\n") * 3
    return message_bytes(f"w{worker}-m{index}", text=body, headers={"X-Worker": str(worker)})


def load(port, worker, acknowledged, sent, stop, enough=None):
    """Sends messages until the server dies; records what was acknowledged with 250, and sets `enough` once
    400 messages have been."""
    index = 0
    try:
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
        client.ehlo("load.test")
        while not stop.is_set():
            message = make_load_message(worker, index)
            sent.append(message)
            client.mail("load@example.com")
            client.rcpt("sink@example.com")
            code, reply = client.data(message)
            if code == 250:
                acknowledged[QUEUED.search(reply.decode()).group(1)] = message
                if enough is not None and len(acknowledged) >= 400:
                    enough.set()
            index += 1
    except (smtplib.SMTPException, OSError):
        pass


def test_sigkill_under_load_loses_nothing_acknowledged(make_server):
    server = make_server(["--max-messages", "0"])
    acknowledged, sent, stop, enough = {}, [], threading.Event(), threading.Event()
    workers = [threading.Thread(target=load, args=(server.smtp_port, worker, acknowledged, sent, stop, enough))
               for worker in range(8)]
    for worker in workers:
        worker.start()
    enough.wait(30)
    server.kill()  # SIGKILL in the middle of the load
    stop.set()
    for worker in workers:
        worker.join()
    assert len(acknowledged) >= 400

    # Restart on the same file: recovery must keep every acknowledged message, byte-identical.
    server.start()
    assert server.query("PRAGMA integrity_check") == [("ok",)]
    stored = dict(server.query("SELECT m.id, r.raw FROM message m JOIN message_raw r ON r.seq = m.seq"))
    missing = [message_id for message_id in acknowledged if message_id not in stored]
    assert not missing, f"{len(missing)} acknowledged message(s) lost"
    for message_id, message in acknowledged.items():
        assert bytes(stored[message_id]) == message
    # Anything stored but not acknowledged (in flight at the kill) is whole, never half-written.
    sent_set = set(sent)
    for message_id, raw in stored.items():
        assert bytes(raw) in sent_set
    counts = server.query("SELECT message_count FROM inbox WHERE name = 'default'")[0][0]
    assert counts == len(stored)


def test_full_disk_gets_451_and_keeps_what_was_acknowledged(make_server):
    # File size limit of 1 MiB for the server process: SQLite's writes past it fail like a full disk.
    server = make_server(["--max-messages", "0"],
                         wrapper=lambda command: ["bash", "-c", "ulimit -f 1024; trap '' XFSZ; exec \"$@\"", "mailpen"] + command)
    acknowledged, refused = {}, []
    client = smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30)
    client.ehlo("disk.test")
    for index in range(400):
        message = f"Subject: fill {index}\r\n\r\n".encode() + b"y" * 8000 + b"\r\n"
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        code, reply = client.data(message)
        if code == 250:
            acknowledged[QUEUED.search(reply.decode()).group(1)] = message
        else:
            refused.append((code, reply.decode()))
            if len(refused) >= 3:
                break
    assert refused, "the file size limit was never hit"
    assert all(code == 451 and reply.startswith("4.3.0") for code, reply in refused), refused
    # The session and the server are still alive.
    assert client.noop()[0] == 250
    client.quit()
    assert server.stop() == 0
    server.wrapper = None
    server.start()
    assert server.query("PRAGMA integrity_check") == [("ok",)]
    for message_id, message in acknowledged.items():
        assert server.raw(message_id) == message
    assert server.query("SELECT COUNT(*) FROM message")[0][0] == len(acknowledged)

