"""Fixtures for end-to-end tests: a real `mailpen serve` process on free ports with its own database."""
import contextlib
import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from mailpenprocess import BINARY, MailpenProcess, free_port, wait_for_port  # noqa: E402,F401


class Server(MailpenProcess):
    """A running `mailpen serve` and helpers to look into its database."""

    def query(self, sql, *params):
        with sqlite3.connect(self.db, timeout=10) as connection:
            return connection.execute(sql, params).fetchall()

    def raw(self, message_id):
        rows = self.query("SELECT r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = ?", message_id)
        return bytes(rows[0][0]) if rows else None

    def messages(self, inbox="default"):
        return self.query(
            "SELECT m.id, m.subject FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE i.name = ? ORDER BY m.seq",
            inbox)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries the log of every server it started in its working folder: the folder
    is gone by the time anyone reads the report, and a server that died says why only there."""
    outcome = yield
    report = outcome.get_result()
    directory = item.funcargs.get("workdir") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or not directory:
        return
    for path in sorted(glob.glob(os.path.join(directory, "**", "server.log"), recursive=True)):
        with open(path, "rb") as log:
            text = log.read()[-20000:].decode("utf-8", "replace")
        report.sections.append((f"server log {os.path.relpath(path, directory)}", text))


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="mailpen-e2e-") as directory:
        yield directory


@pytest.fixture
def make_server(workdir):
    servers = []

    def factory(args=(), env=None, wrapper=None, start=True, **options):
        server = Server(workdir, args, env, wrapper=wrapper, **options)
        servers.append(server)
        return server.start() if start else server

    yield factory
    for server in servers:
        server.kill()


@pytest.fixture
def store_options(backend):
    """`make_server` options for a store on `backend` (a test's parameter, "sqlite" or "postgres"): on
    PostgreSQL, a database of its own, dropped after the test."""
    if backend == "sqlite":
        yield {}
        return
    server_url = os.environ.get("MAILPEN_TEST_POSTGRES")
    if not server_url or shutil.which("psql") is None:
        pytest.skip("needs MAILPEN_TEST_POSTGRES (scripts/test-postgres.sh start) and psql")
    name = "mailpen_e2e_" + uuid.uuid4().hex
    subprocess.run(["psql", server_url, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield {"db": urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path="/" + name))}
    subprocess.run(["psql", server_url, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=True, capture_output=True)


@pytest.fixture
def server(make_server):
    return make_server()


@contextlib.contextmanager
def greeted(server, helo=b"raw.test"):
    """A raw SMTP session to `server` that has been greeted and said HELO: yields the socket and a reader of
    its replies, for tests of what a client sends that smtplib would not."""
    with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220")
        sock.sendall(b"HELO " + helo + b"\r\n")
        assert reader.readline().startswith(b"250")
        yield sock, reader


@contextlib.contextmanager
def data_phase(server, helo=b"raw.test"):
    """A raw SMTP session to `server` that has been told `354`: yields the socket and a reader of its replies,
    for tests of what a client sends inside DATA."""
    with greeted(server, helo) as (sock, reader):
        sock.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
        for expected in (b"250", b"250", b"354"):
            assert reader.readline().startswith(expected)
        yield sock, reader

