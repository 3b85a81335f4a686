// Releasing a message to a configured relay, and its deliveries with their live status. The relays come
// from GET /api/v1/relays once per page; without any, the message view shows neither the button nor the
// section. Every text from the server is inserted as a text node.

import { api } from "./api.js";
import { h, icon, clear, exactTime, relativeTime, plural } from "./util.js";

let relaysPromise = null;

/** The configured relays (fetched once; an unreachable server counts as none). */
export function relays() {
  relaysPromise ??= api.relays().then((data) => data.relays || [], () => []);
  return relaysPromise;
}

const STATUS_BADGE = { queued: "badge-warning", sending: "badge-info", sent: "badge-info", failed: "badge-error" };

export class ReleaseSection {
  constructor(message) {
    this.message = message;
    this.deliveries = new Map();
    this.button = h("button", { type: "button", className: "btn act-release", hidden: true, "aria-expanded": "false",
      title: "Send this message on to a real SMTP server", onclick: () => this.toggleForm() },
      icon("external"), h("span", { className: "label" }, "Release"));
    this.form = h("form", { className: "release-form", hidden: true, "aria-label": "Release to a relay" });
    this.list = h("ul", { className: "delivery-list" });
    this.section = h("section", { className: "msg-deliveries", hidden: true, "aria-labelledby": "deliveries-title" },
      h("h3", { id: "deliveries-title" }, "Deliveries"), this.list);
    this.load();
  }

  async load() {
    const [configured, deliveries] = await Promise.all([
      relays(), api.deliveries(this.message.id).then((data) => data.deliveries || [], () => []),
    ]);
    this.relays = configured;
    this.button.hidden = configured.length === 0;
    for (const delivery of deliveries) this.deliveries.set(delivery.id, delivery);
    this.renderList();
  }

  toggleForm() {
    if (!this.form.hidden) { this.closeForm(); return; }
    const recipients = (this.message.envelope?.recipients || []).map((r) => r.address).join(", ");
    const select = h("select", { id: "release-relay", name: "relay", required: true },
      this.relays.map((relay) => h("option", { value: relay.name },
        relay.allow.length ? `${relay.name} (allows ${relay.allow.join(", ")})` : `${relay.name} (named recipients only)`)));
    const to = h("input", { id: "release-to", name: "to", type: "text", value: recipients, required: true, autocomplete: "off",
      placeholder: "dev@example.com, qa@example.com" });
    const error = h("p", { className: "release-error notice notice-warn", role: "alert", hidden: true });
    const submit = h("button", { type: "submit", className: "btn btn-primary" }, "Release");
    clear(this.form).append(
      h("label", { htmlFor: "release-relay" }, "Relay"), select,
      h("label", { htmlFor: "release-to" }, "Recipients"), to,
      h("div", { className: "release-actions" }, submit,
        h("button", { type: "button", className: "btn", onclick: () => this.closeForm() }, "Cancel")),
      error);
    this.form.onsubmit = async (event) => {
      event.preventDefault();
      const addresses = to.value.split(/[,;\s]+/).filter(Boolean);
      submit.disabled = true;
      error.hidden = true;
      try {
        const result = await api.release(this.message.id, { relay: select.value, to: addresses });
        for (const delivery of result.deliveries) this.update(delivery);
        this.closeForm();
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    };
    this.form.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    select.focus();
  }

  closeForm() {
    this.form.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
  }

  /** A delivery of this message was queued or attempted (from the API or the event stream). */
  update(delivery) {
    if (delivery.messageId !== this.message.id) return;
    this.deliveries.set(delivery.id, delivery);
    this.renderList();
  }

  renderList() {
    const deliveries = [...this.deliveries.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    this.section.hidden = deliveries.length === 0;
    clear(this.list).append(...deliveries.map((d) => h("li", { className: "delivery", "data-id": d.id, "data-status": d.status },
      h("span", { className: `badge ${STATUS_BADGE[d.status] || ""} delivery-status` }, d.status),
      h("span", { className: "delivery-relay" }, d.relay), " → ",
      h("span", { className: "delivery-to" }, d.to.join(", ")),
      h("span", { className: "muted small" }, ` · ${plural(d.attempts, "attempt")}`,
        d.nextAttemptAt && d.status === "queued" ? ` · next ${relativeTime(d.nextAttemptAt)}` : ""),
      d.lastError || d.lastReply ? h("div", { className: "delivery-detail muted small", title: d.updatedAt ? exactTime(d.updatedAt) : "" },
        d.lastError || d.lastReply) : null)));
  }
}
