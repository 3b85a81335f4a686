// The message list: a virtualised, windowed view over one inbox (and search). Only the rows in view
// (plus a margin) exist in the DOM, and only the pages of summaries around them are fetched, so an
// inbox of 100k messages costs the same as one of 100.
//
// Summaries are cached by *rank*: the position counted from the oldest message (rank = total-1-index).
// New mail arrives at the top, so ranks of cached messages stay valid when it does; a page fetched at
// any moment maps to ranks through the `total` in its own response. Ids are ULIDs and sort by
// arrival, so "newer than the newest we have" is a string comparison.

import { api } from "./api.js";
import { h, icon, formatSize, relativeTime, exactTime, shortAddress, formatAddress, debounce } from "./util.js";
import { hashFor } from "./router.js";

const PAGE = 100;
const OVERSCAN = 8;
const MAX_CACHE = 4000;

export class MessageList {
  constructor({ viewport, rowsElement, onChange, onError }) {
    this.viewport = viewport;
    this.rowsEl = rowsElement;
    this.onChange = onChange; // called when total/unread/selection change (toolbar, empty state)
    this.onError = onError;
    this.inbox = null;
    this.query = "";
    this.generation = 0;
    this.reset();
    this.rowHeight = 72;
    this.rows = new Map(); // key (message id, or "p<index>" for a placeholder) → <li>
    this.selected = new Set();
    this.lastClicked = null;
    this.cursorId = null;
    this.openId = null;
    this.frame = 0;
    this.fetchTimer = 0;
    this.reloadSoon = debounce(() => this.reload(), 60);
    viewport.addEventListener("scroll", () => this.scheduleRender(), { passive: true });
    new ResizeObserver(() => { this.measure(); this.scheduleRender(); }).observe(viewport);
    this.rowsEl.addEventListener("click", (event) => this.handleClick(event));
    this.rowsEl.addEventListener("change", (event) => this.handleCheck(event));
    this.measure();
  }

