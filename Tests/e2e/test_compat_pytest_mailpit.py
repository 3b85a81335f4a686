"""The pytest fixture that ships with the Python mailpit-api-client (`mailpit.testing.pytest.mailpit_api`),
used as a team would use it: parametrised with the server's URL, and deleting every message when the
session ends (with the form body Mailpit reads as "delete everything")."""
import tempfile

import pytest
from mailpit.testing.pytest import mailpit_api  # noqa: F401 (the fixture under test)

from compat_support import send
from conftest import Server, free_port

# The fixture takes its URL at collection time, so the port is chosen now.
PORT = free_port()


@pytest.fixture(scope="session")
def mailpen_on_fixed_port():
    """A server on PORT for the whole session, set up before the fixture and so torn down after it."""
    with tempfile.TemporaryDirectory(prefix="mailpen-e2e-") as workdir:
        server = Server(workdir)
        server.http_port = PORT
        server.start()
        yield server
        server.kill()


@pytest.mark.parametrize("mailpit_api", [f"http://127.0.0.1:{PORT}"], indirect=True)
def test_mailpit_api_fixture_reads_what_smtp_delivered(mailpen_on_fixed_port, mailpit_api):  # noqa: F811
    send(mailpen_on_fixed_port, "Fixture 1")
    send(mailpen_on_fixed_port, "Fixture 2")
    messages = mailpit_api.get_messages()
    assert [m.subject for m in messages.messages] == ["Fixture 2", "Fixture 1"]
    message = mailpit_api.get_message(messages.messages[0].id)
    assert message.subject == "Fixture 2" and message.from_.address == "shop@example.com"
    assert [a.file_name for a in message.attachments] == ["notes.txt"]
    assert mailpit_api.get_messages().unread == 1
