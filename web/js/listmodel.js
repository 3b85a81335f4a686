// The message list's state, apart from the page: which inbox and search it shows, the cache of
// summaries, the counts, the selection and the keyboard cursor. No DOM, no network and no timers, so
// the rules the list lives by can be tested on their own (Tests/web) and list.js only draws and fetches.
//
// Summaries are cached by *rank*: the position counted from the oldest message (rank = total-1-index).
// New mail arrives at the top, so ranks of cached messages stay valid when it does; a page fetched at
// any moment maps to ranks through the `total` in its own response. Ids are ULIDs and sort by
// arrival, so "newer than the newest we have" is a string comparison.

/** Summaries per page asked of the server. */
export const PAGE_SIZE = 100;
/** Cached summaries beyond this are dropped, furthest from the view first. */
export const MAX_CACHE = 4000;
/** The most messages one request may ask for (the API refuses more). */
export const MAX_REQUEST = 1000;

/** The state behind one message list; every method works on plain data. */
export class ListModel {
  constructor({ pageSize = PAGE_SIZE, maxCache = MAX_CACHE } = {}) {
    this.pageSize = pageSize;
    this.maxCache = maxCache;
    this.inbox = null;
    this.query = "";
    this.error = null;
    this.selected = new Set();
    this.lastClicked = null; // the anchor of a shift-click range
    this.cursorId = null;
    this.cursorIndex = undefined; // where the cursor was last placed, for when its message goes
    this.openId = null;
    this.reset();
  }

  /** Forgets the cache and counts (not the selection or cursor). */
  reset() {
    this.total = 0;
    this.unread = 0;
    this.byRank = new Map();
    this.rankById = new Map();
    this.topId = "";
    this.loaded = false; // the first page of the current source has arrived
  }

  /** Shows `inbox` filtered by `query`: empties the cache and the selection. */
  setSource(inbox, query = "") {
    this.inbox = inbox;
    this.query = query;
    this.reset();
    this.selected.clear();
  }

  /** The first page could not be loaded: the list is settled, and empty. */
  fail(error) {
    this.loaded = true;
    this.error = error;
  }

  matchesInbox(name) {
    return Boolean(this.inbox && name && name.toLowerCase() === this.inbox.toLowerCase());
  }

  // ---- the cache ----

  /** Replaces the whole cache with one fresh page (first load, reload after deletions). */
  replaceWith(page) {
    this.error = null;
    this.byRank = new Map();
    this.rankById = new Map();
    this.total = page.total;
    this.unread = page.unread;
    this.store(page);
    this.topId = page.offset === 0 ? page.messages[0]?.id ?? "" : "";
    this.loaded = true;
  }

  /** Puts a page's summaries into the cache under their ranks; a message that moved leaves its old rank. */
  store(page) {
    page.messages.forEach((summary, i) => {
      const rank = page.total - 1 - (page.offset + i);
      const old = this.rankById.get(summary.id);
      if (old !== undefined && old !== rank) this.byRank.delete(old);
      this.byRank.set(rank, summary);
      this.rankById.set(summary.id, rank);
    });
  }

  /**
   * Adds messages newer than the newest we have on top, oldest first, and counts them. Ones we
   * already have (or older ones) are ignored. Returns how many were added.
   */
  insertNewest(summaries) {
    const fresh = summaries.filter((s) => s.id > this.topId && !this.rankById.has(s.id))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    let added = 0;
    for (const summary of fresh) {
      if (summary.id <= this.topId) continue; // the same message twice in one batch
      const rank = this.total;
      this.total++;
      if (!summary.read) this.unread++;
      this.byRank.set(rank, summary);
      this.rankById.set(summary.id, rank);
      this.topId = summary.id;
      added++;
    }
    return added;
  }

