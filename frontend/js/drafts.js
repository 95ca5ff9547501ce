// Drafts that follow me: the room composer's text per room, kept locally at once (the local
// copy) and put on the server (PUT /rooms/{id}/draft) SAVE_DELAY_MS after typing stops, or at
// once on a room switch, a blur or the page being hidden; other devices get it as `draft_updated`.
//
// Each put says which version of the draft it was based on (`base_seq`, the user_seq of the
// version the edit started from), so a device that was offline can never silently overwrite a
// newer draft: the server answers 409 with the newer one, which is adopted, and what was typed
// is kept aside for a one-click restore (`conflict`). Sending a message to the room (not a
// thread reply, which has its own composer) clears its room's draft on the server in the same
// commit: what is typed after it is based on that cleared version, not refused by it.
//
// Per room: `seq` and `body`, the newest version known from the server; `local`, an edit not on
// the server yet ({body, base}); `conflict`, the text an edit had when a newer draft won. No DOM;
// the API client, the copy's save and timers are handed in, so it is unit-tested in node.

/** Typing stops this long before the draft goes to the server (draft puts count against the action limit). */
export const SAVE_DELAY_MS = 1000;
/** A put refused for now (rate limited) is tried again after this long. */
const RETRY_MS = 2000;

export class Drafts {
  /**
   * api (drafts(), putDraft(roomId, body, baseSeq)); save(record) keeps a room's state locally;
   * onChange(roomId) says the room's text (or conflict) changed other than by typing; timers
   * injectable.
   */
  constructor({ api, save = () => {}, onChange = () => {}, setTimeout = (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout = (id) => globalThis.clearTimeout(id) }) {
    this.api = api;
    this.save = save;
    this.onChange = onChange;
    this.timers = { setTimeout, clearTimeout };
    this.rooms = new Map(); // room id -> {seq, body, local: {body, base} | null, conflict: string | null}
    this.waiting = new Map(); // room id -> the timer of its next put
    this.putting = new Set(); // rooms with a put on its way (one at a time)
    this.clearing = new Set(); // rooms where a send of mine is clearing the server's draft
  }

  room(roomId) {
    let d = this.rooms.get(roomId);
    if (!d) { d = { seq: 0, body: '', local: null, conflict: null }; this.rooms.set(roomId, d); }
    return d;
  }

  /** The local copy's records: each room as it was. */
  restore(records) { for (const r of records) this.rooms.set(r.room_id, { seq: r.seq, body: r.body, local: r.local, conflict: r.conflict }); }

  /** What the room's composer shows. */
  text(roomId) { const d = this.rooms.get(roomId); return d ? (d.local ? d.local.body : d.body) : ''; }

  /** The text a newer draft replaced, while the person has not restored or dismissed it (else null). */
  conflict(roomId) { return this.rooms.get(roomId)?.conflict ?? null; }

  keep(roomId) { const d = this.room(roomId); this.save({ room_id: roomId, seq: d.seq, body: d.body, local: d.local, conflict: d.conflict }); }

  /** The person typed: kept at once, put on the server once typing stops. */
  edit(roomId, body) {
    const d = this.room(roomId);
    if (d.local) d.local.body = body; else if (body !== d.body) d.local = { body, base: d.seq };
    if (d.local && d.local.body === d.body && d.local.base === d.seq) d.local = null; // back to the server's version
    this.keep(roomId);
    this.timers.clearTimeout(this.waiting.get(roomId));
    this.waiting.set(roomId, this.timers.setTimeout(() => this.flush(roomId), SAVE_DELAY_MS));
  }

  /** Puts the room's edit now (or each room's, without one): a room switch, a blur, the page hidden, the connection back. */
  flush(roomId) {
    if (roomId === undefined) { for (const id of this.rooms.keys()) this.flush(id); return; }
    this.timers.clearTimeout(this.waiting.get(roomId));
    this.waiting.delete(roomId);
    const d = this.rooms.get(roomId);
    if (!d || !d.local || this.putting.has(roomId)) return;
    const { body, base } = d.local;
    this.putting.add(roomId);
    this.api.putDraft(roomId, body, base).then((stored) => {
      this.putting.delete(roomId);
      if (stored.user_seq > d.seq) Object.assign(d, { seq: stored.user_seq, body: stored.body });
      // Typed on meanwhile: the next put is based on the version just stored.
      if (d.local) d.local = d.local.body === stored.body ? null : { body: d.local.body, base: stored.user_seq };
      this.keep(roomId);
      if (d.local) this.flush(roomId);
    }, (e) => {
      this.putting.delete(roomId);
      if (e.status === 409 && e.code === 'conflict' && e.draft) this.lost(roomId, e.draft);
      else if (e.status === 429) this.waiting.set(roomId, this.timers.setTimeout(() => this.flush(roomId), RETRY_MS));
      else if (e.status >= 400 && e.status < 500) { d.local = null; this.keep(roomId); } // not mine to write any more (a room I left)
      // The network: the edit stays, put when the connection is back.
    });
  }

  /** A newer draft won over the room's edit: it is adopted, the edit's text kept aside unless it is the same. */
  lost(roomId, newer) {
    const d = this.room(roomId);
    const typed = d.local ? d.local.body : null;
    Object.assign(d, { seq: Math.max(d.seq, newer.user_seq), body: newer.body, local: null });
    if (typed !== null && typed.trim() !== '' && typed !== newer.body) d.conflict = typed;
    this.keep(roomId);
    this.onChange(roomId);
  }

  /** The person takes back what a newer draft replaced: it is the edit again, based on that newer draft. */
  restoreMine(roomId) {
    const d = this.room(roomId);
    if (d.conflict === null) return;
    d.local = { body: d.conflict, base: d.seq };
    d.conflict = null;
    this.keep(roomId);
    this.onChange(roomId);
    this.flush(roomId);
  }

  /** The person lets what a newer draft replaced go. */
  dismiss(roomId) {
    const d = this.rooms.get(roomId);
    if (!d || d.conflict === null) return;
    d.conflict = null;
    this.keep(roomId);
    this.onChange(roomId);
  }

  /** The room's composer sent its text: the server clears the draft with the message (its draft_updated follows). */
  sent(roomId) {
    const d = this.room(roomId);
    // When the server had a draft there (or may have), its clearing comes as a draft_updated.
    if (d.body !== '' || d.local || this.putting.has(roomId)) this.clearing.add(roomId);
    this.timers.clearTimeout(this.waiting.get(roomId));
    this.waiting.delete(roomId);
    d.local = null;
    d.body = '';
    d.conflict = null;
    this.keep(roomId);
  }

  /**
   * A version of the room's draft from the server (`draft_updated`, GET /drafts): newer than the
   * one known, it is the room's; an edit under way stays (its put decides: the server refuses it
   * when it is based on an older version).
   */
  serverChanged({ room_id: roomId, body, user_seq: seq }) {
    const d = this.room(roomId);
    if (seq <= d.seq) return;
    const text = this.text(roomId);
    Object.assign(d, { seq, body });
    if (body === '' && this.clearing.delete(roomId) && text) d.local = { body: text, base: seq };
    if (d.local && d.local.body === body) d.local = null;
    this.keep(roomId);
    if (d.local) this.flush(roomId); else this.onChange(roomId);
  }

  /**
   * Every draft from the server (after a replay too long, or at a first start): rooms it does
   * not list have none (at most its head). Resolves with its head (`user_seq`).
   */
  async reload() {
    const res = await this.api.drafts();
    const listed = new Set(res.drafts.map((x) => x.room_id));
    for (const x of res.drafts) this.serverChanged(x);
    for (const [roomId, d] of this.rooms) if (!listed.has(roomId) && d.body !== '') this.serverChanged({ room_id: roomId, body: '', user_seq: res.user_seq });
    return res.user_seq;
  }

  /** The session ended: nothing more is put. */
  clear() {
    for (const t of this.waiting.values()) this.timers.clearTimeout(t);
    this.waiting.clear();
    this.rooms.clear();
    this.clearing.clear();
  }
}
