// The message list: a virtualised, windowed view over one inbox (and search). Only the rows in view
// (plus a margin) exist in the DOM, and only the pages of summaries around them are fetched, so an
// inbox of 100k messages costs the same as one of 100. The state (cache by rank, counts, selection,
// cursor) is a ListModel; this file draws it, fetches pages and keeps concurrent fetches in order.

import { api } from "./api.js";
import { h, icon, formatSize, relativeTime, exactTime, shortAddress, formatAddress, debounce } from "./util.js";
import { hashFor } from "./router.js";
import { ListModel, PAGE_SIZE, MAX_REQUEST, catchUpOverflowed, visibleRange, reloadWindow } from "./listmodel.js";

const OVERSCAN = 8;

export class MessageList {
  constructor({ viewport, rowsElement, onChange, onError }) {
    this.viewport = viewport;
    this.rowsEl = rowsElement;
    this.onChange = onChange; // called when total/unread/selection change (toolbar, empty state)
    this.onError = onError;
    this.model = new ListModel();
    this.generation = 0;
    this.resetSync();
    this.rowHeight = 72;
    this.rows = new Map(); // key (message id, or "p<index>" for a placeholder) → <li>
    this.frame = 0;
    this.fetchTimer = 0;
    this.reloadSoon = debounce(() => this.reload(), 60);
    viewport.addEventListener("scroll", () => this.scheduleRender(), { passive: true });
    new ResizeObserver(() => { this.measure(); this.scheduleRender(); }).observe(viewport);
    this.rowsEl.addEventListener("click", (event) => this.handleClick(event));
    this.rowsEl.addEventListener("change", (event) => this.handleCheck(event));
    this.measure();
  }

  /** Forgets the requests in flight for the previous source. */
  resetSync() {
    this.loading = false;
    this.inflight = new Set();
    this.catchingUp = null;
    this.catchUpAgain = false;
    this.reloading = false;
  }

  // The model's state, read by the app and the keyboard shortcuts.
  get inbox() { return this.model.inbox; }
  get query() { return this.model.query; }
  get total() { return this.model.total; }
  get unread() { return this.model.unread; }
  get loaded() { return this.model.loaded; }
  get error() { return this.model.error; }
  get selected() { return this.model.selected; }
  get cursorId() { return this.model.cursorId; }
  get openId() { return this.model.openId; }

  measure() {
    const value = parseFloat(getComputedStyle(this.viewport).getPropertyValue("--row-h"));
    if (value > 0 && value !== this.rowHeight) {
      this.rowHeight = value;
      this.scheduleRender();
    }
  }

  // ---- source ----

  /** Shows `inbox` filtered by `query`; reloads from the first page. */
  async setSource(inbox, query = "") {
    this.model.setSource(inbox, query);
    this.generation++;
    this.resetSync();
    this.viewport.scrollTop = 0;
    this.clearRows();
    this.emit();
    await this.loadFirst();
  }

