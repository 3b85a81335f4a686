#!/usr/bin/env python3
"""SMTP ingest benchmark: Mailpen against postfix's smtp-sink, driven by smtp-source, in one run.

For 1, 8 and 32 sessions, once with a new connection per message and once reusing connections,
it sends the same messages to smtp-sink (which discards them) and to a fresh `mailpen serve`
(which stores every one durably, default flags: log level `info`), and prints messages/s, the server
CPU per message in microseconds (user + system time of the server process from /proc, which does not
depend on who else uses the cores), the ratio, Mailpen's peak RSS and the number of messages Mailpen
stored (which must equal the number sent). Mailpen's CPU is read once it is idle again, not when the last
250 arrives: a burst is indexed behind the writer, and its index merged and checkpointed, after the
senders are done, and that work belongs to the messages too.

Reference rows come from `mailpen-ceiling`, Mailpen's SMTP layer with storing taken away or made not to
wait: `alone` acknowledges every message and keeps nothing, `early ack` stores every message but sends
the 250 before its commit, and `deferred` sends the 250 at once and hands the messages to the store every
20 ms, so that its commits and index batches are as large as a 20 ms gather makes them. They show how much
of the gap to smtp-sink is the SMTP layer, how much is storing, and how much is waiting for the commit;
`deferred` prices this database and index with no commit waited for, as a design that logged messages
first and loaded them later would pay for them, and `logged` sketches that design: the 250 after an
fsynced append to a log, then the messages stored as `deferred` stores them. The CPU of those that store is
read once they are idle, as Mailpen's is. A fourth, `floor`, is the least SMTP server SwiftNIO can run (a fixed reply to each line,
nothing parsed or kept): its server CPU is what the stack and the kernel cost before any of Mailpen's code.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

from benchsupport import cpu_seconds, memory_mb, wait_until_idle
from mailpenprocess import MailpenProcess, free_port, wait_for_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINK = "/usr/sbin/smtp-sink"
# The mailpen-ceiling modes that store what they acknowledge.
STORING_MODES = ("early-ack", "deferred", "logged")
SOURCE = "/usr/sbin/smtp-source"


def run_source(port, sessions, messages, size, reuse):
    args = [SOURCE, "-s", str(sessions), "-m", str(messages), "-l", str(size),
            "-f", "bench@example.com", "-t", "sink@example.com"]
    if reuse:
        args.append("-d")
    args.append(f"127.0.0.1:{port}")
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"smtp-source failed: {result.stderr.strip()}")
    return elapsed


def drive(command, port, sessions, messages, size, reuse, settle=False):
    """Starts `command`, a server listening on `port` (smtp-sink or mailpen-ceiling, which have no readiness
    endpoint), sends it the messages and stops it; returns the messages per second, its peak RSS in MB and its
    CPU (user + system) per message in µs. With `settle`, the CPU is read once the server is idle again: a
    server that stores behind its replies is still at work when the last reply arrives."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process=server)
        cpu_before = cpu_seconds(server.pid)
        elapsed = run_source(port, sessions, messages, size, reuse)
        if settle:
            wait_until_idle(server.pid)
        cpu = cpu_seconds(server.pid) - cpu_before
        rss = memory_mb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return messages / elapsed, rss, cpu / messages * 1e6


def stored_count(db):
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM message").fetchone()[0]


def bench_sink(sessions, messages, size, reuse):
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    rate, _, cpu = drive([SINK] + user + [f"127.0.0.1:{port}", "1024"], port, sessions, messages, size, reuse)
    return rate, cpu


def bench_mailpen(binary, sessions, messages, size, reuse, workdir):
    db = os.path.join(workdir, f"bench-{sessions}-{int(reuse)}.sqlite")
    server = MailpenProcess(workdir, binary=binary, db=db, args=["--max-messages", "0", "--max-connections", "2000"],
                            log_path=os.devnull)
    with server:
        cpu_before = cpu_seconds(server.pid)
        elapsed = run_source(server.smtp_port, sessions, messages, size, reuse)
        settle = wait_until_idle(server.pid)
        cpu = cpu_seconds(server.pid) - cpu_before
        rss = memory_mb(server.pid, "VmHWM")
    return messages / elapsed, rss, stored_count(db), cpu / messages * 1e6, settle


