// The Chaos panel of an inbox: its chaos rules with how often each has fired, a JSON editor to replace them
// and a button to clear them (see docs/chaos.md). Every text from the server is inserted as a text node.

import { api } from "./api.js";
import { h, icon, clear } from "./util.js";

const EXAMPLE = [{ stage: "rcpt", reply: "451 4.3.0 Try again later", probability: 30 }];

/** The rules as the editor shows them: what was set, without counters and defaults. */
function editable(state) {
  const rules = state.rules.map((rule) => {
    const kept = { stage: rule.stage };
    if (rule.reply !== null) kept.reply = rule.reply;
    if (rule.probability !== 100) kept.probability = rule.probability;
    if (rule.times !== null) kept.times = rule.times;
    if (rule.delayMs) kept.delayMs = rule.delayMs;
    if (rule.disconnect) kept.disconnect = true;
    if (rule.match !== null) kept.match = rule.match;
    return kept;
  });
  return state.seed === null ? rules : { seed: state.seed, rules };
}

function describe(rule) {
  const parts = [];
  if (rule.delayMs) parts.push(`wait ${rule.delayMs} ms`);
  if (rule.reply !== null) parts.push(`reply ${rule.reply}`);
  if (rule.disconnect) parts.push("disconnect");
  if (rule.match !== null) parts.push(`when ${rule.match}`);
  return parts.join(", ");
}

export function chaosDialog(inboxName, notify) {
  const dialog = h("dialog", { className: "dialog dialog-wide chaos-dialog", "aria-labelledby": "chaos-title" });
  const table = h("tbody", { id: "chaos-rules" });
  const empty = h("p", { className: "muted", id: "chaos-empty" }, "No chaos rules: this inbox's sessions run normally.");
  const editor = h("textarea", { id: "chaos-editor", rows: 8, spellcheck: false, className: "code-block",
    "aria-describedby": "chaos-hint" });
  const error = h("p", { className: "notice notice-warn", role: "alert", id: "chaos-error", hidden: true });
  const show = (state) => {
    clear(table).append(...state.rules.map((rule) => h("tr", {},
      h("td", {}, h("code", {}, rule.stage)),
      h("td", {}, `${rule.probability}%`),
      h("td", {}, rule.times === null ? "—" : String(rule.times)),
      h("td", { className: "chaos-hits" }, String(rule.hits)),
      h("td", {}, describe(rule)))));
    empty.hidden = state.rules.length > 0;
    table.closest("table").hidden = state.rules.length === 0;
    editor.value = JSON.stringify(state.rules.length ? editable(state) : EXAMPLE, null, 2);
  };
  const run = async (action) => {
    error.hidden = true;
    try {
      show(await action());
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  };
  const load = () => run(() => api.chaos(inboxName));
  const save = () => run(async () => {
    let parsed;
    try {
      parsed = JSON.parse(editor.value);
    } catch (failure) {
      throw new Error(`Not JSON: ${failure.message}`);
    }
    const body = Array.isArray(parsed) ? { rules: parsed } : parsed;
    const state = await api.setChaos(inboxName, body);
    notify(`${state.rules.length} chaos rule(s) set`);
    return state;
  });
  const reset = () => run(async () => {
    await api.clearChaos(inboxName);
    notify("Chaos rules cleared");
    return api.chaos(inboxName);
  });
  dialog.append(
    h("div", { className: "dialog-head" },
      h("h2", { id: "chaos-title" }, "Chaos — ", h("span", { className: "inbox-name" }, inboxName)),
      h("form", { method: "dialog" }, h("button", { type: "submit", className: "btn btn-icon", "aria-label": "Close" }, icon("close")))),
    h("p", {}, "Make SMTP sessions of this inbox fail on purpose: refuse a stage, slow it down or hang up."),
    h("table", { className: "chaos-table", hidden: true },
      h("thead", {}, h("tr", {}, ...["Stage", "Chance", "Times", "Hits", "Does"].map((name) => h("th", { scope: "col" }, name)))),
      table),
    empty,
    h("label", { htmlFor: "chaos-editor" }, "Rules (JSON)"),
    editor,
    h("p", { className: "hint", id: "chaos-hint" },
      "A list of rules, or {\"seed\": 42, \"rules\": [...]}. Stages: connect (global only), ehlo, auth, mail, rcpt, data, bdat, message."),
    error,
    h("div", { className: "chaos-actions" },
      h("button", { type: "button", className: "btn btn-primary", id: "chaos-save", onclick: save }, "Save rules"),
      h("button", { type: "button", className: "btn", id: "chaos-refresh", onclick: load }, icon("refresh"), "Refresh"),
      h("button", { type: "button", className: "btn btn-danger", id: "chaos-clear", onclick: reset }, "Clear rules")));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  load();
}
