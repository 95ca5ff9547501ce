// A message box: Enter sends (Shift+Enter: a new line), the character count near the limit
// (counted as the server counts), throttled typing notices, Send held while its files upload, and
// what it sends: the text and the files uploaded for it (either may be missing, not both). The
// room's composer and a thread's have one each; an `@` loads the mention autocomplete
// (mention-picker.js) the first time.
import { toast } from './notices.js';
import { bodyCounter, MAX_BODY } from '../format.js';

/**
 * form, input, count (the counter), button (Send); store, sync; roomId() → the room it writes in;
 * uploads() → its files (uploads.js) once loaded, else null; send(body, files); onEmptyUp() →
 * true when ArrowUp in the empty box did something; onPicked() after a mention picked changed
 * the text (no input event). Returns {updateCount(), updateSend()}.
 */
export function initComposer({ form, input, count, button, store, sync, roomId, uploads, send, onEmptyUp = () => false, onPicked = () => {} }) {
  let typingTimer = 0; // a trailing typing notice is scheduled
  let mentions = null; // the autocomplete, once asked for

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    if (e.key === 'ArrowUp' && input.value === '' && onEmptyUp()) e.preventDefault();
  });
  // Typing notices are throttled (sync.typing); a keystroke inside the window schedules one
  // trailing notice so a short burst is still announced.
  function sendTyping() {
    typingTimer = 0;
    if (!input.value.trim() || !roomId()) return;
    const wait = sync.typing(roomId());
    if (wait > 0) typingTimer = setTimeout(sendTyping, wait);
  }
  input.addEventListener('input', () => {
    updateCount();
    if (!typingTimer) sendTyping();
    if (!mentions && input.value.includes('@')) {
      mentions = import('./mention-picker.js').then((m) => m.initMentionPicker({ form, input, store, roomId, onChange: () => { updateCount(); onPicked(); } }))
        .catch(() => { mentions = null; });
    }
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });

  /** Shows the count near the limit, the way the server counts (code points of what is sent). */
  function updateCount() {
    const c = bodyCounter(input.value);
    count.hidden = !c;
    count.textContent = c ? c.text : '';
    count.classList.toggle('over', Boolean(c && c.over));
  }

  function updateSend() { button.disabled = Boolean(uploads()) && uploads().busy(); }

  function submit() {
    const body = input.value.trim();
    const up = uploads();
    if (!roomId()) return;
    if (up && up.busy()) { toast('Your files are still uploading: send once they are up, or cancel them.'); return; }
    if (!body && !(up && up.files().length)) return;
    const c = bodyCounter(body);
    if (c && c.over) { toast(`Messages can be at most ${MAX_BODY} characters (this one has ${c.text.split(' ')[0]}).`); return; }
    const attached = up ? up.take() : [];
    input.value = '';
    updateCount();
    clearTimeout(typingTimer);
    typingTimer = 0;
    send(body, attached);
  }

  return { updateCount, updateSend };
}
