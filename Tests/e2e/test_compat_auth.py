"""Which inbox a compatibility client sees: HTTP basic credentials name the inbox (checked against its SMTP
password), the operator's --ui-auth pair sees every inbox, and an inbox credential reaches nothing of the
others, on the Mailpit, MailHog and Mailpen APIs alike."""
import base64
import json
import smtplib

from mailpit.client.api import API

from compat_support import call, inbox_password, json_call, send, start_compat_server


def test_smtp_auth_mail_is_visible_to_its_inbox_credential_only(make_server):
    server = start_compat_server(make_server)
    send(server, "Shop order", user="shop", password="shop-secret")
    send(server, "Blog comment", user="blog", password="blog-secret")
    send(server, "Unauthenticated")
    shop = ("shop", inbox_password(server, "shop"))
    blog = ("blog", inbox_password(server, "blog"))
    url = f"http://127.0.0.1:{server.http_port}"

    # The Mailpit client logged in as shop sees shop's mail; as blog, blog's; without credentials, all.
    shop_api = API(f"http://{shop[0]}:{shop[1]}@127.0.0.1:{server.http_port}", timeout=10)
    assert [m.subject for m in shop_api.get_messages().messages] == ["Shop order"]
    blog_api = API(f"http://{blog[0]}:{blog[1]}@127.0.0.1:{server.http_port}", timeout=10)
    assert [m.subject for m in blog_api.get_messages().messages] == ["Blog comment"]
    everything = json.loads(call("GET", url + "/api/v1/messages")[2])
    assert sorted(m["Subject"] for m in everything["messages"]) == ["Blog comment", "Shop order", "Unauthenticated"]
    assert everything["total"] == 3

    shop_id = shop_api.get_messages().messages[0].id
    # blog cannot read, change or delete shop's message by id, through either API.
    for path in (f"/api/v1/message/{shop_id}", f"/api/v1/message/{shop_id}/raw", f"/api/v1/message/{shop_id}/headers",
                 f"/view/{shop_id}.html", f"/api/v1/messages/{shop_id}", f"/api/v1/messages/{shop_id}/raw"):
        status, _, data = call("GET", url + path, auth=blog)
        assert status == 404, (path, status, data)
        assert b"Shop order" not in data
    assert json_call("PUT", url + "/api/v1/messages", {"IDs": [shop_id], "Read": True}, auth=blog)[0] == 200
    assert json_call("DELETE", url + "/api/v1/messages", {"IDs": [shop_id]}, auth=blog)[0] == 200
    assert call("DELETE", url + f"/api/v1/messages/{shop_id}", auth=blog)[0] == 404
    # ... nor see it in searches, latest, tags or events, nor delete it with "delete all".
    assert json.loads(call("GET", url + "/api/v1/search?query=order", auth=blog)[2])["messages_count"] == 0
    assert json.loads(call("GET", url + "/api/v1/message/latest", auth=blog)[2])["Subject"] == "Blog comment"
    assert call("DELETE", url + "/api/v1/messages", auth=blog)[0] == 200
    assert json.loads(call("GET", url + "/api/v1/messages", auth=shop)[2])["unread"] == 1
    shop_view = json.loads(call("GET", url + f"/api/v1/message/{shop_id}", auth=shop)[2])
    assert shop_view["Subject"] == "Shop order" and shop_view["Username"] == "shop"
    assert json.loads(call("GET", url + "/api/v1/messages")[2])["total"] == 2

    # On Mailpen's own API, the blog credential sees its inbox alone and cannot reach shop's.
    inboxes = json.loads(call("GET", url + "/api/v1/inboxes", auth=blog)[2])["inboxes"]
    assert [i["name"] for i in inboxes] == ["blog"]
    assert call("GET", url + "/api/v1/inboxes/shop/messages", auth=blog)[0] == 403
    assert call("GET", url + "/api/v1/inboxes/blog/messages", auth=blog)[0] == 200
    assert call("PATCH", url + "/api/v1/inboxes/blog", json.dumps({"routes": ["*"]}).encode(),
                {"Content-Type": "application/json"}, auth=blog)[0] == 403
    assert json_call("POST", url + "/api/v1/inboxes", {"name": "new"}, auth=blog)[0] == 403
    assert call("GET", url + "/api/v1/events?inbox=shop", auth=blog)[0] == 403
    assert call("GET", url + "/metrics", auth=blog)[0] == 403

    # The MailHog listener applies the same credentials.
    hog = f"http://127.0.0.1:{server.mailhog_port}"
    shop_items = json.loads(call("GET", hog + "/api/v2/messages", auth=shop)[2])["items"]
    assert [m["Content"]["Headers"]["Subject"][0] for m in shop_items] == ["Shop order"]
    assert call("GET", hog + f"/api/v1/messages/{shop_id}", auth=blog)[2] == b"null"

    # On this open server (no --ui-auth, --smtp-auth any) the name alone narrows the view, as SMTP takes any
    # password; an inbox without mail shows none.
    named = json.loads(call("GET", url + "/api/v1/messages", auth=("shop", "any password"))[2])
    assert [m["Subject"] for m in named["messages"]] == ["Shop order"]
    assert json.loads(call("GET", url + "/api/v1/messages", auth=("nobody", "x"))[2])["total"] == 0
    assert call("GET", url + "/api/v1/messages", auth=("not an inbox name!", "x"))[0] == 401


