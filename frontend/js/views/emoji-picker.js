// The composer's emoji picker: a small grid of buttons (js/emoji.js) that inserts the character at
// the caret. Arrow keys move within the grid, Escape closes it and returns to the message box.
import { $, h } from './dom.js';
import { pickerEmoji } from '../emoji.js';

const COLUMNS = 8;

/** input: the textarea; onChange() after an insert. Returns {close() → true if it was open}. */
export function initEmojiPicker({ input, onChange }) {
  const btn = $('btn-emoji');
  const panel = $('emoji-picker');
  const buttons = pickerEmoji().map(([name, ch]) => h('button', {
    type: 'button', class: 'emoji-choice', title: `:${name}:`, 'aria-label': name.replace(/_/g, ' '),
    onclick: () => insert(ch),
  }, ch));
  panel.append(...buttons);

  function insert(ch) {
    const { selectionStart: a, selectionEnd: b, value } = input;
    input.value = value.slice(0, a) + ch + value.slice(b);
    input.setSelectionRange(a + ch.length, a + ch.length);
    close();
    input.focus();
    onChange();
  }
  function open() {
    panel.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    buttons[0].focus();
  }
  function close() {
    if (panel.hidden) return false;
    panel.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    return true;
  }
  btn.addEventListener('click', () => { if (panel.hidden) open(); else close(); });
  panel.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (step && i >= 0) { e.preventDefault(); buttons[Math.max(0, Math.min(buttons.length - 1, i + step))].focus(); }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); input.focus(); }
  });
  document.addEventListener('click', (e) => { if (!panel.hidden && !panel.contains(e.target) && e.target !== btn) close(); });
  return { close };
}
