// A list an admin manages on a page (the server's bots, a room's webhooks): loaded again after
// each change, an answer overtaken by a newer load (or by the page closing) dropped, and the focus
// kept in the list after a change.
import { h, setChildren } from './dom.js';
import { problemText } from '../admin.js';

/**
 * `list`: the <ul>; `fetch()`: a promise of the items; `item(x)`: an item's row; `empty`: the
 * {class, text} of the row shown when there is none; `say(text)`: shows the list's error (no
 * text: clears it); `fallback()`: what takes the focus when no row is left.
 * Returns {load(): a promise of whether the list shows, refocus(cls, at), drop()}.
 */
export function managedList({ list, fetch, item, empty, say, fallback }) {
  let loads = 0; // the latest load: an older answer is dropped

  async function load() {
    const n = ++loads;
    say();
    list.setAttribute('aria-busy', 'true');
    if (!list.children.length) setChildren(list, h('li', { class: 'muted small', text: 'Loading…' }));
    try {
      const items = await fetch();
      if (n !== loads) return false;
      setChildren(list, items.length ? items.map(item) : h('li', { class: `muted small ${empty.class}`, text: empty.text }));
      return true;
    } catch (e) {
      if (n === loads) { setChildren(list); say(problemText(e)); }
      return false;
    } finally { if (n === loads) list.setAttribute('aria-busy', 'false'); }
  }

  return {
    load,
    /** After a change, the focus stays in the list: on the same button (class `cls`) of the row at `at`, else on `fallback()`. */
    refocus(cls, at) {
      const buttons = [...list.querySelectorAll(`button.${cls}`)];
      (buttons[Math.min(at, buttons.length - 1)] || fallback()).focus();
    },
    /** The page closed: the rows go, and an answer still on its way is dropped. */
    drop() {
      loads++;
      setChildren(list);
      list.setAttribute('aria-busy', 'true');
    },
  };
}
