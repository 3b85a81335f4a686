// The message view: header, actions and the tabs HTML, Text, Source, Headers, Parts, Checks, Envelope.
// Everything from the message is inserted as text nodes; the HTML body only ever renders inside an
// <iframe sandbox> without allow-scripts, loaded from the API (which adds its own sandboxing CSP).

import { api, urls } from "./api.js";
import { h, icon, clear, formatSize, exactTime, relativeTime, addressElement, addressElements, plural } from "./util.js";
import { renderChecks } from "./checks.js";
import { TABS } from "./router.js";
import { ReleaseSection } from "./release.js";

const TAB_LABELS = { html: "HTML", text: "Text", source: "Source", headers: "Headers", parts: "Parts", checks: "Checks", envelope: "Envelope" };
const WIDTHS = [["phone", "Phone", 375], ["tablet", "Tablet", 768], ["full", "Full", null]];
const SOURCE_LIMIT = 2 * 1024 * 1024; // characters of source shown inline; the rest is a download away

export class MessageView {
  constructor({ root, actions }) {
    this.root = root;
    this.actions = actions; // { back, toggleRead, remove, tabChanged }
    this.message = null;
    this.tab = null;
    this.width = localStorage.getItem("mailpen.width") || "full";
    this.abort = null;
    this.panels = {};
    this.showEmpty();
  }

  showEmpty() {
    this.message = null;
    this.release = null;
    this.id = null;
    this.root.classList.remove("has-message");
    clear(this.root).append(h("div", { className: "view-empty" },
      icon("mail", "icon icon-xl"), h("p", {}, "Select a message to read it."),
      h("p", { className: "muted small" }, h("kbd", {}, "j"), " / ", h("kbd", {}, "k"), " move, ",
        h("kbd", {}, "Enter"), " opens, ", h("kbd", {}, "/"), " searches, ", h("kbd", {}, "?"), " lists all shortcuts.")));
  }

  /** Loads and shows message `id` (tab: one of TABS or null for the best one). */
  async open(id, tab) {
    if (this.id === id && this.message) {
      if (tab && tab !== this.tab) this.selectTab(tab, false);
      return this.message;
    }
    this.abort?.abort();
    this.abort = new AbortController();
    this.id = id;
    this.message = null;
    this.root.classList.add("has-message");
    clear(this.root).append(h("div", { className: "view-loading", role: "status" }, "Loading message…"));
    let message;
    try {
      message = await api.message(id, this.abort.signal);
    } catch (error) {
      if (error.name === "AbortError" || this.id !== id) return null;
      clear(this.root).append(h("div", { className: "view-error", role: "alert" },
        h("p", {}, error.status === 404 ? "This message does not exist (any more)." : `Could not load the message: ${error.message}`),
        h("button", { type: "button", className: "btn", onclick: () => this.actions.back() }, "Back to the list")));
      return null;
    }
    if (this.id !== id) return null;
    this.message = message;
    this.checks = null;
    this.render(tab);
    return message;
  }

  /** A relay delivery changed (event stream): the Deliveries section of the open message follows it. */
  onDelivery(delivery) {
    this.release?.update(delivery);
  }

  /** The summary changed elsewhere (read flag): refresh the header bits without reloading. */
  updateSummary(summary) {
    if (!this.message || summary.id !== this.message.id) return;
    Object.assign(this.message, { read: summary.read, tags: summary.tags });
    const button = this.root.querySelector(".act-read");
    if (button) setReadButton(button, summary.read);
  }

