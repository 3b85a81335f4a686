#!/usr/bin/env python3
"""API latency benchmark at scale: with N messages (default 100,000) in one inbox, the p50/p99 of a list
page, searches (word, phrase, field, negation), get message, raw, and the wait wake-up (from the SMTP 250
to the wait's response), plus Mailpen's resident memory at idle and with the messages. Targets: list
p99 < 10 ms, search p99 < 50 ms, wake-up < 5 ms, RSS < 150 MB.

Then every term type of the search grammar (docs/search.md) alone, negated and beside a broad word, each
with its p50/p99 and a flag when over the target for search shapes: p50 < 20 ms and p99 < 50 ms.
`--keep DIR` keeps the filled database; run again with the same `--keep`, it is reused without a new fill.

With `--db postgres://...` the store is that PostgreSQL database, and a second node on it measures the
wake-up across nodes: a wait on node B answered after the 250 from node A."""
import argparse
import http.client
import json
import os
import random
import smtplib
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse

from benchsupport import memory_mb, wait_until_idle
from mailpenprocess import MailpenProcess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ("account invoice order shipping password reset welcome newsletter discount coupon delivery payment "
         "receipt confirm verify token security alert update profile subscription renewal trial premium basket "
         "refund return warehouse tracking parcel courier schedule meeting agenda report weekly monthly summary "
         "customer support ticket priority feedback survey").split()
FIRST = "alice bob carol dave eve frank grace heidi ivan judy mallory oscar peggy trent victor walter".split()


