// The message list's model (web/js/listmodel.js): the rank cache, live inserts and deletions, counts,
// selection, cursor and paging. Run with `make test-web` (node --test, no packages).

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import {
  ListModel, PAGE_SIZE, MAX_REQUEST, catchUpOverflowed, visibleRange, reloadWindow,
} from "../../web/js/listmodel.js";

// ---- fixtures: an inbox as the server sees it, and its pages as the API returns them ----

/** A ULID-like id: ids sort by `n` as strings do. */
const idOf = (n) => `01J${String(n).padStart(10, "0")}`;

const summary = (n, { read = false, inbox = "default" } = {}) => ({ id: idOf(n), inbox, read, subject: `Message ${n}` });

/** The server's view of one inbox: messages oldest first. */
class Inbox {
  constructor(count, { readEvery = 0 } = {}) {
    this.messages = [];
    this.next = 1;
    for (let i = 0; i < count; i++) this.add({ read: readEvery > 0 && i % readEvery === 0 });
  }

  add(options) {
    const message = summary(this.next++, options);
    this.messages.push(message);
    return message;
  }

  remove(ids) {
    this.messages = this.messages.filter((m) => !ids.includes(m.id));
  }

  /** GET /inboxes/{name}/messages?offset&limit: newest first. */
  page(offset, limit = PAGE_SIZE) {
    const newestFirst = [...this.messages].reverse();
    return {
      total: this.messages.length,
      unread: this.messages.filter((m) => !m.read).length,
      offset,
      messages: newestFirst.slice(offset, offset + limit),
    };
  }

  /** Ids newest first, as the list should show them. */
  ids() {
    return [...this.messages].reverse().map((m) => m.id);
  }
}

/** A model showing `inbox`, with its first page (or `pages` pages) loaded. */
function loaded(inbox, { pages = 1, query = "", name = "default" } = {}) {
  const model = new ListModel();
  model.setSource(name, query);
  model.replaceWith(inbox.page(0));
  for (let p = 1; p < pages; p++) model.store(inbox.page(p * PAGE_SIZE));
  return model;
}

/** The ids of rows 0…total-1 as the model has them (undefined where not cached). */
const rowIds = (model) => Array.from({ length: model.total }, (_, i) => model.summaryAt(i)?.id);

// ---- loading pages ----

describe("loading pages", () => {
  test("the first page fills the top rows, newest first, with the page's counts", () => {
    const inbox = new Inbox(250, { readEvery: 5 });
    const model = loaded(inbox);
    assert.equal(model.loaded, true);
    assert.equal(model.total, 250);
    assert.equal(model.unread, 200);
    assert.equal(model.topId, idOf(250));
    assert.equal(model.loadedCount, PAGE_SIZE);
    assert.deepEqual(rowIds(model).slice(0, PAGE_SIZE), inbox.ids().slice(0, PAGE_SIZE));
    assert.equal(model.summaryAt(PAGE_SIZE), undefined);
    assert.equal(model.indexOf(idOf(250)), 0);
    assert.equal(model.indexOf(idOf(151)), 99);
    assert.equal(model.indexOf(idOf(150)), -1, "not loaded yet");
    assert.equal(model.get(idOf(200)).subject, "Message 200");
  });

  test("later pages land under their ranks and fill the list in order", () => {
    const inbox = new Inbox(250);
    const model = loaded(inbox, { pages: 3 });
    assert.deepEqual(rowIds(model), inbox.ids());
    assert.deepEqual(model.loadedSummaries().map((s) => s.id), inbox.ids());
  });

  test("an empty inbox loads as an empty list with no newest id", () => {
    const model = loaded(new Inbox(0));
    assert.equal(model.loaded, true);
    assert.equal(model.total, 0);
    assert.equal(model.topId, "");
    assert.deepEqual(model.loadedSummaries(), []);
  });

  test("a page not at the top does not set the newest id", () => {
    const inbox = new Inbox(150);
    const model = new ListModel();
    model.setSource("default");
    model.replaceWith(inbox.page(100));
    assert.equal(model.topId, "");
    assert.equal(model.summaryAt(100).id, idOf(50));
  });

  test("a page fetched after new mail arrived still maps to the right rows", () => {
    const inbox = new Inbox(150);
    const model = loaded(inbox);
    const fresh = inbox.add();
    // The model has not heard of the new message; the second page is counted from the new total.
    model.store(inbox.page(PAGE_SIZE));
    model.insertNewest([fresh]);
    assert.deepEqual(rowIds(model), inbox.ids());
  });

  test("a failed first load settles the list with the error; a good page clears it", () => {
    const model = new ListModel();
    model.setSource("gone");
    assert.equal(model.loaded, false);
    const error = Object.assign(new Error("no such inbox"), { status: 404 });
    model.fail(error);
    assert.equal(model.loaded, true);
    assert.equal(model.error, error);
    model.replaceWith(new Inbox(1).page(0));
    assert.equal(model.error, null);
  });

  test("a new source empties the cache and the selection", () => {
    const model = loaded(new Inbox(5));
    model.toggleSelected(idOf(3));
    model.setSource("other", "subject:x");
    assert.equal(model.inbox, "other");
    assert.equal(model.query, "subject:x");
    assert.equal(model.loaded, false);
    assert.equal(model.total, 0);
    assert.equal(model.loadedCount, 0);
    assert.equal(model.topId, "");
    assert.equal(model.selected.size, 0);
  });
});

