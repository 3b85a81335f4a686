"""Schemathesis against the live server with Mailpit's API description (main listener) and MailHog's v2
description (the --mailhog-api listener): every documented operation, responses that conform to the
description, no 5xx, and the server alive afterwards."""
import json
import os
import shutil
import subprocess
import sys
import urllib.request

from compat_support import call, send, start_compat_server

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "fixtures", "compat")


def run_schemathesis(schema, url, config, environment, exclude_checks=()):
    executable = shutil.which("schemathesis") or shutil.which("st")
    assert executable, "schemathesis is not installed (python3 -m pip install schemathesis)"
    result = subprocess.run(
        [executable, "--config-file", os.path.join(HERE, config), "run", os.path.join(FIXTURES, schema), "--url", url,
         "--mode", "positive", "--phases", "examples,fuzzing", "--checks", "all",
         "--exclude-checks", ",".join(["use_after_free", "ensure_resource_availability", "ignored_auth",
                                       *exclude_checks]),
         "--max-examples", os.environ.get("MAILPEN_SCHEMATHESIS_EXAMPLES", "25"),
         "--workers", "2", "--request-timeout", "30", "--suppress-health-check", "all"],
        capture_output=True, text=True, timeout=900, env=dict(os.environ, **environment))
    output = result.stdout + result.stderr
    sys.stdout.write(output[-6000:])
    assert result.returncode == 0, output[-6000:]
    summary = output.split("SUMMARY")[-1]
    assert "Server error" not in summary and "Undocumented" not in summary, summary
    return output


def test_mailpit_description_conforms(make_server):
    server = start_compat_server(make_server)
    for number in range(3):
        send(server, f"Order {number}")
    url = f"http://127.0.0.1:{server.http_port}"
    message = json.loads(call("GET", url + "/api/v1/message/latest")[2])
    status, _, data = call("PUT", url + "/api/v1/tags", json.dumps({"IDs": [message["ID"]], "Tags": ["Tag 1"]}).encode())
    assert status == 200, data
    output = run_schemathesis(
        "mailpit-api-v1.swagger.json", url, "schemathesis-mailpit.toml",
        {"MAILPEN_TEST_MESSAGE_ID": message["ID"], "MAILPEN_TEST_PART_ID": message["Attachments"][0]["PartID"],
         "SCHEMATHESIS_HOOKS": "schemathesis_compat_hooks", "PYTHONPATH": HERE},
        exclude_checks=["content_type_conformance"])
    # Every operation of the description was exercised.
    assert "Tested: 25" in output, output[-2000:]
    assert server.process.poll() is None
    with urllib.request.urlopen(url + "/livez") as response:
        assert response.status == 200


def test_mailhog_description_conforms(make_server):
    server = start_compat_server(make_server)
    for number in range(3):
        send(server, f"Order {number}")
    output = run_schemathesis(
        "mailhog-api-v2.swagger.json", f"http://127.0.0.1:{server.mailhog_port}", "schemathesis-mailhog.toml",
        {"SCHEMATHESIS_HOOKS": "schemathesis_compat_hooks", "PYTHONPATH": HERE},
        exclude_checks=["status_code_conformance"])
    assert "Tested: 2" in output, output[-2000:]
    assert server.process.poll() is None
