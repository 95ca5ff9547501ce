// Asking before an action that takes effect at once for someone else (deactivating an account,
// banning someone from a room): a small modal dialog naming the person, Cancel first. Loaded
// with the views that ask.
import { h } from './dom.js';

let dialog = null; // one dialog, built on first use

/**
 * Shows `title` and `text` with Cancel and `action` (the button's words). Resolves true when the
 * action is confirmed, false on Cancel, Escape or a click outside (or while another question is
 * open). The focus goes back to what had it.
 */
export function confirmAction({ title, text, action }) {
  if (!dialog) {
    dialog = h('dialog', { id: 'dlg-confirm', class: 'confirm-dlg', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' });
    document.body.append(dialog);
  }
  if (dialog.open) return Promise.resolve(false); // one question at a time
  const from = document.activeElement;
  const cancel = h('button', { type: 'button', class: 'btn subtle', id: 'confirm-cancel', onclick: () => dialog.close('') }, 'Cancel');
  dialog.replaceChildren(h('div', { class: 'form' },
    h('h2', { id: 'confirm-title', text: title }),
    h('p', { id: 'confirm-text', text }),
    h('div', { class: 'dialog-actions' }, cancel,
      h('button', { type: 'button', class: 'btn primary danger-fill', id: 'confirm-ok', onclick: () => dialog.close('ok') }, action))));
  dialog.returnValue = '';
  return new Promise((resolve) => {
    const outside = (e) => { if (e.target === dialog) dialog.close(''); };
    dialog.addEventListener('click', outside);
    dialog.addEventListener('close', () => {
      dialog.removeEventListener('click', outside);
      if (from && from.isConnected) from.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.showModal();
    cancel.focus();
  });
}