// ---- the rank cache ----

describe("rank cache", () => {
  test("a page that shows a message at another rank moves it and vacates the old rank", () => {
    const inbox = new Inbox(150);
    const model = loaded(inbox, { pages: 2 });
    assert.equal(model.indexOf(idOf(2)), 148);
    // Someone else deleted the oldest message and we have not heard: the last page, read again, is
    // counted from one fewer. (The list reloads when a page's total is below its own.)
    inbox.remove([idOf(1)]);
    model.store(inbox.page(148));
    assert.equal(model.byRank.get(0).id, idOf(2), "message 2 is now the oldest");
    assert.equal(model.byRank.has(1), false, "its old rank is empty, to be fetched again");
    assert.equal(model.rankById.get(idOf(2)), 0);
    assert.equal(model.loadedSummaries().filter((s) => s.id === idOf(2)).length, 1, "listed once");
  });

  test("trim keeps the rows around the view and the newest message once over the limit", () => {
    const inbox = new Inbox(1000);
    const model = new ListModel({ maxCache: 200 });
    model.setSource("default");
    model.replaceWith(inbox.page(0, 1000));
    model.trim(500, 510); // centre row 505, rank 494: keeps ranks 394…594 and the newest
    const ranks = [...model.byRank.keys()].sort((a, b) => a - b);
    assert.equal(ranks[0], 394);
    assert.equal(ranks.at(-2), 594);
    assert.equal(ranks.at(-1), 999);
    assert.equal(model.loadedCount, 202);
    assert.equal(model.indexOf(idOf(1000)), 0, "the newest stays, so live inserts know where the top is");
    assert.equal(model.indexOf(idOf(300)), -1, "dropped ids are forgotten too");
    assert.equal(model.rankById.size, model.byRank.size);
  });

  test("trim does nothing while the cache is within its limit", () => {
    const model = new ListModel({ maxCache: 300 });
    model.setSource("default");
    model.replaceWith(new Inbox(300).page(0, 300));
    model.trim(0, 10);
    assert.equal(model.loadedCount, 300);
  });
});

// ---- paging ----

describe("paging", () => {
  test("missing pages are those holding uncached rows, split at page boundaries", () => {
    const inbox = new Inbox(450);
    const model = loaded(inbox);
    assert.deepEqual(model.missingPages(0, 99), []);
    assert.deepEqual(model.missingPages(90, 100), [1]);
    assert.deepEqual(model.missingPages(99, 99), []);
    assert.deepEqual(model.missingPages(100, 100), [1]);
    assert.deepEqual(model.missingPages(150, 320), [1, 2, 3]);
    model.store(inbox.page(200));
    assert.deepEqual(model.missingPages(150, 320), [1, 3]);
  });

  test("the visible range adds the overscan and stays inside the list", () => {
    assert.deepEqual(visibleRange({ scrollTop: 0, height: 600, rowHeight: 72, total: 1000, overscan: 8 }), { first: 0, last: 17 });
    assert.deepEqual(visibleRange({ scrollTop: 7200, height: 600, rowHeight: 72, total: 1000, overscan: 8 }), { first: 92, last: 117 });
    assert.deepEqual(visibleRange({ scrollTop: 0, height: 600, rowHeight: 72, total: 3, overscan: 8 }), { first: 0, last: 2 });
    assert.deepEqual(visibleRange({ scrollTop: 0, height: 600, rowHeight: 72, total: 0, overscan: 8 }), { first: 0, last: -1 });
  });

  test("a reload starts a little above the view and asks for no more than one request allows", () => {
    assert.deepEqual(reloadWindow({ scrollTop: 0, height: 600, rowHeight: 72 }), { first: 0, count: 69 });
    assert.deepEqual(reloadWindow({ scrollTop: 72 * 50, height: 600, rowHeight: 72 }), { first: 30, count: 69 });
    assert.equal(reloadWindow({ scrollTop: 0, height: 100000, rowHeight: 10 }).count, MAX_REQUEST);
  });

  test("a catch-up overflowed only when it came back full and short of the total", () => {
    const full = Array.from({ length: MAX_REQUEST }, (_, i) => summary(i + 1));
    assert.equal(catchUpOverflowed({ total: MAX_REQUEST + 5, messages: full }), true);
    assert.equal(catchUpOverflowed({ total: MAX_REQUEST, messages: full }), false);
    assert.equal(catchUpOverflowed({ total: 10, messages: full.slice(0, 3) }), false);
  });
});

