// Modal dialogs (<dialog>): confirmation, inbox creation and the connection settings panel.

import { h, icon, clear, copyText, displayHost } from "./util.js";
import { snippets } from "./snippets.js";

/** Asks a yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, text, confirm = "OK", danger = false }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { className: "dialog", "aria-labelledby": "confirm-title" });
    const ok = h("button", { type: "submit", className: `btn ${danger ? "btn-danger-solid" : "btn-primary"}`, value: "ok" }, confirm);
    dialog.append(h("form", { method: "dialog" },
      h("h2", { id: "confirm-title" }, title),
      text ? h("p", {}, text) : null,
      h("div", { className: "dialog-actions" },
        h("button", { type: "submit", className: "btn", value: "cancel" }, "Cancel"), ok)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

/** The "New inbox" form; `create` does the request and throws ApiError on failure. */
export function createInboxDialog(create) {
  const dialog = h("dialog", { className: "dialog", "aria-labelledby": "create-title" });
  const error = h("p", { className: "form-error", role: "alert", hidden: true });
  const name = h("input", { id: "new-inbox-name", name: "name", required: true, autocomplete: "off", spellcheck: "false",
    pattern: "[A-Za-z0-9][A-Za-z0-9._@+\\-]{0,63}", placeholder: "shop", "aria-describedby": "new-inbox-help" });
  const password = h("input", { id: "new-inbox-password", name: "password", autocomplete: "new-password", placeholder: "any password works", "aria-describedby": "new-inbox-password-help" });
  const max = h("input", { id: "new-inbox-max", name: "maxMessages", type: "number", min: "0", inputmode: "numeric", placeholder: "server default" });
  const submit = h("button", { type: "submit", className: "btn btn-primary" }, "Create inbox");
  const form = h("form", {},
    h("h2", { id: "create-title" }, "New inbox"),
    h("div", { className: "field" }, h("label", { for: "new-inbox-name" }, "Name"), name,
      h("p", { className: "hint", id: "new-inbox-help" }, "Letters, digits and . _ @ + -. It is also the SMTP username that routes mail here.")),
    h("div", { className: "field" }, h("label", { for: "new-inbox-password" }, "SMTP password (optional)"), password,
      h("p", { className: "hint", id: "new-inbox-password-help" }, "Only checked when the server runs with --smtp-auth strict.")),
    h("div", { className: "field" }, h("label", { for: "new-inbox-max" }, "Messages kept (optional)"), max),
    error,
    h("div", { className: "dialog-actions" },
      h("button", { type: "button", className: "btn", onclick: () => dialog.close() }, "Cancel"), submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    const body = { name: name.value.trim() };
    if (password.value) body.password = password.value;
    if (max.value !== "") body.maxMessages = Number(max.value);
    try {
      await create(body);
      dialog.close();
    } catch (problem) {
      error.textContent = problem.message;
      error.hidden = false;
      name.focus();
    } finally {
      submit.disabled = false;
    }
  });
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  name.focus();
}

/** The connection settings of one inbox — SMTP, and IMAP and POP3 when the server runs them — with copy buttons
 * and snippets for frameworks and mail clients. */
