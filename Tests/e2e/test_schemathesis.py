"""Schemathesis against a live server, with valid and deliberately invalid requests (negative testing) and
the document's links followed between operations (stateful): no 5xx, no response that breaks the OpenAPI
document, and the server still alive afterwards."""
import json
import os
import shutil
import smtplib
import subprocess
import sys
import time
import urllib.request

MESSAGE = (b"From: Shop <shop@example.com>\r\nTo: bob@example.com\r\nSubject: Order\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           b"Thanks, see https://example.com/o/1\r\n--b\r\nContent-Type: text/html\r\n\r\n"
           b"<p style=\"display:flex\">Thanks</p>\r\n--b--\r\n")


def stored_ids(server, count):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        for _ in range(count):
            client.sendmail("shop@example.com", ["bob@example.com"], MESSAGE)
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/api/v1/inboxes/default/messages") as response:
        return [m["id"] for m in json.load(response)["messages"]]


def test_api_conforms_to_its_openapi_document(server):
    executable = shutil.which("schemathesis") or shutil.which("st")
    assert executable, "schemathesis is not installed (python3 -m pip install schemathesis)"
    keep, delete = stored_ids(server, 2)
    environment = dict(os.environ, SCHEMATHESIS_HOOKS="schemathesis_hooks",
                       PYTHONPATH=os.path.dirname(os.path.abspath(__file__)),
                       MAILPEN_TEST_MESSAGE_ID=keep, MAILPEN_TEST_DELETE_ID=delete)
    result = subprocess.run(
        [executable, "--config-file", os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml"),
         "run", f"http://127.0.0.1:{server.http_port}/api/v1/openapi.json",
         "--mode", "all", "--phases", "examples,fuzzing,stateful", "--checks", "all", "--exclude-checks", "use_after_free", "--max-examples", os.environ.get("MAILPEN_SCHEMATHESIS_EXAMPLES", "40"),
         "--workers", "2", "--request-timeout", "30", "--suppress-health-check", "all"],
        capture_output=True, text=True, timeout=900, env=environment)
    output = result.stdout + result.stderr
    sys.stdout.write(output[-6000:])
    assert result.returncode == 0, output[-6000:]
    summary = output.split("SUMMARY")[-1]
    assert "Server error" not in summary and "Undocumented" not in summary, summary
    assert server.process.poll() is None
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/healthz") as response:
        assert response.status == 200
