"""`make bench-smtp` itself, on a few messages: every row stores what it sends, prints server CPU per message for
Mailpen and each reference, and reads Mailpen's CPU only once the server is idle again (a burst's indexing and
merging belong to its messages)."""
import json
import os
import subprocess
import sys

import pytest

from conftest import BINARY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CEILING = os.path.join(os.path.dirname(BINARY), "mailpen-ceiling")


@pytest.mark.skipif(not os.path.exists("/usr/sbin/smtp-source"), reason="needs postfix's smtp-source and smtp-sink")
def test_bench_smtp_reports_cpu_per_message_once_idle(tmp_path):
    output = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "bench_smtp.py"), "--binary", BINARY, "--ceiling", CEILING,
         "--messages", "60", "--sessions", "2", "--json", str(output)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = json.loads(output.read_text())
    assert [(row["sessions"], row["reuse"]) for row in rows] == [(2, False), (2, True)]
    for row in rows:
        assert row["stored"] == row["sent"] == 60, row
        # CPU time comes in clock ticks (10 ms): on 60 messages the references may read 0, storing never does.
        assert row["mailpenMicrosecondsPerMessage"] > 0, row
        for key in ("sinkMicrosecondsPerMessage", "aloneMicrosecondsPerMessage", "floorMicrosecondsPerMessage"):
            assert row[key] >= 0, (key, row)
        assert row["earlyAckStored"] == row["deferredStored"] == row["loggedStored"] == 60, row
        for key in ("earlyAckMicrosecondsPerMessage", "deferredMicrosecondsPerMessage", "loggedMicrosecondsPerMessage"):
            assert row[key] > 0, (key, row)
        # Waited for at least one quiet second before reading Mailpen's CPU.
        assert row["secondsUntilIdle"] >= 1, row
    assert "floor µs/msg" in run.stdout and "target: 32 sessions, reused connections" in run.stdout, run.stdout
