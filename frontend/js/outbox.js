// The outbox without IndexedDB: which of the store's pending sends the local copy keeps, what
// changed since it last wrote them, and the order they come back in after a reload. A send is
// kept from the moment it is written until its ack (or the person discards it), with its
// client_id, so a send made offline or in flight when the tab closed is written again after a
// reload or a browser restart and the server stores it once. Pure: unit-tested in node.

/** The record of a pending send (what the copy keeps of it; its author is me again on restore). */
export function outboxRecord(p) {
  return {
    client_id: p.client_id, room_id: p.room_id, body: p.body, attachments: p.attachments, reply_to: p.reply_to,
    also_to_room: p.also_to_room, status: p.status, reason: p.reason, created_at: p.created_at, order: p.order,
  };
}

/** Every pending send of the store's timelines, as records by client_id. */
export function outboxOf(store) {
  const out = new Map();
  for (const t of store.timelines.values()) for (const p of t.pending.values()) out.set(p.client_id, outboxRecord(p));
  return out;
}

/** What a record's state is for the copy: a change of it is written again (a refusal, a retry's new place). */
const version = (r) => `${r.status}|${r.order}|${r.reason}`;

/**
 * What to write so the copy holds `next` (client_id → record) when it held `prev` (client_id →
 * the version written): {put: [records], del: [client_ids]}.
 */
export function outboxChanges(prev, next) {
  const put = [];
  const del = [];
  for (const [id, r] of next) if (prev.get(id) !== version(r)) put.push(r);
  for (const id of prev.keys()) if (!next.has(id)) del.push(id);
  return { put, del };
}

/** The versions of `records` (client_id → version), as outboxChanges compares them. */
export const outboxVersions = (records) => new Map([...records.values()].map((r) => [r.client_id, version(r)]));

/**
 * The kept records in the order they were written (each room's queue keeps its order, and the
 * rooms theirs), refused ones still refused: the store's queue positions continue after them.
 */
export function restoreOrder(records) {
  return [...records].sort((a, b) => a.order - b.order || (a.client_id < b.client_id ? -1 : 1));
}
