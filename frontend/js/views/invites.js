// Invite links, the "Invites" part of Administration (views/admin.js; the sidebar's "Invite
// people" opens it there): create an invite link (how many people, when it expires), copy it,
// list the live ones and revoke them (POST, GET and DELETE /invites). Its markup is built here:
// only server admins ever load it.
import { h, setChildren, fieldError } from './dom.js';
import { showProblem } from './auth.js';
import { copyLink } from './copy.js';
import { inviteBody, inviteUses, inviteExpiry } from '../invites.js';
import { fullTimestamp, displayName } from '../format.js';

const radios = (name, legend, choices, checked) => h('fieldset', { class: 'radio-row inline' }, h('legend', { text: legend }),
  choices.map(([value, label]) => h('label', {}, h('input', { type: 'radio', name, value, checked: value === checked }), ' ' + label)));

/** api; `container`: where the invite form and list go (in the document). Returns {show()}. */
export function initInvites({ api, container }) {
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'invite-submit' }, 'Create invite link');
  const form = h('form', { id: 'form-invite', class: 'form', novalidate: true },
    radios('uses', 'How many people can use it', [['1', '1'], ['5', '5'], ['25', '25'], ['unlimited', 'No limit']], '1'),
    radios('expires', 'Expires after', [['86400', '1 day'], ['604800', '7 days'], ['never', 'Never']], '604800'),
    h('p', { class: 'form-error', id: 'invite-error', role: 'alert', hidden: true }), submit);
  const linkInput = h('input', { id: 'invite-link', readonly: true, spellcheck: 'false' });
  const copyButton = h('button', { type: 'button', class: 'btn', id: 'btn-copy-invite' }, 'Copy');
  const fresh = h('div', { class: 'invite-new', id: 'invite-new', hidden: true },
    h('label', { for: 'invite-link', text: 'New invite link' }), h('div', { class: 'copy-row' }, linkInput, copyButton));
  const statusLine = h('p', { class: 'muted small invite-status', id: 'invite-status', role: 'status' });
  const list = h('ul', { id: 'invite-list', class: 'browse-list', 'aria-labelledby': 'invites-live-title' });
  container.append(h('div', { class: 'form settings invites' },
    h('p', { class: 'muted small invite-intro', text: 'Anyone with an invite link can create an account on this server.' }),
    form, fresh, statusLine,
    h('section', { 'aria-labelledby': 'invites-live-title' },
      h('h3', { id: 'invites-live-title', text: 'Active invite links' }), list,
      h('p', { class: 'form-error', id: 'invites-error', role: 'alert', hidden: true }))));

  let shown = null; // the invite in the "New invite link" box
  const status = (text) => { statusLine.textContent = text || ''; };
  const copy = async (url, el) => status(await copyLink(url, el));

  const inviteItem = (inv) => {
    const url = h('code', { class: 'invite-url', text: inv.url });
    const metaId = 'invite-meta-' + inv.code;
    return h('li', { class: 'browse-item invite', dataset: { code: inv.code } },
      h('div', {}, url,
        h('p', { class: 'muted small', id: metaId },
          `${inviteUses(inv)} · `, h('time', { datetime: inv.expires_at || null, title: inv.expires_at ? fullTimestamp(inv.expires_at) : null, text: inviteExpiry(inv) }),
          ` · by ${displayName(inv.created_by)}`)),
      h('div', { class: 'browse-actions' },
        h('button', { type: 'button', class: 'btn subtle copy', 'aria-describedby': metaId, onclick: () => copy(inv.url, url) }, 'Copy'),
        h('button', { type: 'button', class: 'btn subtle danger revoke', 'aria-describedby': metaId, onclick: () => revoke(inv) }, 'Revoke')));
  };

  async function load() {
    fieldError('invites-error');
    try {
      const { invites } = await api.invites();
      setChildren(list, invites.length ? invites.map(inviteItem) : h('li', { class: 'muted', text: 'No active invite links.' }));
    } catch (e) { fieldError('invites-error', e.detail || e.message); }
  }

  async function revoke(inv) {
    const buttons = () => [...list.querySelectorAll('button.revoke')];
    const at = buttons().findIndex((b) => b.closest('li').dataset.code === inv.code);
    try {
      await api.revokeInvite(inv.code);
    } catch (e) { fieldError('invites-error', e.detail || e.message); return; }
    if (shown === inv.code) { shown = null; fresh.hidden = true; }
    status('Invite link revoked.');
    await load();
    // Focus stays in the list: on the next link's Revoke, else back to the form.
    const left = buttons();
    (left[Math.min(at, left.length - 1)] || submit).focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fieldError('invite-error');
    status('');
    const values = new FormData(form);
    submit.disabled = true;
    try {
      const inv = await api.createInvite(inviteBody({ uses: values.get('uses'), expires: values.get('expires') }));
      shown = inv.code;
      linkInput.value = inv.url;
      fresh.hidden = false;
      status('Invite link created: copy it and send it to the people you invite.');
      copyButton.focus();
      await load();
    } catch (err) { showProblem(err, {}, 'invite-error'); } finally { submit.disabled = false; }
  });
  copyButton.addEventListener('click', () => copy(linkInput.value, linkInput));
  linkInput.addEventListener('focus', () => linkInput.select());

  return {
    /** Fresh: the form at its defaults, no new link, the live links loaded again. `focus`: on the first choice. */
    show({ focus = false } = {}) {
      form.reset();
      fieldError('invite-error');
      status('');
      shown = null;
      fresh.hidden = true;
      setChildren(list);
      if (focus) form.querySelector('input[name=uses]:checked').focus();
      return load();
    },
  };
}
