"""Chaos rules against a real `mailpen serve`: what smtplib, swaks and a raw socket see when the rules refuse,
delay or hang up, what is stored (nothing of a refused transaction), and the API that sets the rules."""
import json
import shutil
import smtplib
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import BINARY, data_phase, greeted

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: chaos\r\n\r\n" + b"line of body text\r\n" * 200


def api(server, method, path, body=None):
    """Calls the API; returns (status, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def set_rules(server, rules, seed=None, inbox=None):
    body = {"rules": rules}
    if seed is not None:
        body["seed"] = seed
    path = f"/api/v1/inboxes/{inbox}/chaos" if inbox else "/api/v1/chaos"
    status, answer = api(server, "PUT", path, body)
    assert status == 200, answer
    return answer


def send(server, sender="a@example.com", recipients=("b@example.com",), message=MESSAGE, login=None):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        if login:
            client.login(*login)
        client.sendmail(sender, list(recipients), message)


def stored(server, inbox="default"):
    return server.messages(inbox)


# The exception smtplib raises for a refusal at each stage, and how to get its code.
STAGES = [
    ("ehlo", "554 5.7.0 Not talking to you", smtplib.SMTPHeloError),
    ("mail", "451 4.3.0 Try again later", smtplib.SMTPSenderRefused),
    ("rcpt", "550 5.1.1 No such user", smtplib.SMTPRecipientsRefused),
    ("data", "452 4.3.1 Out of space", smtplib.SMTPDataError),
    ("message", "554 5.7.1 Message refused", smtplib.SMTPDataError),
]


def code_of(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return next(iter(error.recipients.values()))
    return error.smtp_code, error.smtp_error


@pytest.mark.parametrize("stage,reply,exception", STAGES, ids=[stage for stage, _, _ in STAGES])
def test_each_stage_answers_with_the_configured_reply_and_stores_nothing(server, stage, reply, exception):
    set_rules(server, [{"stage": stage, "reply": reply}])
    with pytest.raises(exception) as raised:
        send(server)
    code, text = code_of(raised.value)
    assert code == int(reply[:3])
    assert text.decode() == reply[4:]
    assert stored(server) == []
    status, state = api(server, "GET", "/api/v1/chaos")
    assert status == 200 and state["rules"][0]["hits"] >= 1
    # Without the rule the same client gets through.
    assert api(server, "DELETE", "/api/v1/chaos")[0] == 204
    send(server)
    assert [subject for _, subject in stored(server)] == ["chaos"]


def test_a_421_closes_the_connection_as_it_says(server):
    # RFC 5321 §3.8: 421 is the server closing the channel, and it does, at whatever stage a rule gives it.
    set_rules(server, [{"stage": "mail", "reply": "421 4.3.2 Closing"}])
    with greeted(server) as (sock, reader):
        sock.sendall(b"MAIL FROM:<a@example.com>\r\n")
        assert reader.readline() == b"421 4.3.2 Closing\r\n"
        assert reader.readline() == b""


def test_auth_stage_refuses_the_inbox_named_by_the_username(server):
    status, _ = api(server, "POST", "/api/v1/inboxes", {"name": "shop", "password": "secret"})
    assert status == 201
    set_rules(server, [{"stage": "auth", "reply": "454 4.7.0 Temporary authentication failure"}], inbox="shop")
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as raised:
            client.login("shop", "secret")
        assert raised.value.smtp_code == 454
    # Another inbox's sessions are not affected.
    send(server, login=("other", "pw"))
    assert len(stored(server, "other")) == 1
    assert stored(server, "shop") == []


def test_bdat_stage_refuses_the_chunk(server):
    set_rules(server, [{"stage": "bdat", "reply": "452 4.3.1 Chunk refused"}])
    with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220")
        sock.sendall(b"EHLO c.test\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        sock.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 14 LAST\r\nSubject: x\r\n\r\n")
        assert reader.readline().startswith(b"250")
        assert reader.readline().startswith(b"250")
        assert reader.readline() == b"452 4.3.1 Chunk refused\r\n"
        sock.sendall(b"QUIT\r\n")
        assert reader.readline().startswith(b"221")
    assert stored(server) == []


def test_swaks_sees_the_configured_codes(server):
    assert shutil.which("swaks"), "swaks is not installed (apt-get install swaks)"
    set_rules(server, [{"stage": "rcpt", "reply": "550 5.1.1 Unknown here", "match": "rcpt:nobody@"}])
    result = subprocess.run(["swaks", "--server", f"127.0.0.1:{server.smtp_port}", "--to", "nobody@example.com",
                             "--from", "a@example.com", "--hide-informational"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "<** 550 5.1.1 Unknown here" in result.stdout
    result = subprocess.run(["swaks", "--server", f"127.0.0.1:{server.smtp_port}", "--to", "somebody@example.com",
                             "--from", "a@example.com", "--hide-informational"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(stored(server)) == 1


def test_match_restricts_a_rule_to_its_senders(server):
    set_rules(server, [{"stage": "mail", "reply": "550 5.7.1 Go away", "match": "from:@bad.example"}])
    with pytest.raises(smtplib.SMTPSenderRefused):
        send(server, sender="x@BAD.example")
    send(server, sender="x@good.example")
    assert len(stored(server)) == 1


def test_inbox_rules_apply_once_a_recipient_routes_to_the_inbox(server):
    status, _ = api(server, "POST", "/api/v1/inboxes", {"name": "shop", "routes": ["*@shop.example"]})
    assert status == 201
    set_rules(server, [{"stage": "rcpt", "reply": "451 4.3.0 Shop is closed"}], inbox="shop")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(server, recipients=["orders@shop.example"])
    send(server, recipients=["someone@elsewhere.example"])
    assert stored(server, "shop") == []
    assert len(stored(server)) == 1


def test_times_removes_the_rule_after_its_hits(server):
    set_rules(server, [{"stage": "rcpt", "reply": "451 4.3.0 Try again", "times": 2}])
    outcomes = []
    for _ in range(4):
        try:
            send(server)
            outcomes.append(250)
        except smtplib.SMTPRecipientsRefused as error:
            outcomes.append(next(iter(error.recipients.values()))[0])
    assert outcomes == [451, 451, 250, 250]
    assert len(stored(server)) == 2
    status, state = api(server, "GET", "/api/v1/chaos")
    assert status == 200 and state["rules"] == []
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=30) as response:
        metrics = response.read().decode()
    assert 'mailpen_chaos_hits_total{stage="rcpt"} 2' in metrics


def test_delay_slows_the_stage_and_then_answers_normally(server):
    set_rules(server, [{"stage": "mail", "delayMs": 1500}])
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.ehlo()
        started = time.monotonic()
        code, _ = client.mail("a@example.com")
        elapsed = time.monotonic() - started
        assert code == 250
        assert client.rcpt("b@example.com")[0] == 250
        assert client.data(MESSAGE)[0] == 250
    assert elapsed >= 1.4
    assert elapsed < 15
    assert len(stored(server)) == 1
    # The other stages are not slowed.
    set_rules(server, [])
    started = time.monotonic()
    send(server)
    assert time.monotonic() - started < elapsed


def test_a_delay_past_the_idle_timeout_is_not_the_clients_idleness(make_server):
    # The client waits for the held-back reply: the server's idle timeout (1 s) must not cut it off.
    server = make_server(["--idle-timeout", "1"])
    set_rules(server, [{"stage": "mail", "delayMs": 2500}])
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.ehlo()
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("b@example.com")[0] == 250
        assert client.data(MESSAGE)[0] == 250
    assert len(stored(server)) == 1
    # A client that is silent itself is still cut off after the idle timeout.
    with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=10) as sock:
        sock.settimeout(10)
        received = b""
        while not received.endswith(b"\r\n") or b"421" not in received:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
        assert b"421" in received, received


def test_a_delayed_session_does_not_hold_up_the_others(server):
    # The delay is a timer on the event loop: sessions sharing that loop go on meanwhile.
    set_rules(server, [{"stage": "mail", "delayMs": 4000, "match": "from:slow@"}])
    slow = threading.Thread(target=send, args=(server,), kwargs={"sender": "slow@example.com"})
    started = time.monotonic()
    slow.start()
    time.sleep(0.3)
    for index in range(6):
        send(server, sender=f"fast{index}@example.com")
    fast_done = time.monotonic() - started
    slow.join(timeout=30)
    slow_done = time.monotonic() - started
    assert fast_done < 3.5, fast_done
    assert slow_done >= 3.9
    assert len(stored(server)) == 7


def test_disconnect_in_data_leaves_nothing_stored(server):
    set_rules(server, [{"stage": "data", "disconnect": True}])
    big = MESSAGE + b"x" * 200_000 + b"\r\n"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send(server, message=big)
    # A raw client without SIZE: it gets the 354, then the connection drops while it sends.
    with data_phase(server, helo=b"c.test") as (sock, reader):
        try:
            sock.sendall(big + b".\r\n")
            # A close with the client's bytes still unread reaches it as a reset rather than an end of file.
            assert reader.read() == b""
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert stored(server) == []
    assert server.query("SELECT count(*) FROM message")[0][0] == 0
    api(server, "DELETE", "/api/v1/chaos")
    send(server)
    assert len(stored(server)) == 1


def test_disconnect_at_message_end_stores_nothing(server):
    set_rules(server, [{"stage": "message", "disconnect": True}])
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send(server)
    assert server.query("SELECT count(*) FROM message")[0][0] == 0


def test_global_connect_rule_refuses_before_the_greeting(server):
    set_rules(server, [{"stage": "connect", "reply": "554 5.3.2 Not accepting mail"}])
    with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as sock:
        reader = sock.makefile("rb")
        assert reader.readline() == b"554 5.3.2 Not accepting mail\r\n"
        assert reader.read() == b""
    with pytest.raises(smtplib.SMTPConnectError) as raised:
        smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30)
    assert raised.value.smtp_code == 554


def greeting_codes(server, count):
    codes = []
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", server.smtp_port), timeout=30) as sock:
            reader = sock.makefile("rb")
            line = reader.readline()
            codes.append(int(line[:3]))
            if line.startswith(b"220"):
                sock.sendall(b"QUIT\r\n")
                reader.readline()
    return codes


def test_seeded_probability_repeats_its_outcomes_at_the_given_rate(server):
    rule = {"stage": "connect", "reply": "421 4.3.2 Busy", "probability": 30}
    set_rules(server, [rule], seed=42)
    first = greeting_codes(server, 1000)
    set_rules(server, [rule], seed=42)
    second = greeting_codes(server, 1000)
    assert first == second
    refused = first.count(421)
    assert 250 <= refused <= 350, refused
    assert set(first) == {220, 421}
    status, state = api(server, "GET", "/api/v1/chaos")
    assert status == 200 and state["seed"] == 42 and state["rules"][0]["hits"] == refused
    # Another seed gives another sequence.
    set_rules(server, [rule], seed=43)
    assert greeting_codes(server, 200) != first[:200]


@pytest.mark.parametrize("body,fragment", [
    ({"rules": [{"stage": "helo", "reply": "451"}]}, "stage must be one of"),
    ({"rules": [{"stage": "mail", "reply": "451", "probability": 101}]}, "probability"),
    ({"rules": [{"stage": "mail", "reply": "250 ok"}]}, "400 to 599"),
    ({"rules": [{"stage": "mail", "reply": "451 4.3.0 a\r\n250 ok"}]}, "CR or LF"),
    ({"rules": [{"stage": "mail", "reply": "451 4.3.0 caf\u00e9 \u2028 x"}]}, "printable ASCII"),
    ({"rules": [{"stage": "mail", "reply": "451 5.3.0 mixed"}]}, "does not match"),
    ({"rules": [{"stage": "mail", "delayMs": 60001}]}, "delayMs"),
    ({"rules": [{"stage": "mail", "delayMs": -1}]}, "delayMs"),
    ({"rules": [{"stage": "mail", "reply": "451", "times": 0}]}, "times"),
    ({"rules": [{"stage": "mail"}]}, "needs a reply"),
    ({"rules": [{"stage": "mail", "reply": "451", "disconnect": True}]}, "not both"),
    ({"rules": [{"stage": "mail", "reply": "451", "match": "subject:hello"}]}, "from:, to: and rcpt:"),
    ({"rules": [{"stage": "mail", "reply": "451", "match": "from:\"open"}]}, "match"),
    ({"rules": [{"stage": "connect", "reply": "451", "match": "from:x"}]}, "match needs the envelope"),
    ({"seed": -1, "rules": []}, "seed"),
    ({"rules": [{"stage": "mail", "disconnect": True}] * 101}, "at most 100"),
    ({"rules": "none"}, "invalid JSON"),
    ({"rules": [{"stage": "mail", "reply": "451", "delay_ms": 10}]}, "unknown field 'delay_ms'"),
    ({"rules": [{"stage": "mail", "reply": "451", "match": "rcpt:@qa.example\u0000rcpt:@none.example"}]},
     "control characters"),
])
def test_invalid_rules_are_refused_and_change_nothing(server, body, fragment):
    set_rules(server, [{"stage": "ehlo", "delayMs": 1}])
    status, answer = api(server, "PUT", "/api/v1/chaos", body)
    assert status == 400
    assert fragment in answer["error"]
    status, state = api(server, "GET", "/api/v1/chaos")
    assert [rule["stage"] for rule in state["rules"]] == ["ehlo"]


def test_operator_bounds_come_from_the_flags_and_the_environment(make_server):
    tight = make_server(["--chaos-max-delay-ms", "500", "--chaos-max-rules", "2"])
    status, answer = api(tight, "PUT", "/api/v1/chaos", {"rules": [{"stage": "mail", "delayMs": 501}]})
    assert status == 400 and "delayMs" in answer["error"] and "500" in answer["error"]
    assert api(tight, "PUT", "/api/v1/chaos", {"rules": [{"stage": "mail", "delayMs": 500}]})[0] == 200
    status, answer = api(tight, "PUT", "/api/v1/chaos", {"rules": [{"stage": "mail", "delayMs": 1}] * 3})
    assert status == 400 and "at most 2" in answer["error"]
    loose = make_server(env={"MAILPEN_CHAOS_MAX_DELAY_MS": "120000", "MAILPEN_CHAOS_MAX_RULES": "200"})
    rules = [{"stage": "mail", "delayMs": 120000, "probability": 0}] * 150
    status, answer = api(loose, "PUT", "/api/v1/chaos", {"rules": rules})
    assert status == 200 and len(answer["rules"]) == 150


@pytest.mark.parametrize("flag,value", [("--chaos-max-delay-ms", "-1"), ("--chaos-max-delay-ms", "3600001"),
                                        ("--chaos-max-rules", "0"), ("--chaos-max-rules", "x")])
def test_out_of_range_bounds_are_a_usage_error(flag, value, workdir):
    result = subprocess.run([BINARY, "serve", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", flag, value],
                            capture_output=True, text=True, timeout=30, cwd=workdir)
    assert result.returncode != 0 and flag in result.stderr


def test_inbox_rules_need_the_inbox(server):
    status, answer = api(server, "PUT", "/api/v1/inboxes/nope/chaos", {"rules": []})
    assert status == 404 and "nope" in answer["error"]
    assert api(server, "GET", "/api/v1/inboxes/nope/chaos")[0] == 404


def test_rules_show_their_defaults_and_survive_a_restart(make_server):
    server = make_server()
    answer = set_rules(server, [{"stage": "rcpt", "reply": "451 4.3.0  Try  later", "times": 3}], seed=7)
    assert {key: answer[key] for key in ("inbox", "seed", "rules")} == {"inbox": None, "seed": 7, "rules": [
        {"stage": "rcpt", "reply": "451 4.3.0  Try  later", "probability": 100, "times": 3, "delayMs": 0,
         "disconnect": False, "match": None, "hits": 0}]}
    # Mailpit's view of the same global rules, for its clients on the shared path.
    assert answer["Recipient"] == {"ErrorCode": 451, "Probability": 100}
    assert answer["Sender"] == {"ErrorCode": 451, "Probability": 0}
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(server)
    server.stop()
    again = make_server(db=server.db)
    status, state = api(again, "GET", "/api/v1/chaos")
    assert status == 200 and state["rules"][0]["hits"] == 1
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(again)


def test_cli_sets_shows_and_clears_rules(server):
    from mailpenprocess import BINARY
    target = ["--server", server.base_url]
    rules = json.dumps([{"stage": "rcpt", "reply": "451 4.3.0 Try later", "times": 5}])
    result = subprocess.run([BINARY, "chaos", "set", *target, "--seed", "9", rules],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "set 1 global chaos rule(s)" in result.stdout
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(server)
    result = subprocess.run([BINARY, "chaos", "get", *target], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "seed 9" in result.stdout
    assert "rcpt" in result.stdout and 'reply "451 4.3.0 Try later"' in result.stdout
    result = subprocess.run([BINARY, "chaos", "get", *target, "--json"], capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)["rules"][0]["hits"] == 1
    result = subprocess.run([BINARY, "chaos", "set", *target, '[{"stage": "rcpt", "probability": 200, "reply": "451"}]'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "probability" in result.stderr
    api(server, "POST", "/api/v1/inboxes", {"name": "shop"})
    result = subprocess.run([BINARY, "chaos", "set", *target, "--inbox", "shop", '{"rules": [{"stage": "mail", "delayMs": 5}]}'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert api(server, "GET", "/api/v1/inboxes/shop/chaos")[1]["rules"][0]["delayMs"] == 5
    result = subprocess.run([BINARY, "chaos", "clear", *target], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert api(server, "GET", "/api/v1/chaos")[1]["rules"] == []
    send(server)


def test_what_get_shows_can_be_sent_back(server):
    # A client reads an inbox's rules, changes one and sends the whole back, counters and all.
    status, _ = api(server, "PUT", "/api/v1/inboxes/default/chaos",
                    {"seed": 7, "rules": [{"stage": "mail", "reply": "451 4.3.0 busy", "match": "from:slow@"}]})
    assert status == 200
    status, state = api(server, "GET", "/api/v1/inboxes/default/chaos")
    assert status == 200 and "hits" in state["rules"][0]
    state["rules"][0]["probability"] = 50
    status, answer = api(server, "PUT", "/api/v1/inboxes/default/chaos", state)
    assert status == 200, answer
    assert answer["seed"] == 7 and answer["rules"][0]["probability"] == 50
    assert answer["rules"][0]["match"] == "from:slow@"


def test_mailpit_triggers_map_onto_global_rules(server):
    request = urllib.request.Request(
        server.base_url + "/api/v1/chaos", method="PUT",
        data=json.dumps({"Sender": {"ErrorCode": 452, "Probability": 100}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert {key: answer[key] for key in ("Authentication", "Recipient", "Sender")} == {
        "Authentication": {"ErrorCode": 451, "Probability": 0},
        "Recipient": {"ErrorCode": 451, "Probability": 0},
        "Sender": {"ErrorCode": 452, "Probability": 100}}
    assert [(rule["stage"], rule["reply"]) for rule in answer["rules"]] == [("mail", "452 Chaos error")]
    with pytest.raises(smtplib.SMTPSenderRefused) as raised:
        send(server)
    assert raised.value.smtp_code == 452
    status, state = api(server, "GET", "/api/v1/chaos")
    assert state["Sender"] == {"ErrorCode": 452, "Probability": 100}
    assert state["rules"][0]["stage"] == "mail"
    # A client that sends back what GET showed, Mailpen's members included, with one trigger changed.
    state["Recipient"] = {"ErrorCode": 453, "Probability": 100}
    status, answer = api(server, "PUT", "/api/v1/chaos", state)
    assert status == 200 and answer["Recipient"] == {"ErrorCode": 453, "Probability": 100}, answer
    assert sorted((rule["stage"], rule["reply"]) for rule in answer["rules"]) == [
        ("mail", "452 Chaos error"), ("rcpt", "453 Chaos error")]
    with urllib.request.urlopen(server.base_url + "/api/v1/webui", timeout=30) as response:
        assert json.loads(response.read())["ChaosEnabled"] is True
    # Mailpit's own validation message for a bad code, as plain text.
    bad = urllib.request.Request(server.base_url + "/api/v1/chaos", method="PUT",
                                 data=json.dumps({"Recipient": {"ErrorCode": 200, "Probability": 5}}).encode())
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(bad, timeout=30)
    assert raised.value.code == 400 and b"between 400 and 599" in raised.value.read()
    # Without a JSON content type, Mailpit's error for the body.
    bare = urllib.request.Request(server.base_url + "/api/v1/chaos", method="PUT", data=b"")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(bare, timeout=30)
    assert raised.value.code == 400
    # An empty trigger set turns chaos off.
    status, answer = api(server, "PUT", "/api/v1/chaos", {})
    assert status == 200 and answer["rules"] == [] and answer["Sender"]["Probability"] == 0
    send(server)


def test_mailhog_jim_maps_onto_global_rules(make_server):
    from compat_support import start_compat_server
    server = start_compat_server(make_server)
    jim = f"http://127.0.0.1:{server.mailhog_port}/api/v2/jim"

    def call(method, body=None):
        request = urllib.request.Request(jim, method=method, data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    assert call("GET")[0] == 404
    assert call("POST", {"RejectRecipientChance": 1, "RejectSenderChance": 0, "RejectAuthChance": 0,
                         "AcceptChance": 1, "DisconnectChance": 0})[0] == 201
    status, body = call("GET")
    assert status == 200
    settings = json.loads(body)
    assert settings["RejectRecipientChance"] == 1 and settings["AcceptChance"] == 1
    with pytest.raises(smtplib.SMTPRecipientsRefused) as raised:
        send(server)
    assert next(iter(raised.value.recipients.values()))[0] == 550
    assert call("POST")[0] == 400
    assert call("PUT", {"RejectRecipientChance": 0, "AcceptChance": 0})[0] == 200
    with pytest.raises(smtplib.SMTPConnectError):
        smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30)
    assert call("PUT", {"AcceptChance": 2})[0] == 400
    assert call("DELETE")[0] == 200
    assert call("GET")[0] == 404
    send(server)
    assert len(stored(server)) == 1


def test_numbers_must_be_whole(server):
    # The API's description says integer: 0.0 or 1e2 is refused rather than read as 0 or 100.
    for body in ({"seed": 0.0, "rules": []}, {"rules": [{"stage": "rcpt", "reply": "451 4.3.0 x", "probability": 1e2}]}):
        status, answer = api(server, "PUT", "/api/v1/chaos", body)
        assert status == 400 and "whole numbers" in answer["error"], (body, answer)
    assert api(server, "PUT", "/api/v1/chaos", {"seed": 0, "rules": []})[0] == 200


def test_rules_read_each_recipient_once_not_at_every_stage(server):
    # A hundred rules that never fire, each with sixteen recipient terms, and a session of 400 recipients:
    # were every RCPT to make every rule read every recipient given so far, the session would hold the
    # rules' lock and the event loop for minutes. Read once each, the rules add little.
    recipients = [f"user{n}.{'x' * 120}@example.com" for n in range(400)]
    terms = " ".join(f"-to:never{n}{'q' * 30}" for n in range(16))

    def session_seconds():
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=120) as client:
            client.sendmail("a@example.com", recipients, MESSAGE)
        return time.monotonic() - started

    plain = min(session_seconds() for _ in range(2))
    set_rules(server, [{"stage": "rcpt", "reply": "451 4.3.0 never", "probability": 0, "match": terms}] * 100)
    ruled = min(session_seconds() for _ in range(2))
    print(f"\n400 recipients: {plain:.2f} s without rules, {ruled:.2f} s with 100 rules of 16 terms")
    assert ruled < plain + 5, f"{ruled:.1f} s with the rules against {plain:.1f} s without"
    # The rules never fired: every session's message was stored, and the server still takes mail.
    send(server)
    assert len(stored(server)) == 5
