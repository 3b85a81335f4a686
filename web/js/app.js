// Mailpen's web UI: wires the inbox pane, the message list, the message view, the router and the
// event stream together. Only the public API (/api/v1) is used.

import { api } from "./api.js";
import { $, h, icon, clear, plural, copyText, debounce, displayHost } from "./util.js";
import { parseHash, go, replace, hashFor } from "./router.js";
import { InboxPane } from "./inboxes.js";
import { MessageList } from "./list.js";
import { MessageView } from "./message.js";
import { connectEvents } from "./events.js";
import { setupTheme } from "./theme.js";
import { setupKeys } from "./keys.js";
import { confirmDialog, createInboxDialog, settingsDialog } from "./dialogs.js";
import { chaosDialog } from "./chaos.js";
import { sendCommand, curlCommand } from "./snippets.js";

class App {
  constructor() {
    this.route = { inbox: null, message: null, tab: null };
    this.query = "";
    this.removedLocally = new Set(); // ids we deleted ourselves: their SSE echo needs no reload
    this.el = {
      layout: $("#layout"), search: $("#search"), searchForm: $("#search-form"), listTitle: $("#list-title .inbox-title"),
      counts: $("#list-counts"), selectAll: $("#select-all"), selectionCount: $("#selection-count"),
      empty: $("#list-empty"), viewport: $("#list-viewport"), rows: $("#rows"), live: $("#live-status"),
      drawerToggle: $("#drawer-toggle"), backdrop: $("#drawer-backdrop"), toasts: $("#toasts"), alerts: $("#alerts"),
    };
    this.inboxes = new InboxPane({
      listElement: $("#inbox-list"),
      onLoaded: () => this.inboxesChanged(),
      onError: (error) => this.error(error),
    });
    this.list = new MessageList({
      viewport: this.el.viewport, rowsElement: this.el.rows,
      onChange: () => this.listChanged(),
      onError: (error) => this.listError(error),
    });
    this.view = new MessageView({
      root: $("#view"),
      actions: {
        back: () => this.closeMessage(),
        toggleRead: (message) => this.setRead([message.id], !message.read),
        remove: (message) => this.deleteMessages([message.id]),
        tabChanged: (tab) => { this.route.tab = tab; replace(this.route); },
      },
    });
    this.refreshListSoon = debounce(() => this.list.reload(), 100);
  }

  start() {
    setupTheme($("#theme-toggle"));
    setupKeys(this);
    this.bindControls();
    this.events = connectEvents({
      status: (state) => this.setLive(state),
      connected: () => this.list.catchUp(),
      resync: () => this.resync(),
      stored: (summary) => this.onStored(summary),
      deleted: (data) => this.onDeleted(data),
      read: (summary) => this.onRead(summary),
      inbox: (data) => this.onInbox(data),
      delivery: (delivery) => this.view.onDelivery(delivery),
    });
    window.addEventListener("hashchange", () => this.navigate());
    this.inboxes.refresh();
    this.navigate();
    // Relative times ("3 min ago") stay true.
    setInterval(() => this.list.render(), 30000);
  }

