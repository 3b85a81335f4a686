// Keyboard shortcuts: j/k move, Enter opens, / searches, Delete deletes, x selects, u marks unread,
// Esc closes, ? lists them. Ignored while typing in a field or with Ctrl/Alt/Meta held.

import { isTypingTarget } from "./util.js";

export function setupKeys(app) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return; // dialogs handle their own keys
    const typing = isTypingTarget(event.target);
    if (event.key === "Escape") {
      if (typing && event.target.id === "search") { event.target.blur(); app.list.focusIndex(Math.max(0, app.list.indexOf(app.list.cursorId))); return; }
      if (app.closeDrawer()) return;
      if (app.route.message) { event.preventDefault(); app.closeMessage(); }
      return;
    }
    if (typing) return;
    // Keys typed inside the message tabs (Left/Right) and other widgets keep their meaning.
    switch (event.key) {
      case "j":
        event.preventDefault();
        app.list.moveCursor(1);
        break;
      case "k":
        event.preventDefault();
        app.list.moveCursor(-1);
        break;
      case "Enter": {
        // A focused link or button does its own thing; elsewhere Enter opens the current row.
        if (event.target instanceof Element && event.target.closest("a, button, summary, [role=tab]")) return;
        const summary = app.list.cursorSummary();
        if (summary) { event.preventDefault(); app.openMessage(summary.id); }
        break;
      }
      case "/":
        event.preventDefault();
        app.focusSearch();
        break;
      case "Delete":
        event.preventDefault();
        app.deleteCurrent();
        break;
      case "x": {
        event.preventDefault();
        app.list.toggleSelected(app.list.cursorId);
        break;
      }
      case "u":
        if (app.view.message) { event.preventDefault(); app.setRead([app.view.message.id], false); }
        break;
      case "?":
        event.preventDefault();
        document.getElementById("shortcuts").showModal();
        break;
      default:
    }
  });
}
