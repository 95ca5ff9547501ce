// The local copy of the signed-in person's chat in IndexedDB: me, my rooms, their members and the
// direct rooms' peers, the newest messages of each room (at most MAX_MESSAGES, up to its cursor),
// the cursors (each room's seq, my user stream's user_seq), the outbox (outbox.js) and the drafts
// (drafts.js). The app paints from it at start and resumes from its cursors; signing out (or a
// session the server ended) deletes it. One database per browser profile, for the person it was
// written for: another person signing in finds it wiped.
//
// `follow` writes what the store holds a moment after it changes, in one transaction (so the
// cursors never run ahead of the state they describe) and at once when asked (the page is being
// hidden); the outbox is written at once, since the tab may close right after a send. The
// IndexedDB factory is handed in, so it is unit-tested in node (fake-indexeddb).
import { inMainTimeline } from './store.js';
import { outboxOf, outboxChanges, outboxVersions, restoreOrder } from './outbox.js';

/** The newest messages kept of each room. */
export const MAX_MESSAGES = 500;
/** Changes are written this long after the first of them (one transaction for a burst). */
export const WRITE_DELAY_MS = 300;
const NAME = 'confab';
const STORES = { session: 'key', timelines: 'room_id', members: 'room_id', outbox: 'client_id', drafts: 'room_id' };

/** The newest `max` of a run of messages (by seq), and whether older ones are on the server. */
export function bounded(messages, hasMore, max = MAX_MESSAGES) {
  const sorted = [...messages].sort((a, b) => a.seq - b.seq);
  const cut = Math.max(0, sorted.length - max);
  return { messages: sorted.slice(cut), has_more: hasMore || cut > 0 };
}

/**
 * What the copy keeps of a room's timeline: its run of messages up to the live end (not the
 * replies, shown in their threads, nor roots known from a thread only), bounded; null while it is
 * no such run (its newest page not loaded, or a jump's pages with a hole before the live end).
 */
export function timelineRecord(roomId, t) {
  if (!t.loaded || t.hasNewer) return null;
  const run = [...t.byId.values()].filter((m) => inMainTimeline(m) && !t.extra.has(m.id));
  return { room_id: roomId, ...bounded(run, t.hasMore) };
}

const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
const finished = (tx) => new Promise((resolve, reject) => { tx.oncomplete = () => resolve(); tx.onerror = () => reject(tx.error); tx.onabort = () => reject(tx.error); });

export class LocalCopy {
  constructor(db) { this.db = db; }

  /** Opens the copy; null where IndexedDB is missing or refused (some private modes). */
  static async open(idb = globalThis.indexedDB) {
    if (!idb) return null;
    try {
      const r = idb.open(NAME, 1);
      r.onupgradeneeded = () => { for (const [name, keyPath] of Object.entries(STORES)) r.result.createObjectStore(name, { keyPath }); };
      const db = await request(r);
      db.onversionchange = () => db.close(); // another tab deletes it (signing out): let it
      return new LocalCopy(db);
    } catch { return null; }
  }

  /** Deletes the copy (signing out): nothing of the person stays in the browser. */
  static async wipe(idb = globalThis.indexedDB, copy = null) {
    if (copy) copy.db.close();
    if (idb) await request(idb.deleteDatabase(NAME)).catch(() => {});
  }

  tx(names, mode = 'readonly') { return this.db.transaction(names, mode); }

  /**
   * The copy of `userId`'s session for store.restore, with the drafts and the rooms whose
   * messages are kept (`kept`); null when there is none (or it is someone else's).
   */
  async load(userId) {
    const tx = this.tx(['session', 'members', 'outbox', 'drafts', 'timelines']);
    const [session, members, outbox, drafts, kept] = await Promise.all([
      request(tx.objectStore('session').get('session')), request(tx.objectStore('members').getAll()),
      request(tx.objectStore('outbox').getAll()), request(tx.objectStore('drafts').getAll()), request(tx.objectStore('timelines').getAllKeys()),
    ]);
    if (!session || !session.me || session.me.id !== userId) return null;
    return {
      me: session.me, rooms: session.rooms, cursors: session.cursors, peers: session.peers, userSeq: session.user_seq,
      members: members.map((m) => [m.room_id, m.members]), outbox: restoreOrder(outbox), drafts, kept,
    };
  }

