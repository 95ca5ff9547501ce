// The mention autocomplete of a message box: an `@` opens a list of the room's members (filtered
// by what follows it, and `room` for everyone in it) above the box; ↑ ↓ move, Enter or Tab pick,
// Escape closes (the list stays closed for that `@`), a click picks. The focus stays in the box:
// it is the list's textbox (aria-autocomplete, aria-controls, aria-activedescendant: the combobox
// pattern on a textarea, which cannot take the combobox role itself). Loaded the first time an
// `@` is typed; the room's composer and a thread's have one each.
import { h, setChildren } from './dom.js';
import { mentionAt, mentionChoices, insertMention } from '../mentions.js';

let made = 0; // numbers the lists' ids

/** form, input (its textarea); store; roomId() → the room whose members are offered; onChange() after a pick. */
export function initMentionPicker({ form, input, store, roomId, onChange }) {
  const id = `mention-list-${++made}`;
  const box = h('ul', { id, class: 'mention-list', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
  form.append(box);
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', id);
  let at = null; // the `@name` being completed: {start, query}
  let choices = [];
  let active = 0;
  let dismissed = null; // where the `@` closed with Escape starts

  function update() {
    const next = input.selectionStart === input.selectionEnd ? mentionAt(input.value, input.selectionStart) : null;
    if (!next) dismissed = null;
    if (!next || next.start === dismissed) { hide(); return; }
    choices = mentionChoices(store.members.get(roomId()) || [], next.query, { meId: store.me && store.me.id });
    if (!choices.length) { hide(); return; }
    if (!at || at.start !== next.start || at.query !== next.query) active = 0;
    at = next;
    render();
  }

  function render() {
    setChildren(box, choices.map((c, i) => h('li', {
      role: 'option', id: `${id}-${i}`, class: 'mention-opt', 'aria-selected': String(i === active),
      onmousedown: (e) => e.preventDefault(), // the box keeps the focus (and its caret)
      onclick: () => pick(i),
    }, h('span', { class: 'mention-at', 'aria-hidden': 'true', text: '@' }), c.name, c.room ? h('span', { class: 'muted small', text: ' · everyone in the room' }) : null,
      c.user && c.user.display_name ? h('span', { class: 'muted small', text: ` · ${c.user.display_name}` }) : null)));
    box.hidden = false;
    input.setAttribute('aria-activedescendant', `${id}-${active}`);
    box.children[active].scrollIntoView({ block: 'nearest' });
  }

  function hide() {
    at = null;
    choices = [];
    box.hidden = true;
    input.removeAttribute('aria-activedescendant');
  }

  function pick(i) {
    const { text, caret } = insertMention(input.value, at, input.selectionStart, choices[i].name);
    input.value = text;
    input.setSelectionRange(caret, caret);
    hide();
    onChange();
    input.focus();
  }

  // Before the box's own keys (Enter sends): a capturing listener on its form.
  form.addEventListener('keydown', (e) => {
    if (e.target !== input || box.hidden || e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (step) { active = (active + step + choices.length) % choices.length; render(); }
    else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) pick(active);
    else if (e.key === 'Escape') { dismissed = at.start; hide(); }
    else return;
    e.preventDefault();
    e.stopPropagation();
  }, true);
  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('keyup', (e) => { if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) update(); });
  input.addEventListener('blur', hide);
  update();
}