def make_message(index, rng):
    """A message with random words; every third has a Cc, every fifth a Reply-To and every tenth an attachment,
    so that those terms match a share of the messages rather than none."""
    sender, recipient = rng.choice(FIRST), rng.choice(FIRST)
    subject = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize() + f" #{index}"
    body = "\r\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(15))
    header = (f"From: {sender.title()} <{sender}@example.com>\r\nTo: {recipient.title()} <{recipient}@example.org>\r\n"
              f"Subject: {subject}\r\nMessage-ID: <m{index}@bench.example>\r\nX-Batch: {index % 10}\r\n")
    if index % 3 == 0:
        header += f"Cc: {rng.choice(FIRST)}@example.net\r\n"
    if index % 5 == 0:
        header += f"Reply-To: {rng.choice(FIRST)}@help.example\r\n"
    if index % 10 == 0:
        header += 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n'
        body = (f"--b\r\nContent-Type: text/plain\r\n\r\n{body}\r\n--b\r\nContent-Type: application/pdf\r\n"
                f'Content-Disposition: attachment; filename="r{index}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                f"JVBERi0xLjQKJcfsj6IK\r\n--b--")
    return sender, recipient, (header + f"\r\n{body}\r\n").encode()


def fill(smtp_port, count, workers=8):
    def work(worker):
        rng = random.Random(worker)
        client = smtplib.SMTP("127.0.0.1", smtp_port, timeout=60)
        for index in range(worker, count, workers):
            sender, recipient, message = make_message(index, rng)
            client.sendmail(f"{sender}@example.com", [f"{recipient}@example.org"], message)
        client.quit()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.time() - started


class Client:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def get(self, path):
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        return response.status, body


def timed(client, path, repeat, first=None):
    """p50 and p99 of `repeat` requests, and of the `first` time in ms when given (it counts among them)."""
    samples = [] if first is None else [first]
    for _ in range(repeat - len(samples)):
        started = time.perf_counter()
        status, _ = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


# Every term type of the grammar (docs/search.md), with a value that matches some of the fill (the output
# gives how many). Each is measured alone, negated and beside BROAD_WORD, which is in nearly every message.
BROAD_WORD = "warehouse"
TERMS = [
    ("word", "invoice"),
    ("phrase", '"parcel courier"'),
    ("from:", "from:alice"),
    ("to:", "to:bob@example"),
    ("cc:", "cc:carol"),
    ("bcc:", "bcc:carol"),
    ("reply-to:", "reply-to:help.example"),
    ("addressed:", "addressed:carol"),
    ("rcpt:", "rcpt:dave"),
    ("subject:", "subject:invoice"),
    ("message-id:", "message-id:m4242@"),
    ("field, 2 characters", "from:zz"),
    ("tag:", "tag:urgent"),
    ("header: name", "header:Message-Id"),
    ("header: name=value", "header:X-Batch=3"),
    ("is:", "is:read"),
    ("has:", "has:attachment"),
    ("before:", "before:2000-01-01"),
    ("after:", "after:2000-01-01"),
    ("larger:", "larger:1500"),
    ("smaller:", "smaller:1500"),
]
SEARCH_P50_TARGET, SEARCH_P99_TARGET = 20.0, 50.0


def term_cases():
    """(name, query) for each term type in its three forms."""
    cases = []
    for name, term in TERMS:
        negated = "-" + term
        combined = f"{term} {BROAD_WORD}" if term != BROAD_WORD else f"{term} invoice"
        cases += [(f"{name} alone", term), (f"{name} negated", negated), (f"{name} + word", combined)]
    return cases


def prepare_flags(client, messages):
    """Marks a tenth of the messages read and tags 1000 `urgent` (in runs of 500 and 200 spread over the inbox),
    through the Mailpit API."""
    def put(path, body):
        client.connection.request("PUT", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = client.connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"PUT {path}: HTTP {response.status}")

    def ids(offset, limit):
        _, page = client.get(f"/api/v1/inboxes/default/messages?limit={limit}&offset={offset}")
        return [message["id"] for message in json.loads(page)["messages"]]

    for run in range(20):
        put("/api/v1/messages", {"IDs": ids(run * messages // 20, min(500, messages // 20)), "Read": True})
    for run in range(5):
        put("/api/v1/tags", {"Tags": ["urgent"], "IDs": ids(run * messages // 5 + 100, min(200, messages // 5))})


def wake_up_latency(http_port, smtp_port, repeat):
    # The waiting request runs in a thread: hand the interpreter lock over quickly, so that the measurement
    # is of Mailpen, not of Python's thread switching (5 ms by default).
    sys.setswitchinterval(0.0001)
    samples = []
    smtp = smtplib.SMTP("127.0.0.1", smtp_port, timeout=30)
    smtp.ehlo("bench")
    for index in range(repeat):
        token = f"wakeup{index}x{random.randrange(10**9)}"
        result = {}

        def waiter():
            client = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
            client.request("GET", f"/api/v1/inboxes/default/wait?q=subject%3A{token}&timeout=20")
            response = client.getresponse()
            response.read()
            result["at"] = time.perf_counter()
            result["status"] = response.status

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.05)  # let the wait subscribe
        smtp.mail("bench@example.com")
        smtp.rcpt("wake@example.org")
        smtp.data(f"Subject: {token}\r\n\r\nwake up\r\n".encode())
        acknowledged = time.perf_counter()
        thread.join()
        if result.get("status") != 200:
            raise RuntimeError(f"wait failed: {result}")
        samples.append((result["at"] - acknowledged) * 1000)
    smtp.quit()
    samples.sort()
    if os.environ.get("MAILPEN_BENCH_VERBOSE"):
        print("slowest wake-ups (ms):", [round(x, 1) for x in samples[-10:]])
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mailpen"))
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json")
    parser.add_argument("--keep", help="keep the database in this folder (for inspection)")
    parser.add_argument("--wakeups", type=int, default=200)
    parser.add_argument("--db", help="a PostgreSQL URL to use instead of a SQLite file")
    parser.add_argument("--label", default="", help="printed before each line, to tell runs apart")
    parser.add_argument("--term-repeat", type=int, default=40, help="requests per search term shape")
    parser.add_argument("--terms-only", action="store_true", help="measure only the search term shapes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailpen-bench-api-") as temporary:
        workdir = args.keep or temporary
        os.makedirs(workdir, exist_ok=True)
        database = args.db or os.path.join(workdir, "m.sqlite")
        server = MailpenProcess(workdir, binary=args.binary, db=database,
                                args=["--max-messages", "0", "--log-level", "warning"])
        smtp_port, http_port = server.smtp_port, server.http_port
        with server:
            idle_memory = memory_mb(server.pid)
            print(f"{args.label}Mailpen resident memory at idle: {idle_memory:.0f} MB")
            client = Client(http_port)
            _, body = client.get("/api/v1/inboxes/default/messages?limit=1")
            stored = json.loads(body)["total"]
            if stored == args.messages:
                print(f"reusing the {stored} messages in {workdir}")
            else:
                if stored:
                    raise SystemExit(f"{workdir} holds {stored} messages, not {args.messages}")
                seconds = fill(smtp_port, args.messages)
                print(f"filled {args.messages} messages over SMTP in {seconds:.1f} s "
                      f"({args.messages / seconds:.0f} msg/s)")
                client = Client(http_port)  # The server may have closed the first one while it was idle.
            # Wait until the search index has caught up with the last message.
            last = args.messages - 1
            indexed_from = time.time()
            deadline = time.time() + 600
            while time.time() < deadline:
                _, body = client.get(f"/api/v1/inboxes/default/messages?q=message-id%3Am{last}%40bench.example")
                if json.loads(body)["total"] == 1:
                    break
                time.sleep(0.5)
            print(f"search index caught up {time.time() - indexed_from:.1f} s after the fill")
            flagged = os.path.join(workdir, "flags-prepared")
            if not os.path.exists(flagged):
                prepare_flags(client, args.messages)
                open(flagged, "w").close()
            # After a burst the index merges the burst's segments and copies its log into its file, in the
            # background: measure the steady state after that, not the tail of the 100k burst.
            print(f"background merging done {wait_until_idle(server.pid):.1f} s later")
            cases = [
                ("list page (newest 50)", "/api/v1/inboxes/default/messages?limit=50"),
                ("list page (offset 50000)", "/api/v1/inboxes/default/messages?limit=50&offset=50000"),
                ("search word", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote("warehouse")),
                ("search phrase", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote('"parcel courier"')),
                ("search field", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote("from:alice subject:invoice")),
                ("search negation", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote("refund -from:bob")),
                ("search rare word", "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote(f"subject:#{last}")),
            ]
            _, body = client.get("/api/v1/inboxes/default/messages?limit=1&offset=1234")
            message_id = json.loads(body)["messages"][0]["id"]
            cases += [
                ("get message", f"/api/v1/messages/{message_id}"),
                ("raw", f"/api/v1/messages/{message_id}/raw"),
            ]
            results = []
            if args.terms_only:
                cases = []
            print(f"{'request':<26} {'p50 ms':>8} {'p99 ms':>8}")
            for name, path in cases:
                p50, p99 = timed(client, path, args.repeat)
                results.append({"name": name, "p50": p50, "p99": p99})
                print(f"{args.label}{name:<26} {p50:>8.2f} {p99:>8.2f}", flush=True)
            results += measure_terms(client, args)
            if args.terms_only:
                finish(args, results, memory_mb(server.pid), idle_memory)
                return
            p50, p99 = wake_up_latency(http_port, smtp_port, args.wakeups)
            results.append({"name": "wait wake-up after 250", "p50": p50, "p99": p99})
            print(f"{args.label}{'wait wake-up after 250':<26} {p50:>8.2f} {p99:>8.2f}")
            memory = memory_mb(server.pid)
            print(f"{args.label}Mailpen resident memory with {args.messages} messages: {memory:.0f} MB")
            if args.db:
                second = MailpenProcess(os.path.join(workdir, "node-b"), binary=args.binary, db=database,
                                        args=["--max-messages", "0", "--log-level", "warning"])
                os.makedirs(second.workdir, exist_ok=True)
                with second:
                    p50, p99 = wake_up_latency(second.http_port, smtp_port, args.wakeups)
                    results.append({"name": "wait on node B after 250 from A", "p50": p50, "p99": p99})
                    print(f"{args.label}{'wait on B after 250 from A':<26} {p50:>8.2f} {p99:>8.2f}")
                    print(f"{args.label}second node's resident memory with {args.messages} messages: "
                          f"{memory_mb(second.pid):.0f} MB")
            finish(args, results, memory, idle_memory)


def measure_terms(client, args):
    """Each term shape's p50/p99 over `--term-repeat` requests, flagged when over the search target."""
    print(f"{'search term shape':<34} {'first':>8} {'p50 ms':>8} {'p99 ms':>8} {'total':>7}  query")
    results, over = [], []
    # Every search reads the inbox's membership (and a column term its columns) once, then reuses them until
    # the next commit: read them first, so that each shape's first request shows what its own terms cost.
    client.get("/api/v1/inboxes/default/messages?q=" + urllib.parse.quote("larger:1 is:unread"))
    for name, query in term_cases():
        path = "/api/v1/inboxes/default/messages?q=" + urllib.parse.quote(query)
        # The first request of a shape is timed and counted: the store keeps a term's rows for the next
        # searches, so it is the one that reads the term's index entries (unless an earlier shape had it).
        started = time.perf_counter()
        _, body = client.get(path)
        first = (time.perf_counter() - started) * 1000
        total = json.loads(body)["total"]
        p50, p99 = timed(client, path, args.term_repeat, first=first)
        flag = "  OVER" if p50 >= SEARCH_P50_TARGET or p99 >= SEARCH_P99_TARGET else ""
        if flag:
            over.append(name)
        results.append({"name": "search " + name, "query": query, "first": first, "p50": p50, "p99": p99,
                        "total": total})
        print(f"{args.label}{name:<34} {first:>8.2f} {p50:>8.2f} {p99:>8.2f} {total:>7}  {query}{flag}",
              flush=True)
    load = os.getloadavg()
    print(f"{args.label}{len(over)} of {len(results)} term shapes over p50 {SEARCH_P50_TARGET:.0f} ms / "
          f"p99 {SEARCH_P99_TARGET:.0f} ms; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return results


def finish(args, results, memory, idle_memory):
    if args.json:
        with open(args.json, "w") as output:
            json.dump({"messages": args.messages, "results": results, "rssMB": memory,
                       "idleRssMB": idle_memory, "loadAverage": os.getloadavg()}, output, indent=2)


if __name__ == "__main__":
    main()
