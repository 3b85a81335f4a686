// Hash routes: #/inbox/<name> and #/inbox/<name>/message/<id>[/<tab>]. Back and forward work because
// every navigation that changes the inbox or the message is a real history entry.

export const TABS = ["html", "text", "source", "headers", "parts", "checks", "envelope"];

export function parseHash(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").map((part) => {
    try { return decodeURIComponent(part); } catch { return part; }
  });
  const route = { inbox: null, message: null, tab: null };
  if (parts[0] === "inbox" && parts[1]) {
    route.inbox = parts[1];
    if (parts[2] === "message" && parts[3]) {
      route.message = parts[3];
      if (TABS.includes(parts[4])) route.tab = parts[4];
    }
  }
  return route;
}

export function hashFor({ inbox, message, tab }) {
  let hash = `#/inbox/${encodeURIComponent(inbox)}`;
  if (message) {
    hash += `/message/${encodeURIComponent(message)}`;
    if (tab) hash += `/${tab}`;
  }
  return hash;
}

/** Navigates by adding a history entry (fires hashchange). */
export function go(route) {
  const hash = hashFor(route);
  if (location.hash !== hash) location.hash = hash;
}

/** Changes the address without a history entry and without a hashchange (tab switches). */
export function replace(route) {
  const hash = hashFor(route);
  if (location.hash !== hash) history.replaceState(history.state, "", hash);
}
