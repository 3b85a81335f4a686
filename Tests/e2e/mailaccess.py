"""Helpers for the POP3 and IMAP tests: a Mailpen with mail-access listeners, mail sent over SMTP with AUTH,
and the API's view of an inbox to compare what the clients got with."""
import json
import re
import smtplib
import ssl
import urllib.request

from conftest import free_port, wait_for_port

PASSWORD = "s3cret-pass"


class MailAccessServer:
    """A started `mailpen serve` with POP3/IMAP listeners on free loopback ports."""

    def __init__(self, server, ports):
        self.server = server
        self.ports = ports

    def __getattr__(self, name):
        return getattr(self.server, name)

    @property
    def pop3(self):
        return self.ports["pop3"]

    @property
    def imap(self):
        return self.ports["imap"]

    @property
    def pop3s(self):
        return self.ports["pop3s"]

    @property
    def imaps(self):
        return self.ports["imaps"]


def start(make_server, listeners=("pop3", "imap"), args=(), host="127.0.0.1"):
    ports = {name: free_port() for name in listeners}
    command = []
    for name, port in ports.items():
        command += [f"--{name}", f"{host}:{port}"]
    server = make_server(list(args) + command)
    if host == "127.0.0.1":
        for port in ports.values():
            wait_for_port(port)
    return MailAccessServer(server, ports)


def message_bytes(subject, body="Hello.\r\n", sender="sender@example.com", to="rcpt@example.com", extra=""):
    text = (f"From: Sender <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(subject))}@t>\r\n"
            f"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n{extra}\r\n{body}")
    return text.encode()


def send(server, inbox, subjects, password=PASSWORD, body="Hello.\r\n"):
    """Sends one message per subject as `inbox` (SMTP AUTH) and returns the stored ids from the 250s."""
    ids = []
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=60) as smtp:
        smtp.login(inbox, password)
        for subject in subjects:
            ids.append(send_one(smtp, message_bytes(subject, body)))
    return ids


def send_one(smtp, raw, sender="sender@example.com", to="rcpt@example.com"):
    smtp.mail(sender)
    smtp.rcpt(to)
    code, reply = smtp.data(raw)
    assert code == 250, reply
    match = re.search(rb"queued as (\S+)", reply)
    assert match, reply
    return match.group(1).decode()


def api(server, path, method="GET", body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
        return json.loads(data) if data and response.headers.get_content_type() == "application/json" else data


def raw(server, message_id):
    return api(server, f"/api/v1/messages/{message_id}/raw")


def inbox_messages(server, inbox):
    """The inbox's summaries, oldest first."""
    page = api(server, f"/api/v1/inboxes/{inbox}/messages?limit=1000")
    return list(reversed(page["messages"]))


def unverified_tls():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def lf(data):
    """Mail as Unix tools store it: CRLF made LF."""
    return data.replace(b"\r\n", b"\n")


class RawIMAP:
    """A bare IMAP connection for what imaplib cannot do (IDLE, LITERAL+, pipelining): whole responses,
    literals included, read as they come."""

    def __init__(self, port, host="127.0.0.1", timeout=30, sock=None):
        import socket
        self.sock = sock or socket.create_connection((host, port), timeout=timeout)
        self.reader = self.sock.makefile("rb")
        self.counter = 0
        self.greeting = self.line()

    def line(self):
        """One response line with its literals inlined; b'' at end of stream."""
        data = self.reader.readline()
        while data.endswith(b"}\r\n") and b"{" in data:
            size = int(data[data.rindex(b"{") + 1:-3].rstrip(b"+"))
            data += self.reader.read(size)
            data += self.reader.readline()
        return data

    def send(self, data):
        self.sock.sendall(data)

    def command(self, text):
        """Sends a tagged command; returns (untagged lines, tagged line)."""
        self.counter += 1
        tag = f"r{self.counter}"
        self.send(f"{tag} {text}\r\n".encode())
        return self.until(tag)

    def until(self, tag):
        untagged = []
        while True:
            line = self.line()
            if not line:
                raise EOFError(b"".join(untagged))
            if line.startswith(tag.encode() + b" "):
                return untagged, line
            untagged.append(line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
