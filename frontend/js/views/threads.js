// A message's thread in the timeline: under a root with replies, "N replies" and the time of the
// last one; among its actions, "Reply in thread"; above a reply also sent to the room, "replied to
// a thread" (in the thread itself: "Also sent to #room"). They open the thread panel
// (thread-panel.js, loaded the first time it opens). Loaded with the session.
import { h } from './dom.js';
import { toast } from './notices.js';
import { dayLabel, formatTime, fullTimestamp } from '../format.js';

/** "1 reply", "3 replies". */
export const repliesLabel = (n) => `${n} ${n === 1 ? 'reply' : 'replies'}`;

/** "14:05" today, "Yesterday 14:05", "Monday, November 23 14:05". */
const when = (iso) => (dayLabel(iso) === 'Today' ? formatTime(iso) : `${dayLabel(iso)} ${formatTime(iso)}`);

/**
 * store, api, sync; views: the session's (files, reactions, the emoji picker); uploads:
 * uploads.js's initUploads (the panel's composer has its own). Returns {key(msg), summary(msg),
 * action(msg), origin(msg, inThread), open(roomId, rootId, {at, opener}), close({quiet}) → true if it was open}.
 */
export function initThreads({ store, api, sync, views, uploads }) {
  let loading = null; // the panel, once asked for
  let panel = null; // the panel, once loaded
  // A reply shown in the timeline (also sent to the room) replies in its root's thread.
  const canReply = (msg) => Boolean(store.rooms.get(msg.room_id)?.joined) && !msg.deleted && !msg.pending && (!msg.reply_to || msg.also_to_room);
  const rootOf = (msg) => msg.reply_to || msg.id;

  /** What a message's thread parts show, for reusing its row. */
  const key = (msg) => `${msg.reply_count || 0} ${msg.last_reply_at || ''} ${canReply(msg)}`;

  function summary(msg) {
    if (!msg.reply_count || msg.reply_to) return null;
    const last = msg.last_reply_at;
    return h('button', {
      type: 'button', class: 'link-btn thread-summary', dataset: { focus: 'thread' }, title: last ? `Last reply ${fullTimestamp(last)}` : null,
      onclick: (e) => open(msg.room_id, msg.id, { opener: e.currentTarget }),
    }, repliesLabel(msg.reply_count), last ? h('span', { class: 'thread-last', text: ` · last reply ${when(last)}` }) : null);
  }

  function action(msg) {
    if (!canReply(msg)) return null;
    return h('button', {
      type: 'button', class: 'act reply', 'aria-label': 'Reply in thread', title: 'Reply in thread', dataset: { focus: 'reply' },
      onclick: (e) => open(msg.room_id, rootOf(msg), { opener: e.currentTarget }),
    }, 'Reply');
  }

  /** Over a reply also sent to the room: in the timeline "replied to a thread" (a button opening it), in the thread where else it shows. */
  function origin(msg, inThread) {
    if (!(msg.reply_to && msg.also_to_room)) return null;
    if (inThread) {
      const room = store.rooms.get(msg.room_id);
      return h('p', { class: 'thread-origin', text: `Also sent to ${room && room.kind !== 'direct' ? '#' + room.name : 'the conversation'}` });
    }
    return h('p', { class: 'thread-origin' }, h('button', {
      type: 'button', class: 'link-btn', dataset: { focus: 'origin' }, title: 'Open the thread',
      onclick: (e) => open(msg.room_id, msg.reply_to, { opener: e.currentTarget }),
    }, 'replied to a thread'));
  }

  async function open(roomId, rootId, opts = {}) {
    loading ||= import('./thread-panel.js').then((m) => { panel = m.initThreadPanel({ store, api, sync, views, uploads }); return panel; });
    try { (await loading).open(roomId, rootId, opts); } catch { loading = null; toast('The thread could not be loaded: reload the page to see it.'); }
  }

  return {
    key, summary, action, origin, open,
    close: (opts) => Boolean(panel) && panel.close(opts),
  };
}
