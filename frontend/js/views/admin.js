// Administration (server admins; `#/admin/<tab>`, opened from Settings or the sidebar's "Invite
// people"): a page-sized dialog with five tabs. People: find accounts by the start of a name, a
// page at a time ("Load more"), each with role, last visit and a deactivated badge; make admin or
// member, deactivate or reactivate (asked first, naming the person), a one-time password reset
// link to copy with its expiry (GET and PATCH /admin/users, POST …/password-reset). Invites: the
// invite links (views/invites.js). Bots: the server's bots, a new one's token shown once, a new
// token, deactivate (views/bots.js). Audit log: who did what, newest first, older on request (GET
// /admin/audit). Server: its name and registration policy, editable (PATCH /admin/server), its
// version and upload limit (GET /server). Its markup and stylesheet (admin.css) load with it.
import { h, setChildren, fieldError } from './dom.js';
import { announce } from './notices.js';
import { initInvites } from './invites.js';
import { initBots } from './bots.js';
import { confirmAction } from './confirm.js';
import { copyLink } from './copy.js';
import { adminApi } from '../admin-api.js';
import { Pager, auditLine, lastSeen, relativeTime, problemText, registrationText } from '../admin.js';
import { fullTimestamp, dayKey } from '../format.js';
import { formatSize } from '../files.js';
import { serverChanges, problemsByField, REGISTRATIONS, SERVER_NAME_MAX } from '../forms.js';

export const TABS = [['people', 'People'], ['invites', 'Invites'], ['bots', 'Bots'], ['audit', 'Audit log'], ['server', 'Server']];
const PAGE = 50; // people and audit entries per request
const NAME_CHARS = /^[A-Za-z0-9_.-]*$/; // what a username is made of: anything else matches no one

/** Resolves once the stylesheet at `href` has loaded (or failed: the page still works unstyled). */
function stylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return Promise.resolve();
  return new Promise((resolve) => {
    document.head.append(h('link', { rel: 'stylesheet', href, onload: resolve, onerror: resolve }));
  });
}