  render(tab) {
    const m = this.message;
    const subject = m.subject || "(no subject)";
    const hasHTML = m.html != null;
    this.available = TABS.filter((t) => t !== "html" || hasHTML);
    this.release = new ReleaseSection(m);
    const header = h("header", { className: "msg-header" },
      h("div", { className: "msg-toolbar" },
        h("button", { type: "button", className: "btn btn-icon back-button", "aria-label": "Back to the message list", title: "Back to the list (Esc)", onclick: () => this.actions.back() }, icon("back")),
        h("h2", { className: "msg-subject", id: "msg-subject", tabIndex: -1 }, subject),
        setReadButton(h("button", { type: "button", className: "btn act-read", onclick: () => this.actions.toggleRead(this.message) }), m.read),
        h("a", { className: "btn", href: urls.download(m.id), download: `${m.id}.eml`, title: "Download the message as a .eml file" }, icon("download"), h("span", { className: "label" }, ".eml")),
        this.release.button,
        h("button", { type: "button", className: "btn btn-danger", title: "Delete this message (Delete)", onclick: () => this.actions.remove(this.message) }, icon("trash"), h("span", { className: "label" }, "Delete"))),
      h("dl", { className: "msg-addresses" },
        row("From", m.from ? addressElement(m.from) : "(none)"),
        row("To", addressElements(m.to) || "(none)"),
        m.cc?.length ? row("Cc", addressElements(m.cc)) : null,
        m.bcc?.length ? row("Bcc", addressElements(m.bcc)) : null,
        m.replyTo?.length ? row("Reply-To", addressElements(m.replyTo)) : null,
        h("div", {}, h("dt", {}, "Received"), h("dd", {},
          h("time", { datetime: m.receivedAt, title: exactTime(m.receivedAt) }, `${exactTime(m.receivedAt)} (${relativeTime(m.receivedAt)})`),
          " · ", formatSize(m.size)))),
      m.attachments?.length ? h("ul", { className: "msg-attachments", "aria-label": "Attachments" },
        m.attachments.map((a) => h("li", {}, h("a", { className: "chip", href: `${a.url}?download=1`, download: a.filename || "" },
          icon(a.inline ? "image" : "paperclip"), a.filename || a.contentType, h("span", { className: "muted" }, ` ${formatSize(a.size)}`))))) : null,
      this.release.form,
      this.release.section,
    );
    const tablist = h("div", { className: "tabs", role: "tablist", "aria-label": "Message views" });
    this.tabButtons = {};
    this.panels = {};
    for (const name of TABS) {
      const enabled = this.available.includes(name);
      const button = h("button", {
        type: "button", role: "tab", id: `tab-${name}`, className: "tab", "aria-controls": `panel-${name}`,
        "aria-selected": "false", tabIndex: -1, disabled: !enabled, title: enabled ? "" : "This message has no HTML body",
        onclick: () => this.selectTab(name, true),
      }, TAB_LABELS[name]);
      this.tabButtons[name] = button;
      tablist.append(button);
      this.panels[name] = h("section", { className: `panel panel-${name}`, role: "tabpanel", id: `panel-${name}`, "aria-labelledby": `tab-${name}`, hidden: true, tabIndex: 0 });
    }
    tablist.addEventListener("keydown", (event) => {
      const order = this.available;
      const index = order.indexOf(this.tab);
      let next = null;
      if (event.key === "ArrowRight") next = order[(index + 1) % order.length];
      else if (event.key === "ArrowLeft") next = order[(index - 1 + order.length) % order.length];
      else if (event.key === "Home") next = order[0];
      else if (event.key === "End") next = order[order.length - 1];
      if (next) {
        event.preventDefault();
        this.selectTab(next, true);
        this.tabButtons[next].focus();
      }
    });
    clear(this.root).append(h("article", { className: "msg", "aria-labelledby": "msg-subject" },
      header, tablist, h("div", { className: "panels" }, Object.values(this.panels))));
    this.tab = null;
    const preferred = tab && this.available.includes(tab) ? tab : hasHTML ? "html" : "text";
    this.selectTab(preferred, false);
  }

  selectTab(name, user) {
    if (!this.message || !this.available.includes(name)) return;
    if (this.tab === name) return;
    this.tab = name;
    for (const [tab, button] of Object.entries(this.tabButtons)) {
      const on = tab === name;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      this.panels[tab].hidden = !on;
    }
    const panel = this.panels[name];
    if (!panel.dataset.rendered) {
      panel.dataset.rendered = "1";
      this[`render_${name}`](panel);
    }
    if (user) this.actions.tabChanged?.(name);
  }

  // ---- tabs ----

