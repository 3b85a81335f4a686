"""Real SMTP clients against a real `mailpen serve`: swaks, curl, Python's smtplib and a raw socket."""
import base64
import os
import re
import shutil
import smtplib
import socket
import subprocess
import email
from email import policy

import pytest

from conftest import data_phase

QUEUED = re.compile(r"queued as ([0-9A-Z]{26})")


def swaks(server, *args, input=None):
    assert shutil.which("swaks"), "swaks is not installed (apt-get install swaks)"
    result = subprocess.run(["swaks", "--server", f"127.0.0.1:{server.smtp_port}", "--hide-informational", *args],
                            capture_output=True, text=True, input=input, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_starttls_auth_and_pipelining(make_server, mechanism):
    server = make_server(["--tls", "auto"])
    output = swaks(server, "--to", "bob@example.com", "--from", "alice@example.com", "-tls",
                   "--auth", mechanism, "--auth-user", f"proj-{mechanism.lower()}", "--auth-password", "pw",
                   "--pipeline", "--h-Subject", f"via {mechanism}")
    assert "<~  220 2.0.0 Ready to start TLS" not in output  # the 220 is read in the clear
    assert "<-  220 2.0.0 Ready to start TLS" in output
    assert f"235 2.7.0 Authentication successful" in output
    ids = QUEUED.findall(output)
    assert len(ids) == 1
    inbox = f"proj-{mechanism.lower()}"
    assert [row[0] for row in server.messages(inbox)] == ids
    envelope = server.query("SELECT envelope FROM message WHERE id = ?", ids[0])[0][0]
    assert '"authenticatedUser":"%s"' % inbox in envelope
    assert '"tlsVersion":"TLSv1.' in envelope


def test_swaks_attachment_round_trip(server, workdir):
    attachment = os.path.join(workdir, "report.bin")
    payload = bytes(range(256)) * 40
    with open(attachment, "wb") as f:
        f.write(payload)
    output = swaks(server, "--to", "bob@example.com", "--attach", "@" + attachment,
                   "--body", "See attached", "--h-Subject", "Attachment")
    message_id = QUEUED.findall(output)[0]
    parsed = email.message_from_bytes(server.raw(message_id), policy=policy.default)
    attachments = [part for part in parsed.iter_attachments()]
    assert len(attachments) == 1
    assert attachments[0].get_content() == payload


def test_curl_upload_is_stored_byte_exact(server, workdir):
    assert shutil.which("curl"), "curl is not installed"
    path = os.path.join(workdir, "message.eml")
    message = (b"From: curl <curl@example.com>\r\nTo: bob@example.com\r\nSubject: via curl\r\n\r\n"
               b".leading dot\r\n..two\r\n.\r\nend\r\n")
    with open(path, "wb") as f:
        f.write(message)
    result = subprocess.run(["curl", "-sS", "-v", f"smtp://127.0.0.1:{server.smtp_port}", "--mail-from", "curl@example.com",
                             "--mail-rcpt", "bob@example.com", "--upload-file", path],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    message_id = QUEUED.findall(result.stderr)[0]
    assert server.raw(message_id) == message


def test_smtplib_smtputf8_and_8bit(server):
    message = ("From: Jürgen <jürgen@bücher.example>\r\nTo: Zoë <zoë@example.com>\r\nSubject: Grüße\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
               "Schöne Grüße, 你好 👋\r\n").encode("utf-8")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.ehlo("smtplib.test")
        assert client.has_extn("smtputf8") and client.has_extn("8bitmime")
        code, _ = client.mail("jürgen@bücher.example", ["SMTPUTF8", "BODY=8BITMIME"])
        assert code == 250
        code, _ = client.rcpt("zoë@example.com")
        assert code == 250
        code, reply = client.data(message)
        assert code == 250
    message_id = QUEUED.search(reply.decode()).group(1)
    assert server.raw(message_id) == message
    envelope = server.query("SELECT envelope FROM message WHERE id = ?", message_id)[0][0]
    assert "jürgen@bücher.example" in envelope and "SMTPUTF8" in envelope


def test_smtplib_send_message_with_auth(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.login("newsletter", "secret")
        client.sendmail("a@example.com", ["b@example.com", "c@example.com"],
                        b"Subject: hello\r\n\r\nbody\r\n")
    assert [row[1] for row in server.messages("newsletter")] == ["hello"]


def test_raw_socket_bdat(server):
    with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as sock:
        reader = sock.makefile("rb")

        def reply():
            lines = []
            while True:
                line = reader.readline().decode()
                lines.append(line)
                if line[3:4] == " ":
                    return lines

        assert reply()[0].startswith("220")
        sock.sendall(b"EHLO raw.test\r\n")
        assert any("CHUNKING" in line for line in reply())
        first, second = b"Subject: bdat\r\n\r\n", b"binary \x00\x01\xff\r\n.\r\n"
        sock.sendall(b"MAIL FROM:<a@example.com> BODY=8BITMIME\r\nRCPT TO:<b@example.com>\r\n"
                     + b"BDAT %d\r\n" % len(first) + first + b"BDAT %d LAST\r\n" % len(second) + second)
        assert reply()[0].startswith("250 2.1.0")
        assert reply()[0].startswith("250 2.1.5")
        assert reply()[0].startswith("250 2.0.0")
        final = reply()[0]
        message_id = QUEUED.search(final).group(1)
        sock.sendall(b"QUIT\r\n")
        assert reply()[0].startswith("221")
    assert server.raw(message_id) == first + second


@pytest.mark.parametrize("terminator", [b"\n.\r\n", b"\n.\n", b"\r\n.\n"])
def test_bare_line_feeds_cannot_end_data_and_smuggle_a_message(server, terminator):
    # A sender that passes bare LFs through (the SMTP smuggling pattern): only CRLF.CRLF ends the data, so
    # the text after a look-alike end stays in the first message instead of running as commands.
    smuggled = (b"MAIL FROM:<ceo@bank.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
                b"Subject: smuggled\r\n\r\nwire the money\r\n")
    body = b"Subject: contact form\r\n\r\nquestion." + terminator + smuggled
    with data_phase(server) as (sock, reader):
        sock.sendall(body + b".\r\nQUIT\r\n")
        final = reader.readline().decode()
        assert final.startswith("250 2.0.0"), final
        assert reader.readline().startswith(b"221")
    message_id = QUEUED.search(final).group(1)
    # Kept whole; a dot that does start a line (after CRLF) is taken as stuffing, as every such dot is.
    assert server.raw(message_id) == body.replace(b"\r\n.\n", b"\r\n\n")
    assert len(server.messages()) == 1


def smtp_help(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        code, text = client.docmd("HELP")
    assert code == 214, text
    return text.decode()


def test_help_points_at_the_web_ui_it_serves(server):
    assert f"See http://127.0.0.1:{server.http_port}/ for the captured mail" in smtp_help(server)


def test_help_names_the_hostname_when_http_listens_on_every_address(make_server):
    server = make_server(start=False)
    server.args += ["--http", f"0.0.0.0:{server.http_port}", "--hostname", "mx.test"]
    server.start()
    text = smtp_help(server)
    assert f"See http://mx.test:{server.http_port}/ for the captured mail" in text
    assert "0.0.0.0" not in text
