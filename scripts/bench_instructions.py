#!/usr/bin/env python3
"""Instructions per SMTP connection and per message, counted by callgrind: repeatable on a busy machine,
so that two commits can be compared, where rates and CPU time vary with whatever else runs.

`mailpen serve` runs under `valgrind --tool=callgrind` with default flags (log level `info`, one log line
per message). Once it is ready the counters are zeroed, smtp-source sends N messages of one connection
each, and the counters are dumped; then again with the N messages on one connection. Per message is
the second total / N; per connection is the difference / N. Start-up and shutdown are never counted.

    scripts/bench_instructions.py --binary .build/release/mailpen [--messages 1000] [--json out.json]
    scripts/bench_instructions.py --binary .build/debug/mailpen --messages 200 --check fixtures/instructions.json

With `--check FILE` the figures are compared with those recorded in FILE for the same kind of build
(debug or release) and the script fails if either rose more than 10 %. `--record FILE` writes them there.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from mailpenprocess import MailpenProcess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = "/usr/sbin/smtp-source"
TOLERANCE = 0.10


def total_instructions(dump_path):
    """The `totals:` (or `summary:`) line of a callgrind dump: instructions executed."""
    with open(dump_path) as dump:
        for line in dump:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {dump_path}")


def callgrind_control(*args):
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True, text=True)


def event_loop_instructions(dumps):
    """Instructions counted on the threads that run a SwiftNIO event loop (callgrind writes one dump per
    thread): the SMTP sessions' loops, and the store writer's and the search indexer's, which run on loops
    of their own. With one session sending one message at a time, each commit and each index batch holds
    one message, so these figures repeat. The Swift concurrency pool and GRDB's reader threads, whose
    work depends on timing, are left out (the whole-process figures count them)."""
    total = 0
    for path in dumps:
        with open(path, errors="replace") as dump:
            text = dump.read()
        if "SelectableEventLoopC3run" in text:
            for line in text.splitlines():
                if line.startswith("totals:") or line.startswith("summary:"):
                    total += int(line.split()[1])
                    break
    return total


def measure(server, out_prefix, messages, size, reuse):
    """Zeroes the counters, sends `messages` (on one connection when `reuse`, else one connection each)
    and returns (all instructions, those on the event loops) counted meanwhile."""
    before = set(glob.glob(out_prefix + "*"))
    callgrind_control("--zero", str(server.pid))
    args = [SOURCE, "-s", "1", "-m", str(messages), "-l", str(size), "-f", "bench@example.com",
            "-t", "sink@example.com"]
    if reuse:
        args.append("-d")
    subprocess.run(args + [f"127.0.0.1:{server.smtp_port}"], check=True, capture_output=True, timeout=1800)
    callgrind_control("--dump", str(server.pid))
    deadline = time.time() + 60
    while time.time() < deadline:
        new = set(glob.glob(out_prefix + "*")) - before
        if new:
            time.sleep(1)  # let callgrind finish writing every thread's dump
            new = set(glob.glob(out_prefix + "*")) - before
            total = 0
            for path in new:
                total += total_instructions(path)
            return total, event_loop_instructions(new)
        time.sleep(0.1)
    raise RuntimeError("callgrind wrote no dump")


def without_debug_info(binary):
    """A copy of `binary` beside it without DWARF sections, which this valgrind cannot read (Swift emits
    DWARF 5); the symbol table stays, so the profile still names functions. Made again when older."""
    copy = binary + ".callgrind"
    if not os.path.exists(copy) or os.path.getmtime(copy) < os.path.getmtime(binary):
        subprocess.run(["objcopy", "--strip-debug", binary, copy], check=True)
    return copy


def sigsuspend_shim(workdir):
    """Builds the preload library that lets valgrind 3.19 run libdispatch's main loop (see its source)."""
    source = os.path.join(ROOT, "scripts", "callgrind", "sigsuspend_copy.c")
    library = os.path.join(workdir, "sigsuspend_copy.so")
    compiler = "cc" if shutil.which("cc") else "clang"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library, source], check=True)
    return library


