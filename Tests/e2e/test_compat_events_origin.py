"""Mailpit's event web socket (`/api/events`) behind the origin check, with a real web socket client: a page
of another site is refused with 403 and a JSON error before any event can reach it, Mailpen's own page and
clients that send no Origin get through."""
import json

import pytest
import websocket

from compat_support import send


def events_url(server):
    return f"ws://127.0.0.1:{server.http_port}/api/events"


@pytest.mark.parametrize("headers", [
    {"origin": "http://evil.example"},
    {"origin": "http://127.0.0.1:1"},
    {"header": ["Sec-Fetch-Site: cross-site"]},
], ids=["other-site", "other-port", "sec-fetch-site"])
def test_a_cross_site_handshake_is_refused_with_403_and_a_json_error(make_server, headers):
    server = make_server()
    with pytest.raises(websocket.WebSocketBadStatusException) as raised:
        websocket.create_connection(events_url(server), timeout=10, **headers)
    assert raised.value.status_code == 403
    body = json.loads(raised.value.resp_body)
    assert "cross-origin request refused" in body["error"]
    # A same-origin handshake still gets through afterwards.
    same = websocket.create_connection(
        events_url(server), timeout=10, origin=f"http://127.0.0.1:{server.http_port}")
    same.close()


def test_a_same_origin_handshake_is_accepted_and_streams_events(make_server):
    server = make_server()
    for headers in ({"origin": f"http://127.0.0.1:{server.http_port}"},
                    {"origin": f"http://localhost:{server.http_port}",
                     "host": f"localhost:{server.http_port}"},
                    {}):
        socket = websocket.create_connection(events_url(server), timeout=10, **headers)
        try:
            send(server, "Seen")
            frame = json.loads(socket.recv())
            assert frame["Type"] == "new" and frame["Data"]["Subject"] == "Seen"
        finally:
            socket.close()


def test_a_handshake_under_a_foreign_host_is_refused_with_421(make_server):
    server = make_server()
    with pytest.raises(websocket.WebSocketBadStatusException) as raised:
        websocket.create_connection(events_url(server), timeout=10, host="rebound.example")
    assert raised.value.status_code == 421
    assert "is not served here" in json.loads(raised.value.resp_body)["error"]