/** store, api; toast(text); onClose() once the page closes (the route goes back to the room). Resolves with {open(tab)}. */
export async function initAdmin({ store, api, toast, onClose }) {
  await stylesheet('/admin.css');
  const admin = adminApi(api);
  const isMe = (u) => Boolean(store.me && store.me.id === u.id);

  // ---- the page and its tabs -------------------------------------------------------------------
  const dlg = h('dialog', { id: 'dlg-admin', class: 'admin-dlg', 'aria-labelledby': 'admin-title' });
  const tabs = new Map(); // key → {tab, panel}
  const tablist = h('div', { role: 'tablist', class: 'admin-tabs', 'aria-labelledby': 'admin-title' });
  const body = h('div', { class: 'admin-body' });
  for (const [key, label] of TABS) {
    const tab = h('button', { type: 'button', role: 'tab', id: `admin-tab-${key}`, 'aria-controls': `admin-${key}`, 'aria-selected': 'false', tabindex: '-1', dataset: { tab: key }, onclick: () => select(key) }, label);
    const panel = h('section', { role: 'tabpanel', id: `admin-${key}`, class: 'admin-panel', 'aria-labelledby': `admin-tab-${key}`, tabindex: '0', hidden: true });
    tablist.append(tab);
    body.append(panel);
    tabs.set(key, { tab, panel });
  }
  dlg.append(h('div', { class: 'admin' },
    h('div', { class: 'admin-head' }, h('h2', { id: 'admin-title', text: 'Administration' }),
      h('button', { type: 'button', class: 'btn subtle', id: 'admin-close', onclick: () => dlg.close() }, 'Close')),
    tablist, body));
  document.body.append(dlg);
  dlg.addEventListener('click', (e) => { if (e.target === dlg) dlg.close(); });
  dlg.addEventListener('close', () => { bots.hide(); onClose(); });
  // Arrow keys, Home and End move between the tabs (and show them).
  tablist.addEventListener('keydown', (e) => {
    const keys = TABS.map(([k]) => k);
    const at = keys.indexOf(current);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(keys[(next + keys.length) % keys.length], { focusTab: true });
  });

  let current = null;
  /** Shows a tab (its data loaded again, but for People: its search and pages stay). */
  function select(key, { focusTab = false, focusPanel = false } = {}) {
    if (current === 'bots' && key !== 'bots') bots.hide(); // a token shown goes with the tab
    current = key;
    for (const [k, { tab, panel }] of tabs) {
      const on = k === key;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
    }
    history.replaceState(null, '', `#/admin/${key}`);
    if (focusTab) tabs.get(key).tab.focus();
    if (key === 'invites') invites.show({ focus: focusPanel });
    else if (key === 'bots') bots.show({ focus: focusPanel });
    else if (key === 'audit') loadAudit();
    else if (key === 'server') loadServer();
    else if (focusPanel) query.focus();
  }

  // ---- People ----------------------------------------------------------------------------------
  const people = tabs.get('people').panel;
  const query = h('input', { id: 'admin-q', type: 'search', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '32', 'aria-describedby': 'admin-q-help', 'aria-controls': 'admin-people-list' });
  const peopleStatus = h('p', { id: 'admin-people-status', class: 'muted small', role: 'status' });
  const peopleList = h('ul', { id: 'admin-people-list', class: 'browse-list admin-list', 'aria-label': 'People' });
  const peopleMore = h('button', { type: 'button', class: 'btn subtle admin-more', id: 'admin-people-more', hidden: true, onclick: () => more(pager, renderPeople, 'admin-people-error') }, 'Load more');
  people.append(
    h('form', { role: 'search', class: 'form admin-search', 'aria-label': 'People', novalidate: true, onsubmit: (e) => { e.preventDefault(); search(); } },
      h('label', { for: 'admin-q', text: 'Find people' }), query,
      h('p', { id: 'admin-q-help', class: 'muted small', text: 'Type the start of a name; leave it empty for everyone.' })),
    peopleStatus,
    h('p', { class: 'form-error', id: 'admin-people-error', role: 'alert', hidden: true }),
    peopleList, peopleMore);

  let asked = ''; // the name prefix of the list shown
  const pager = new Pager(async (afterId) => {
    const page = await admin.users({ q: asked, afterId, limit: PAGE });
    return { items: page.users, hasMore: page.has_more };
  });
  const links = new Map(); // user id → the reset link made for them here ({url, expires_at})

  let typing = 0;
  query.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(search, 250); });
  async function search() {
    clearTimeout(typing);
    fieldError('admin-people-error');
    asked = query.value.trim();
    if (!NAME_CHARS.test(asked)) {
      pager.clear();
      renderPeople();
      peopleStatus.textContent = 'Names have only letters, digits and _ . - in them: no one matches.';
      return;
    }
    peopleStatus.textContent = 'Loading…';
    try { if (await pager.reset()) renderPeople(); } catch (e) { peopleStatus.textContent = ''; fieldError('admin-people-error', problemText(e)); }
  }

  async function more(p, render, errorId) {
    fieldError(errorId);
    try { if (await p.more()) render(); } catch (e) { fieldError(errorId, problemText(e)); }
  }

  function renderPeople() {
    setChildren(peopleList, pager.items.map(personItem));
    peopleMore.hidden = !pager.hasMore;
    const n = pager.items.length;
    peopleStatus.textContent = n ? `${n} ${n === 1 ? 'person' : 'people'}${pager.hasMore ? ' so far' : ''}${asked ? ` whose name starts with “${asked}”` : ''}.`
      : asked ? `No one's name starts with “${asked}”.` : 'No accounts yet.';
  }

  function personItem(u) {
    const name = u.username;
    const metaId = `person-meta-${u.id}`;
    const act = (action, label, onclick, extra = '') => h('button', { type: 'button', class: 'btn subtle' + extra, 'aria-label': `${label}: ${name}`, 'aria-describedby': metaId, dataset: { action }, onclick }, label);
    const link = links.get(u.id);
    return h('li', { class: 'browse-item person' + (u.deactivated ? ' off' : ''), dataset: { userId: String(u.id) } },
      h('div', { class: 'person-main' },
        h('strong', { class: 'person-name', text: name }),
        u.display_name ? h('span', { class: 'person-display muted', text: ` (${u.display_name})` }) : null,
        isMe(u) ? h('span', { class: 'tag', text: 'you' }) : null,
        h('span', { class: 'tag role', text: u.role === 'admin' ? 'admin' : 'member' }),
        u.bot ? h('span', { class: 'tag bot-tag', text: 'bot' }) : null,
        u.deactivated ? h('span', { class: 'tag tag-off', text: 'deactivated' }) : null,
        h('p', { class: 'muted small', id: metaId },
          u.last_seen_at ? h('time', { datetime: u.last_seen_at, title: fullTimestamp(u.last_seen_at), text: lastSeen(u) }) : lastSeen(u),
          ` · joined ${dayKey(u.created_at)}`)),
      h('div', { class: 'browse-actions' },
        act('role', u.role === 'admin' ? 'Make member' : 'Make admin', () => change(u, { role: u.role === 'admin' ? 'member' : 'admin' }, 'role')),
        isMe(u) ? null : act('active', u.deactivated ? 'Reactivate' : 'Deactivate', () => toggleActive(u), u.deactivated ? '' : ' danger'),
        act('reset', 'Reset password link', () => resetLink(u))),
      link ? resetBox(u, link) : null);
  }

  /** The row of `u` drawn again (after a change), the focus back on the button of `action`. */
  function redraw(u, action) {
    const old = peopleList.querySelector(`li[data-user-id="${u.id}"]`);
    if (!old) return;
    const row = personItem(u);
    old.replaceWith(row);
    const button = action && row.querySelector(`[data-action="${action}"]`);
    if (button) button.focus();
  }

  async function change(u, changes, action) {
    fieldError('admin-people-error');
    try {
      const now = await admin.updateUser(u.id, changes);
      pager.replace(now);
      redraw(now, action);
      if (isMe(now)) store.setMe({ ...store.me, role: now.role });
      if (isMe(now) && now.role !== 'admin') { dlg.close(); toast('You are no longer a server admin.'); }
      return now;
    } catch (e) {
      fieldError('admin-people-error', `${u.username}: ${problemText(e)}`);
      return null;
    }
  }

  async function toggleActive(u) {
    const off = !u.deactivated;
    const ok = await confirmAction(off
      ? { title: `Deactivate ${u.username}?`, text: `${u.username} is signed out on every device at once and cannot sign in until an admin reactivates the account. Their messages stay.`, action: `Deactivate ${u.username}` }
      : { title: `Reactivate ${u.username}?`, text: `${u.username} can sign in again with their password.`, action: `Reactivate ${u.username}` });
    if (!ok) return;
    const now = await change(u, { deactivated: off }, 'active');
    if (now) announce(off ? `${now.username} is deactivated and signed out everywhere.` : `${now.username} is reactivated.`);
  }

  async function resetLink(u) {
    fieldError('admin-people-error');
    try {
      links.set(u.id, await admin.passwordReset(u.id));
    } catch (e) { fieldError('admin-people-error', `${u.username}: ${problemText(e)}`); return; }
    redraw(u);
    const input = peopleList.querySelector(`#reset-link-${u.id}`);
    if (input) { input.focus(); input.select(); }
  }

  function resetBox(u, link) {
    const id = `reset-link-${u.id}`;
    const input = h('input', { id, class: 'reset-url', readonly: true, spellcheck: 'false', value: link.url, 'aria-describedby': `reset-about-${u.id}`, onfocus: () => input.select() });
    const said = h('p', { class: 'muted small', role: 'status', id: `reset-status-${u.id}` });
    return h('div', { class: 'reset-box form' },
      h('label', { for: id, text: `Password reset link for ${u.username}` }),
      h('div', { class: 'copy-row' }, input,
        h('button', { type: 'button', class: 'btn', dataset: { action: 'copy' }, 'aria-label': `Copy the password reset link for ${u.username}`, onclick: async () => { said.textContent = await copyLink(link.url, input); } }, 'Copy')),
      h('p', { class: 'muted small', id: `reset-about-${u.id}` }, 'Works once, until ',
        h('time', { datetime: link.expires_at, text: fullTimestamp(link.expires_at) }),
        ` (24 hours). Send it to ${u.username} yourself: it sets a new password and signs them out everywhere.`),
      said);
  }

  // ---- Invites (views/invites.js) -----------------------------------------------------------------
  const invites = initInvites({ api, container: tabs.get('invites').panel });

  // ---- Bots (views/bots.js) --------------------------------------------------------------------
  const bots = initBots({ api, container: tabs.get('bots').panel });

  // ---- Audit log -------------------------------------------------------------------------------
  const audit = tabs.get('audit').panel;
  const auditList = h('ol', { id: 'admin-audit-list', class: 'audit-list', 'aria-label': 'Audit log, newest first' });
  const auditMore = h('button', { type: 'button', class: 'btn subtle admin-more', id: 'admin-audit-more', hidden: true, onclick: () => more(auditPager, renderAudit, 'admin-audit-error') }, 'Load more');
  const auditStatus = h('p', { class: 'muted small', id: 'admin-audit-status', role: 'status' });
  audit.append(
    h('p', { class: 'muted small', text: 'Every change to accounts, bots, invites and room bans, newest first.' }),
    auditStatus,
    h('p', { class: 'form-error', id: 'admin-audit-error', role: 'alert', hidden: true }),
    auditList, auditMore);
  const auditPager = new Pager(async (beforeId) => {
    const page = await admin.audit({ beforeId, limit: PAGE });
    return { items: page.entries, hasMore: page.has_more };
  });
  // Rooms by name in the lines: mine from the store, others asked for once (null: not readable).
  const roomNames = new Map();
  const roomName = (id) => { const r = store.rooms.get(id); return r ? (r.kind !== 'direct' ? r.name : null) : roomNames.get(id) || null; };
  /** Learns the names of the entries' rooms not known yet; true when there were any. */
  async function nameRooms(entries) {
    const unknown = [...new Set(entries.map((e) => e.room_id).filter((id) => id != null && !store.rooms.has(id) && !roomNames.has(id)))];
    await Promise.all(unknown.map(async (id) => {
      try { const r = await api.room(id); roomNames.set(id, r.kind !== 'direct' ? r.name : null); } catch { roomNames.set(id, null); }
    }));
    return unknown.length > 0;
  }
  const auditItem = (e) => h('li', { class: 'audit-entry', dataset: { id: String(e.id), action: e.action } },
    h('span', { class: 'audit-text', text: auditLine(e, roomName) }), ' · ',
    h('time', { datetime: e.created_at, title: fullTimestamp(e.created_at), text: relativeTime(e.created_at) }));
  function renderAudit() {
    setChildren(auditList, auditPager.items.map(auditItem));
    auditMore.hidden = !auditPager.hasMore;
    auditStatus.textContent = auditPager.items.length ? '' : 'Nothing has happened yet.';
    nameRooms(auditPager.items).then((learnt) => { if (learnt) setChildren(auditList, auditPager.items.map(auditItem)); });
  }
  async function loadAudit() {
    fieldError('admin-audit-error');
    auditStatus.textContent = 'Loading…';
    try { if (await auditPager.reset()) renderAudit(); } catch (e) { auditStatus.textContent = ''; fieldError('admin-audit-error', problemText(e)); }
  }

  // ---- Server ----------------------------------------------------------------------------------
  // Its name and who may create an account, editable (PATCH /admin/server: kept by the server over
  // its options from then on); its version and upload limit, read only.
  const server = tabs.get('server').panel;
  const facts = h('dl', { class: 'server-info', id: 'admin-server-info' });
  const serverName = h('input', { id: 'admin-server-name', name: 'name', required: true, maxlength: String(SERVER_NAME_MAX), autocomplete: 'off', 'aria-describedby': 'admin-server-name-help err-admin-server-name' });
  const policy = REGISTRATIONS.map((value) => h('label', {}, h('input', { type: 'radio', name: 'registration', value }), ' ', registrationText(value)));
  const serverSave = h('button', { type: 'submit', class: 'btn primary', id: 'admin-server-save' }, 'Save server settings');
  const serverForm = h('form', { class: 'form admin-server-form', id: 'form-admin-server', novalidate: true },
    h('label', { for: 'admin-server-name', text: 'Server name' }), serverName,
    h('p', { class: 'muted small', id: 'admin-server-name-help', text: 'Shown on the sign-in page and in invitations.' }),
    h('p', { class: 'field-error', id: 'err-admin-server-name', hidden: true }),
    h('fieldset', { class: 'radio-row', id: 'admin-server-registration', 'aria-describedby': 'err-admin-server-registration' }, h('legend', { text: 'Who may create an account' }), policy),
    h('p', { class: 'field-error', id: 'err-admin-server-registration', hidden: true }),
    h('p', { class: 'form-error', id: 'admin-server-error', role: 'alert', hidden: true }),
    h('p', { class: 'form-ok', id: 'admin-server-ok', role: 'status', hidden: true }),
    serverSave);
  server.append(
    serverForm,
    facts,
    h('p', { class: 'muted small', text: 'The largest upload is set by the server\'s options when it starts (--max-upload-bytes or CONFAB_MAX_UPLOAD_BYTES). A name or registration policy saved here wins over --server-name and --registration from then on.' }));
  let shownServer = null; // GET /server's (or the last save's) answer, which the form shows
  const SERVER_ERRORS = { name: 'err-admin-server-name', registration: 'err-admin-server-registration' };
  const clearServer = () => { for (const id of [...Object.values(SERVER_ERRORS), 'admin-server-error', 'admin-server-ok']) fieldError(id); };
  function showServer(s) {
    shownServer = s;
    serverName.value = s.name;
    for (const label of policy) { const radio = label.firstElementChild; radio.checked = radio.value === s.registration; }
    const fact = (term, value) => [h('dt', { text: term }), h('dd', { text: value })];
    setChildren(facts, fact('Version', s.version),
      Number.isFinite(s.max_upload_bytes) ? fact('Largest upload', formatSize(s.max_upload_bytes)) : null);
  }
  async function loadServer() {
    clearServer();
    try { showServer(await api.server()); } catch (e) { fieldError('admin-server-error', problemText(e)); }
  }
  serverForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearServer();
    if (!shownServer) { await loadServer(); if (!shownServer) return; }
    const registration = (serverForm.querySelector('input[name=registration]:checked') || {}).value;
    const { body, errors } = serverChanges(shownServer, { name: serverName.value, registration });
    const say = (fields, general) => {
      for (const [f, text] of Object.entries(fields)) fieldError(SERVER_ERRORS[f] || 'admin-server-error', text);
      if (general) fieldError('admin-server-error', general);
      if (fields.name) serverName.focus();
    };
    if (errors) { say(errors); return; }
    if (!Object.keys(body).length) { fieldError('admin-server-ok', 'Nothing to save: the settings are as shown.'); return; }
    serverSave.disabled = true;
    try {
      showServer(await admin.updateServer(body));
      fieldError('admin-server-ok', 'Server settings saved.');
    } catch (err) {
      const { fields, general } = problemsByField(err, { name: 'The name', registration: 'The registration policy' });
      say(fields, general);
    } finally { serverSave.disabled = false; }
  });

  return {
    /** Opens the page at `tab` (a key of TABS; unknown: People), its first control focused. False for non-admins. */
    open(tab = 'people') {
      if (!store.me || store.me.role !== 'admin') { toast('Only server admins can open Administration.'); onClose(); return false; }
      const key = tabs.has(tab) ? tab : 'people';
      if (!dlg.open) {
        links.clear();
        dlg.showModal();
        search(); // the list of people is fresh each time the page opens
      }
      select(key, { focusPanel: true });
      return true;
    },
  };
}