  /**
   * Messages were deleted. They leave the selection; cached ones leave the cache at once. Returns
   * whether anything was removed from the cache and whether some were unknown here, so only a
   * reload can tell where they were.
   */
  remove(ids) {
    const unique = [...new Set(ids)];
    for (const id of unique) this.selected.delete(id);
    const known = unique.filter((id) => this.rankById.has(id));
    if (known.length) this.removeKnown(known);
    return { removed: known.length > 0, needsReload: known.length < unique.length };
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
      const below = countBelow(gone, rank);
      byRank.set(rank - below, summary);
      rankById.set(summary.id, rank - below);
    }
    this.byRank = byRank;
    this.rankById = rankById;
    this.total = Math.max(0, this.total - gone.length);
    this.unread = Math.max(0, this.unread - unreadGone);
    if (!this.rankById.has(this.topId)) this.topId = this.byRank.get(this.total - 1)?.id ?? this.topId;
    if (this.cursorId && !this.rankById.has(this.cursorId)) {
      // The cursor stays where it was on screen: on the message that moved into its place.
      const index = this.cursorIndex ?? 0;
      this.cursorId = this.summaryAt(Math.min(index, this.total - 1))?.id ?? null;
    }
  }

  /**
   * A summary changed (read flag, tags). Returns false when it is not cached. The unread count is
   * the inbox's, so a search (whose count is of matches) leaves it alone.
   */
  update(summary) {
    const rank = this.rankById.get(summary.id);
    if (rank === undefined) return false;
    const old = this.byRank.get(rank);
    if (old && old.read !== summary.read && !this.query) this.unread += summary.read ? -1 : 1;
    this.byRank.set(rank, summary);
    return true;
  }

  /** Drops cached summaries far from rows `first`…`last` once the cache is over its limit; the newest stays. */
  trim(first, last) {
    if (this.byRank.size <= this.maxCache) return;
    const centre = this.total - 1 - Math.floor((first + last) / 2);
    const keep = this.maxCache / 2;
    for (const [rank, summary] of this.byRank) {
      if (Math.abs(rank - centre) > keep && rank !== this.total - 1) {
        this.byRank.delete(rank);
        this.rankById.delete(summary.id);
      }
    }
  }

  /** The pages (numbered from the newest) holding rows `first`…`last` that are not cached. */
  missingPages(first, last) {
    const pages = new Set();
    for (let index = first; index <= last; index++) {
      if (!this.summaryAt(index)) pages.add(Math.floor(index / this.pageSize));
    }
    return [...pages];
  }

  /**
   * What a `stored` event means here: "ignore" (another inbox), "defer" (catch up once the list
   * has settled), "catch-up" (a search: the server decides whether it matches) or "insert".
   */
  storedAction(summary, { syncing = false } = {}) {
    if (!this.matchesInbox(summary.inbox)) return "ignore";
    if (!this.loaded || syncing) return "defer";
    if (this.query) return "catch-up";
    return "insert";
  }

  // ---- lookups ----

  /** Row `index` (0 is the newest), if cached. */
  summaryAt(index) {
    return this.byRank.get(this.total - 1 - index);
  }

  /** The row of message `id`, or -1 when it is not cached. */
  indexOf(id) {
    const rank = this.rankById.get(id);
    return rank === undefined ? -1 : this.total - 1 - rank;
  }

  get(id) {
    const rank = this.rankById.get(id);
    return rank === undefined ? undefined : this.byRank.get(rank);
  }

  get loadedCount() {
    return this.byRank.size;
  }

  /** The cached summaries, newest first. */
  loadedSummaries() {
    return [...this.byRank.entries()].sort((a, b) => b[0] - a[0]).map(([, summary]) => summary);
  }

  // ---- selection and cursor ----

  /** A checkbox was set to `on`; with `extend` (shift held) the cached rows from the last one clicked follow. */
  check(id, on, extend = false) {
    if (extend && this.lastClicked && this.lastClicked !== id) {
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
  }

  toggleSelected(id) {
    if (!id) return false;
    if (this.selected.has(id)) this.selected.delete(id); else this.selected.add(id);
    this.lastClicked = id;
    return true;
  }

  /** Selects every cached message, or clears the selection. */
  selectAllLoaded(on) {
    if (on) for (const summary of this.byRank.values()) this.selected.add(summary.id);
    else this.selected.clear();
  }

  /** Drops selected messages that are no longer cached (after a reload). */
  pruneSelection() {
    for (const id of [...this.selected]) if (!this.rankById.has(id)) this.selected.delete(id);
  }

  /** The select-all box: checked when every cached message is selected, mixed when some are. */
  selectAllState() {
    const selected = this.selected.size;
    return { checked: selected > 0 && selected >= this.byRank.size, indeterminate: selected > 0 && selected < this.byRank.size };
  }

  /** The messages an action applies to: the selection, else the open message, else the cursor row. */
  targets(openMessageId = null) {
    if (this.selected.size) return [...this.selected];
    if (openMessageId) return [openMessageId];
    const summary = this.cursorSummary();
    return summary ? [summary.id] : [];
  }

  setOpen(id) {
    this.openId = id;
    if (id) this.cursorId = id;
  }

  /** Puts the cursor on row `index`; returns its summary, or undefined while that row is not cached. */
  placeCursor(index) {
    const summary = this.summaryAt(index);
    if (!summary) return undefined;
    this.cursorId = summary.id;
    this.cursorIndex = index;
    return summary;
  }

  /** The row `delta` rows from the cursor, kept inside the list (-1 when the list is empty). */
  cursorTarget(delta) {
    if (this.total === 0) return -1;
    let index = this.cursorId ? this.indexOf(this.cursorId) : -1;
    if (index < 0) index = delta > 0 ? -1 : 0;
    return Math.min(this.total - 1, Math.max(0, index + delta));
  }

  cursorSummary() {
    return this.cursorId ? this.get(this.cursorId) : undefined;
  }
}

/** Whether a catch-up's answer left messages out (more arrived than one request carries). */
export function catchUpOverflowed(page) {
  return page.messages.length < page.total && page.messages.length >= MAX_REQUEST;
}

/** The rows to draw for a viewport: those in view plus `overscan` either side, within the list. */
export function visibleRange({ scrollTop, height, rowHeight, total, overscan }) {
  return {
    first: Math.max(0, Math.floor(scrollTop / rowHeight) - overscan),
    last: Math.min(total - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan),
  };
}

/** The rows a reload fetches besides the top: from a little above the view, a screenful and more. */
export function reloadWindow({ scrollTop, height, rowHeight }) {
  return {
    first: Math.max(0, Math.floor(scrollTop / rowHeight) - 20),
    count: Math.min(MAX_REQUEST, Math.ceil(height / rowHeight) + 60),
  };
}

/** How many of the sorted `ranks` are below `rank`. */
function countBelow(ranks, rank) {
  let lo = 0;
  let hi = ranks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranks[mid] < rank) lo = mid + 1; else hi = mid;
  }
  return lo;
}
