// Moderating a room, in its members panel (for its owners and admins, and server admins in any
// room): "Ban" on a member (asked first, naming them; they leave the room at once), the banned
// with "Unban" (GET, PUT and DELETE /rooms/{id}/bans), and for the room's owners and admins
// "Add people" (PUT /rooms/{id}/members/{user_id}; the way into a private room). Loaded the first
// time the members of such a room show; drawn after members.js draws the list.
import { $, h, setChildren, fieldError } from './dom.js';
import { announce } from './notices.js';
import { confirmAction } from './confirm.js';
import { adminApi } from '../admin-api.js';
import { canBan, canModerate, canSetRole, problemText } from '../admin.js';
import { displayName } from '../format.js';

/**
 * store, api, sync. Returns {render(roomId, focused)}: call it after each render of the members
 * list, with the list's element that had the focus before (the new list's like of it takes it).
 */
export function initModeration({ store, api, sync }) {
  const admin = adminApi(api);
  const banList = h('ul', { id: 'ban-list', class: 'member-list ban-list', 'aria-labelledby': 'bans-title' });
  const banStatus = h('p', { class: 'muted small', id: 'bans-status' });
  const query = h('input', { id: 'add-member-q', type: 'search', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '32', 'aria-describedby': 'add-member-help', 'aria-controls': 'add-member-results' });
  const found = h('ul', { id: 'add-member-results', class: 'member-list', 'aria-label': 'People found' });
  const addPart = h('div', { class: 'form add-member', id: 'add-member' },
    h('label', { for: 'add-member-q', text: 'Add people' }), query,
    h('p', { id: 'add-member-help', class: 'muted small', text: 'Type the start of a name.' }), found);
  const part = h('section', { id: 'moderation', class: 'moderation', 'aria-label': 'Moderation', hidden: true },
    h('p', { class: 'form-error', id: 'moderation-error', role: 'alert', hidden: true }),
    addPart,
    h('h3', { id: 'bans-title', text: 'Banned' }), banStatus, banList);
  $('members').append(part);

  let roomId = null; // the room drawn
  let shown = false; // the panel was showing at the last render (its opening loads the bans again)
  const say = (text) => fieldError('moderation-error', text);
  const room = () => store.rooms.get(roomId);

  function render(id, focused) {
    const r = store.rooms.get(id);
    const visible = !$('members').hidden;
    if (!visible || !canModerate(r, store.me)) { part.hidden = true; shown = visible; return; }
    const fresh = id !== roomId || !shown;
    if (id !== roomId) { say(); query.value = ''; setChildren(found); }
    roomId = id;
    shown = true;
    part.hidden = false;
    addPart.hidden = !(r.role === 'owner' || r.role === 'admin');
    const members = store.members.get(id) || [];
    for (const li of $('member-list').children) {
      const m = members.find((x) => String(x.user.id) === li.dataset.userId);
      if (!m) continue;
      const to = canSetRole(r, store.me, m) && (m.role === 'admin' ? 'member' : 'admin');
      const drawn = li.querySelector('.member-actions');
      if (drawn && (drawn.querySelector('.set-role')?.dataset.role || false) === to) continue;
      if (drawn) drawn.remove(); // drawn for the role before
      const actions = [
        to && h('button', { type: 'button', class: 'btn subtle mini set-role', dataset: { role: to }, 'aria-label': `${to === 'admin' ? 'Make admin' : 'Make member'}: ${displayName(m.user)}`, title: to === 'admin' ? 'Make them an admin of this room' : 'Make them a plain member of this room', onclick: () => setRole(m, to) }, to === 'admin' ? 'Make admin' : 'Make member'),
        canBan({ me: store.me, myRole: r.role, member: m }) && h('button', { type: 'button', class: 'btn subtle mini danger ban', 'aria-label': `Ban ${displayName(m.user)}`, onclick: () => ban(m.user) }, 'Ban'),
      ].filter(Boolean);
      if (actions.length) li.append(h('div', { class: 'member-actions' }, actions));
    }
    focusRoleButton();
    keepFocus(focused);
    if (fresh) loadBans();
  }

  /** A role or ban button that had the focus went with the list drawn again: the same member's new one takes it. */
  function keepFocus(focused) {
    if (!focused || focused.isConnected || (document.activeElement && document.activeElement !== document.body)) return;
    const cls = ['set-role', 'ban'].find((c) => focused.classList.contains(c));
    const userId = focused.closest('li')?.dataset.userId;
    const b = cls && userId && $('member-list').querySelector(`li[data-user-id="${userId}"] .${cls}`);
    if (b) b.focus();
  }

  // ---- a member's role in the room (its owners: PUT /rooms/{id}/members/{user_id}/role) ------------
  let refocus = null; // {id, next}: the role button of that user (now offering `next`) takes the focus once drawn
  function focusRoleButton() {
    const b = refocus && $('member-list').querySelector(`li[data-user-id="${refocus.id}"] .set-role[data-role="${refocus.next}"]`);
    if (b) { refocus = null; b.focus(); }
  }
  async function setRole(m, role) {
    const r = room();
    say();
    // Set before the request: the room's member_updated may redraw the row before the answer
    // comes, and the button pressed goes with the old row.
    refocus = { id: m.user.id, next: role === 'admin' ? 'member' : 'admin' };
    try { await admin.setRole(r.id, m.user.id, role); } catch (e) { refocus = null; say(problemText(e)); return; }
    announce(`${displayName(m.user)} is ${role === 'admin' ? 'now an admin' : 'now a member'} of #${r.name}.`);
    await sync.loadMembers(r.id); // the list with the new role, if the event has not come yet
    focusRoleButton();
  }

  async function loadBans() {
    const id = roomId;
    try {
      const { users } = await admin.bans(id);
      if (id !== roomId) return;
      setChildren(banList, users.map((u) => h('li', { class: 'member banned', dataset: { userId: String(u.id) } },
        h('span', { class: 'member-name', text: u.username }),
        h('button', { type: 'button', class: 'btn subtle mini unban', 'aria-label': `Unban ${u.username}`, onclick: () => unban(u) }, 'Unban'))));
      banStatus.textContent = users.length ? '' : 'No one is banned.';
    } catch (e) { if (id === roomId) say(problemText(e)); }
  }

  async function ban(user) {
    const r = room();
    const name = displayName(user);
    const ok = await confirmAction({
      title: `Ban ${name} from #${r.name}?`,
      text: `${name} leaves the room at once, and cannot join it, be added to it or read it until unbanned.`,
      action: `Ban ${name}`,
    });
    if (!ok || room() !== r) return;
    say();
    try { await admin.ban(r.id, user.id); } catch (e) { say(problemText(e)); return; }
    store.memberLeft(r.id, user); // the room's member_left says it too
    announce(`${name} is banned from #${r.name}.`);
    await loadBans();
    const undo = banList.querySelector(`li[data-user-id="${user.id}"] .unban`);
    (undo || $('btn-members-close')).focus();
  }

  async function unban(user) {
    const r = room();
    say();
    const buttons = () => [...banList.querySelectorAll('.unban')];
    const at = buttons().findIndex((b) => b.closest('li').dataset.userId === String(user.id));
    try { await admin.unban(r.id, user.id); } catch (e) { say(problemText(e)); return; }
    announce(`${user.username} is no longer banned from #${r.name}.`);
    await loadBans();
    const left = buttons();
    (left[Math.min(at, left.length - 1)] || $('btn-members-close')).focus();
  }

  // ---- adding people -----------------------------------------------------------------------------
  let typing = 0;
  query.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      const q = query.value.trim();
      say();
      if (!q) { setChildren(found); return; }
      try {
        const { users } = await api.searchUsers(q);
        if (query.value.trim() !== q) return;
        const inRoom = new Set((store.members.get(roomId) || []).map((m) => m.user.id));
        const people = users.filter((u) => !inRoom.has(u.id));
        setChildren(found, people.length ? people.map((u) => h('li', { class: 'member' },
          h('span', { class: 'member-name', text: u.username }),
          h('button', { type: 'button', class: 'btn subtle mini add', 'aria-label': `Add ${u.username}`, onclick: () => add(u) }, 'Add')))
          : h('li', { class: 'muted small', text: 'No one else by that name.' }));
      } catch (e) { say(problemText(e)); }
    }, 200);
  });

  async function add(user) {
    const r = room();
    say();
    try {
      await admin.addMember(r.id, user.id);
    } catch (e) {
      say(e.code === 'banned' ? `${user.username} is banned from this room: unban them first.` : problemText(e));
      return;
    }
    announce(`${user.username} is added to #${r.name}.`);
    query.value = '';
    setChildren(found);
    query.focus();
    await sync.loadMembers(r.id); // the member_joined event says it too; this has their role
  }

  return { render };
}