  bindControls() {
    this.el.searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(this.el.search.value);
    });
    const typed = debounce(() => this.search(this.el.search.value), 300);
    this.el.search.addEventListener("input", typed);
    this.el.search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { typed.cancel(); }
    });
    $("#new-inbox").addEventListener("click", () => createInboxDialog(async (body) => {
      const inbox = await api.createInbox(body);
      await this.inboxes.refresh();
      this.toast(`Inbox “${inbox.name}” created`);
      this.closeDrawer();
      go({ inbox: inbox.name });
    }));
    $("#act-settings").addEventListener("click", () => this.openSettings());
    $("#act-chaos").addEventListener("click", () => chaosDialog(this.route.inbox, (text) => this.toast(text)));
    $("#act-delete-inbox").addEventListener("click", () => this.deleteInbox());
    $("#act-clear").addEventListener("click", () => this.clearInbox());
    $("#act-delete").addEventListener("click", () => this.deleteMessages(this.targetIds()));
    $("#act-read").addEventListener("click", () => this.setRead(this.targetIds(), true));
    $("#act-unread").addEventListener("click", () => this.setRead(this.targetIds(), false));
    this.el.selectAll.addEventListener("change", () => this.list.selectAllLoaded(this.el.selectAll.checked));
    $("#shortcuts-button").addEventListener("click", () => $("#shortcuts").showModal());
    this.el.drawerToggle.addEventListener("click", () => (document.body.classList.contains("drawer-open") ? this.closeDrawer() : this.openDrawer()));
    this.el.backdrop.addEventListener("click", () => this.closeDrawer());
    $("#inbox-list").addEventListener("click", (event) => { if (event.target.closest("a")) this.closeDrawer(); });
  }

  // ---- routing ----

  async navigate() {
    const route = parseHash();
    if (!route.inbox) {
      route.inbox = this.route.inbox || "default";
      history.replaceState(history.state, "", hashFor(route));
    }
    const inboxChanged = !this.route.inbox || route.inbox.toLowerCase() !== this.route.inbox.toLowerCase();
    this.route = route;
    if (inboxChanged) {
      this.query = "";
      this.el.search.value = "";
      this.el.listTitle.textContent = route.inbox;
      this.inboxes.setCurrent(route.inbox);
      this.inboxesChanged();
      this.list.setSource(route.inbox, "");
    }
    document.body.classList.toggle("show-view", Boolean(route.message));
    if (route.message) {
      this.list.setOpen(route.message);
      const message = await this.view.open(route.message, route.tab);
      if (message && this.route.message === message.id) {
        if (!message.read) this.markOpenedRead(message);
        if (window.matchMedia("(max-width: 719px)").matches) $("#msg-subject")?.focus({ preventScroll: true });
      }
    } else {
      this.list.setOpen(null);
      if (this.view.message || this.view.id) this.view.showEmpty();
    }
    this.updateTitle();
  }

  openMessage(id) {
    go({ inbox: this.route.inbox, message: id, tab: null });
  }

  closeMessage() {
    const id = this.route.message;
    go({ inbox: this.route.inbox });
    const index = this.list.indexOf(id);
    if (index >= 0) requestAnimationFrame(() => this.list.focusIndex(index));
  }

  async markOpenedRead(message) {
    try {
      const summary = await api.updateMessage(message.id, { read: true });
      this.onRead(summary);
    } catch (error) {
      this.error(error);
    }
  }

  search(text) {
    const query = text.trim();
    if (query === this.query) return;
    this.query = query;
    this.list.setSource(this.route.inbox, query);
  }

  focusSearch() {
    this.el.search.focus();
    this.el.search.select();
  }

  // ---- live events ----

  onStored(summary) {
    this.inboxes.countStored(summary);
    this.list.onStored(summary);
    if (this.query && this.list.matchesInbox(summary.inbox)) {
      // A search only finds the message once it is indexed, which may lag the event a little.
      setTimeout(() => this.list.catchUp(), 400);
      setTimeout(() => this.list.catchUp(), 1500);
    }
  }

  onDeleted({ inbox, ids }) {
    const foreign = ids.filter((id) => !this.removedLocally.delete(id));
    if (foreign.length) this.list.onDeleted(inbox, foreign);
    this.inboxes.refreshSoon();
    if (this.view.id && ids.includes(this.view.id) && foreign.includes(this.view.id)) this.messageGone();
  }

  onRead(summary) {
    this.list.onUpdated(summary);
    this.view.updateSummary(summary);
    this.inboxes.refreshSoon();
  }

  onInbox({ name, change }) {
    this.inboxes.refreshSoon();
    const current = this.route.inbox && name.toLowerCase() === this.route.inbox.toLowerCase();
    if (!current) return;
    if (change === "cleared") {
      this.list.reload();
      if (this.view.id) this.messageGone();
    } else if (change === "deleted") {
      this.toast(`Inbox “${name}” was deleted`);
      go({ inbox: "default" });
    }
  }

  resync() {
    this.inboxes.refresh();
    this.list.reload();
    if (this.view.id) {
      const { id } = this.view;
      api.message(id).then((message) => this.view.updateSummary(message)).catch((error) => { if (error.status === 404) this.messageGone(); });
    }
  }

  messageGone() {
    if (!this.route.message) return;
    this.toast("The open message was deleted");
    history.replaceState(history.state, "", hashFor({ inbox: this.route.inbox }));
    this.navigate();
  }

  setLive(state) {
    this.el.live.dataset.state = state;
    document.body.dataset.live = state;
    const label = { live: "Live", offline: "Offline" }[state] || (this.wasLive ? "Reconnecting…" : "Connecting…");
    if (state === "live") this.wasLive = true;
    this.el.live.querySelector(".live-label").textContent = label;
    this.el.live.title = state === "live" ? "New mail shows up by itself" : "Live updates are not connected; new mail appears once they are";
  }

  // ---- actions ----

  /** The messages an action applies to: the selection, else the open message, else the cursor row. */
  targetIds() {
    return this.list.targets(this.view.message?.id);
  }

  deleteCurrent() {
    const ids = this.targetIds();
    if (ids.length) this.deleteMessages(ids);
  }

  async deleteMessages(ids) {
    if (!ids.length) { this.toast("Select messages first (the checkboxes, or x)"); return; }
    const openGone = this.view.id && ids.includes(this.view.id);
    const cursorIndex = this.list.indexOf(this.list.cursorId);
    const done = [];
    const failed = [];
    await pool(ids, 6, async (id) => {
      this.removedLocally.add(id);
      try {
        await api.deleteMessage(id);
        done.push(id);
      } catch (error) {
        this.removedLocally.delete(id);
        if (error.status === 404) done.push(id); else failed.push(error);
      }
    });
    this.list.onDeleted(this.route.inbox, done);
    this.inboxes.refreshSoon();
    if (failed.length) this.error(failed[0]);
    this.toast(`${plural(done.length, "message")} deleted`);
    if (openGone) {
      history.replaceState(history.state, "", hashFor({ inbox: this.route.inbox }));
      await this.navigate();
    }
    if (cursorIndex >= 0 && this.list.total > 0) this.list.focusIndex(Math.min(cursorIndex, this.list.total - 1));
  }

  async setRead(ids, read) {
    if (!ids.length) { this.toast("Select messages first (the checkboxes, or x)"); return; }
    const failed = [];
    await pool(ids, 6, async (id) => {
      try {
        this.onRead(await api.updateMessage(id, { read }));
      } catch (error) {
        failed.push(error);
      }
    });
    if (failed.length) this.error(failed[0]);
    else if (ids.length > 1) this.toast(`${plural(ids.length, "message")} marked ${read ? "read" : "unread"}`);
  }

  async clearInbox() {
    const inbox = this.route.inbox;
    const q = this.query;
    const ok = await confirmDialog({
      title: q ? "Delete the matching messages?" : `Clear “${inbox}”?`,
      text: q ? `Every message in “${inbox}” matching ${q} is deleted (${plural(this.list.total, "message")}).`
        : `All ${plural(this.inboxes.find(inbox)?.total ?? this.list.total, "message")} in “${inbox}” are deleted. The inbox stays.`,
      confirm: q ? "Delete matching" : "Clear inbox", danger: true,
    });
    if (!ok) return;
    try {
      const result = await api.deleteMessages(inbox, q || undefined);
      this.toast(`${plural(result.deleted, "message")} deleted`);
      this.list.reload();
      this.inboxes.refresh();
      if (this.view.id) {
        history.replaceState(history.state, "", hashFor({ inbox }));
        this.navigate();
      }
    } catch (error) {
      this.error(error);
    }
  }

  async deleteInbox() {
    const inbox = this.route.inbox;
    if (inbox.toLowerCase() === "default") return;
    const ok = await confirmDialog({
      title: `Delete the inbox “${inbox}”?`,
      text: "The inbox and all its mail are deleted. Mail sent with its username afterwards creates it again.",
      confirm: "Delete inbox", danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteInbox(inbox);
      this.toast(`Inbox “${inbox}” deleted`);
      await this.inboxes.refresh();
      go({ inbox: "default" });
    } catch (error) {
      this.error(error);
    }
  }

  openSettings() {
    const inbox = this.inboxes.find(this.route.inbox);
    if (!inbox) { this.toast("The inbox settings are still loading"); return; }
    settingsDialog(inbox, (text) => this.toast(text));
  }

  // ---- rendering ----

  inboxesChanged() {
    const inbox = this.inboxes.find(this.route.inbox);
    const deleteInbox = $("#act-delete-inbox");
    deleteInbox.disabled = !this.route.inbox || this.route.inbox.toLowerCase() === "default";
    deleteInbox.title = deleteInbox.disabled ? "The default inbox cannot be deleted" : "Delete this inbox";
    if (inbox) this.el.listTitle.textContent = inbox.name;
    this.updateTitle();
    this.renderEmpty();
  }

  listChanged() {
    const list = this.list;
    // State for people debugging and for the UI tests: "loading" until the first page is in.
    document.body.dataset.list = list.loaded ? "loaded" : "loading";
    if (list.loaded && !list.error) {
      this.el.counts.textContent = this.query
        ? `${plural(list.total, "match", "matches")}`
        : `${plural(list.total, "message")} · ${list.unread.toLocaleString()} unread`;
    } else if (!list.loaded) {
      this.el.counts.textContent = "";
    }
    const selected = list.selected.size;
    this.el.selectionCount.textContent = selected ? `${selected.toLocaleString()} selected` : "";
    const { checked, indeterminate } = list.selectAllState();
    this.el.selectAll.checked = checked;
    this.el.selectAll.indeterminate = indeterminate;
    const clear = $("#act-clear");
    clear.querySelector(".label").textContent = this.query ? "Delete matching" : "Clear";
    clear.setAttribute("aria-label", this.query ? "Delete all matching messages" : "Clear inbox");
    clear.title = this.query ? "Delete every message matching the search" : "Delete every message in this inbox";
    clear.disabled = list.loaded && list.total === 0;
    this.renderEmpty();
    this.updateTitle();
  }

  renderEmpty() {
    const list = this.list;
    const empty = this.el.empty;
    const show = list.loaded && list.total === 0;
    empty.hidden = !show;
    this.el.rows.hidden = show;
    if (!show) { empty.dataset.kind = ""; empty.dataset.key = ""; return; }
    // Re-render only when what it says changes (keeps focus and text selection stable).
    const same = (kind, key) => {
      if (empty.dataset.kind === kind && empty.dataset.key === key) return true;
      empty.dataset.kind = kind;
      empty.dataset.key = key;
      return false;
    };
    if (list.error) {
      if (same("error", `${this.route.inbox}|${list.error.status}|${list.error.message}`)) return;
      const missing = list.error.status === 404;
      clear(empty).append(h("div", { className: "empty-card" },
        h("h3", {}, missing ? `There is no inbox named “${this.route.inbox}”.` : "The messages could not be loaded."),
        h("p", {}, missing ? "It may have been deleted. Mail sent with this SMTP username creates it again." : list.error.message),
        h("p", {}, h("a", { href: hashFor({ inbox: "default" }) }, "Go to the default inbox"))));
      return;
    }
    if (this.query) {
      if (same("search", `${this.route.inbox}|${this.query}`)) return;
      clear(empty).append(h("div", { className: "empty-card" },
        h("h3", {}, "No messages match"),
        h("p", {}, h("code", {}, this.query)),
        h("button", { type: "button", className: "btn", onclick: () => { this.el.search.value = ""; this.search(""); this.el.search.focus(); } }, "Clear the search")));
      return;
    }
    const inbox = this.inboxes.find(this.route.inbox);
    if (same("inbox", `${this.route.inbox}|${inbox ? `${inbox.smtp.host}:${inbox.smtp.port}:${inbox.smtp.username}:${inbox.smtp.password}` : ""}`)) return;
    const card = h("div", { className: "empty-card" },
      icon("inbox", "icon icon-xl"),
      h("h3", {}, `No mail in “${this.route.inbox}” yet`));
    if (inbox) {
      const smtp = inbox.smtp;
      const host = displayHost(smtp.host);
      const auth = this.route.inbox.toLowerCase() === "default" ? "Send without logging in"
        : `Log in as “${smtp.username}”`;
      const command = (label, text) => h("div", { className: "command" },
        h("div", { className: "command-head" }, h("span", {}, label),
          h("button", { type: "button", className: "btn btn-small btn-copy", "aria-label": `Copy the ${label} command`,
            onclick: async () => this.toast(await copyText(text) ? "Copied" : "Could not copy") }, icon("copy"), h("span", { className: "label" }, "Copy"))),
        h("pre", { className: "code-block" }, text));
      card.append(
        h("p", {}, "Point your app at ", h("strong", {}, h("code", {}, `${host}:${smtp.port}`)), ` over SMTP. ${auth}; any password works unless the server checks them.`),
        h("p", {}, "Or send the first message now:"),
        command("swaks", sendCommand(smtp, this.route.inbox)),
        command("curl", curlCommand(smtp, this.route.inbox)),
        h("p", {}, h("button", { type: "button", className: "btn", onclick: () => this.openSettings() }, icon("settings"), "Settings for Rails, Django, Laravel, Node, Spring, PHP…")),
        h("p", { className: "muted small" }, "New mail shows up here by itself."));
    } else {
      card.append(h("p", { className: "muted" }, "Loading the SMTP settings…"));
    }
    clear(empty).append(card);
  }

  updateTitle() {
    const inbox = this.inboxes.find(this.route.inbox);
    const unread = inbox ? inbox.unread : 0;
    const subject = this.view.message ? `${this.view.message.subject || "(no subject)"} — ` : "";
    document.title = `${unread ? `(${unread.toLocaleString()}) ` : ""}${subject}${this.route.inbox || "Mailpen"} — Mailpen`;
  }

  listError(error) {
    this.listChanged();
    if (error.status !== 404) this.error(error);
  }

  // ---- drawer (narrow screens) ----

  openDrawer() {
    document.body.classList.add("drawer-open");
    this.el.drawerToggle.setAttribute("aria-expanded", "true");
    this.el.backdrop.hidden = false;
    ($("#inbox-list a[aria-current]") || $("#inbox-list a"))?.focus();
  }

  closeDrawer() {
    if (!document.body.classList.contains("drawer-open")) return false;
    document.body.classList.remove("drawer-open");
    this.el.drawerToggle.setAttribute("aria-expanded", "false");
    this.el.backdrop.hidden = true;
    return true;
  }

  // ---- feedback ----

  toast(text) {
    const item = h("div", { className: "toast" }, text);
    this.el.toasts.append(item);
    setTimeout(() => item.remove(), 4000);
  }

  error(error) {
    const text = error?.message || String(error);
    this.el.alerts.textContent = text;
    const item = h("div", { className: "toast toast-error" }, icon("warning"), " ", text);
    this.el.toasts.append(item);
    setTimeout(() => item.remove(), 6000);
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const app = new App();
window.mailpen = app; // handy from the console and for the UI tests' diagnostics
app.start();
