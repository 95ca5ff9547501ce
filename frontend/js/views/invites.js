// The "Invite people" dialog for server admins (markup in index.html): create an invite link (how
// many people, when it expires), copy it, list the live ones and revoke them (POST, GET and DELETE
// /invites).
import { $, h, setChildren, fieldError } from './dom.js';
import { showProblem } from './auth.js';
import { inviteBody, inviteUses, inviteExpiry } from '../invites.js';
import { fullTimestamp } from '../format.js';

/** api. Returns {open()}. */
export function initInvites({ api }) {
  const dlg = $('dlg-invites');
  const form = $('form-invite');
  let shown = null; // the invite in the "New invite link" box
  const status = (text) => { $('invite-status').textContent = text || ''; };

  /** Selects the text of `el` (an input, or any element) for the person to copy. */
  const select = (el) => {
    if (el instanceof HTMLInputElement) { el.focus(); el.select(); return; }
    const range = document.createRange();
    range.selectNodeContents(el);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  };
  /** Copies `url`; without a clipboard (or its permission), selects it in `el` instead. */
  const copy = async (url, el) => {
    try {
      await navigator.clipboard.writeText(url);
      status('Link copied.');
    } catch {
      select(el);
      status('The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  };

  const inviteItem = (inv) => {
    const url = h('code', { class: 'invite-url', text: inv.url });
    const metaId = 'invite-meta-' + inv.code;
    return h('li', { class: 'browse-item invite', dataset: { code: inv.code } },
      h('div', {}, url,
        h('p', { class: 'muted small', id: metaId },
          `${inviteUses(inv)} · `, h('time', { datetime: inv.expires_at || null, title: inv.expires_at ? fullTimestamp(inv.expires_at) : null, text: inviteExpiry(inv) }),
          ` · by ${inv.created_by.username}`)),
      h('div', { class: 'browse-actions' },
        h('button', { type: 'button', class: 'btn subtle copy', 'aria-describedby': metaId, onclick: () => copy(inv.url, url) }, 'Copy'),
        h('button', { type: 'button', class: 'btn subtle danger revoke', 'aria-describedby': metaId, onclick: () => revoke(inv) }, 'Revoke')));
  };

  async function load() {
    fieldError('invites-error');
    try {
      const { invites } = await api.invites();
      setChildren($('invite-list'), invites.length ? invites.map(inviteItem) : h('li', { class: 'muted', text: 'No active invite links.' }));
    } catch (e) { fieldError('invites-error', e.detail || e.message); }
  }

  async function revoke(inv) {
    const buttons = () => [...$('invite-list').querySelectorAll('button.revoke')];
    const at = buttons().findIndex((b) => b.closest('li').dataset.code === inv.code);
    try {
      await api.revokeInvite(inv.code);
    } catch (e) { fieldError('invites-error', e.detail || e.message); return; }
    if (shown === inv.code) { shown = null; $('invite-new').hidden = true; }
    status('Invite link revoked.');
    await load();
    // Focus stays in the list: on the next link's Revoke, else back to the form.
    const left = buttons();
    (left[Math.min(at, left.length - 1)] || $('invite-submit')).focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fieldError('invite-error');
    status('');
    const values = new FormData(form);
    $('invite-submit').disabled = true;
    try {
      const inv = await api.createInvite(inviteBody({ uses: values.get('uses'), expires: values.get('expires') }));
      shown = inv.code;
      $('invite-link').value = inv.url;
      $('invite-new').hidden = false;
      status('Invite link created: copy it and send it to the people you invite.');
      $('btn-copy-invite').focus();
      await load();
    } catch (err) { showProblem(err, {}, 'invite-error'); } finally { $('invite-submit').disabled = false; }
  });
  $('btn-copy-invite').addEventListener('click', () => copy($('invite-link').value, $('invite-link')));
  $('invite-link').addEventListener('focus', () => $('invite-link').select());

  return {
    open() {
      form.reset();
      fieldError('invite-error');
      status('');
      shown = null;
      $('invite-new').hidden = true;
      setChildren($('invite-list'));
      dlg.showModal();
      form.querySelector('input[name=uses]:checked').focus();
      load();
    },
  };
}
