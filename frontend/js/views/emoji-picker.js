// The emoji picker: a grid of buttons (js/emoji.js), the recently used ones first, opened by the
// composer's button (it inserts the character at the caret) or for a message (it reacts). It shows
// by what it was opened for (above it, else below) and follows it while the page scrolls. Arrow
// keys move within the grid and typing a name jumps to it; Escape closes it and returns the focus,
// Tab leaves it from where it was opened.
import { $, h } from './dom.js';
import { EMOJI, pickerEmoji, withRecent } from '../emoji.js';

const COLUMNS = 8;
const RECENT_KEY = 'confab.recent-emoji';
const TYPED_MS = 1000; // letters typed this close together spell one name

/**
 * input: the composer's textarea; onChange() after an insert. Returns {open(opts), toggle(opts),
 * close() → true if it was open, forComposer(button, field, onChange): another composer's emoji
 * button}; opts: {label, anchor() → the element to show by (none: it closes), opener (the button
 * that opened it, or none), onPick(ch), back() (where the focus returns)}.
 */
export function initEmojiPicker({ input, onChange }) {
  const panel = $('emoji-picker');
  const names = new Map(); // character -> all its names (aliases too), for typing
  for (const [name, ch] of EMOJI) names.set(ch, [...(names.get(ch) || []), name]);
  const buttons = new Map(pickerEmoji().map(([name, ch]) => [ch, h('button', {
    type: 'button', class: 'emoji-choice', title: `:${name}:`, 'aria-label': name.replace(/_/g, ' '), onclick: () => pick(ch),
  }, ch)]));
  let recent = loadRecent();
  let current = null; // the open picker's opts
  let typed = '';
  let typedAt = -Infinity;

  function open(opts) {
    close();
    current = opts;
    panel.setAttribute('aria-label', opts.label);
    panel.replaceChildren(...pickerEmoji(recent).map(([, ch]) => buttons.get(ch)));
    panel.hidden = false;
    if (opts.opener) opts.opener.setAttribute('aria-expanded', 'true');
    place();
    if (current) panel.firstElementChild.focus();
  }
  function close() {
    if (!current) return false;
    panel.hidden = true;
    if (current.opener) current.opener.setAttribute('aria-expanded', 'false');
    current = null;
    return true;
  }
  const toggle = (opts) => { if (current && current.opener === opts.opener) close(); else open(opts); };

  /** Above the anchor when it fits, else below it; inside the window. */
  function place() {
    const a = current.anchor();
    if (!a) { close(); return; }
    const r = a.getBoundingClientRect();
    const { offsetWidth: w, offsetHeight: ht } = panel;
    const above = r.top - ht - 6;
    panel.style.top = `${Math.max(8, above >= 8 ? above : Math.min(r.bottom + 6, innerHeight - ht - 8))}px`;
    panel.style.left = `${Math.max(8, Math.min(r.right - w, innerWidth - w - 8))}px`;
  }

  function pick(ch) {
    const { onPick, back } = current;
    recent = withRecent(recent, ch);
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(recent)); } catch { /* private mode: for this page only */ }
    close();
    back();
    onPick(ch);
  }

  /** A composer's emoji button: the picker opens by it and inserts at the caret of `field`. */
  function forComposer(btn, field, changed) {
    const insert = (ch) => {
      const { selectionStart: a, selectionEnd: b, value } = field;
      field.value = value.slice(0, a) + ch + value.slice(b);
      field.setSelectionRange(a + ch.length, a + ch.length);
      changed();
    };
    btn.addEventListener('click', () => toggle({ label: 'Emoji', anchor: () => btn, opener: btn, onPick: insert, back: () => field.focus() }));
  }
  forComposer($('btn-emoji'), input, onChange);

  panel.addEventListener('keydown', (e) => {
    const all = [...panel.children];
    const i = all.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS }[e.key];
    if (step && i >= 0) { e.preventDefault(); all[Math.max(0, Math.min(all.length - 1, i + step))].focus(); }
    if (e.key === 'Escape' || e.key === 'Tab') {
      // Tab goes on from where the picker was opened: the focus is back there before the browser moves it.
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); }
      const { back } = current;
      close();
      back();
    }
    if (e.key.length === 1 && e.key !== ' ' && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      e.stopPropagation();
      typed = (e.timeStamp - typedAt < TYPED_MS ? typed : '') + e.key.toLowerCase();
      typedAt = e.timeStamp;
      const hit = all.find((b) => names.get(b.textContent).includes(typed)) || all.find((b) => names.get(b.textContent).some((n) => n.startsWith(typed)));
      if (hit) hit.focus();
    }
  });
  document.addEventListener('click', (e) => { if (current && !panel.contains(e.target) && !(current.opener && current.opener.contains(e.target))) close(); });
  document.addEventListener('scroll', () => { if (current) place(); }, { capture: true, passive: true });
  window.addEventListener('resize', () => { if (current) place(); });
  return { open, toggle, close, forComposer };
}

function loadRecent() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY));
    return Array.isArray(list) ? list.filter((ch) => typeof ch === 'string') : [];
  } catch { return []; }
}
