// Keyboard shortcuts of the whole app: Ctrl/Cmd+K opens the quick switcher, `/` (when not typing
// in a field) and Ctrl/Cmd+Shift+F open message search, Alt+↑/↓ goes to the previous or next room
// of the sidebar, Escape closes the innermost open panel (dialogs close themselves). The skip link
// jumps to the message box.
import { $ } from './dom.js';
import { adjacent } from '../format.js';

/** True when keys typed at `el` are text (a field, a text area, an editable element). */
export function typingIn(el) {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes((el.type || '').toLowerCase());
}

/** store; openRoom(roomId); switcher.open(); search.open(); focusComposer(); closers: () => boolean, innermost first. */
export function initShortcuts({ store, openRoom, switcher, search, focusComposer, closers }) {
  document.addEventListener('keydown', (e) => {
    if (!store.me || $('app').hidden) return;
    const dialogOpen = Boolean(document.querySelector('dialog[open]'));
    const ctrl = e.ctrlKey || e.metaKey;
    if ((ctrl && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'f')
      || (e.key === '/' && !ctrl && !e.altKey && !dialogOpen && !typingIn(e.target))) {
      e.preventDefault();
      if (!dialogOpen) search.open();
      return;
    }
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      if (!dialogOpen) switcher.open();
      return;
    }
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown') && !dialogOpen) {
      e.preventDefault();
      const order = [...store.joinedRooms(), ...store.directRooms()].map((r) => r.id);
      const next = adjacent(order, store.activeRoomId, e.key === 'ArrowDown' ? 1 : -1);
      if (next !== null && next !== store.activeRoomId) openRoom(next);
      return;
    }
    if (e.key === 'Escape' && !dialogOpen && closers.some((close) => close())) e.preventDefault();
  });
  $('skip-link').addEventListener('click', (e) => { e.preventDefault(); focusComposer(); });
}