def test_ui_auth_credentials_open_everything_and_inbox_credentials_their_inbox(make_server):
    server = start_compat_server(make_server, args=["--ui-auth", "qa:secret"])
    send(server, "Shop order", user="shop")
    send(server, "Unauthenticated")
    url = f"http://127.0.0.1:{server.http_port}"
    operator = ("qa", "secret")
    assert call("GET", url + "/api/v1/messages")[0] == 401
    assert call("GET", f"http://127.0.0.1:{server.mailhog_port}/api/v2/messages")[0] == 401
    assert call("GET", url + "/livez")[0] == 200
    assert json.loads(call("GET", url + "/api/v1/messages", auth=operator)[2])["total"] == 2
    shop = ("shop", json.loads(call("GET", url + "/api/v1/inboxes/shop", auth=operator)[2])["smtp"]["password"])
    page = json.loads(call("GET", url + "/api/v1/messages", auth=shop)[2])
    assert (page["total"], [m["Subject"] for m in page["messages"]]) == (1, ["Shop order"])
    status, _, data = json_call("POST", url + "/api/v1/send", {
        "From": {"Email": "app@shop.test"}, "To": [{"Email": "bob@example.com"}], "Subject": "Via the API"}, auth=shop)
    assert status == 200, data
    sent = json.loads(call("GET", url + f"/api/v1/messages/{json.loads(data)['ID']}", auth=operator)[2])
    assert sent["inbox"] == "shop"
    # With --ui-auth, an inbox name needs its password: a wrong or unknown pair is refused on both listeners.
    assert call("GET", url + "/api/v1/messages", auth=("shop", "wrong"))[0] == 401
    assert call("GET", url + "/api/v1/messages", auth=("nobody", "x"))[0] == 401
    assert call("GET", f"http://127.0.0.1:{server.mailhog_port}/api/v2/messages", auth=("shop", "wrong"))[0] == 401


def test_event_streams_carry_only_the_credentials_inbox(make_server):
    """Mailpit's web socket and MailHog's server-sent events show a client the changes of the inboxes its
    credentials open: its own mail's `new`, `delete` and `stats` frames, and nothing of the others'. Each
    stream's next frame is checked after another inbox's change, so a leaked frame would be read instead."""
    import socket

    import websocket

    server = start_compat_server(make_server)
    url = f"http://127.0.0.1:{server.http_port}"

    def open_socket(auth=None):
        header = [] if auth is None else [
            "Authorization: Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()]
        return websocket.create_connection(f"ws://127.0.0.1:{server.http_port}/api/events", timeout=10, header=header)

    def frame(ws):
        return json.loads(ws.recv())

    def new_and_stats(ws):
        new, stats = frame(ws), frame(ws)
        assert new["Type"] == "new" and stats["Type"] == "stats", (new, stats)
        return new["Data"], stats["Data"]

    blog_credential = ("blog", "any password")
    events = socket.create_connection(("127.0.0.1", server.mailhog_port), timeout=10)
    events.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic "
                   + base64.b64encode(b"blog:any password") + b"\r\n\r\n")
    received = b""
    while b": connected" not in received:
        received += events.recv(4096)

    def next_event():
        """The next `data:` event's message (each event is one chunk of the chunked response)."""
        nonlocal received
        while b"data: " not in received or b"\n\n" not in received.split(b"data: ", 1)[1]:
            received += events.recv(65536)
        payload, received = received.split(b"data: ", 1)[1].split(b"\n\n", 1)
        return json.loads(payload)

    operator, shop, blog = open_socket(), open_socket(("shop", "x")), open_socket(blog_credential)
    try:
        send(server, "Shop order", user="shop")
        data, stats = new_and_stats(operator)
        assert data["Subject"] == "Shop order" and (stats["Total"], stats["Unread"]) == (1, 1)
        data, stats = new_and_stats(shop)
        assert data["Subject"] == "Shop order" and stats["Total"] == 1

        send(server, "Blog comment", user="blog")
        data, stats = new_and_stats(operator)
        assert data["Subject"] == "Blog comment" and stats["Total"] == 2
        blog_id = data["ID"]
        # blog's first frames are its own mail's, counted alone.
        data, stats = new_and_stats(blog)
        assert data["Subject"] == "Blog comment" and (stats["Total"], stats["Unread"]) == (1, 1)
        assert next_event()["Content"]["Headers"]["Subject"] == ["Blog comment"]

        status, _, body = json_call("DELETE", url + "/api/v1/messages", {"IDs": [blog_id]})
        assert (status, body) == (200, b"ok")
        assert frame(blog) == {"Type": "delete", "Data": {"ID": blog_id}}
        assert frame(blog)["Data"]["Total"] == 0
        assert frame(operator) == {"Type": "delete", "Data": {"ID": blog_id}}
        assert frame(operator)["Data"]["Total"] == 1

        # shop's next frame is its next mail: blog's new and delete never reached it.
        send(server, "Shop order 2", user="shop")
        data, stats = new_and_stats(shop)
        assert data["Subject"] == "Shop order 2" and stats["Total"] == 2
        # blog's next frames are its next mail: shop's second order never reached it, on either stream.
        send(server, "Blog reply", user="blog")
        data, stats = new_and_stats(blog)
        assert data["Subject"] == "Blog reply" and stats["Total"] == 1
        assert next_event()["Content"]["Headers"]["Subject"] == ["Blog reply"]
    finally:
        for ws in (operator, shop, blog):
            ws.close()
        events.close()