def bench_ceiling(binary, mode, sessions, messages, size, reuse, workdir):
    port = free_port()
    db = os.path.join(workdir, f"ceiling-{mode}-{sessions}-{int(reuse)}.sqlite")
    rate, _, cpu = drive([binary, "--mode", mode, "--port", str(port), "--db", db], port, sessions, messages, size,
                         reuse, settle=mode in STORING_MODES)
    return rate, cpu, stored_count(db) if mode in STORING_MODES else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mailpen"))
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--sessions", default="1,8,32")
    parser.add_argument("--ceiling", default=os.path.join(ROOT, ".build/release/mailpen-ceiling"),
                        help="the mailpen-ceiling binary for the reference rows ('' to skip them)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    sessions_list = [int(s) for s in args.sessions.split(",")]
    rows = []
    print(f"SMTP ingest: {args.messages} messages of {args.size} bytes, smtp-source against smtp-sink and Mailpen")
    print(f"{'sessions':>8}  {'mode':<18} {'smtp-sink msg/s':>15} {'µs/msg':>7} {'Mailpen msg/s':>14} {'µs/msg':>7} "
          f"{'ratio':>6} "
          f"{'peak RSS MB':>11} {'stored':>7}"
          + (f" {'alone':>6} {'µs/msg':>7} {'early ack':>9} {'µs/msg':>7} {'deferred µs/msg':>15} {'logged µs/msg':>13}"
             f" {'floor µs/msg':>12}" if args.ceiling else ""))
    failures = []
    with tempfile.TemporaryDirectory(prefix="mailpen-bench-") as workdir:
        for reuse in (False, True):
            for sessions in sessions_list:
                sink_rate, sink_cpu = bench_sink(sessions, args.messages, args.size, reuse)
                mailpen_rate, rss, stored, mailpen_cpu, settle = bench_mailpen(
                    args.binary, sessions, args.messages, args.size, reuse, workdir)
                mode = "reused connections" if reuse else "connection/message"
                ratio = mailpen_rate / sink_rate
                row = {"sessions": sessions, "reuse": reuse, "sink": sink_rate, "mailpen": mailpen_rate,
                       "sinkMicrosecondsPerMessage": sink_cpu, "mailpenMicrosecondsPerMessage": mailpen_cpu,
                       "ratio": ratio, "peakRSSMB": rss, "stored": stored, "sent": args.messages,
                       "secondsUntilIdle": settle}
                ceilings = ""
                if args.ceiling:
                    alone, alone_cpu, _ = bench_ceiling(args.ceiling, "discard", sessions, args.messages,
                                                        args.size, reuse, workdir)
                    early, early_cpu, early_stored = bench_ceiling(args.ceiling, "early-ack", sessions, args.messages,
                                                        args.size, reuse, workdir)
                    _, deferred_cpu, deferred_stored = bench_ceiling(args.ceiling, "deferred", sessions,
                                                                     args.messages, args.size, reuse, workdir)
                    _, logged_cpu, logged_stored = bench_ceiling(args.ceiling, "logged", sessions,
                                                                 args.messages, args.size, reuse, workdir)
                    floor, floor_cpu, _ = bench_ceiling(args.ceiling, "bare", sessions, args.messages, args.size,
                                                        reuse, workdir)
                    row.update({"aloneRate": alone, "aloneRatio": alone / sink_rate,
                                "aloneMicrosecondsPerMessage": alone_cpu, "earlyAckRate": early,
                                "earlyAckRatio": early / sink_rate, "earlyAckStored": early_stored,
                                "earlyAckMicrosecondsPerMessage": early_cpu,
                                "deferredMicrosecondsPerMessage": deferred_cpu, "deferredStored": deferred_stored,
                                "loggedMicrosecondsPerMessage": logged_cpu, "loggedStored": logged_stored,
                                "floorRate": floor, "floorMicrosecondsPerMessage": floor_cpu})
                    ceilings = (f" {alone / sink_rate:>6.2f} {alone_cpu:>7.0f} {early / sink_rate:>9.2f}"
                                f" {early_cpu:>7.0f} {deferred_cpu:>15.0f} {logged_cpu:>13.0f} {floor_cpu:>12.0f}")
                    if early_stored != args.messages:
                        failures.append(f"{sessions} sessions, {mode}, early ack: stored {early_stored}")
                    for name, count in (("deferred", deferred_stored), ("logged", logged_stored)):
                        if count != args.messages:
                            failures.append(f"{sessions} sessions, {mode}, {name}: stored {count}")
                print(f"{sessions:>8}  {mode:<18} {sink_rate:>15.0f} {sink_cpu:>7.0f} {mailpen_rate:>14.0f} "
                      f"{mailpen_cpu:>7.0f} {ratio:>6.2f} "
                      f"{rss:>11.0f} {stored:>7}{ceilings}", flush=True)
                rows.append(row)
                if stored != args.messages:
                    failures.append(f"{sessions} sessions, {mode}: stored {stored} of {args.messages}")
    if args.json:
        with open(args.json, "w") as output:
            json.dump(rows, output, indent=2)
    # Targets in server CPU: per message, with a connection each at 8 sessions and reused at 32; per
    # connection, the difference between the two modes at the same number of sessions.
    def cpu(sessions, reuse, key="mailpenMicrosecondsPerMessage"):
        found = [r[key] for r in rows if r["sessions"] == sessions and r["reuse"] == reuse and key in r]
        return found[0] if found else None

    for label, value, limit in [
        ("8 sessions, connection per message", cpu(8, False), 250),
        ("32 sessions, reused connections", cpu(32, True), 110),
        ("a connection's own cost at 8 sessions", None if cpu(8, False) is None or cpu(8, True) is None
         else cpu(8, False) - cpu(8, True), 80),
    ]:
        verdict = "not measured" if value is None else ("met" if value <= limit else "NOT met")
        shown = "-" if value is None else f"{value:.0f}"
        print(f"target: {label} <= {limit} µs of server CPU: {shown} µs, {verdict}")
    alone = [cpu(8, False, "aloneMicrosecondsPerMessage"), cpu(32, True, "aloneMicrosecondsPerMessage"),
             cpu(8, True, "aloneMicrosecondsPerMessage")]
    if None not in alone:
        # What the same three figures cost the SMTP layer alone, storing nothing.
        print(f"the SMTP layer alone: {alone[0]:.0f} µs a message with a connection each at 8 sessions, "
              f"{alone[1]:.0f} reused at 32; a connection {alone[0] - alone[2]:.0f} µs")
    for label, key in [("early ack", "earlyAckMicrosecondsPerMessage"), ("deferred", "deferredMicrosecondsPerMessage"),
                       ("logged", "loggedMicrosecondsPerMessage")]:
        # Storing without making the 250 wait for the commit, and (deferred) in batches of what 20 ms gathers:
        # what this database and index cost when no commit is waited for; (logged) the same behind a 250 that
        # waits for an fsynced append to a log instead.
        figures = [cpu(8, False, key), cpu(32, True, key), cpu(8, True, key)]
        if None not in figures:
            print(f"{label}: {figures[0]:.0f} µs a message with a connection each at 8 sessions, "
                  f"{figures[1]:.0f} reused at 32; a connection {figures[0] - figures[2]:.0f} µs")
    floor = [cpu(8, False, "floorMicrosecondsPerMessage"), cpu(32, True, "floorMicrosecondsPerMessage"),
             cpu(8, True, "floorMicrosecondsPerMessage")]
    if None not in floor:
        # The least any SMTP server on SwiftNIO costs here: no target can be met below it.
        print(f"SwiftNIO's floor: {floor[0]:.0f} µs a message with a connection each at 8 sessions, "
              f"{floor[1]:.0f} reused at 32; a connection {floor[0] - floor[2]:.0f} µs")
    if failures:
        print("LOST MESSAGES: " + "; ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