  reset() {
    this.total = 0;
    this.unread = 0;
    this.byRank = new Map();
    this.rankById = new Map();
    this.topId = "";
    this.loaded = false; // the first page of the current source has arrived
    this.loading = false;
    this.inflight = new Set();
    this.catchingUp = null;
    this.catchUpAgain = false;
    this.reloading = false;
  }

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
    this.inbox = inbox;
    this.query = query;
    this.generation++;
    this.reset();
    this.selected.clear();
    this.viewport.scrollTop = 0;
    this.clearRows();
    this.emit();
    await this.loadFirst();
  }

  async loadFirst() {
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await api.messages(this.inbox, { q: this.query || undefined, limit: PAGE, offset: 0 });
      if (generation !== this.generation) return;
      this.replaceWith(page);
    } catch (error) {
      if (generation !== this.generation) return;
      this.loaded = true;
      this.error = error;
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

  /** Replaces the whole cache with one fresh page (first load, reload after deletions). */
  replaceWith(page) {
    this.error = null;
    this.byRank = new Map();
    this.rankById = new Map();
    this.total = page.total;
    this.unread = page.unread;
    this.topId = "";
    this.store(page);
    if (page.offset === 0) this.topId = page.messages[0]?.id ?? "";
    else this.topId = this.topId || "";
    this.loaded = true;
  }

  /** Puts a page's summaries into the cache under their ranks. */
  store(page) {
    page.messages.forEach((summary, i) => {
      const rank = page.total - 1 - (page.offset + i);
      const old = this.rankById.get(summary.id);
      if (old !== undefined && old !== rank) this.byRank.delete(old);
      this.byRank.set(rank, summary);
      this.rankById.set(summary.id, rank);
    });
  }

  /** Reloads what is in view, keeping the scroll position (after deletions, resync). */
  async reload() {
    if (!this.inbox) return;
    const generation = ++this.generation;
    const q = this.query || undefined;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.rowHeight) - 20);
    const count = Math.min(1000, Math.ceil((this.viewport.clientHeight || 600) / this.rowHeight) + 60);
    this.reloading = true;
    try {
      const requests = [api.messages(this.inbox, { q, limit: first === 0 ? count : PAGE, offset: 0 })];
      if (first > 0) requests.push(api.messages(this.inbox, { q, limit: count, offset: first }));
      const [top, page] = await Promise.all(requests);
      if (generation !== this.generation) return;
      this.inflight = new Set();
      this.replaceWith(top);
      if (page) {
        this.store(page);
        if (page.total !== top.total) this.reloadSoon(); // changed between the two reads
      }
    } catch (error) {
      if (generation === this.generation) this.onError?.(error);
    } finally {
      if (generation === this.generation) {
        this.reloading = false;
        for (const id of [...this.selected]) if (!this.rankById.has(id)) this.selected.delete(id);
        this.render();
        this.emit();
        if (this.catchUpAgain) this.catchUp();
      }
    }
  }

  // ---- live updates ----

  matchesInbox(name) {
    return this.inbox && name && name.toLowerCase() === this.inbox.toLowerCase();
  }

  /** A message was stored (SSE). Without a search it goes straight in; with one, the server decides. */
  onStored(summary) {
    if (!this.matchesInbox(summary.inbox)) return;
    if (!this.loaded || this.reloading) { this.catchUpAgain = true; return; }
    if (this.query) { this.catchUp(); return; }
    this.insertNewest([summary]);
  }

  /** Fetches everything newer than the newest message we have (after connecting, or for a search). */
  async catchUp() {
    if (!this.inbox) return;
    if (!this.loaded || this.reloading) { this.catchUpAgain = true; return; }
    if (this.catchingUp) { this.catchUpAgain = true; return; }
    this.catchUpAgain = false;
    const generation = this.generation;
    this.catchingUp = api.messages(this.inbox, { q: this.query || undefined, since: this.topId || undefined, limit: 1000 })
      .then((page) => {
        if (generation !== this.generation) return;
        if (page.messages.length < page.total && page.messages.length >= 1000) { this.reloadSoon(); return; }
        this.insertNewest(page.messages);
      })
      .catch((error) => { if (generation === this.generation) this.onError?.(error); })
      .finally(() => {
        this.catchingUp = null;
        if (this.catchUpAgain && generation === this.generation) this.catchUp();
      });
  }

  insertNewest(summaries) {
    const fresh = summaries.filter((s) => s.id > this.topId && !this.rankById.has(s.id))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    if (fresh.length === 0) return;
    const atTop = this.viewport.scrollTop < this.rowHeight / 2;
    for (const summary of fresh) {
      const rank = this.total;
      this.total++;
      if (!summary.read) this.unread++;
      this.byRank.set(rank, summary);
      this.rankById.set(summary.id, rank);
      this.topId = summary.id;
    }
    // Someone reading further down keeps their place; at the top, the new mail simply appears.
    if (!atTop) this.viewport.scrollTop += fresh.length * this.rowHeight;
    this.render();
    this.emit();
  }

  /** Messages were deleted (SSE or our own action). */
  onDeleted(inbox, ids) {
    if (!this.matchesInbox(inbox)) return;
    const known = ids.filter((id) => this.rankById.has(id));
    for (const id of ids) this.selected.delete(id);
    if (known.length === ids.length && known.length > 0) {
      this.removeKnown(known);
    } else if (ids.length > 0) {
      if (known.length) this.removeKnown(known);
      this.reloadSoon();
    }
  }

  /** Removes cached messages and shifts the ranks above them down, without asking the server. */
  removeKnown(ids) {
    const gone = ids.map((id) => this.rankById.get(id)).sort((a, b) => a - b);
    const goneSet = new Set(gone);
    const byRank = new Map();
    const rankById = new Map();
    let unreadGone = 0;
    for (const [rank, summary] of this.byRank) {
      if (goneSet.has(rank)) { if (!summary.read) unreadGone++; continue; }
      let below = 0;
      let lo = 0, hi = gone.length; // number of removed ranks below this one
      while (lo < hi) { const mid = (lo + hi) >> 1; if (gone[mid] < rank) lo = mid + 1; else hi = mid; }
      below = lo;
      byRank.set(rank - below, summary);
      rankById.set(summary.id, rank - below);
    }
    this.byRank = byRank;
    this.rankById = rankById;
    this.total = Math.max(0, this.total - gone.length);
    this.unread = Math.max(0, this.unread - unreadGone);
    if (!this.rankById.has(this.topId)) this.topId = this.byRank.get(this.total - 1)?.id ?? this.topId;
    if (this.cursorId && !this.rankById.has(this.cursorId)) {
      const index = this.cursorIndexBefore ?? 0;
      this.cursorId = this.summaryAt(Math.min(index, this.total - 1))?.id ?? null;
    }
    this.render();
    this.emit();
  }

  /** A summary changed (read flag, tags). */
  onUpdated(summary) {
    const rank = this.rankById.get(summary.id);
    if (rank === undefined) return;
    const old = this.byRank.get(rank);
    if (old && old.read !== summary.read && !this.query) this.unread += summary.read ? -1 : 1;
    this.byRank.set(rank, summary);
    this.render();
    this.emit();
  }

  // ---- lookups ----

  summaryAt(index) {
    return this.byRank.get(this.total - 1 - index);
  }

  indexOf(id) {
    const rank = this.rankById.get(id);
    return rank === undefined ? -1 : this.total - 1 - rank;
  }

  get(id) {
    const rank = this.rankById.get(id);
    return rank === undefined ? undefined : this.byRank.get(rank);
  }

  loadedSummaries() {
    return [...this.byRank.entries()].sort((a, b) => b[0] - a[0]).map(([, summary]) => summary);
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
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((top + height) / rowHeight) + OVERSCAN);
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
    this.trimCache(first, last);
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
    const pages = new Set();
    for (let index = first; index <= last; index++) {
      if (!this.summaryAt(index)) pages.add(Math.floor(index / PAGE));
    }
    for (const page of pages) this.fetchPage(page);
  }

  async fetchPage(page) {
    const key = `${page}:${this.total}`;
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    const generation = this.generation;
    try {
      const result = await api.messages(this.inbox, { q: this.query || undefined, limit: PAGE, offset: page * PAGE });
      if (generation !== this.generation) return;
      this.store(result);
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

  trimCache(first, last) {
    if (this.byRank.size <= MAX_CACHE) return;
    const centre = this.total - 1 - Math.floor((first + last) / 2);
    const keep = MAX_CACHE / 2;
    for (const [rank, summary] of this.byRank) {
      if (Math.abs(rank - centre) > keep && rank !== this.total - 1) {
        this.byRank.delete(rank);
        this.rankById.delete(summary.id);
      }
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
      this.cursorId = link.dataset.id;
      return; // the href navigates
    }
  }

  handleCheck(event) {
    const check = event.target.closest(".row-check");
    if (!check) return;
    const row = check.closest(".row");
    const id = row.dataset.id;
    const on = check.checked;
    if (this.shiftHeld && this.lastClicked && this.lastClicked !== id) {
      const a = this.indexOf(this.lastClicked);
      const b = this.indexOf(id);
      if (a >= 0 && b >= 0) {
        for (let i = Math.min(a, b); i <= Math.max(a, b); i++) {
          const summary = this.summaryAt(i);
          if (summary) on ? this.selected.add(summary.id) : this.selected.delete(summary.id);
        }
      }
    }
    if (on) this.selected.add(id); else this.selected.delete(id);
    this.lastClicked = id;
    this.render();
    this.emit();
  }

  toggleSelected(id) {
    if (!id) return;
    if (this.selected.has(id)) this.selected.delete(id); else this.selected.add(id);
    this.lastClicked = id;
    this.render();
    this.emit();
  }

  selectAllLoaded(on) {
    if (on) for (const summary of this.byRank.values()) this.selected.add(summary.id);
    else this.selected.clear();
    this.render();
    this.emit();
  }

  setOpen(id) {
    this.openId = id;
    if (id) this.cursorId = id;
    this.render();
  }

  /** Moves the keyboard cursor by `delta` rows, scrolling and focusing as needed. */
  moveCursor(delta) {
    if (this.total === 0) return;
    let index = this.cursorId ? this.indexOf(this.cursorId) : -1;
    if (index < 0) index = delta > 0 ? -1 : 0;
    const target = Math.min(this.total - 1, Math.max(0, index + delta));
    this.focusIndex(target);
  }

  focusIndex(index) {
    const rowHeight = this.rowHeight;
    const top = index * rowHeight;
    const view = this.viewport;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (top + rowHeight > view.scrollTop + view.clientHeight) view.scrollTop = top + rowHeight - view.clientHeight;
    const summary = this.summaryAt(index);
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
    this.cursorId = summary.id;
    this.cursorIndexBefore = index;
    this.render();
    this.rows.get(summary.id)?.querySelector(".row-link")?.focus({ preventScroll: true });
  }

  cursorSummary() {
    return this.cursorId ? this.get(this.cursorId) : undefined;
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
