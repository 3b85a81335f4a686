// Server-sent events (/api/v1/events, all inboxes). Where the browser has SharedWorker, all tabs share
// one stream (js/events-worker.js) — each open stream holds one of the six connections a browser
// allows per server. Otherwise each tab opens its own EventSource. Either way: `connected` once the
// stream is up (catch up on what arrived before it), `resync` after a reconnect or when the server
// says the client fell behind (reload the views).

import { urls } from "./api.js";

const EVENTS = ["stored", "deleted", "read", "inbox", "delivery"];

export function connectEvents(handlers) {
  const deliver = (type, data) => {
    if (type === "status") { handlers.status?.(data); return; }
    if (type === "connected" || type === "resync") { handlers[type]?.(); return; }
    let parsed = null;
    try { parsed = JSON.parse(data); } catch { return; }
    if (parsed) handlers[type]?.(parsed);
  };

  if (typeof SharedWorker === "function") {
    try {
      return sharedStream(deliver);
    } catch { /* fall back to a stream of our own */ }
  }
  return ownStream(deliver);
}

function sharedStream(deliver) {
  const worker = new SharedWorker(new URL("./events-worker.js", import.meta.url), { name: "mailpen-events" });
  const port = worker.port;
  port.addEventListener("message", (event) => {
    const { type, state, data } = event.data || {};
    deliver(type, type === "status" ? state : data);
  });
  port.start();
  // Leaving (or entering the back/forward cache): stop listening; coming back: listen and reload.
  window.addEventListener("pagehide", () => port.postMessage("bye"));
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    port.postMessage("hello");
    deliver("resync");
  });
  return { close: () => port.postMessage("bye") };
}

function ownStream(deliver) {
  let source = null;
  let opened = false;
  let retryTimer = 0;

  const open = () => {
    source = new EventSource(urls.events());
    source.addEventListener("open", () => {
      deliver("status", "live");
      deliver(opened ? "resync" : "connected");
      opened = true;
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (not a network drop): retry ourselves, gently.
        deliver("status", "offline");
        clearTimeout(retryTimer);
        retryTimer = setTimeout(open, 3000);
      } else {
        deliver("status", "connecting");
      }
    });
    for (const name of EVENTS) source.addEventListener(name, (event) => deliver(name, event.data));
    source.addEventListener("resync", () => deliver("resync"));
  };

  open();
  // A page in the back/forward cache must not hold its stream (and its connection).
  window.addEventListener("pagehide", () => { clearTimeout(retryTimer); source?.close(); });
  window.addEventListener("pageshow", (event) => { if (event.persisted) open(); });
  return { close: () => { clearTimeout(retryTimer); source?.close(); } };
}
