"""Fixtures for end-to-end tests: a real `mailpen serve` process on free ports with its own database."""
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("MAILPEN_BINARY", os.path.join(ROOT, ".build", "debug", "mailpen"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port}")


class Server:
    """A running `mailpen serve` and helpers to look into its database."""

    def __init__(self, workdir, args=(), env=None, wrapper=None):
        self.workdir = workdir
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.db = os.path.join(workdir, "mailpen.sqlite")
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.wrapper = wrapper
        self.process = None
        self.output_path = os.path.join(workdir, "server.log")

    def command(self):
        command = [BINARY, "serve", "--smtp", f"127.0.0.1:{self.smtp_port}",
                   "--http", f"127.0.0.1:{self.http_port}", "--db", self.db] + self.args
        if self.wrapper:
            command = self.wrapper(command)
        return command

    def start(self):
        self.output = open(self.output_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=self.output, stderr=subprocess.STDOUT, env=self.env)
        wait_for_port(self.smtp_port)
        wait_for_port(self.http_port)
        return self

    def log(self):
        with open(self.output_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        return self.process.returncode if self.process else None

    def kill(self):
        self.process.kill()
        self.process.wait()

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


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="mailpen-e2e-") as directory:
        yield directory


@pytest.fixture
def make_server(workdir):
    servers = []

    def factory(args=(), env=None, wrapper=None, start=True):
        server = Server(workdir, args, env, wrapper)
        servers.append(server)
        return server.start() if start else server

    yield factory
    for server in servers:
        if server.process and server.process.poll() is None:
            server.kill()


@pytest.fixture
def server(make_server):
    return make_server()