// ---- live inserts ----

describe("stored messages", () => {
  test("new messages go on top, newest first, whatever order they come in", () => {
    const inbox = new Inbox(3);
    const model = loaded(inbox);
    const a = inbox.add();
    const b = inbox.add({ read: true });
    const c = inbox.add();
    assert.equal(model.insertNewest([c, a, b]), 3);
    assert.deepEqual(rowIds(model), inbox.ids());
    assert.equal(model.total, 6);
    assert.equal(model.unread, 5, "the read one is not counted");
    assert.equal(model.topId, c.id);
  });

  test("one at a time keeps the same order", () => {
    const inbox = new Inbox(2);
    const model = loaded(inbox);
    for (let i = 0; i < 5; i++) assert.equal(model.insertNewest([inbox.add()]), 1);
    assert.deepEqual(rowIds(model), inbox.ids());
  });

  test("messages already listed, or older than the newest, are ignored", () => {
    const inbox = new Inbox(5);
    const model = loaded(inbox);
    assert.equal(model.insertNewest([summary(5), summary(3)]), 0);
    assert.equal(model.total, 5);
    assert.equal(model.unread, 5);
    assert.deepEqual(rowIds(model), inbox.ids());
  });

  test("the same new message twice in one batch is added once", () => {
    const inbox = new Inbox(2);
    const model = loaded(inbox);
    const fresh = inbox.add();
    assert.equal(model.insertNewest([fresh, { ...fresh }]), 1);
    assert.equal(model.total, 3);
    assert.equal(model.unread, 3);
    assert.deepEqual(rowIds(model), inbox.ids());
  });

  test("a stored event is inserted, deferred, left to the server or ignored", () => {
    const model = new ListModel();
    model.setSource("Shop");
    assert.equal(model.storedAction(summary(1, { inbox: "shop" })), "defer", "before the first page");
    model.replaceWith(new Inbox(0).page(0));
    assert.equal(model.storedAction(summary(1, { inbox: "shop" })), "insert", "inbox names match without case");
    assert.equal(model.storedAction(summary(1, { inbox: "shop" }), { syncing: true }), "defer");
    assert.equal(model.storedAction(summary(1, { inbox: "other" })), "ignore");
    assert.equal(model.storedAction({ id: idOf(1) }), "ignore");
    model.setSource("Shop", "subject:invoice");
    model.replaceWith(new Inbox(0).page(0));
    assert.equal(model.storedAction(summary(1, { inbox: "SHOP" })), "catch-up");
  });

  test("no inbox matches before a source is set", () => {
    assert.equal(new ListModel().matchesInbox("default"), false);
  });
});

// ---- deletions ----

