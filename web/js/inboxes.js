// The inboxes pane: every inbox with its unread and total counts, kept live from the event stream.

import { api } from "./api.js";
import { h, icon, clear, debounce } from "./util.js";
import { hashFor } from "./router.js";

export class InboxPane {
  constructor({ listElement, onLoaded, onError }) {
    this.listEl = listElement;
    this.onLoaded = onLoaded;
    this.onError = onError;
    this.inboxes = [];
    this.current = null;
    this.refreshSoon = debounce(() => this.refresh(), 250);
  }

  async refresh() {
    try {
      const data = await api.inboxes();
      this.inboxes = data.inboxes;
      this.render();
      this.onLoaded?.(this);
    } catch (error) {
      this.onError?.(error);
    }
  }

  find(name) {
    if (!name) return undefined;
    const lower = name.toLowerCase();
    return this.inboxes.find((inbox) => inbox.name.toLowerCase() === lower);
  }

  setCurrent(name) {
    this.current = name;
    this.render();
  }

  /** A message was stored: count it right away; the debounced refresh fixes anything else (retention). */
  countStored(summary) {
    const inbox = this.find(summary.inbox);
    if (inbox) {
      inbox.total++;
      if (!summary.read) inbox.unread++;
      this.render();
      this.onLoaded?.(this);
    }
    this.refreshSoon();
  }

  render() {
    const focusedName = this.listEl.contains(document.activeElement) ? document.activeElement.dataset.inbox : null;
    const current = this.current?.toLowerCase();
    clear(this.listEl);
    for (const inbox of this.inboxes) {
      const isCurrent = inbox.name.toLowerCase() === current;
      const label = `${inbox.name}: ${inbox.unread.toLocaleString()} unread, ${inbox.total.toLocaleString()} message${inbox.total === 1 ? "" : "s"}`;
      const link = h("a", {
        className: `inbox-link${inbox.unread ? " has-unread" : ""}`, href: hashFor({ inbox: inbox.name }),
        "data-inbox": inbox.name, "aria-label": label, title: label, "aria-current": isCurrent ? "page" : null,
      },
      icon("inbox"),
      h("span", { className: "inbox-name" }, inbox.name),
      h("span", { className: "inbox-counts", "aria-hidden": "true" },
        h("span", { className: `unread-count${inbox.unread ? "" : " zero"}`, "data-count": inbox.unread }, inbox.unread.toLocaleString()),
        h("span", { className: "total-count", "data-count": inbox.total }, inbox.total.toLocaleString())));
      this.listEl.append(h("li", {}, link));
      if (focusedName === inbox.name) link.focus();
    }
  }
}