  render_html(panel) {
    const m = this.message;
    const frameBox = h("div", { className: "frame-box" });
    const frame = h("iframe", {
      className: "html-frame",
      title: `HTML body of “${m.subject || "(no subject)"}”`,
      // No allow-scripts, no allow-same-origin: the mail cannot run code or reach this page. Links may
      // open in a new tab, outside the sandbox.
      sandbox: "allow-popups allow-popups-to-escape-sandbox",
      referrerpolicy: "no-referrer",
      src: urls.html(m.id),
    });
    frameBox.append(frame);
    const group = h("div", { className: "segmented", role: "radiogroup", "aria-label": "Preview width" });
    const apply = (key) => {
      this.width = key;
      try { localStorage.setItem("mailpen.width", key); } catch { /* ignore */ }
      const preset = WIDTHS.find((w) => w[0] === key) || WIDTHS[2];
      frameBox.dataset.width = key;
      frame.style.width = preset[2] ? `${preset[2]}px` : "100%";
      for (const button of group.children) button.setAttribute("aria-checked", String(button.dataset.width === key));
    };
    for (const [key, label, px] of WIDTHS) {
      group.append(h("button", { type: "button", role: "radio", className: "seg", "data-width": key, "aria-checked": "false",
        title: px ? `${label}: ${px} px wide` : "Full width", onclick: () => apply(key) },
        icon(key === "phone" ? "phone" : key === "tablet" ? "tablet" : "monitor"), h("span", { className: "label" }, px ? `${label} ${px}` : label)));
    }
    apply(this.width);
    panel.append(h("div", { className: "panel-bar" }, group,
      h("a", { className: "btn btn-small", href: urls.html(m.id), target: "_blank", rel: "noopener" }, icon("external"), h("span", { className: "label" }, "Open alone"))), frameBox);
  }

  render_text(panel) {
    const text = this.message.text;
    if (text == null) {
      panel.append(h("p", { className: "notice" }, "This message has no text/plain body."));
      return;
    }
    panel.append(h("pre", { className: "text-body" }, linkify(text)));
  }

  async render_source(panel) {
    const m = this.message;
    panel.append(h("div", { className: "panel-bar" },
      h("span", { className: "muted" }, `${formatSize(m.size)} as received`),
      h("div", { className: "spacer" }),
      h("a", { className: "btn btn-small", href: urls.raw(m.id), target: "_blank", rel: "noopener" }, icon("external"), h("span", { className: "label" }, "Raw")),
      h("a", { className: "btn btn-small", href: urls.download(m.id), download: `${m.id}.eml` }, icon("download"), "Download .eml")));
    const holder = h("div", { className: "source", role: "status" }, "Loading source…");
    panel.append(holder);
    let raw;
    try {
      raw = await api.raw(m.id);
    } catch (error) {
      holder.textContent = `Could not load the source: ${error.message}`;
      return;
    }
    holder.removeAttribute("role");
    let truncated = false;
    if (raw.length > SOURCE_LIMIT) { raw = raw.slice(0, SOURCE_LIMIT); truncated = true; }
    const lines = raw.replace(/\r\n/g, "\n").split("\n");
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    const numbers = Array.from({ length: lines.length }, (_, i) => i + 1).join("\n");
    clear(holder).append(
      h("pre", { className: "gutter", "aria-hidden": "true" }, numbers),
      h("pre", { className: "code", tabIndex: 0, "aria-label": "Message source" }, lines.join("\n")));
    if (truncated) panel.append(h("p", { className: "notice" }, `Only the first ${formatSize(SOURCE_LIMIT)} are shown; download the .eml for all of it.`));
  }