export function settingsDialog(inbox, notify) {
  const smtp = inbox.smtp;
  const dialog = h("dialog", { className: "dialog dialog-wide", "aria-labelledby": "settings-title" });
  const copyButton = (text, label) => h("button", {
    type: "button", className: "btn btn-small btn-copy", "aria-label": `Copy ${label}`, title: `Copy ${label}`,
    onclick: async () => notify(await copyText(text) ? `${label} copied` : `Could not copy ${label}`),
  }, icon("copy"));
  const field = (label, value, copy = true, extra = null) => h("div", { className: "setting" },
    h("dt", {}, label), h("dd", {}, h("code", {}, String(value)), extra, copy ? copyButton(String(value), label) : null));
  const secret = h("code", { className: "secret" }, "•".repeat(Math.min(12, Math.max(6, smtp.password.length))));
  const reveal = h("button", { type: "button", className: "btn btn-small", "aria-pressed": "false", onclick: () => {
    const shown = reveal.getAttribute("aria-pressed") === "true";
    reveal.setAttribute("aria-pressed", String(!shown));
    reveal.textContent = shown ? "Show" : "Hide";
    secret.textContent = shown ? "•".repeat(Math.min(12, Math.max(6, smtp.password.length))) : smtp.password;
  } }, "Show");
  const list = snippets(smtp, inbox.name, inbox);
  const tabs = h("div", { className: "snippet-tabs", role: "tablist", "aria-label": "Snippets" });
  const panel = h("div", { className: "snippet", role: "tabpanel", id: "snippet-panel", tabIndex: 0 });
  const show = (item) => {
    for (const button of tabs.children) {
      const on = button.dataset.id === item.id;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute("aria-labelledby", `snippet-tab-${item.id}`);
    clear(panel).append(...[
      h("div", { className: "snippet-head" }, h("span", { className: "muted" }, item.file), copyButton(item.code, `${item.label} snippet`)),
      h("pre", { className: `code-block lang-${item.lang}` }, item.code),
      item.note ? h("p", { className: "hint" }, item.note) : null].filter(Boolean));
    try { localStorage.setItem("mailpen.snippet", item.id); } catch { /* ignore */ }
  };
  for (const item of list) {
    tabs.append(h("button", { type: "button", role: "tab", className: "tab", id: `snippet-tab-${item.id}`, "data-id": item.id,
      "aria-controls": "snippet-panel", "aria-selected": "false", onclick: () => show(item) }, item.label));
  }
  tabs.addEventListener("keydown", (event) => {
    const buttons = [...tabs.children];
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    const next = event.key === "ArrowRight" ? (index + 1) % buttons.length : event.key === "ArrowLeft" ? (index - 1 + buttons.length) % buttons.length : -1;
    if (next >= 0) { event.preventDefault(); buttons[next].click(); buttons[next].focus(); }
  });
  let initial = list[0];
  try { initial = list.find((item) => item.id === localStorage.getItem("mailpen.snippet")) || list[0]; } catch { /* ignore */ }
  const host = displayHost(smtp.host);
  dialog.append(...[
    h("div", { className: "dialog-head" },
      h("h2", { id: "settings-title" }, "Connection settings — ", h("span", { className: "inbox-name" }, inbox.name)),
      h("form", { method: "dialog" }, h("button", { type: "submit", className: "btn btn-icon", "aria-label": "Close" }, icon("close")))),
    h("p", {}, inbox.name === "default"
      ? "Mail sent without logging in lands here. Logging in with another inbox's name sends it there instead."
      : "Log in with this username and mail lands in this inbox."),
    h("h3", {}, "SMTP: send mail here"),
    h("dl", { className: "settings-grid" },
      field("Host", host),
      field("Port", smtp.port),
      field("Username", smtp.username),
      h("div", { className: "setting" }, h("dt", {}, "Password"), h("dd", {}, secret, reveal, copyButton(smtp.password, "Password"))),
      field("STARTTLS", smtp.startTLS ? "offered (self-signed or your certificate)" : "not offered — plain SMTP", false),
      field("Implicit TLS (SMTPS)", smtp.implicitTLSPort ? `port ${smtp.implicitTLSPort}` : "off", false),
      field("Authentication", "PLAIN, LOGIN, CRAM-MD5 (optional)", false)),
    inbox.routes?.length ? h("p", {}, "Also receives unauthenticated mail to: ", inbox.routes.map((r, i) => [i ? ", " : "", h("code", {}, r)])) : null,
    ...mailAccessSections(inbox, field),
    h("h3", {}, "Snippets"),
    tabs, panel].filter(Boolean));
  show(initial);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/** The IMAP and POP3 sections of the connection settings: only for the servers that run. */
function mailAccessSections(inbox, field) {
  const sections = [];
  const describe = (name, settings, startName, implicitName) => [
    h("h3", {}, `${name}: read this inbox in a mail client`),
    h("dl", { className: "settings-grid", "data-protocol": name.toLowerCase() },
      field("Host", displayHost(settings.host)),
      field("Port", settings.port ?? "off", settings.port != null),
      field(startName, settings.port == null ? "—" : settings.startTLS ? "offered" : "not offered", false),
      field(implicitName, settings.implicitTLSPort ? `port ${settings.implicitTLSPort}` : "off", false),
      field("Username", settings.username),
      field("Password", "the SMTP password above", false)),
  ];
  if (inbox.imap) sections.push(...describe("IMAP", inbox.imap, "STARTTLS", "Implicit TLS (IMAPS)"));
  if (inbox.pop3) sections.push(...describe("POP3", inbox.pop3, "STLS", "Implicit TLS (POP3S)"));
  if (sections.length) {
    sections.push(h("p", { className: "hint" },
      "Passwords are accepted over a plain connection only from this machine (or with --allow-plaintext-login); "
      + "from elsewhere use STARTTLS or implicit TLS. "
      + (inbox.pop3 ? "A POP3 client that deletes what it downloads deletes it here too, unless the server runs with --pop3-delete mark-read." : "")));
  }
  return sections;
}
