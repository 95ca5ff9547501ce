// Transient notices: the toast everyone sees, and the live region screen readers announce.
import { $, h } from './dom.js';

let toastTimer = 0; // one toast at a time: a new one restarts the 5 s

export function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

/** Reads `text` out (the region keeps the last three). */
export function announce(text) {
  const live = $('live');
  live.append(h('p', { text }));
  while (live.childElementCount > 3) live.firstElementChild.remove();
}
