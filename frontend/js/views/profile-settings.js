// Settings' Profile: my display name and status (PATCH /me), and my avatar: an image picked
// (checked first: an image, at most 5 MB) shows at once and uploads (PUT /me/avatar; the server
// crops it square), Remove takes it off (DELETE /me/avatar). The server's refusals show under
// their fields. What is saved reaches the store at once (and others through `user_updated`).
// Loaded with settings; its markup is built here.
import { h, setChildren, fieldError } from './dom.js';
import { profileApi } from '../profile-api.js';
import { profileChanges, avatarProblem, problemsByField, DISPLAY_NAME_MAX, STATUS_MAX } from '../forms.js';
import { avatarHue, displayName, initials } from '../format.js';

const LABELS = { display_name: 'The display name', status: 'The status', avatar: 'The image' };
const TOO_LARGE = { payload_too_large: ['avatar', 'The image is too large: at most 5 MB.'] };
const ERRORS = { display_name: 'err-profile-name', status: 'err-profile-status', avatar: 'err-profile-avatar' };

/** api, store; avatars() → the session's avatars.js (null before it loads). Returns {section, open()}. */
export function initProfileSettings({ api, store, avatars }) {
  const profile = profileApi(api);
  const preview = h('span', { class: 'avatar-preview' });
  const file = h('input', { type: 'file', id: 'profile-avatar-file', accept: 'image/png,image/jpeg,image/gif,image/webp', 'aria-describedby': 'profile-avatar-help err-profile-avatar' });
  const remove = h('button', { type: 'button', class: 'btn subtle', id: 'profile-avatar-remove' }, 'Remove avatar');
  const avatarStatus = h('p', { class: 'muted small', id: 'profile-avatar-status', role: 'status' });
  const name = h('input', { id: 'profile-name', maxlength: String(DISPLAY_NAME_MAX), autocomplete: 'nickname', 'aria-describedby': 'profile-name-help err-profile-name' });
  const status = h('input', { id: 'profile-status', maxlength: String(STATUS_MAX), autocomplete: 'off', 'aria-describedby': 'profile-status-help err-profile-status' });
  const nameHelp = h('p', { class: 'muted small', id: 'profile-name-help' });
  const save = h('button', { type: 'submit', class: 'btn primary', id: 'profile-save' }, 'Save profile');
  const form = h('form', { class: 'form', id: 'form-profile', novalidate: true },
    h('label', { for: 'profile-name', text: 'Display name' }), name, nameHelp,
    h('p', { class: 'field-error', id: 'err-profile-name', hidden: true }),
    h('label', { for: 'profile-status', text: 'Status' }), status,
    h('p', { class: 'muted small', id: 'profile-status-help', text: 'A short line others see beside your name, like “On holiday until Monday”. Leave it empty for none.' }),
    h('p', { class: 'field-error', id: 'err-profile-status', hidden: true }),
    h('p', { class: 'form-error', id: 'profile-error', role: 'alert', hidden: true }),
    h('p', { class: 'form-ok', id: 'profile-ok', role: 'status', hidden: true }),
    save);
  const section = h('section', { id: 'settings-profile', 'aria-labelledby': 'profile-title' },
    h('h3', { id: 'profile-title', text: 'Profile' }),
    h('div', { class: 'profile-avatar' }, preview,
      h('div', { class: 'profile-avatar-actions' },
        h('label', { class: 'btn subtle file-pick', for: 'profile-avatar-file' }, 'Choose an avatar image…', file),
        remove)),
    h('p', { class: 'muted small', id: 'profile-avatar-help', text: 'PNG, JPEG, GIF or WebP, at most 5 MB: it is cropped to a square.' }),
    h('p', { class: 'field-error', id: 'err-profile-avatar', hidden: true }),
    avatarStatus,
    form);

  let local = null; // the object URL of an image picked here, shown while it uploads
  const dropLocal = () => { if (local) URL.revokeObjectURL(local); local = null; };

  /** The preview: my initials, and over them my avatar (or the image being uploaded). */
  function drawAvatar() {
    const me = store.me;
    const face = h('span', { class: `avatar large hue-${avatarHue(me.id)}`, 'aria-hidden': 'true', text: initials(me) });
    if (local) face.append(h('img', { class: 'avatar-img', src: local, alt: '' }));
    else if (avatars()) avatars().fill(face, me);
    setChildren(preview, face, h('span', { class: 'sr-only', text: local || me.avatar_url ? 'Your avatar' : 'No avatar: your initials show' }));
    remove.hidden = !me.avatar_url || Boolean(local);
  }

  const clear = () => { for (const id of [...Object.values(ERRORS), 'profile-error', 'profile-ok']) fieldError(id); };
  const show = ({ fields, general }) => {
    for (const [f, text] of Object.entries(fields)) fieldError(ERRORS[f] || 'profile-error', text);
    if (general) fieldError('profile-error', general);
  };
  const saved = (user) => { store.updateUser(user); fill(); };

  function fill() {
    const me = store.me;
    name.value = me.display_name || '';
    status.value = me.status || '';
    nameHelp.textContent = `Shown instead of your username (@${me.username}). Leave it empty to show your username.`;
    drawAvatar();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const { body, errors } = profileChanges(store.me, { displayName: name.value, status: status.value });
    if (errors) { show({ fields: errors }); (errors.display_name ? name : status).focus(); return; }
    if (!Object.keys(body).length) { fieldError('profile-ok', 'Nothing to save: your profile is as shown.'); return; }
    save.disabled = true;
    try {
      saved(await profile.update(body));
      fieldError('profile-ok', 'Profile saved.');
    } catch (err) {
      const said = problemsByField(err, LABELS);
      show(said);
      if (said.fields.display_name) name.focus(); else if (said.fields.status) status.focus();
    } finally { save.disabled = false; }
  });

  file.addEventListener('change', async () => {
    const picked = file.files && file.files[0];
    file.value = ''; // the same file can be picked again
    if (!picked) return;
    clear();
    avatarStatus.textContent = '';
    const problem = avatarProblem(picked);
    if (problem) { fieldError('err-profile-avatar', problem); return; }
    dropLocal();
    local = URL.createObjectURL(picked);
    drawAvatar();
    avatarStatus.textContent = 'Uploading your avatar…';
    try {
      const user = await profile.setAvatar(picked);
      dropLocal();
      saved(user);
      avatarStatus.textContent = 'Avatar saved.';
    } catch (err) {
      dropLocal();
      drawAvatar();
      avatarStatus.textContent = '';
      show(problemsByField(err, LABELS, TOO_LARGE));
    }
  });

  remove.addEventListener('click', async () => {
    clear();
    avatarStatus.textContent = '';
    try {
      saved(await profile.removeAvatar());
      avatarStatus.textContent = 'Avatar removed: your initials show.';
      file.focus();
    } catch (err) { show(problemsByField(err, LABELS)); }
  });

  return {
    section,
    /** The dialog opens: the form shows my profile as it is. */
    open() { dropLocal(); clear(); avatarStatus.textContent = ''; fill(); },
  };
}
