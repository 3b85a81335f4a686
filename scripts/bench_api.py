#!/usr/bin/env python3
"""API latency benchmark at scale: with N messages (default 100,000) in one inbox, the p50/p99 of a list
page, searches (word, phrase, field, negation), get message, raw, and the wait wake-up (from the SMTP 250
to the wait's response), plus Mailpen's resident memory at idle and with the messages. Targets: list
p99 < 10 ms, search p99 < 50 ms, wake-up < 5 ms, RSS < 150 MB.

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
    sender, recipient = rng.choice(FIRST), rng.choice(FIRST)
    subject = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize() + f" #{index}"
    body = "\r\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(15))
    return sender, recipient, (
        f"From: {sender.title()} <{sender}@example.com>\r\nTo: {recipient.title()} <{recipient}@example.org>\r\n"
        f"Subject: {subject}\r\nMessage-ID: <m{index}@bench.example>\r\nX-Batch: {index % 10}\r\n\r\n{body}\r\n").encode()


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
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path):
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        return response.status, body


def timed(client, path, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, _ = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


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
            seconds = fill(smtp_port, args.messages)
            print(f"filled {args.messages} messages over SMTP in {seconds:.1f} s ({args.messages / seconds:.0f} msg/s)")
            client = Client(http_port)
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
            print(f"{'request':<26} {'p50 ms':>8} {'p99 ms':>8}")
            for name, path in cases:
                p50, p99 = timed(client, path, args.repeat)
                results.append({"name": name, "p50": p50, "p99": p99})
                print(f"{args.label}{name:<26} {p50:>8.2f} {p99:>8.2f}", flush=True)
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
            if args.json:
                with open(args.json, "w") as output:
                    json.dump({"messages": args.messages, "results": results, "rssMB": memory,
                               "idleRssMB": idle_memory}, output, indent=2)


if __name__ == "__main__":
    main()
