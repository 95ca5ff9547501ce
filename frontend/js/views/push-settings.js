// The settings dialog's "Notifications on this device": one checkbox, "Notify me on this device
// when Confab is closed" (push.js does the work), and a status line saying honestly what this
// browser does: on, off, or why not (blocked, no push here, not HTTPS, the server's refusal).
// Loaded with the settings dialog.
import { $, h } from './dom.js';
import { DevicePush, pushText } from '../push.js';

const ON = new Set(['on', 'enabling']);
const FIXED = new Set(['unsupported', 'insecure']); // nothing a click can change

/** api. Returns {refresh() (the state shown anew), disable() (before the session ends)}. */
export function initPushSettings({ api }) {
  const push = new DevicePush({ api });
  const box = h('input', { type: 'checkbox', id: 'push-toggle', 'aria-describedby': 'push-status' });
  const status = h('p', { class: 'muted small', id: 'push-status', role: 'status' });
  const section = h('section', { 'aria-labelledby': 'push-title' },
    h('h3', { id: 'push-title', text: 'Notifications on this device' }),
    h('label', { class: 'check-row', for: 'push-toggle' }, box, ' Notify me on this device when Confab is closed'),
    status);
  $('sessions-title').closest('section').before(section);
  let busy = false;

  function show(state, detail) {
    box.checked = ON.has(state);
    box.disabled = busy || FIXED.has(state);
    status.dataset.state = state;
    status.textContent = pushText(state, detail);
  }

  box.addEventListener('change', async () => {
    const on = box.checked;
    busy = true;
    show(on ? 'enabling' : 'disabling');
    let result = { state: 'off' };
    try {
      if (on) result = await push.enable(); else await push.disable();
    } finally {
      busy = false;
    }
    show(result.state, result.detail);
    box.focus();
  });

  return {
    async refresh() { if (!busy) show(await push.state()); },
    disable: () => push.disable(),
  };
}