  render_headers(panel) {
    const headers = this.message.headers || [];
    const table = h("table", { className: "kv headers-table" },
      h("caption", { className: "visually-hidden" }, "Header fields, decoded"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Value"))),
      h("tbody", {}, headers.map((field) => h("tr", {}, h("th", { scope: "row" }, field.name), h("td", {}, field.value)))));
    const raw = h("pre", { className: "raw-headers", hidden: true, tabIndex: 0, "aria-label": "Header fields, raw" },
      headers.map((field) => field.raw.replace(/\r\n/g, "\n")).join("\n"));
    const group = h("div", { className: "segmented", role: "radiogroup", "aria-label": "Header display" });
    const show = (mode) => {
      table.hidden = mode !== "decoded";
      raw.hidden = mode !== "raw";
      for (const button of group.children) button.setAttribute("aria-checked", String(button.dataset.mode === mode));
    };
    for (const [mode, label] of [["decoded", "Decoded"], ["raw", "Raw"]]) {
      group.append(h("button", { type: "button", role: "radio", className: "seg", "data-mode": mode, onclick: () => show(mode) }, label));
    }
    panel.append(h("div", { className: "panel-bar" }, group, h("span", { className: "muted" }, plural(headers.length, "field"))), table, raw);
    show("decoded");
  }

  render_parts(panel) {
    const root = this.message.parts;
    if (!root) {
      panel.append(h("p", { className: "notice" }, "No MIME structure."));
      return;
    }
    const build = (part) => {
      const name = part.filename ? ` “${part.filename}”` : "";
      const details = [part.charset ? `charset ${part.charset}` : null, part.transferEncoding || null,
        part.disposition || null, part.contentId ? `cid:${part.contentId}` : null].filter(Boolean).join(" · ");
      const isMultipart = part.contentType.startsWith("multipart/");
      return h("li", {},
        h("div", { className: "part" },
          h("span", { className: "part-id", title: "Part id (IMAP section)" }, part.partId),
          h("span", { className: "part-type" }, part.contentType), name ? h("span", { className: "part-name" }, name) : null,
          h("span", { className: "part-size muted" }, formatSize(part.size)),
          details ? h("span", { className: "part-details muted" }, details) : null,
          isMultipart ? null : h("span", { className: "part-links" },
            h("a", { href: part.url, target: "_blank", rel: "noopener" }, "View", h("span", { className: "visually-hidden" }, ` part ${part.partId}`)),
            " · ",
            h("a", { href: `${part.url}?download=1`, download: part.filename || "" }, "Download", h("span", { className: "visually-hidden" }, ` part ${part.partId}`)))),
        part.problems?.length ? h("ul", { className: "part-problems" }, part.problems.map((p) => h("li", {}, icon("warning"), p))) : null,
        part.children?.length ? h("ul", { className: "part-tree" }, part.children.map(build)) : null);
    };
    panel.append(h("ul", { className: "part-tree part-root", "aria-label": "MIME structure" }, build(root)));
  }

  render_checks(panel) {
    renderChecks(panel, this.message);
  }

  render_envelope(panel) {
    const m = this.message;
    const e = m.envelope || {};
    const s = m.session || {};
    const params = (list) => (list || []).map((p) => (p.value != null ? `${p.keyword}=${p.value}` : p.keyword)).join(" ");
    const tls = s.tlsVersion ? s.tlsVersion : e.source === "http" ? "n/a (HTTP)" : "none (plain text)";
    const client = s.clientAddress ? (s.clientPort ? `${s.clientAddress} port ${s.clientPort}` : s.clientAddress) : "—";
    const helo = s.heloName ? `${s.usedExtendedHello === false ? "HELO" : s.usedExtendedHello ? "EHLO" : "HELO/EHLO"} ${s.heloName}` : "—";
    panel.append(h("table", { className: "kv envelope-table" },
      h("caption", { className: "visually-hidden" }, "SMTP envelope and session"),
      h("tbody", {},
        kv("Received via", e.source === "http" ? "HTTP API" : "SMTP"),
        kv("MAIL FROM", h("code", {}, `<${e.mailFrom ?? ""}>`), params(e.mailParameters) ? h("span", { className: "muted" }, ` ${params(e.mailParameters)}`) : null),
        kv("RCPT TO", (e.recipients || []).length
          ? h("ul", { className: "plain" }, e.recipients.map((r) => h("li", {}, h("code", {}, `<${r.address}>`), params(r.parameters) ? h("span", { className: "muted" }, ` ${params(r.parameters)}`) : null)))
          : "—"),
        kv("HELO", helo),
        kv("Client address", client),
        kv("TLS", tls),
        kv("AUTH user", s.authenticatedUser || "— (not authenticated)"),
        kv("Size", `${formatSize(m.size)} (${m.size.toLocaleString()} bytes)`),
        kv("Received", h("time", { datetime: m.receivedAt }, exactTime(m.receivedAt)), h("span", { className: "muted" }, ` · ${m.receivedAt}`)),
        kv("Message id", h("code", {}, m.id)),
        m.messageId ? kv("Message-ID", h("code", {}, m.messageId)) : null)));
  }
}

function row(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}

function kv(label, ...value) {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, ...value));
}

function setReadButton(button, read) {
  button.replaceChildren(icon(read ? "mail" : "mail-open"), h("span", { className: "label" }, read ? "Mark unread" : "Mark read"));
  button.title = read ? "Mark as unread" : "Mark as read";
  return button;
}

/** Text with http(s) URLs turned into links (as text nodes and <a> elements, never parsed HTML). */
function linkify(text) {
  const out = [];
  const pattern = /\bhttps?:\/\/[^\s<>"')\]]+/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(h("a", { href: match[0], target: "_blank", rel: "noopener noreferrer" }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