describe("deleted messages", () => {
  test("cached messages go at once and the rows close up", () => {
    const inbox = new Inbox(6, { readEvery: 3 }); // 1 and 4 are read
    const model = loaded(inbox);
    const gone = [idOf(2), idOf(4), idOf(6)];
    assert.deepEqual(model.remove(gone), { removed: true, needsReload: false });
    inbox.remove(gone);
    assert.deepEqual(rowIds(model), inbox.ids());
    assert.equal(model.total, 3);
    assert.equal(model.unread, 2, "4 was read, so only 2 and 6 leave the unread count");
    assert.equal(model.indexOf(idOf(1)), 2);
  });

  test("deleting the newest makes the next one the top, so new mail still goes above it", () => {
    const inbox = new Inbox(3);
    const model = loaded(inbox);
    model.remove([idOf(3)]);
    inbox.remove([idOf(3)]);
    assert.equal(model.topId, idOf(2));
    model.insertNewest([inbox.add()]);
    assert.deepEqual(rowIds(model), inbox.ids());
  });

  test("messages the model never saw call for a reload; the known ones still go", () => {
    const inbox = new Inbox(250);
    const model = loaded(inbox);
    assert.deepEqual(model.remove([idOf(10)]), { removed: false, needsReload: true });
    assert.equal(model.total, 250, "an unknown deletion is not guessed at");
    assert.deepEqual(model.remove([idOf(250), idOf(10)]), { removed: true, needsReload: true });
    assert.equal(model.total, 249);
    assert.deepEqual(model.remove([]), { removed: false, needsReload: false });
  });

  test("an id listed twice is deleted once", () => {
    const inbox = new Inbox(4);
    const model = loaded(inbox);
    assert.deepEqual(model.remove([idOf(2), idOf(2)]), { removed: true, needsReload: false });
    assert.equal(model.total, 3);
    assert.equal(model.unread, 3);
    inbox.remove([idOf(2)]);
    assert.deepEqual(rowIds(model), inbox.ids());
  });

  test("deleted messages leave the selection, known or not", () => {
    const model = loaded(new Inbox(250));
    for (const n of [250, 249, 10]) model.toggleSelected(idOf(n));
    model.remove([idOf(250), idOf(10)]);
    assert.deepEqual([...model.selected], [idOf(249)]);
  });

  test("deleting everything empties the list", () => {
    const inbox = new Inbox(3);
    const model = loaded(inbox);
    model.remove(inbox.ids());
    assert.equal(model.total, 0);
    assert.equal(model.unread, 0);
    assert.deepEqual(model.loadedSummaries(), []);
  });

  test("random inserts and deletions keep the rows and counts equal to the server's", () => {
    let seed = 42;
    const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const inbox = new Inbox(20, { readEvery: 4 });
    const model = loaded(inbox);
    for (let step = 0; step < 300; step++) {
      if (random(3) === 0 || inbox.messages.length === 0) {
        const batch = Array.from({ length: 1 + random(3) }, () => inbox.add({ read: random(2) === 0 }));
        model.insertNewest(batch.reverse());
      } else {
        const ids = inbox.ids();
        const gone = Array.from({ length: 1 + random(3) }, () => ids[random(ids.length)]);
        assert.equal(model.remove(gone).needsReload, false);
        inbox.remove(gone);
      }
      const expected = inbox.page(0, inbox.messages.length);
      assert.deepEqual(rowIds(model), inbox.ids(), `rows after step ${step}`);
      assert.equal(model.total, expected.total);
      assert.equal(model.unread, expected.unread, `unread after step ${step}`);
    }
  });
});

// ---- read / unread ----

describe("updated messages", () => {
  test("marking read or unread moves the unread count; the same flag again does not", () => {
    const model = loaded(new Inbox(4));
    assert.equal(model.update({ ...summary(2), read: true }), true);
    assert.equal(model.unread, 3);
    assert.equal(model.get(idOf(2)).read, true);
    model.update({ ...summary(2), read: true });
    assert.equal(model.unread, 3);
    model.update({ ...summary(2), read: false });
    assert.equal(model.unread, 4);
  });

  test("a message that is not cached is not counted", () => {
    const model = loaded(new Inbox(150));
    assert.equal(model.update({ ...summary(3), read: true }), false);
    assert.equal(model.unread, 150);
    assert.equal(model.get(idOf(3)), undefined);
  });

  test("in a search the count is of matches, so reading one leaves it alone", () => {
    const model = loaded(new Inbox(3), { query: "subject:message" });
    model.update({ ...summary(3), read: true });
    assert.equal(model.unread, 3);
    assert.equal(model.get(idOf(3)).read, true);
  });
});

// ---- selection ----

