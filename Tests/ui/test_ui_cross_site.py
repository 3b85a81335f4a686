"""A web page the developer visits cannot touch Mailpen: a real chromium runs an attacker's page served from
another local port (and, through a host-resolver rule, from a foreign name that points at 127.0.0.1) which
tries to ingest, create, delete and read, in every way a page can send a request."""
import http.server
import json
import threading

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from testmessage import make_message
from uihelpers import CHROMEDRIVER, chrome_options, free_port, wait

ATTACK = """<!doctype html><html><body><script>
const M = %(mailpen)s;
const results = {};
async function attempt(name, run) {
  try { results[name] = await run(); } catch (error) { results[name] = "error: " + error; }
}
(async () => {
  const message = "From: a@evil.example\\r\\nTo: victim@example.com\\r\\nSubject: pwned-ingest\\r\\n\\r\\nhi\\r\\n";
  await attempt("ingest-no-cors", async () => (await fetch(M + "/api/v1/inboxes/default/messages",
    { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: message })).type);
  await attempt("ingest-rfc822", async () => (await fetch(M + "/api/v1/inboxes/default/messages",
    { method: "POST", headers: { "Content-Type": "message/rfc822" }, body: message })).status);
  await attempt("create-no-cors", async () => (await fetch(M + "/api/v1/inboxes", { method: "POST", mode: "no-cors",
    headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ name: "pwned", routes: ["*"] }) })).type);
  await attempt("create-json", async () => (await fetch(M + "/api/v1/inboxes", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "pwned2", routes: ["*"] }) })).status);
  await attempt("delete", async () => (await fetch(M + "/api/v1/inboxes/default/messages", { method: "DELETE" })).status);
  await attempt("delete-no-cors", async () => (await fetch(M + "/api/v1/inboxes/default/messages",
    { method: "DELETE", mode: "no-cors" })).type);
  await attempt("read", async () => JSON.stringify(await (await fetch(M + "/api/v1/inboxes")).json()));
  await attempt("read-no-cors", async () => (await (await fetch(M + "/api/v1/inboxes", { mode: "no-cors" })).text()));
  // A form posts across origins without asking first, as text/plain.
  const frame = document.createElement("iframe");
  frame.name = "sink";
  document.body.append(frame);
  const form = document.createElement("form");
  form.method = "POST";
  form.enctype = "text/plain";
  form.action = M + "/api/v1/inboxes/default/messages";
  form.target = "sink";
  const field = document.createElement("input");
  field.name = "From: a@evil.example\\r\\nTo: victim@example.com\\r\\nSubject: pwned-form\\r\\n\\r\\nx";
  field.value = "y";
  form.append(field);
  document.body.append(form);
  await new Promise((resolve) => { frame.onload = resolve; form.submit(); });
  results.done = true;
  document.title = "done";
})();
</script></body></html>"""


class AttackerSite:
    """A page server on a port of its own: another origin than Mailpen's."""

    def __init__(self, mailpen_url):
        page = (ATTACK % {"mailpen": json.dumps(mailpen_url)}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def rebinding_driver():
    """A chromium for which evil.example and mailpen.evil.example are 127.0.0.1, as after DNS rebinding."""
    options = chrome_options()
    options.add_argument("--host-resolver-rules=MAP evil.example 127.0.0.1, MAP mailpen.evil.example 127.0.0.1")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def state(mailpen):
    status, inboxes = mailpen.api("GET", "/api/v1/inboxes")
    assert status == 200
    names = sorted(inbox["name"] for inbox in inboxes["inboxes"])
    return names, mailpen.messages("default")["total"]


@pytest.mark.parametrize("page_host", ["127.0.0.1", "evil.example"])
def test_a_page_of_another_origin_cannot_ingest_create_delete_or_read(fresh_mailpen, rebinding_driver, page_host):
    mailpen = fresh_mailpen
    mailpen.send(make_message("kept"))
    before = state(mailpen)
    site = AttackerSite(mailpen.base_url)
    try:
        rebinding_driver.get(f"http://{page_host}:{site.port}/attack.html")
        wait(rebinding_driver, 20).until(lambda d: d.title == "done")
        results = rebinding_driver.execute_script("return results")
    finally:
        site.close()
    assert state(mailpen) == before, results
    assert "pwned" not in json.dumps(mailpen.messages("default"))
    # Nothing the page could read carries the mail or the inboxes' passwords.
    assert "password" not in json.dumps(results), results
    assert results["read-no-cors"] == "", results
    assert results["create-json"].startswith("error"), results  # the preflight is not answered
    assert results["delete"].startswith("error"), results


def test_a_rebound_name_gets_nothing_from_mailpen(fresh_mailpen, rebinding_driver):
    # The page's own name now resolves to 127.0.0.1, so its requests to Mailpen's port are same-origin.
    port = fresh_mailpen.http_port
    rebinding_driver.get(f"http://mailpen.evil.example:{port}/api/v1/inboxes")
    body = rebinding_driver.find_element("tag name", "body").text
    assert "password" not in body
    assert "--allowed-host" in body
    rebinding_driver.get(f"http://mailpen.evil.example:{port}/")
    assert "Mailpen" not in rebinding_driver.title
    outcome = rebinding_driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch("/api/v1/inboxes", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name: "rebound" }) }).then((r) => done(r.status), (e) => done(String(e)));""")
    assert outcome == 421, outcome
    assert "rebound" not in state(fresh_mailpen)[0]