def test_inbox_credentials_cannot_change_the_global_chaos_rules(make_server):
    """The global chaos rules fail every inbox's SMTP sessions: an inbox credential may read them (Mailpen's
    route, Mailpit's triggers and MailHog's Jim share them) but not set or clear them, on either listener,
    and Mailpit's info shows it neither the database nor the server's SMTP counters."""
    server = start_compat_server(make_server, args=["--ui-auth", "qa:secret"])
    send(server, "Shop order", user="shop")
    url = f"http://127.0.0.1:{server.http_port}"
    jim = f"http://127.0.0.1:{server.mailhog_port}/api/v2/jim"
    operator = ("qa", "secret")
    shop = ("shop", json.loads(call("GET", url + "/api/v1/inboxes/shop", auth=operator)[2])["smtp"]["password"])
    rule = {"rules": [{"stage": "rcpt", "reply": "550 5.1.1 no such user"}]}

    assert json_call("PUT", url + "/api/v1/chaos", rule, auth=shop)[0] == 403
    # The router skips empty path segments; so does every check in front of it.
    for path in ("//api/v1/chaos", "/api//v1/chaos/", "//api/v1/chaos?x=1"):
        assert json_call("PUT", url + path, rule, auth=shop)[0] == 403, path
    assert call("DELETE", url + "//api/v1/chaos", auth=shop)[0] == 403
    assert call("GET", url + "//metrics", auth=shop)[0] == 403
    assert [i["name"] for i in json.loads(call("GET", url + "//api/v1/inboxes", auth=shop)[2])["inboxes"]] == ["shop"]
    assert json_call("POST", url + "//api/v1/inboxes", {"name": "mine"}, auth=shop)[0] == 403
    assert json_call("PUT", url + "/api/v1/chaos", {"Recipient": {"ErrorCode": 550, "Probability": 100}},
                     auth=shop)[0] == 403
    assert json_call("POST", jim, {"RejectRecipientChance": 1}, auth=shop)[0] == 403
    assert json.loads(call("GET", url + "/api/v1/chaos", auth=shop)[2])["rules"] == []
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: still accepted\r\n\r\nhi\r\n")

    # Rules the operator sets stay in place whatever the inbox credential tries.
    assert json_call("PUT", url + "/api/v1/chaos", rule, auth=operator)[0] == 200
    assert call("DELETE", url + "/api/v1/chaos", auth=shop)[0] == 403
    assert json_call("PUT", jim, {"RejectRecipientChance": 0}, auth=shop)[0] == 403
    assert call("DELETE", jim, auth=shop)[0] == 403
    assert len(json.loads(call("GET", url + "/api/v1/chaos", auth=shop)[2])["rules"]) == 1
    assert call("DELETE", jim, auth=operator)[0] == 200
    assert json.loads(call("GET", url + "/api/v1/chaos", auth=operator)[2])["rules"] == []

    shop_info = json.loads(call("GET", url + "/api/v1/info", auth=shop)[2])
    operator_info = json.loads(call("GET", url + "/api/v1/info", auth=operator)[2])
    assert shop_info["Database"] == "" and shop_info["RuntimeStats"]["SMTPAccepted"] == 0
    assert operator_info["Database"] != "" and operator_info["RuntimeStats"]["SMTPAccepted"] == 2
    assert (shop_info["Messages"], operator_info["Messages"]) == (1, 2)