def build_kind(binary):
    return "release" if "/release/" in os.path.realpath(binary) else "debug"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mailpen"))
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--check", help="fail if the figures rose more than 10 % above those in this file")
    parser.add_argument("--record", help="write the figures into this file, for this kind of build")
    parser.add_argument("--keep", help="keep callgrind's dumps in this folder, for callgrind_annotate")
    options = parser.parse_args()
    kind = build_kind(options.binary)
    with tempfile.TemporaryDirectory(prefix="mailpen-callgrind-") as workdir:
        out_prefix = os.path.join(workdir, "callgrind.out")
        server = MailpenProcess(
            workdir, binary=without_debug_info(os.path.realpath(options.binary)),
            env={"LD_PRELOAD": sigsuspend_shim(workdir), "SWIFT_BACKTRACE": "enable=no"}, args=["--max-messages", "0", "--log-level", "info"],
            log_path=os.path.join(workdir, "server.log"),
            wrapper=lambda command: ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_prefix}.%p",
                                     "--dump-instr=no", "--collect-atstart=yes", "--separate-threads=yes"] + command)
        server.start(timeout=600)
        try:
            # A first, uncounted round warms what is made once (caches, the first inbox look-up).
            measure(server, out_prefix, 20, options.size, reuse=True)
            per_connection_total, per_connection_loops = measure(
                server, out_prefix, options.messages, options.size, reuse=False)
            reused_total, reused_loops = measure(server, out_prefix, options.messages, options.size, reuse=True)
        finally:
            server.stop(timeout=300)
            if options.keep:
                os.makedirs(options.keep, exist_ok=True)
                for dump in sorted(glob.glob(out_prefix + "*"), key=os.path.getmtime):
                    shutil.copy(dump, options.keep)
    per_message = reused_loops / options.messages
    per_connection = (per_connection_loops - reused_loops) / options.messages
    whole_message = reused_total / options.messages
    whole_connection = (per_connection_total - reused_total) / options.messages
    figures = {"build": kind, "messages": options.messages, "size": options.size,
               "instructionsPerMessage": round(per_message), "instructionsPerConnection": round(per_connection)}
    figures["wholeProcessPerMessage"] = round(whole_message)
    figures["wholeProcessPerConnection"] = round(whole_connection)
    print(f"{kind} build, {options.messages} messages of {options.size} bytes under callgrind:")
    print(f"  on the SMTP event loops, per message (reused connection): {per_message:>12,.0f}")
    print(f"  on the SMTP event loops, per connection (beyond its message): {per_connection:>8,.0f}")
    print(f"  whole process (writer and indexer too), per message: {whole_message:>12,.0f}, "
          f"per connection: {whole_connection:>10,.0f}")
    if options.json:
        with open(options.json, "w") as out:
            json.dump(figures, out, indent=2)
    if options.record:
        recorded = {}
        if os.path.exists(options.record):
            with open(options.record) as existing:
                recorded = json.load(existing)
        recorded[kind] = figures
        with open(options.record, "w") as out:
            json.dump(recorded, out, indent=2)
            out.write("\n")
    if options.check:
        with open(options.check) as existing:
            recorded = json.load(existing).get(kind)
        if recorded is None:
            sys.exit(f"{options.check} has no figures for a {kind} build: record them with --record")
        failures = []
        for key in ("instructionsPerMessage", "instructionsPerConnection"):
            limit = recorded[key] * (1 + TOLERANCE)
            verdict = "ok" if figures[key] <= limit else "ROSE"
            print(f"  {key}: {figures[key]:,} against {recorded[key]:,} recorded (limit {limit:,.0f}): {verdict}")
            if figures[key] > limit:
                failures.append(key)
        if failures:
            sys.exit("instruction counts rose more than 10 % above the recorded figures: " + ", ".join(failures)
                     + " (if that is deliberate, record the new figures with --record)")


if __name__ == "__main__":
    main()