  async loadFirst() {
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await api.messages(this.inbox, { q: this.query || undefined, limit: PAGE_SIZE, offset: 0 });
      if (generation !== this.generation) return;
      this.model.replaceWith(page);
    } catch (error) {
      if (generation !== this.generation) return;
      this.model.fail(error);
      this.onError?.(error);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.render();
        this.emit();
        if (this.catchUpAgain) this.catchUp();
      }
    }
  }

  /** Reloads what is in view, keeping the scroll position (after deletions, resync). */
  async reload() {
    if (!this.inbox) return;
    const generation = ++this.generation;
    const q = this.query || undefined;
    const { first, count } = reloadWindow({
      scrollTop: this.viewport.scrollTop, height: this.viewport.clientHeight || 600, rowHeight: this.rowHeight,
    });
    this.reloading = true;
    try {
      const requests = [api.messages(this.inbox, { q, limit: first === 0 ? count : PAGE_SIZE, offset: 0 })];
      if (first > 0) requests.push(api.messages(this.inbox, { q, limit: count, offset: first }));
      const [top, page] = await Promise.all(requests);
      if (generation !== this.generation) return;
      this.inflight = new Set();
      this.model.replaceWith(top);
      if (page) {
        this.model.store(page);
        if (page.total !== top.total) this.reloadSoon(); // changed between the two reads
      }
    } catch (error) {
      if (generation === this.generation) this.onError?.(error);
    } finally {
      if (generation === this.generation) {
        this.reloading = false;
        this.model.pruneSelection();
        this.render();
        this.emit();
        if (this.catchUpAgain) this.catchUp();
      }
    }
  }

  // ---- live updates ----

  matchesInbox(name) {
    return this.model.matchesInbox(name);
  }

  /** A message was stored (SSE). Without a search it goes straight in; with one, the server decides. */
  onStored(summary) {
    switch (this.model.storedAction(summary, { syncing: this.reloading })) {
      case "defer": this.catchUpAgain = true; break;
      case "catch-up": this.catchUp(); break;
      case "insert": this.insertNewest([summary]); break;
      default:
    }
  }

  /** Fetches everything newer than the newest message we have (after connecting, or for a search). */
  async catchUp() {
    if (!this.inbox) return;
    if (!this.loaded || this.reloading) { this.catchUpAgain = true; return; }
    if (this.catchingUp) { this.catchUpAgain = true; return; }
    this.catchUpAgain = false;
    const generation = this.generation;
    this.catchingUp = api.messages(this.inbox, { q: this.query || undefined, since: this.model.topId || undefined, limit: MAX_REQUEST })
      .then((page) => {
        if (generation !== this.generation) return;
        if (catchUpOverflowed(page)) { this.reloadSoon(); return; }
        this.insertNewest(page.messages);
      })
      .catch((error) => { if (generation === this.generation) this.onError?.(error); })
      .finally(() => {
        this.catchingUp = null;
        if (this.catchUpAgain && generation === this.generation) this.catchUp();
      });
  }

  insertNewest(summaries) {
    const atTop = this.viewport.scrollTop < this.rowHeight / 2;
    const added = this.model.insertNewest(summaries);
    if (added === 0) return;
    // Someone reading further down keeps their place; at the top, the new mail simply appears.
    if (!atTop) this.viewport.scrollTop += added * this.rowHeight;
    this.render();
    this.emit();
  }

  /** Messages were deleted (SSE or our own action). */
  onDeleted(inbox, ids) {
    if (!this.matchesInbox(inbox)) return;
    const { removed, needsReload } = this.model.remove(ids);
    if (removed) {
      this.render();
      this.emit();
    }
    if (needsReload) this.reloadSoon();
  }

  /** A summary changed (read flag, tags). */
  onUpdated(summary) {
    if (!this.model.update(summary)) return;
    this.render();
    this.emit();
  }

  // ---- lookups ----

  summaryAt(index) {
    return this.model.summaryAt(index);
  }

  indexOf(id) {
    return this.model.indexOf(id);
  }

  get(id) {
    return this.model.get(id);
  }

  loadedSummaries() {
    return this.model.loadedSummaries();
  }

  // ---- rendering ----

  scheduleRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  clearRows() {
    this.rows.clear();
    this.rowsEl.replaceChildren();
    this.rowsEl.style.height = "0px";
  }

  render() {
    if (this.frame) { cancelAnimationFrame(this.frame); this.frame = 0; }
    const rowHeight = this.rowHeight;
    const total = this.total;
    this.rowsEl.style.height = `${total * rowHeight}px`;
    const { first, last } = visibleRange({
      scrollTop: this.viewport.scrollTop, height: this.viewport.clientHeight || 600, rowHeight, total, overscan: OVERSCAN,
    });
    const wanted = [];
    const next = new Map();
    let missing = false;
    const now = Date.now();
    for (let index = first; index <= last; index++) {
      const summary = this.summaryAt(index);
      const key = summary ? summary.id : `p${index}`;
      let row = this.rows.get(key);
      if (!summary) {
        missing = true;
        if (!row) row = h("li", { className: "row placeholder", "aria-hidden": "true" },
          h("span", { className: "ph ph-1" }), h("span", { className: "ph ph-2" }), h("span", { className: "ph ph-3" }));
      } else if (!row || row._summary !== summary || row._minute !== Math.floor(now / 30000)) {
        const fresh = this.renderRow(summary, now);
        if (row && row.contains(document.activeElement)) {
          // keep the focused element: patch the existing row in place instead of replacing it
          patchRow(row, fresh);
        } else {
          if (row) row.replaceWith(fresh);
          row = fresh;
        }
      }
      row._summary = summary;
      row._minute = Math.floor(now / 30000);
      row.style.transform = `translateY(${index * rowHeight}px)`;
      if (summary) {
        row.classList.toggle("selected", this.selected.has(summary.id));
        row.classList.toggle("cursor", this.cursorId === summary.id);
        row.classList.toggle("open", this.openId === summary.id);
        row.classList.toggle("unread", !summary.read);
        const link = row.querySelector(".row-link");
        if (this.openId === summary.id) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
        const check = row.querySelector(".row-check");
        if (check.checked !== this.selected.has(summary.id)) check.checked = this.selected.has(summary.id);
        row.setAttribute("aria-posinset", String(index + 1));
        row.setAttribute("aria-setsize", String(total));
      }
      next.set(key, row);
      wanted.push(row);
    }
    // Drop rows that scrolled away; keep the focused one out of harm's way until it is replaced.
    for (const [key, row] of this.rows) {
      if (!next.has(key)) {
        if (row.contains(document.activeElement)) this.viewport.focus({ preventScroll: true });
        row.remove();
      }
    }
    // Keep DOM order = visual order (tab order, screen readers) while moving as few nodes as possible.
    let after = null;
    for (let i = wanted.length - 1; i >= 0; i--) {
      const row = wanted[i];
      if (row.parentNode !== this.rowsEl || row.nextSibling !== after) this.rowsEl.insertBefore(row, after);
      after = row;
    }
    this.rows = next;
    if (missing) this.scheduleFetch(first, last);
    this.model.trim(first, last);
  }

  renderRow(summary, now) {
    const id = summary.id;
    const from = summary.from ? shortAddress(summary.from) : "(no sender)";
    const to = summary.to?.length ? shortAddress(summary.to[0]) + (summary.to.length > 1 ? ` +${summary.to.length - 1}` : "") : "";
    const subject = summary.subject || "(no subject)";
    const attachments = summary.attachmentCount > 0;
    return h("li", { className: `row${summary.read ? "" : " unread"}`, "data-id": id },
      h("input", { type: "checkbox", className: "row-check", "aria-label": `Select “${subject}” from ${from}` }),
      h("a", { className: "row-link", href: hashFor({ inbox: this.inbox, message: id }), "data-id": id, draggable: false },
        h("span", { className: "row-line row-line-1" },
          summary.read ? null : h("span", { className: "visually-hidden" }, "Unread. "),
          h("span", { className: "row-from", title: summary.from ? formatAddress(summary.from) : "" }, from),
          to ? h("span", { className: "row-to", title: (summary.to || []).map(formatAddress).join(", ") },
            h("span", { className: "visually-hidden" }, " to "), h("span", { "aria-hidden": "true" }, "→ "), to) : null,
          h("time", { className: "row-time", datetime: summary.receivedAt, title: exactTime(summary.receivedAt) },
            relativeTime(summary.receivedAt, now))),
        h("span", { className: "row-line row-line-2" },
          h("span", { className: "row-subject" }, subject),
          h("span", { className: "row-meta" },
            attachments ? h("span", { className: "row-attach", title: `${summary.attachmentCount} attachment${summary.attachmentCount === 1 ? "" : "s"}` },
              icon("paperclip"), h("span", { className: "visually-hidden" }, `${summary.attachmentCount} attachments, `)) : null,
            h("span", { className: "row-size" }, formatSize(summary.size)))),
        h("span", { className: "row-line row-snippet" }, summary.snippet || "")));
  }

  // ---- fetching ----

  scheduleFetch(first, last) {
    clearTimeout(this.fetchTimer);
    // While the scrollbar is being dragged through 100k rows, wait until it settles.
    this.fetchTimer = setTimeout(() => this.fetchRange(first, last), this.loaded ? 40 : 0);
  }

  fetchRange(first, last) {
    if (!this.loaded) return;
    for (const page of this.model.missingPages(first, last)) this.fetchPage(page);
  }

  async fetchPage(page) {
    const key = `${page}:${this.total}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    const generation = this.generation;
    try {
      const result = await api.messages(this.inbox, { q: this.query || undefined, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
      if (generation !== this.generation) return;
      this.model.store(result);
      if (result.total < this.total) {
        // Something was deleted that we did not hear about yet: start over where we are.
        this.reloadSoon();
      }
      this.scheduleRender();
    } catch (error) {
      if (generation === this.generation) this.onError?.(error);
    } finally {
      this.inflight.delete(key);
    }
  }

  // ---- interaction ----

  emit() {
    this.onChange?.(this);
  }

  handleClick(event) {
    if (event.target.closest(".row-check")) { this.shiftHeld = event.shiftKey; return; }
    const link = event.target.closest(".row-link");
    if (link) {
      this.model.cursorId = link.dataset.id;
      return; // the href navigates
    }
  }

  handleCheck(event) {
    const check = event.target.closest(".row-check");
    if (!check) return;
    const row = check.closest(".row");
    this.model.check(row.dataset.id, check.checked, this.shiftHeld);
    this.render();
    this.emit();
  }

  toggleSelected(id) {
    if (!this.model.toggleSelected(id)) return;
    this.render();
    this.emit();
  }

  selectAllLoaded(on) {
    this.model.selectAllLoaded(on);
    this.render();
    this.emit();
  }

  setOpen(id) {
    this.model.setOpen(id);
    this.render();
  }

  /** Moves the keyboard cursor by `delta` rows, scrolling and focusing as needed. */
  moveCursor(delta) {
    const target = this.model.cursorTarget(delta);
    if (target >= 0) this.focusIndex(target);
  }

  focusIndex(index) {
    const rowHeight = this.rowHeight;
    const top = index * rowHeight;
    const view = this.viewport;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + rowHeight > view.scrollTop + view.clientHeight) view.scrollTop = top + rowHeight - view.clientHeight;
    const summary = this.model.placeCursor(index);
    if (!summary) {
      this.render();
      this.pendingFocus = index;
      // the page is on its way; try again when rendering brings it
      const retry = () => {
        if (this.pendingFocus !== index) return;
        if (this.summaryAt(index)) { this.pendingFocus = null; this.focusIndex(index); } else setTimeout(retry, 50);
      };
      setTimeout(retry, 50);
      return;
    }
    this.render();
    this.rows.get(summary.id)?.querySelector(".row-link")?.focus({ preventScroll: true });
  }

  cursorSummary() {
    return this.model.cursorSummary();
  }

  /** The messages an action applies to: the selection, else the open message, else the cursor row. */
  targets(openMessageId) {
    return this.model.targets(openMessageId);
  }

  selectAllState() {
    return this.model.selectAllState();
  }
}

/** Copies a freshly rendered row's content into an existing one without touching its focused child. */
function patchRow(row, fresh) {
  row.className = fresh.className;
  const link = row.querySelector(".row-link");
  const freshLink = fresh.querySelector(".row-link");
  link.replaceChildren(...freshLink.childNodes);
  link.href = freshLink.href;
  const check = row.querySelector(".row-check");
  check.setAttribute("aria-label", fresh.querySelector(".row-check").getAttribute("aria-label"));
}
