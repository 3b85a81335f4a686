// Small DOM and formatting helpers shared by every module. Nothing here touches the network.

/**
 * Creates an element. `props` sets properties (className, textContent, hidden, …), `attrs` keys that
 * start with "aria-", "data-" or are listed in ATTRS become attributes, `on…` keys add listeners.
 * Children may be strings (always inserted as text, never parsed as HTML), nodes, arrays or null.
 */
const ATTRS = new Set(["role", "for", "title", "href", "target", "rel", "download", "type", "name", "value",
  "tabindex", "id", "src", "sandbox", "referrerpolicy", "loading", "colspan", "scope", "datetime",
  "placeholder", "autocomplete", "pattern", "min", "max", "inputmode", "spellcheck", "popovertarget", "form",
  "required", "checked", "disabled", "readonly", "aria-hidden", "width", "height", "viewBox"]);

export function h(tag, props = {}, ...children) {
  const node = tag === "svg" || tag === "use" || tag === "path"
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key.startsWith("aria-") || key.startsWith("data-") || ATTRS.has(key) || node instanceof SVGElement) {
      node.setAttribute(key, value === true ? "" : String(value));
    } else {
      node[key] = value;
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SVG icon from the sprite in index.html. */
export function icon(name, className = "icon") {
  const svg = h("svg", { class: className, "aria-hidden": "true", focusable: "false" });
  svg.append(h("use", { href: `#i-${name}` }));
  return svg;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function clear(node) {
  node.replaceChildren();
  return node;
}

// ---- formatting ----

export function formatSize(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

const exactFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short", year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const yearFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** The exact local time, for hover text and the envelope. */
export function exactTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? "") : exactFormat.format(date);
}

/** "just now", "5 min ago", "3 h ago", "yesterday 14:02", "Mar 3", "Mar 3, 2023". */
export function relativeTime(iso, now = Date.now()) {
  const date = new Date(iso);
  const time = date.getTime();
  if (Number.isNaN(time)) return "";
  const seconds = Math.round((now - time) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 6 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) return timeFormat.format(date);
  const yesterday = new Date(now - 86400000);
  if (date.toDateString() === yesterday.toDateString()) return `yesterday ${timeFormat.format(date)}`;
  return date.getFullYear() === today.getFullYear() ? dayFormat.format(date) : yearFormat.format(date);
}

/** A <time> element showing the relative time with the exact time on hover. */
export function timeElement(iso, className = "") {
  return h("time", { className, datetime: iso, title: exactTime(iso), textContent: relativeTime(iso) });
}

/** An address as text (for tooltips), its name and mailbox each wrapped in Unicode's first-strong isolate
 * (U+2068 … U+2069): a direction control in the name cannot reverse the mailbox. */
export function formatAddress(address) {
  if (!address) return "";
  const mailbox = `\u2068${address.address}\u2069`;
  return address.name ? `\u2068${address.name}\u2069 <${mailbox}>` : mailbox;
}

export function shortAddress(address) {
  if (!address) return "";
  return address.name || address.address;
}

/** An address shown on the page: its name and its mailbox each isolated (`<bdi>`), so that a direction
 * control in the name (U+202E) cannot reverse the mailbox shown beside it. */
export function addressElement(address) {
  const mailbox = h("bdi", {}, address.address);
  return address.name ? h("span", {}, h("bdi", {}, address.name), " <", mailbox, ">") : h("span", {}, mailbox);
}

/** `list` as ``addressElement``s separated by commas, or null when it is empty. */
export function addressElements(list) {
  if (!list?.length) return null;
  return h("span", {}, list.flatMap((address, index) => (index ? [", ", addressElement(address)] : [addressElement(address)])));
}

export function plural(count, one, many = `${one}s`) {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** Runs `fn` at most once per `ms`, trailing. */
export function debounce(fn, ms) {
  let timer = 0;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** True when the key event comes from a field where typing must not trigger shortcuts. */
export function isTypingTarget(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = target.type;
    return !["checkbox", "radio", "button", "submit", "reset"].includes(type);
  }
  return false;
}

/** Copies text to the clipboard; falls back to a hidden textarea where the async API is unavailable. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through to the fallback */ }
  const area = h("textarea", { value: text, readonly: true, className: "visually-hidden" });
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  area.remove();
  return ok;
}

/** The host to show in snippets: the SMTP listener's host, or this page's host when it listens on all interfaces. */
export function displayHost(host) {
  if (!host || host === "0.0.0.0" || host === "::" || host === "[::]") return location.hostname || "localhost";
  return host;
}

/** Quotes a string for a POSIX shell when it needs it. */
export function shellQuote(text) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
