"""The reference rows of `make bench-smtp` come from `mailpen-ceiling`: check that each mode does what its
row claims, so that a broken tool cannot print a flattering or empty reference."""
import os
import smtplib
import sqlite3
import subprocess

import pytest

from conftest import BINARY, free_port, wait_for_port

CEILING = os.path.join(os.path.dirname(BINARY), "mailpen-ceiling")
MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: ceiling\r\n\r\nbody\r\n"


def run_ceiling(mode, tmp_path, messages):
    port = free_port()
    db = str(tmp_path / "ceiling.sqlite")
    process = subprocess.Popen([CEILING, "--mode", mode, "--port", str(port), "--db", db],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        replies = []
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo()
            for _ in range(messages):
                client.mail("a@example.com")
                client.rcpt("b@example.com")
                replies.append(client.data(MESSAGE))
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0, process.stdout.read().decode()
    return replies, db


def test_discard_acknowledges_and_keeps_nothing(tmp_path):
    replies, db = run_ceiling("discard", tmp_path, 3)
    assert [code for code, _ in replies] == [250, 250, 250]
    assert not os.path.exists(db)


@pytest.mark.parametrize("mode", ["early-ack", "deferred", "logged"])
def test_storing_modes_store_every_message_by_the_time_they_exit(mode, tmp_path):
    # The process is stopped right after the last 250: for `deferred`, well inside the 20 ms a batch gathers
    # for, so what is still waiting must be handed over before the store closes.
    replies, db = run_ceiling(mode, tmp_path, 5)
    assert [code for code, _ in replies] == [250] * 5
    with sqlite3.connect(db) as connection:
        raws = connection.execute("SELECT raw FROM message_raw").fetchall()
    assert [bytes(raw) for (raw,) in raws] == [MESSAGE] * 5
    if mode == "logged":
        # Each 250 came after its message was in the log, which is written over zeros laid out at start.
        with open(db + ".log", "rb") as log:
            assert log.read().count(MESSAGE) == 5


def test_bare_answers_whole_transactions_and_keeps_nothing(tmp_path):
    # A body line of a lone dot is dot-stuffed by smtplib: only the real end of data may get the 250.
    body = MESSAGE + b".\r\n" + b"x" * 70_000 + b"\r\nend\r\n"
    port = free_port()
    process = subprocess.Popen([CEILING, "--mode", "bare", "--port", str(port), "--db", str(tmp_path / "bare.sqlite")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        with smtplib.SMTP("127.0.0.1", port) as client:
            assert client.ehlo()[0] == 250 and client.has_extn("pipelining")
            for _ in range(3):
                assert client.mail("a@example.com")[0] == 250
                assert client.rcpt("b@example.com")[0] == 250
                assert client.data(body)[0] == 250
            assert client.noop()[0] == 250
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0, process.stdout.read().decode()
    assert os.listdir(tmp_path) == []


def test_usage_error_without_a_mode():
    result = subprocess.run([CEILING, "--port", "1"], capture_output=True, text=True)
    assert result.returncode == 64
    assert "usage" in result.stderr
