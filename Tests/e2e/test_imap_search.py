"""IMAP SEARCH answered through the store's search index: for a fixed corpus of a few thousand messages the
text keys find the same messages as IMAP's own substring matching would, and they answer quickly."""
import imaplib
import re
import smtplib
import threading
import time
import urllib.parse

import mailaccess
from mailaccess import PASSWORD

COUNT = 3000
SENDERS = 4
# Generous: an answer takes a few hundred milliseconds on a loaded machine; reading and parsing every
# message, as SEARCH did before, took 3 to 8 seconds for this inbox.
LIMIT_SECONDS = 2.0


def message(n):
    body = ("The needle is here.\r\n" if n % 10 == 0 else "Only hay in this one.\r\n") + f"Serial {n}\r\n"
    subject = f"Report {n} " + ("urgent" if n % 11 == 0 else "weekly")
    return mailaccess.message_bytes(subject, body, sender=f"user{n % 7}@example.com")


def send_range(server, numbers, errors):
    try:
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=120) as smtp:
            smtp.login("shop", PASSWORD)
            for n in numbers:
                mailaccess.send_one(smtp, message(n), sender=f"user{n % 7}@example.com")
    except Exception as error:
        errors.append(repr(error))


def wait_until_searchable(server, query, count, timeout=120):
    """The index lags a moment behind delivery; the API answers from the same index as SEARCH."""
    deadline = time.monotonic() + timeout
    path = f"/api/v1/inboxes/shop/messages?limit=1&q={urllib.parse.quote(query)}"
    while time.monotonic() < deadline:
        if mailaccess.api(server, path)["total"] == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"the index did not catch up with {count} messages")


def test_text_keys_answer_from_the_index_with_imaps_matches(make_server):
    server = mailaccess.start(make_server, ("imap",), args=["--max-messages", "0"])
    errors = []
    senders = [threading.Thread(target=send_range, args=(server, range(k, COUNT, SENDERS), errors))
               for k in range(SENDERS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(600)
    assert errors == []
    wait_until_searchable(server, "serial", COUNT)

    client = imaplib.IMAP4("127.0.0.1", server.imap, timeout=60)
    client.login("shop", PASSWORD)
    assert client.select("INBOX") == ("OK", [str(COUNT).encode()])
    # The corpus number of every UID, from the subjects.
    typ, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    number_of = {}
    for part in data:
        if isinstance(part, tuple):
            uid = int(re.search(rb"UID (\d+)", part[0]).group(1))
            number_of[uid] = int(re.search(rb"Report (\d+)", part[1]).group(1))
    assert sorted(number_of.values()) == list(range(COUNT))

    timings = {}

    def search(criteria):
        started = time.monotonic()
        typ, data = client.uid("SEARCH", None, criteria)
        timings[criteria] = time.monotonic() - started
        assert typ == "OK", data
        return sorted(number_of[int(uid)] for uid in data[0].split())

    everyone = range(COUNT)
    expected = {
        "TEXT needle": [n for n in everyone if n % 10 == 0],
        "BODY needle": [n for n in everyone if n % 10 == 0],
        "FROM user3": [n for n in everyone if n % 7 == 3],
        'FROM "User3@Example.com"': [n for n in everyone if n % 7 == 3],
        "SUBJECT urgent": [n for n in everyone if n % 11 == 0],
        'TEXT "needle is here"': [n for n in everyone if n % 10 == 0],
        'BODY "hay in"': [n for n in everyone if n % 10 != 0],
        "TEXT report": list(everyone),
        "FROM user3 BODY needle": [n for n in everyone if n % 7 == 3 and n % 10 == 0],
        "OR SUBJECT urgent BODY needle": [n for n in everyone if n % 11 == 0 or n % 10 == 0],
        "NOT BODY needle": [n for n in everyone if n % 10 != 0],
        "UNSEEN FROM user3": [n for n in everyone if n % 7 == 3],
        "SEEN FROM user3": [],
        "TEXT nowhere-to-be-found": [],
    }
    for criteria, numbers in expected.items():
        assert search(criteria) == numbers, criteria

    for criteria in ("TEXT needle", "BODY needle", "FROM user3"):
        print(f"UID SEARCH {criteria} over {COUNT} messages: {timings[criteria]:.3f} s")
    slow = {criteria: seconds for criteria, seconds in timings.items() if seconds >= LIMIT_SECONDS}
    assert slow == {}, slow
    client.logout()


def test_idle_without_a_selected_mailbox_waits_for_done(make_server):
    server = mailaccess.start(make_server, ("imap",))
    raw = mailaccess.RawIMAP(server.imap)
    raw.command(f"LOGIN shop {PASSWORD}")
    raw.send(b"i IDLE\r\n")
    assert raw.line().startswith(b"+ ")
    mailaccess.send(server, "shop", ["while idling unselected"])
    time.sleep(0.5)
    raw.send(b"DONE\r\n")
    untagged, tagged = raw.until("i")
    assert untagged == [] and tagged.startswith(b"i OK")
    untagged, tagged = raw.command("SELECT INBOX")
    assert b"* 1 EXISTS\r\n" in untagged and tagged.startswith(b"r2 OK")
    raw.close()
