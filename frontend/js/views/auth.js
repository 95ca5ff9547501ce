// The sign-in / create-account screen (markup lives in index.html).
import { $, fieldError } from './dom.js';

export function initAuth({ onSubmit }) {
  let mode = 'login';
  const form = $('auth-form');
  const submit = $('auth-submit');
  const setMode = (m) => {
    mode = m;
    $('tab-login').setAttribute('aria-selected', String(m === 'login'));
    $('tab-register').setAttribute('aria-selected', String(m === 'register'));
    submit.textContent = m === 'login' ? 'Sign in' : 'Create account';
    $('auth-password').setAttribute('autocomplete', m === 'login' ? 'current-password' : 'new-password');
    clearErrors();
  };
  const clearErrors = () => { fieldError('err-username'); fieldError('err-password'); fieldError('auth-error'); };
  $('tab-login').addEventListener('click', () => setMode('login'));
  $('tab-register').addEventListener('click', () => setMode('register'));
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
      await onSubmit(mode, username, password);
      $('auth-password').value = '';
    } catch (err) {
      showProblem(err, { username: 'err-username', password: 'err-password' }, 'auth-error');
    } finally {
      submit.disabled = false;
    }
  });
  submit.disabled = false;
  return { show() { $('auth').hidden = false; $('app').hidden = true; $('auth-username').focus(); }, hide() { $('auth').hidden = true; } };
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
