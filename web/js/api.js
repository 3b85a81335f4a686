// The HTTP API (see /api/v1/openapi.json). Every call returns parsed JSON or throws an ApiError
// carrying the status and the server's {"error": "..."} message.

const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, { query, body, signal, accept = "json" } = {}) {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (accept === "json") init.headers.Accept = "application/json";
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The Mailpen server cannot be reached.");
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`.trim();
    try {
      const data = await response.json();
      if (data && typeof data.error === "string") message = data.error;
    } catch { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  if (response.status === 204) return null;
  return accept === "text" ? response.text() : response.json();
}

const enc = encodeURIComponent;

export const api = {
  inboxes: () => request("GET", "/inboxes"),
  createInbox: (body) => request("POST", "/inboxes", { body }),
  deleteInbox: (name) => request("DELETE", `/inboxes/${enc(name)}`),
  messages: (inbox, { q, limit, offset, since, signal } = {}) =>
    request("GET", `/inboxes/${enc(inbox)}/messages`, { query: { q, limit, offset, since }, signal }),
  deleteMessages: (inbox, q) => request("DELETE", `/inboxes/${enc(inbox)}/messages`, { query: { q } }),
  message: (id, signal) => request("GET", `/messages/${enc(id)}`, { signal }),
  updateMessage: (id, body) => request("PATCH", `/messages/${enc(id)}`, { body }),
  deleteMessage: (id) => request("DELETE", `/messages/${enc(id)}`),
  raw: (id, signal) => request("GET", `/messages/${enc(id)}/raw`, { signal, accept: "text" }),
  check: (id, kind, query, signal) => request("GET", `/messages/${enc(id)}/checks/${kind}`, { query, signal }),
  relays: () => request("GET", "/relays"),
  release: (id, body) => request("POST", `/messages/${enc(id)}/release`, { body }),
  deliveries: (id) => request("GET", `/messages/${enc(id)}/deliveries`),
  chaos: (inbox) => request("GET", `/inboxes/${enc(inbox)}/chaos`),
  setChaos: (inbox, body) => request("PUT", `/inboxes/${enc(inbox)}/chaos`, { body }),
  clearChaos: (inbox) => request("DELETE", `/inboxes/${enc(inbox)}/chaos`),
};

export const urls = {
  html: (id) => `${BASE}/messages/${enc(id)}/html`,
  raw: (id) => `${BASE}/messages/${enc(id)}/raw`,
  download: (id) => `${BASE}/messages/${enc(id)}/raw?download=1`,
  part: (id, partId, download = false) =>
    `${BASE}/messages/${enc(id)}/parts/${enc(partId)}${download ? "?download=1" : ""}`,
  events: () => `${BASE}/events`,
};