  /** A room's kept messages ({room_id, messages, has_more}), or undefined. */
  timeline(roomId) { return request(this.tx(['timelines']).objectStore('timelines').get(roomId)); }

  /** Every room's kept messages. */
  timelines() { return request(this.tx(['timelines']).objectStore('timelines').getAll()); }

  /**
   * Writes in one transaction: `put` {store: [records]}, `del` {store: [keys]}. Resolves once
   * it is stored (a failure is not the app's business: the next write tries again).
   */
  write({ put = {}, del = {} }) {
    const names = [...new Set([...Object.keys(put), ...Object.keys(del)])];
    if (!names.length) return Promise.resolve();
    try {
      const tx = this.tx(names, 'readwrite');
      for (const [name, records] of Object.entries(put)) for (const r of records) tx.objectStore(name).put(r);
      for (const [name, keys] of Object.entries(del)) for (const k of keys) tx.objectStore(name).delete(k);
      return finished(tx).catch(() => {});
    } catch { return Promise.resolve(); } // closed: the copy is being wiped
  }
}

/**
 * Keeps `copy` in step with `store` until stop(): the session (me, rooms, cursors, peers, my user
 * stream's cursor), the rooms' runs of messages and members that changed, WRITE_DELAY_MS after
 * a change; the outbox at once. Returns {flush(), stop()}; flush() writes what is due now.
 */
export function follow(store, copy, { delayMs = WRITE_DELAY_MS, setTimeout = globalThis.setTimeout, clearTimeout = globalThis.clearTimeout } = {}) {
  // At first everything is due: a first start's state came over REST.
  const rooms = new Set(store.timelines.keys()); // timelines changed since the last write
  const recorded = new Set([...store.kept, ...rooms]); // rooms the copy may hold a run of (a room left or deleted drops its run)
  const members = new Set(store.members.keys()); // members lists changed since the last write
  let due = true; // the session changed
  let timer = setTimeout(flush, delayMs);
  let outbox = outboxVersions(outboxOf(store)); // what the copy holds of the outbox (restored from it, or nothing pending yet)
  let outboxDue = false;
  let flushed = Promise.resolve();

  const unsubscribe = store.subscribe((what, roomId) => {
    if (what === 'reset') return;
    if (what === 'timeline' || what === 'restored') queueOutbox();
    if (what === 'timeline') rooms.add(roomId);
    if (what === 'rooms') for (const id of recorded) if (!store.timelines.has(id)) rooms.add(id);
    if (what === 'members') members.add(roomId);
    if (what === 'user') { for (const id of store.timelines.keys()) rooms.add(id); for (const id of store.members.keys()) members.add(id); }
    due = true;
    if (!timer) timer = setTimeout(flush, delayMs);
  });

  function queueOutbox() {
    if (outboxDue) return;
    outboxDue = true;
    queueMicrotask(() => {
      outboxDue = false;
      const next = outboxOf(store);
      const { put, del } = outboxChanges(outbox, next);
      outbox = outboxVersions(next);
      if (put.length || del.length) copy.write({ put: { outbox: put }, del: { outbox: del } });
    });
  }

  function flush() {
    clearTimeout(timer);
    timer = 0;
    if (!due || !store.me) return flushed;
    due = false;
    const put = { session: [{ key: 'session', me: store.me, rooms: [...store.rooms.values()], cursors: [...store.cursors], peers: [...store.dmPeers], user_seq: store.userSeq }], timelines: [], members: [] };
    const del = { timelines: [], members: [] };
    for (const id of rooms) {
      if (store.kept.has(id)) continue; // its kept run is still to be restored: it stands
      const t = store.timelines.get(id);
      const r = t && timelineRecord(id, t);
      if (r) { put.timelines.push(r); recorded.add(id); } else { del.timelines.push(id); recorded.delete(id); }
    }
    for (const id of members) {
      const list = store.members.get(id);
      if (list) put.members.push({ room_id: id, members: list.map((m) => ({ ...m, online: false })) }); else del.members.push(id);
    }
    rooms.clear();
    members.clear();
    flushed = copy.write({ put, del });
    return flushed;
  }

  return { flush, stop() { unsubscribe(); clearTimeout(timer); timer = 0; } };
}
