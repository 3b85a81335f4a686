"""50 IMAP sessions on one inbox — half idling, half polling with NOOP — while 5,000 messages arrive over
SMTP and the API deletes and marks read some of them: every session's view must converge on the store's,
with no BAD or NO and no crash."""
import re
import smtplib
import threading
import time

import mailaccess
from mailaccess import PASSWORD, RawIMAP

SESSIONS = 50
MESSAGES = 5000
SENDERS = 4
INBOX = "burst"


class Session(threading.Thread):
    def __init__(self, port, idles, stop):
        super().__init__(daemon=True)
        self.port, self.idles, self.stop = port, idles, stop
        self.count = 0
        self.errors = []
        self.view = None
        self.updates = 0
        self.imap = None
        self.idling = threading.Event()

    def finish(self):
        """Ends an idling session's IDLE (a polling one watches `stop`)."""
        if self.idles and self.idling.wait(60):
            self.imap.send(b"DONE\r\n")

    def track(self, line):
        if re.match(rb"^\* \d+ EXISTS\r\n$", line):
            self.count = int(line.split()[1])
            self.updates += 1
        elif re.match(rb"^\* \d+ EXPUNGE\r\n$", line):
            self.count -= 1
            self.updates += 1
        elif re.match(rb"^\S+ (BAD|NO)\b", line) or line.startswith(b"* BAD") or line.startswith(b"* BYE"):
            self.errors.append(line)

    def command(self, imap, text):
        untagged, done = imap.command(text)
        for line in untagged + [done]:
            self.track(line)
        return untagged

    def run(self):
        try:
            imap = RawIMAP(self.port, timeout=120)
            self.command(imap, f"LOGIN {INBOX} {PASSWORD}")
            self.command(imap, "SELECT INBOX")
            if self.idles:
                self.imap = imap
                imap.send(b"i IDLE\r\n")
                assert imap.line().startswith(b"+ ")
                self.idling.set()
                # Reads until IDLE ends: finish() sends DONE from the main thread once the burst is over.
                while True:
                    line = imap.line()
                    if not line:
                        raise EOFError("connection closed during IDLE")
                    self.track(line)
                    if line.startswith(b"i "):
                        break
            else:
                while not self.stop.is_set():
                    self.command(imap, "NOOP")
                    time.sleep(0.1)
            self.command(imap, "NOOP")
            lines = self.command(imap, "UID FETCH 1:* (UID FLAGS)")
            self.view = []
            for line in lines:
                match = re.match(rb"^\* \d+ FETCH \((?=.*UID (\d+))(?=.*FLAGS \(([^)]*)\)).*\)\r\n$", line)
                if match:
                    self.view.append((int(match.group(1)), b"\\Seen" in match.group(2)))
            untagged, done = imap.command("LOGOUT")  # its BYE is expected; any other is tracked as an error
            if untagged != [b"* BYE localhost Mailpen IMAP signing off\r\n"] or b" OK " not in done:
                self.errors.append(untagged + [done])
            imap.close()
        except Exception as error:  # reported by the test
            self.errors.append(repr(error))


def send_burst(server, start, count, errors, slowest):
    number = start
    began = time.monotonic()
    try:
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=120) as smtp:
            smtp.login(INBOX, PASSWORD)
            for number in range(start, start + count):
                began = time.monotonic()
                mailaccess.send_one(smtp, mailaccess.message_bytes(f"burst {number}"))
                slowest.append(("SMTP message", time.monotonic() - began))
    except Exception as error:
        errors.append(f"sending burst {number}, after {time.monotonic() - began:.1f} s: {error!r}")


def change_some(server, stop, errors, slowest):
    """Deletes and marks read messages through the API while the burst runs."""
    done = set()
    request = "reading the store"
    began = time.monotonic()
    try:
        while not stop.is_set():
            rows = server.query(
                "SELECT m.id, m.seq FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE i.name = ? "
                "ORDER BY m.seq DESC LIMIT 40", INBOX)
            for message_id, seq in rows:
                if message_id in done:
                    continue
                done.add(message_id)
                began = time.monotonic()
                if seq % 7 == 0:
                    request = f"DELETE {message_id}"
                    mailaccess.api(server, f"/api/v1/messages/{message_id}", "DELETE")
                elif seq % 5 == 0:
                    request = f"PATCH {message_id}"
                    mailaccess.api(server, f"/api/v1/messages/{message_id}", "PATCH", {"read": True})
                else:
                    continue
                slowest.append(("API request", time.monotonic() - began))
            time.sleep(0.05)
    except Exception as error:
        errors.append(f"{request}, after {time.monotonic() - began:.1f} s: {error!r}")


def test_fifty_sessions_converge_during_a_five_thousand_message_burst(make_server):
    server = mailaccess.start(make_server, ("imap",), args=["--sync", "normal", "--max-messages", "0"])
    mailaccess.send(server, INBOX, ["before the burst"])
    stop = threading.Event()
    sessions = [Session(server.imap, idles=n % 2 == 0, stop=stop) for n in range(SESSIONS)]
    for session in sessions:
        session.start()
    time.sleep(1)

    errors = []
    timings = []
    changes_stop = threading.Event()
    changer = threading.Thread(target=change_some, args=(server, changes_stop, errors, timings), daemon=True)
    changer.start()
    per_sender = MESSAGES // SENDERS
    senders = [threading.Thread(target=send_burst, args=(server, n * per_sender, per_sender, errors, timings))
               for n in range(SENDERS)]
    started = time.monotonic()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(600)
    burst_seconds = time.monotonic() - started
    changes_stop.set()
    changer.join(60)
    slowest = {kind: max((seconds for k, seconds in timings if k == kind), default=0)
               for kind in ("SMTP message", "API request")}
    print(f"slowest SMTP message {slowest['SMTP message']:.2f} s, API request {slowest['API request']:.2f} s")
    assert errors == [], f"{errors}; slowest before: {slowest}"
    time.sleep(2)  # the last changes reach every session
    stop.set()
    for session in sessions:
        session.finish()
    for session in sessions:
        session.join(300)

    truth = [(seq, bool(read)) for seq, read in server.query(
        "SELECT m.seq, m.is_read FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE i.name = ? ORDER BY m.seq",
        INBOX)]
    assert len(truth) > MESSAGES * 0.8
    assert any(read for _, read in truth)
    for number, session in enumerate(sessions):
        assert not session.is_alive(), f"session {number} hung"
        assert session.errors == [], f"session {number}: {session.errors[:5]}"
        assert session.view == truth, f"session {number} sees {len(session.view or [])} of {len(truth)} messages"
        assert session.count == len(truth), f"session {number} counted {session.count}"
        assert session.updates > 0
    assert server.process.poll() is None
    print(f"burst of {MESSAGES} messages took {burst_seconds:.1f}s with {SESSIONS} IMAP sessions open")
