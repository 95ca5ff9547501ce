// The settings dialog: my profile (profile-settings.js: display name, status, avatar), change the
// password, push notifications on this device (push-settings.js), see where I am signed in and end
// those sessions, and log out everywhere (PUT /me/password, GET and DELETE /sessions, DELETE
// /sessions/{id}); for server admins, the way to Administration.
import { $, h, setChildren, fieldError } from './dom.js';
import { showProblem } from './auth.js';
import { describeAgent, fullTimestamp } from '../format.js';
import { initPushSettings } from './push-settings.js';
import { initProfileSettings } from './profile-settings.js';

/**
 * api, store; avatars() → the session's avatars (or null); openAdmin() opens Administration;
 * onLoggedOutEverywhere() once every session has ended. Returns {open()}.
 */
export function initSettings({ api, store, avatars = () => null, openAdmin, onLoggedOutEverywhere }) {
  const dlg = $('dlg-settings');
  const endAll = $('btn-end-all');
  const END_ALL_LABEL = endAll.textContent;
  const push = initPushSettings({ api });
  const profile = initProfileSettings({ api, store, avatars });
  $('form-password').before(profile.section);
  // Server admins only (the server checks every call anyway).
  const adminPart = h('section', { 'aria-labelledby': 'settings-admin-title', id: 'settings-admin', hidden: true },
    h('h3', { id: 'settings-admin-title', text: 'Administration' }),
    h('p', { class: 'muted small', text: 'People and their accounts, invite links, the audit log and the server\'s settings.' }),
    h('button', { type: 'button', class: 'btn', id: 'btn-admin', onclick: () => { dlg.close(); openAdmin('people'); } }, 'Open Administration'));
  dlg.querySelector('.dialog-actions').before(adminPart);

  const sessionItem = (s) => h('li', { class: 'browse-item session', dataset: { sessionId: String(s.id) } },
    h('div', {}, h('strong', { text: describeAgent(s.user_agent) }), s.current ? h('span', { class: 'tag', text: 'this browser' }) : null,
      h('p', { class: 'muted small', text: `Signed in ${fullTimestamp(s.created_at)} · last active ${fullTimestamp(s.last_used_at)}` })),
    s.current ? null : h('button', { type: 'button', class: 'btn subtle', 'aria-label': `End the session of ${describeAgent(s.user_agent)}, signed in ${fullTimestamp(s.created_at)}`, onclick: async () => {
      try { await api.endSessionById(s.id); await loadSessions(); } catch (e) { fieldError('sessions-error', e.detail || e.message); }
    } }, 'End'));

  async function loadSessions() {
    fieldError('sessions-error');
    try {
      const { sessions } = await api.sessions();
      setChildren($('session-list'), sessions.map(sessionItem));
    } catch (e) { fieldError('sessions-error', e.detail || e.message); }
  }

  const clearPasswordNotes = () => { for (const id of ['err-pw-current', 'err-pw-new', 'pw-error', 'pw-ok']) fieldError(id); };
  $('form-password').addEventListener('submit', async (e) => {
    e.preventDefault();
    clearPasswordNotes();
    const current = $('pw-current').value;
    const next = $('pw-new').value;
    if (!current) { fieldError('err-pw-current', 'Enter your current password.'); return; }
    if (next.length < 8) { fieldError('err-pw-new', 'Use at least 8 characters.'); return; }
    $('pw-submit').disabled = true;
    try {
      await api.changePassword(current, next);
      $('form-password').reset();
      fieldError('pw-ok', 'Password changed. Your other sessions were ended.');
      await loadSessions();
    } catch (err) {
      if (err.status === 403) fieldError('err-pw-current', 'That is not your current password.');
      else showProblem(err, { current_password: 'err-pw-current', new_password: 'err-pw-new' }, 'pw-error');
    } finally { $('pw-submit').disabled = false; }
  });

  // Two steps, like Delete: the first press asks, the second ends every session.
  endAll.addEventListener('click', async () => {
    if (!endAll.dataset.armed) {
      endAll.dataset.armed = '1';
      endAll.textContent = 'Log out on every device, this one too?';
      setTimeout(() => { delete endAll.dataset.armed; endAll.textContent = END_ALL_LABEL; }, 5000);
      return;
    }
    try { await push.disable(); await api.endAllSessions(); dlg.close(); onLoggedOutEverywhere(); } catch (e) { fieldError('sessions-error', e.detail || e.message); }
  });

  return {
    open() {
      $('form-password').reset();
      clearPasswordNotes();
      delete endAll.dataset.armed;
      endAll.textContent = END_ALL_LABEL;
      adminPart.hidden = !(store.me && store.me.role === 'admin');
      setChildren($('session-list'));
      profile.open();
      dlg.showModal();
      $('profile-name').focus();
      loadSessions();
      push.refresh();
    },
  };
}
