// Keyboard shortcuts of the whole app: Ctrl/Cmd+K opens the quick switcher, Alt+↑/↓ goes to the
// previous or next room of the sidebar, Escape closes the innermost open panel (dialogs close
// themselves). The skip link jumps to the message box.
import { $ } from './dom.js';
import { adjacent } from '../format.js';

/** store; openRoom(roomId); switcher.open(); focusComposer(); closers: () => boolean, innermost first. */
export function initShortcuts({ store, openRoom, switcher, focusComposer, closers }) {
  document.addEventListener('keydown', (e) => {
    if (!store.me || $('app').hidden) return;
    const dialogOpen = Boolean(document.querySelector('dialog[open]'));
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
