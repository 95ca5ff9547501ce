// The sign-in / create-account screen (markup lives in index.html): the server's name, and what
// its registration policy offers (GET /server); a join link (#/join/<code>) opens the create-account
// form with its invite, which is sent along.
import { $, fieldError } from './dom.js';
import { joinCode, registration } from '../invites.js';

const INVITE_REFUSED = 'This invite link is not valid any more: ask for a new one.';

/** getServer() → GET /server; onSubmit(mode, username, password, invite). Returns {show(), hide()}. */
export function initAuth({ getServer, onSubmit }) {
  let mode = 'login';
  let server = null; // GET /server's answer, null while unknown (or unreachable: the server decides)
  let invite = null; // the invite code of the join link in the address (#/join/<code>), or null
  let chosen = false; // a tab was picked by hand: the policy's answer no longer moves it
  const form = $('auth-form');
  const submit = $('auth-submit');
  const setMode = (m) => {
    mode = m;
    $('tab-login').setAttribute('aria-selected', String(m === 'login'));
    $('tab-register').setAttribute('aria-selected', String(m === 'register'));
    submit.textContent = m === 'login' ? 'Sign in' : 'Create account';
    $('auth-password').setAttribute('autocomplete', m === 'login' ? 'current-password' : 'new-password');
    clearErrors();
    render();
  };
  // The policy, the invite and the tab decide what the form shows.
  const render = () => {
    const offer = registration(server, invite);
    if (server) $('auth-title').textContent = server.name;
    $('auth-tabs').hidden = !offer.tab;
    if (!offer.tab && mode === 'register') { setMode('login'); return; }
    const registering = mode === 'register';
    fieldError('auth-note', registering ? offer.note : null);
    $('auth-fields').hidden = registering && !offer.fields;
  };
  const clearErrors = () => { for (const id of ['err-username', 'err-password', 'auth-error', 'auth-ok']) fieldError(id); }; // auth-ok: reset.js's
  const pick = (m) => { chosen = true; setMode(m); };
  $('tab-login').addEventListener('click', () => pick('login'));
  $('tab-register').addEventListener('click', () => pick('register'));
  // A join link opens the create-account form; a fresh server's first visitor starts there too.
  const followHash = () => {
    invite = joinCode(location.hash);
    if (invite) setMode('register'); else render();
  };
  window.addEventListener('hashchange', () => { if (!$('auth').hidden) followHash(); });
  const loadServer = async () => {
    try { server = await getServer(); } catch { return; } // unknown: everything stays offered
    if (!chosen && registration(server, invite).first) setMode('register'); else render();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors();
    const username = $('auth-username').value.trim();
    const password = $('auth-password').value;
    let bad = false;
    if (!username) { fieldError('err-username', 'Enter a username.'); bad = true; }
    if (!password) { fieldError('err-password', 'Enter a password.'); bad = true; }
    if (bad) return;
    submit.disabled = true;
    try {
      await onSubmit(mode, username, password, invite || undefined);
      $('auth-password').value = '';
    } catch (err) {
      if (err.code === 'invite_required' && invite) fieldError('auth-error', INVITE_REFUSED);
      else showProblem(err, { username: 'err-username', password: 'err-password' }, 'auth-error');
    } finally {
      submit.disabled = false;
    }
  });
  submit.disabled = false;
  return {
    show() {
      $('auth').hidden = false;
      $('app').hidden = true;
      setMode('login'); // after a session ends too (a join link moves it on)
      followHash();
      loadServer();
      $('auth-username').focus();
    },
    hide() { $('auth').hidden = true; },
  };
}

/** Shows a problem+json error: field errors next to their fields, else `detail` in `generalId`. */
export function showProblem(err, fieldIds, generalId) {
  const fields = typeof err.fieldErrors === 'function' ? err.fieldErrors() : {};
  let shown = false;
  for (const [field, message] of Object.entries(fields)) {
    if (fieldIds[field]) { fieldError(fieldIds[field], message); shown = true; }
  }
  if (!shown) fieldError(generalId, err.detail || err.message || 'Something went wrong.');
}