describe("selection", () => {
  test("a shift-click selects the cached rows between it and the last click", () => {
    const model = loaded(new Inbox(10));
    model.check(idOf(9), true);
    model.check(idOf(5), true, true);
    assert.deepEqual([...model.selected].sort(), [5, 6, 7, 8, 9].map(idOf));
    model.check(idOf(7), false, true); // from 5 to 7, unchecking
    assert.deepEqual([...model.selected].sort(), [8, 9].map(idOf));
  });

  test("without shift, or with a last click no longer listed, only the one row changes", () => {
    const inbox = new Inbox(10);
    const model = loaded(inbox);
    model.check(idOf(9), true);
    model.check(idOf(5), true);
    assert.equal(model.selected.size, 2);
    model.remove([idOf(5)]);
    model.check(idOf(2), true, true);
    assert.deepEqual([...model.selected].sort(), [2, 9].map(idOf));
  });

  test("toggling adds and removes; nothing to toggle without an id", () => {
    const model = loaded(new Inbox(3));
    assert.equal(model.toggleSelected(idOf(1)), true);
    assert.equal(model.selected.has(idOf(1)), true);
    model.toggleSelected(idOf(1));
    assert.equal(model.selected.size, 0);
    assert.equal(model.toggleSelected(null), false);
  });

  test("select all takes the cached rows; the box is mixed while some are selected", () => {
    const model = loaded(new Inbox(150));
    assert.deepEqual(model.selectAllState(), { checked: false, indeterminate: false });
    model.toggleSelected(idOf(150));
    assert.deepEqual(model.selectAllState(), { checked: false, indeterminate: true });
    model.selectAllLoaded(true);
    assert.equal(model.selected.size, PAGE_SIZE);
    assert.deepEqual(model.selectAllState(), { checked: true, indeterminate: false });
    model.selectAllLoaded(false);
    assert.equal(model.selected.size, 0);
  });

  test("after a reload, selected messages that are gone are dropped", () => {
    const inbox = new Inbox(5);
    const model = loaded(inbox);
    model.selectAllLoaded(true);
    inbox.remove([idOf(2), idOf(3)]);
    model.replaceWith(inbox.page(0));
    model.pruneSelection();
    assert.deepEqual([...model.selected].sort(), [1, 4, 5].map(idOf));
  });

  test("an action applies to the selection, else the open message, else the cursor row", () => {
    const model = loaded(new Inbox(5));
    assert.deepEqual(model.targets(), []);
    model.placeCursor(1);
    assert.deepEqual(model.targets(), [idOf(4)]);
    assert.deepEqual(model.targets(idOf(2)), [idOf(2)]);
    model.toggleSelected(idOf(1));
    model.toggleSelected(idOf(3));
    assert.deepEqual(model.targets(idOf(2)), [idOf(1), idOf(3)]);
  });
});

// ---- cursor ----

describe("cursor", () => {
  test("j and k move one row and stop at the ends; the first press lands on the top row", () => {
    const model = loaded(new Inbox(3));
    assert.equal(model.cursorTarget(1), 0);
    assert.equal(model.cursorTarget(-1), 0);
    model.placeCursor(model.cursorTarget(1));
    assert.equal(model.cursorId, idOf(3));
    model.placeCursor(model.cursorTarget(1));
    model.placeCursor(model.cursorTarget(1));
    assert.equal(model.cursorTarget(1), 2, "stays on the last row");
    model.placeCursor(0);
    assert.equal(model.cursorTarget(-1), 0, "stays on the first row");
    assert.equal(new ListModel().cursorTarget(1), -1, "an empty list has nowhere to go");
  });

  test("placing the cursor on a row that is not cached yet leaves it where it was", () => {
    const model = loaded(new Inbox(150));
    model.placeCursor(3);
    assert.equal(model.placeCursor(120), undefined);
    assert.equal(model.cursorId, idOf(147));
  });

  test("opening a message puts the cursor on it; closing keeps the cursor", () => {
    const model = loaded(new Inbox(3));
    model.setOpen(idOf(2));
    assert.equal(model.openId, idOf(2));
    assert.equal(model.cursorSummary().id, idOf(2));
    model.setOpen(null);
    assert.equal(model.openId, null);
    assert.equal(model.cursorId, idOf(2));
  });

  test("when the cursor's message is deleted the cursor moves to the one that takes its row", () => {
    const inbox = new Inbox(5);
    const model = loaded(inbox);
    model.placeCursor(1); // message 4
    model.remove([idOf(4)]);
    assert.equal(model.cursorId, idOf(3));
    assert.equal(model.indexOf(model.cursorId), 1);
  });

  test("at the bottom the cursor moves up to the new last row, and off an empty list", () => {
    const model = loaded(new Inbox(3));
    model.placeCursor(2); // message 1, the oldest
    model.remove([idOf(1)]);
    assert.equal(model.cursorId, idOf(2));
    model.remove([idOf(2), idOf(3)]);
    assert.equal(model.cursorId, null);
  });

  test("deleting other messages leaves the cursor on its message", () => {
    const model = loaded(new Inbox(5));
    model.placeCursor(2); // message 3
    model.remove([idOf(5), idOf(1)]);
    assert.equal(model.cursorId, idOf(3));
    assert.equal(model.indexOf(idOf(3)), 1);
  });
});

// ---- purity ----

test("the model is plain JavaScript: no imports, no DOM, no network, no timers", async () => {
  const source = await readFile(new URL("../../web/js/listmodel.js", import.meta.url), "utf8");
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ""); // comments may mention anything
  assert.doesNotMatch(code, /^\s*import\b|\bimport\(/m);
  for (const name of ["document", "window", "fetch", "localStorage", "setTimeout", "requestAnimationFrame", "globalThis"]) {
    assert.doesNotMatch(code, new RegExp(`\\b${name}\\b`), name);
  }
});
