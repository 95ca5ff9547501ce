// The page of a password reset link (`#/reset/<token>`, signed out; loaded only for it): a new
// password twice, then POST /auth/password-reset. Set: the sign-in screen says so; a link the
// server does not take (unknown, used or expired) is said as such. Its markup is built here, in
// the sign-in screen's card style.
import { $, h, fieldError } from './dom.js';
import { adminApi } from '../admin-api.js';
import { resetToken, checkNewPassword, resetProblem, RESET_DONE } from '../admin.js';

/**
 * Shows the page for the token in the address. `leave(done)`: back to the sign-in screen (or
 * the session); `done` once the password is set, and then the sign-in screen says so.
 */
export function showReset({ api, leave }) {
  const page = $('reset') || build(adminApi(api), leave);
  page.querySelector('form').reset();
  for (const id of ['err-reset-password', 'err-reset-confirm', 'reset-error']) fieldError(id);
  $('auth').hidden = true;
  $('app').hidden = true;
  page.hidden = false;
  $('reset-password').focus();
}

function build(admin, leave) {
  const field = (id, label, hint) => [
    h('label', { for: id }, label, hint ? h('span', { class: 'muted', text: ' ' + hint }) : null),
    h('input', { id, type: 'password', autocomplete: 'new-password', required: true, maxlength: '128', 'aria-describedby': 'err-' + id }),
    h('p', { class: 'field-error', id: 'err-' + id, hidden: true })];
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'reset-submit' }, 'Set password');
  const form = h('form', { id: 'reset-form', class: 'form', novalidate: true },
    field('reset-password', 'New password', '(8 to 128 characters)'),
    field('reset-confirm', 'New password again'),
    h('p', { class: 'form-error', id: 'reset-error', role: 'alert', hidden: true }),
    submit);
  const page = h('main', { id: 'reset', class: 'auth', 'aria-labelledby': 'reset-title', hidden: true },
    h('div', { class: 'auth-card' },
      h('h1', { id: 'reset-title', class: 'brand', text: 'Set a new password' }),
      h('p', { class: 'auth-sub', text: 'Choose the password you will sign in with. Setting it signs the account out everywhere.' }),
      form,
      h('p', { class: 'reset-back' }, h('button', { type: 'button', class: 'link-btn', id: 'reset-back', onclick: () => close(false) }, 'Back to sign in'))));
  $('auth').after(page);

  const close = (done) => {
    page.hidden = true;
    leave(done);
    if (!done) return;
    if (!$('auth-ok')) $('auth-form').prepend(h('p', { class: 'form-ok', id: 'auth-ok', role: 'status', hidden: true }));
    fieldError('auth-ok', RESET_DONE);
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const id of ['err-reset-password', 'err-reset-confirm', 'reset-error']) fieldError(id);
    const password = $('reset-password').value;
    const wrong = checkNewPassword(password, $('reset-confirm').value);
    if (wrong) { fieldError('err-reset-' + wrong.field, wrong.text); $('reset-' + wrong.field).focus(); return; }
    submit.disabled = true;
    try {
      await admin.resetPassword(resetToken(location.hash) || '', password);
      close(true);
    } catch (err) {
      const said = resetProblem(err);
      fieldError(said.field === 'password' ? 'err-reset-password' : 'reset-error', said.text);
    } finally { submit.disabled = false; }
  });
  return page;
}
