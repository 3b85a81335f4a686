// One event stream for every Mailpen tab of this browser (a SharedWorker). Browsers allow only six
// HTTP/1.1 connections per server and a stream holds one for as long as it is open, so a stream per
// tab would leave the seventh tab unable to load anything. Tabs talk to this worker over MessagePorts.

const ports = new Set();
let source = null;
let state = "connecting";
let opened = false;

function broadcast(message) {
  for (const port of ports) port.postMessage(message);
}

function open() {
  source = new EventSource("/api/v1/events");
  source.addEventListener("open", () => {
    state = "live";
    broadcast({ type: "status", state });
    // After a reconnect anything may have happened meanwhile: every tab reloads its views.
    broadcast({ type: opened ? "resync" : "connected" });
    opened = true;
  });
  source.addEventListener("error", () => {
    state = source.readyState === EventSource.CLOSED ? "offline" : "connecting";
    broadcast({ type: "status", state });
    if (source.readyState === EventSource.CLOSED) setTimeout(() => { if (source.readyState === EventSource.CLOSED) open(); }, 3000);
  });
  for (const name of ["stored", "deleted", "read", "inbox", "delivery"]) {
    source.addEventListener(name, (event) => broadcast({ type: name, data: event.data }));
  }
  source.addEventListener("resync", () => broadcast({ type: "resync" }));
}

self.addEventListener("connect", (event) => {
  const port = event.ports[0];
  ports.add(port);
  port.addEventListener("message", (message) => {
    if (message.data === "bye") ports.delete(port);
    else if (message.data === "hello") {
      ports.add(port);
      port.postMessage({ type: "status", state });
      if (state === "live") port.postMessage({ type: "connected" });
    }
  });
  port.start();
  if (!source) open();
  port.postMessage({ type: "status", state });
  if (state === "live") port.postMessage({ type: "connected" }); // the stream was already up: catch up
});
