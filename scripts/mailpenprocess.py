"""Starts and stops `mailpen serve` for the end-to-end tests, the UI tests and the benchmarks: free ports, a
database in a working folder, the output in a log file, and readiness from `/healthz`.

    with MailpenProcess(workdir, args=["--tls", "auto"]) as mailpen:
        smtplib.SMTP("127.0.0.1", mailpen.smtp_port) ...

MAILPEN_BINARY names the binary (default .build/debug/mailpen).
"""
import os
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("MAILPEN_BINARY", os.path.join(ROOT, ".build", "debug", "mailpen"))


def _ephemeral_low():
    """The lowest port the kernel hands out as the local port of outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A TCP port on loopback that nothing uses right now, below the kernel's ephemeral range.

    A port from that range (what binding port 0 gives) is free only until the server binds it: meanwhile
    any outgoing connection, of the tests or of a server, may take it as its local port, and the server
    then fails with "Address already in use". Ports below the range are never taken that way."""
    low = min(_ephemeral_low(), 65536)
    for _ in range(200):
        port = random.randint(min(10000, low - 1), low - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30, process=None):
    """Blocks until something accepts connections on `port`; raises after `timeout` seconds, or at once when
    `process` (a Popen) has exited. For servers without a readiness endpoint (smtp-sink, mailpen-ceiling)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # nothing to subscribe to: a port only tells by being connected to
    raise RuntimeError(f"nothing listening on port {port}")


class MailpenProcess:
    """One `mailpen serve` process on free loopback ports.

    `args` are added to the command line, `env` to the environment; `db` defaults to mailpen.sqlite in
    `workdir` (":memory:" works too). `wrapper` turns the command into another (a shell with ulimit, say).
    With `smtp_in_environment` the SMTP address is given as MAILPEN_SMTP instead of --smtp. The output of
    every start goes to `log_path` (server.log in `workdir`).
    """

    def __init__(self, workdir, args=(), env=None, binary=None, db=None, cwd=None, wrapper=None,
                 smtp_in_environment=False, log_path=None):
        self.workdir = str(workdir)
        self.binary = binary or BINARY
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.db = db or os.path.join(self.workdir, "mailpen.sqlite")
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.cwd = cwd
        self.wrapper = wrapper
        self.smtp_in_environment = smtp_in_environment
        self.log_path = log_path or os.path.join(self.workdir, "server.log")
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pid(self):
        return self.process.pid

    def command(self):
        command = [self.binary, "serve", "--http", f"127.0.0.1:{self.http_port}", "--db", self.db]
        if not self.smtp_in_environment:
            command += ["--smtp", f"127.0.0.1:{self.smtp_port}"]
        command += self.args
        return self.wrapper(command) if self.wrapper else command

    def start(self, timeout=30):
        """Starts the process and returns once it answers /healthz (SMTP is listening before HTTP starts)."""
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"mailpen binary not found at {self.binary} (build it, or set MAILPEN_BINARY)")
        env = dict(self.env)
        if self.smtp_in_environment:
            env["MAILPEN_SMTP"] = f"127.0.0.1:{self.smtp_port}"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.cwd, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        self.wait_until_ready(timeout)
        return self

    def wait_until_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mailpen exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)  # not listening yet: the readiness endpoint is the signal, asked again
        raise RuntimeError(f"mailpen did not answer /healthz within {timeout} s:\n{self.log()}")

    def log(self):
        """Everything the process has written so far."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, condition, timeout=10):
        """Returns the log once `condition(log)` holds (or the text `condition` is in it); raises after `timeout`."""
        check = condition if callable(condition) else (lambda text: condition in text)
        deadline = time.time() + timeout
        while True:
            text = self.log()
            if check(text):
                return text
            if time.time() >= deadline:
                raise AssertionError(f"the log never showed what was expected:\n{text}")
            time.sleep(0.02)  # the log file is the signal; it has no way to announce a write

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and waits for the exit; returns the exit status (None if never started)."""
        if self.is_running():
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        return self.process.returncode if self.process else None

    def kill(self):
        if self.is_running():
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self.start() if self.process is None else self

    def __exit__(self, *exc):
        try:
            self.stop(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
