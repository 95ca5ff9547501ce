// A message's reactions: a row of chips (the emoji and its count, pressed when I am among those
// who reacted, who did in the title) that toggle mine; the "Add reaction" button of a message's
// actions and, on touch, a long press on the message open the emoji picker by it (in the timeline
// and in a thread's panel alike). Loaded with the session (not with the sign-in screen).
import { $, h } from './dom.js';
import { reactionLabel, reactedBy } from '../reactions.js';
import { displayName } from '../format.js';

const LONG_PRESS_MS = 500;
const PRESS_SLOP_PX = 10; // a finger that moves further is scrolling

/** store, sync, picker (emoji-picker.js). Returns {key(msg), chips(msg) → node | null, addButton(msg) → node | null, watch(listEl)}. */
export function initReactions({ store, sync, picker }) {
  const rowIn = (listEl, id) => listEl && listEl.querySelector(`li.msg[data-id="${id}"]`);
  const canReact = (msg) => Boolean(store.rooms.get(msg.room_id)?.joined) && !msg.deleted && !msg.pending;

  /** Names by id for a room's reactions: its members, me as "you" (others are not known). */
  function names(roomId) {
    const byId = new Map((store.members.get(roomId) || []).map((m) => [m.user.id, displayName(m.user)]));
    return (id) => (id === store.me.id ? 'you' : byId.get(id));
  }

  /** What a message's chips show, for reusing its row (names change too once the members are in). */
  function key(msg) {
    const nameOf = names(msg.room_id);
    return `${canReact(msg)}${(msg.reactions || []).map((r) => `${r.emoji} ${r.count} ${r.user_ids.includes(store.me.id)} ${reactedBy(r.user_ids, nameOf)}`).join()}`;
  }

  function chips(msg) {
    if (!msg.reactions || !msg.reactions.length) return null;
    const can = canReact(msg);
    const nameOf = names(msg.room_id);
    return h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' }, msg.reactions.map((r) => {
      const mine = r.user_ids.includes(store.me.id);
      return h('button', {
        type: 'button', class: 'reaction', 'aria-pressed': String(mine), 'aria-disabled': can ? null : 'true',
        'aria-label': reactionLabel(r, mine, can), title: reactedBy(r.user_ids, nameOf), dataset: { focus: `reaction ${r.emoji}` },
        onclick: () => { if (can) sync.react(msg.room_id, msg.id, r.emoji, !mine); },
      }, r.emoji, h('span', { class: 'reaction-count', text: String(r.count) }));
    }));
  }

  /**
   * The picker for a message: shown by its row; the focus goes back to the row, then to its "Add
   * reaction" button if that opened it (on touch screens the row's focus shows its actions).
   */
  const pickerFor = (msg, opener, listEl) => ({
    label: 'Add reaction', opener, anchor: () => rowIn(listEl, msg.id),
    onPick: (ch) => sync.react(msg.room_id, msg.id, ch, true),
    back: () => {
      const row = rowIn(listEl, msg.id);
      const btn = row && opener && row.querySelector('.react-add');
      if (row) row.focus();
      if (btn) btn.focus();
    },
  });

  function addButton(msg) {
    if (!canReact(msg)) return null;
    return h('button', {
      type: 'button', class: 'act react-add', 'aria-label': 'Add reaction', title: 'Add reaction', 'aria-haspopup': 'true', 'aria-expanded': 'false',
      'aria-controls': 'emoji-picker', dataset: { focus: 'react' }, onclick: (e) => picker.toggle(pickerFor(msg, e.currentTarget, e.currentTarget.closest('ol'))),
    }, '☺+');
  }

  // ---- touch: a long press on a message opens the picker for it --------------------------------
  let press = null; // {timer, x, y} while a finger rests on a message
  let fired = false; // a long press opened the picker: the click that ends it is not a tap
  const cancel = () => { if (press) clearTimeout(press.timer); press = null; };
  function watch(listEl) {
    listEl.addEventListener('pointerdown', (e) => {
      fired = false;
      const row = e.pointerType === 'touch' && e.target.closest('li.msg');
      const msg = row && store.timeline(store.activeRoomId).byId.get(Number(row.dataset.id));
      if (!msg || !canReact(msg)) return;
      cancel();
      press = { x: e.clientX, y: e.clientY, timer: setTimeout(() => { press = null; fired = true; picker.open(pickerFor(msg, null, listEl)); }, LONG_PRESS_MS) };
    });
    listEl.addEventListener('pointermove', (e) => { if (press && Math.hypot(e.clientX - press.x, e.clientY - press.y) > PRESS_SLOP_PX) cancel(); });
    for (const type of ['pointerup', 'pointercancel']) listEl.addEventListener(type, cancel);
    listEl.addEventListener('contextmenu', (e) => { if (press || fired) e.preventDefault(); });
    listEl.addEventListener('click', (e) => { if (fired) { fired = false; e.preventDefault(); e.stopPropagation(); } }, true);
  }
  watch($('messages'));

  return { key, chips, addButton, watch };
}
