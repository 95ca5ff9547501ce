// A room's webhooks, the "Webhooks" part of its settings (room-settings.js opens it): the list
// (name, kind, when added; an outgoing one's receiver URL and state: delivering, failing, or
// disabled after too many failures), "Add a webhook" (incoming: a name, its posts show under it
// with a bot tag; outgoing: a name and a receiver URL, each new message of the room is POSTed
// there and its replies show under the name), and per webhook "New address" (incoming) or "New
// secret" (outgoing; "New secret and enable" for a disabled one) and "Delete", all asked first.
// An incoming webhook's address and an outgoing one's signing secret show once, right after they
// are made, with Copy; they go when the section or the dialog closes. Loaded the first time the
// section opens; its markup is built here.
import { h, setChildren, fieldError } from './dom.js';
import { announce } from './notices.js';
import { confirmAction } from './confirm.js';
import { copyLink } from './copy.js';
import { managedList } from './managed-list.js';
import { webhooksApi } from '../webhooks-api.js';
import { problemText } from '../admin.js';
import { newWebhook, problemsByField, isOutgoing, webhookState, WEBHOOK_NAME_MAX, WEBHOOK_URL_MAX } from '../forms.js';
import { dayKey, fullTimestamp } from '../format.js';

const LABELS = { name: 'The name', target_url: 'The receiver URL', events: 'The events' };
const ERRORS = { name: 'err-webhook-name', target_url: 'err-webhook-target', events: 'err-webhook-kind' };
const KINDS = [['incoming', 'Incoming: tools post to this room'], ['outgoing', 'Outgoing: send this room\'s messages to a URL']];
const NAME_HELP = {
  incoming: 'What it posts shows under this name, with a bot tag.',
  outgoing: 'Its receiver\'s replies show under this name, with a bot tag.',
};
const code = (text) => h('code', { text });

/** api; `container`: where the section's content goes (in the document). Returns {show(room), hide()}. */
export function initWebhooks({ api, container }) {
  const hooks = webhooksApi(api);
  const list = h('ul', { id: 'webhook-list', class: 'browse-list webhook-list', 'aria-labelledby': 'webhooks-list-title', 'aria-busy': 'false' });
  const listError = h('p', { class: 'form-error', id: 'webhooks-error', role: 'alert', hidden: true });
  const statusLine = h('p', { class: 'muted small', id: 'webhooks-status', role: 'status' });

  // The address (incoming) or the secret (outgoing) just made, shown once.
  const addressLabel = h('label', { for: 'webhook-url' }, 'Address');
  const address = h('input', { id: 'webhook-url', readonly: true, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'webhook-url-once' });
  const copyButton = h('button', { type: 'button', class: 'btn', id: 'btn-copy-webhook' }, 'Copy');
  const once = h('p', { class: 'small webhook-once', id: 'webhook-url-once' });
  const fresh = h('div', { class: 'webhook-new', id: 'webhook-new', hidden: true },
    addressLabel, h('div', { class: 'copy-row' }, address, copyButton), once);

  const radios = KINDS.map(([value]) => h('input', { type: 'radio', name: 'webhook-kind', value, id: `webhook-kind-${value}`, checked: value === 'incoming' }));
  const name = h('input', { id: 'webhook-name', name: 'name', required: true, maxlength: String(WEBHOOK_NAME_MAX), autocomplete: 'off', 'aria-describedby': 'webhook-name-help err-webhook-name' });
  const nameHelp = h('p', { class: 'muted small', id: 'webhook-name-help', text: NAME_HELP.incoming });
  const target = h('input', { id: 'webhook-target', name: 'target_url', type: 'url', inputmode: 'url', maxlength: String(WEBHOOK_URL_MAX), autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'webhook-target-help err-webhook-target' });
  const targetPart = h('div', { class: 'form-fields', id: 'webhook-target-part', hidden: true },
    h('label', { for: 'webhook-target', text: 'Receiver URL' }), target,
    h('p', { class: 'muted small', id: 'webhook-target-help' },
      'Each new message of the room is POSTed there as JSON, signed with a secret shown once. If it answers ',
      code('{"text": "…"}'), ', that text is posted to the room under the webhook\'s name.'),
    h('p', { class: 'field-error', id: 'err-webhook-target', hidden: true }));
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'webhook-add' }, 'Add webhook');
  const form = h('form', { class: 'form webhook-form', id: 'form-webhook', novalidate: true, 'aria-labelledby': 'webhook-add-title' },
    h('h3', { id: 'webhook-add-title', text: 'Add a webhook' }),
    h('fieldset', { class: 'radio-row', id: 'webhook-kind', 'aria-describedby': 'err-webhook-kind' }, h('legend', { text: 'Kind' }),
      KINDS.map(([, label], i) => h('label', {}, radios[i], ' ', label))),
    h('p', { class: 'field-error', id: 'err-webhook-kind', hidden: true }),
    h('label', { for: 'webhook-name', text: 'Name' }), name, nameHelp,
    h('p', { class: 'field-error', id: 'err-webhook-name', hidden: true }),
    targetPart,
    h('p', { class: 'form-error', id: 'webhook-form-error', role: 'alert', hidden: true }),
    submit);

  container.append(
    h('p', { class: 'muted small', text: 'An incoming webhook is a secret address at which tools (CI, monitoring) post to the room; an outgoing one sends each new message of the room to a receiver URL, which may answer in the room.' }),
    h('h3', { id: 'webhooks-list-title', text: 'Webhooks of this room' }), list, listError,
    fresh, statusLine, form);

  let room = null; // the room shown ({id, name})
  const status = (text) => { statusLine.textContent = text || ''; };
  const sayList = (text) => fieldError('webhooks-error', text);
  const { load, refocus, drop } = managedList({
    list,
    fetch: async () => (await hooks.list(room.id)).webhooks,
    item,
    empty: { class: 'empty', text: 'No webhooks yet.' },
    say: sayList,
    fallback: () => name,
  });
  const clearForm = () => { for (const id of [...Object.values(ERRORS), 'webhook-form-error']) fieldError(id); };
  const kind = () => (radios[1].checked ? 'outgoing' : 'incoming');

  /** The form as the chosen kind asks: the receiver URL only for an outgoing webhook. */
  function showKind() {
    const outgoing = kind() === 'outgoing';
    targetPart.hidden = !outgoing;
    target.required = outgoing;
    nameHelp.textContent = NAME_HELP[kind()];
    fieldError('err-webhook-target');
  }

  /** The refusals by field (ERRORS), under their fields; the focus on the first. */
  function showErrors(fields) {
    for (const [f, text] of Object.entries(fields)) fieldError(ERRORS[f], text);
    if (fields.name) name.focus();
    else if (fields.target_url) target.focus();
    else if (fields.events) radios.find((r) => r.checked).focus();
  }

  function hideAddress() {
    fresh.hidden = true;
    address.value = '';
    delete fresh.dataset.webhookId;
    delete fresh.dataset.kind;
  }

  /**
   * Shows once, for the person to copy, an incoming webhook's `url` or an outgoing one's `secret`
   * (with how to check a delivery's signature); the focus goes to Copy.
   */
  function showAddress(hook, what) {
    const outgoing = isOutgoing(hook);
    addressLabel.textContent = `${what} of ${hook.name}`;
    address.value = (outgoing ? hook.secret : hook.url) || '';
    if (outgoing) {
      setChildren(once, 'Copy it now: it will not be shown again. Every delivery is signed with it: check that its ',
        code('X-Confab-Signature'), ' header is ', code('sha256=HMAC-SHA256(body, secret)'),
        ' (in hex, over the raw body) before trusting it.');
    } else {
      once.textContent = 'Copy it now: it will not be shown again. Anyone with this address can post to the room; tools that post like Slack\'s incoming webhooks work with it.';
    }
    fresh.dataset.webhookId = String(hook.id);
    fresh.dataset.kind = outgoing ? 'outgoing' : 'incoming';
    fresh.hidden = false;
    copyButton.focus();
  }

  function item(hook) {
    const outgoing = isOutgoing(hook);
    const state = webhookState(hook);
    const [words, label] = !outgoing ? ['New address', `New address for ${hook.name}`]
      : hook.disabled ? ['New secret and enable', `New secret and enable ${hook.name}`]
        : ['New secret', `New secret for ${hook.name}`];
    return h('li', { class: 'browse-item webhook', dataset: { webhookId: String(hook.id), kind: outgoing ? 'outgoing' : 'incoming' } },
      h('div', { class: 'webhook-main' },
        h('strong', { class: 'webhook-title', text: hook.name }), ' ',
        h('span', { class: 'role bot-tag', text: 'bot' }),
        outgoing
          ? h('p', { class: 'small webhook-kind' }, 'Outgoing, to ', h('span', { class: 'webhook-target-url', text: hook.target_url || '' }))
          : h('p', { class: 'small webhook-kind', text: 'Incoming: tools post at its address' }),
        state ? h('p', { class: `small webhook-state ${state.state}`, text: state.text }) : null,
        h('p', { class: 'muted small' }, 'Added ', h('time', { datetime: hook.created_at, title: fullTimestamp(hook.created_at), text: dayKey(hook.created_at) }))),
      h('div', { class: 'browse-actions' },
        h('button', { type: 'button', class: 'btn subtle mini rotate', 'aria-label': label, onclick: () => rotate(hook) }, words),
        h('button', { type: 'button', class: 'btn subtle mini danger delete', 'aria-label': `Delete ${hook.name}`, onclick: () => remove(hook) }, 'Delete')));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearForm();
    status('');
    const { body, errors } = newWebhook({ name: name.value, kind: kind(), targetUrl: target.value });
    if (errors) { showErrors(errors); return; }
    const r = room;
    submit.disabled = true;
    try {
      const hook = await hooks.create(r.id, body);
      if (room !== r) return;
      name.value = '';
      target.value = '';
      await load();
      const what = isOutgoing(hook) ? 'secret' : 'address';
      showAddress(hook, what === 'secret' ? 'Secret' : 'Address');
      status(`Webhook ${hook.name} added: copy its ${what} now, it will not be shown again.`);
    } catch (err) {
      const { fields, general } = problemsByField(err, LABELS);
      showErrors(fields);
      if (general) fieldError('webhook-form-error', general);
    } finally { submit.disabled = false; }
  });

  async function rotate(hook) {
    const r = room;
    const outgoing = isOutgoing(hook);
    const ok = await confirmAction(outgoing ? {
      title: `Give ${hook.name} a new secret?`,
      text: 'Its current secret stops being valid at once: its receiver must check the signatures with the new one.'
        + (hook.disabled ? ' The webhook is enabled again and delivers the messages it missed, from where it stopped.' : ''),
      action: hook.disabled ? 'New secret and enable' : 'New secret',
    } : {
      title: `Give ${hook.name} a new address?`,
      text: `Its current address stops working at once: tools posting to it must be given the new one.`,
      action: 'New address',
    });
    if (!ok || room !== r) return;
    sayList();
    status('');
    try {
      const fresher = await hooks.rotate(r.id, hook.id);
      if (room !== r) return;
      if (!outgoing) {
        showAddress(fresher, 'New address');
        status(`${hook.name} has a new address: copy it now, it will not be shown again. The old one no longer works.`);
        return;
      }
      await load(); // its state: delivering again
      if (room !== r) return;
      showAddress(fresher, 'New secret');
      status(`${hook.name} has a new secret${hook.disabled ? ' and is enabled again' : ''}: copy it now, it will not be shown again. The old one is no longer valid.`);
    } catch (e) { sayList(problemText(e)); }
  }

  async function remove(hook) {
    const r = room;
    const ok = await confirmAction({
      title: `Delete the webhook ${hook.name}?`,
      text: `${isOutgoing(hook) ? 'Its deliveries stop' : 'Its address stops working'} at once and its account leaves #${r.name}. What it posted stays.`,
      action: `Delete ${hook.name}`,
    });
    if (!ok || room !== r) return;
    sayList();
    status('');
    const at = [...list.querySelectorAll('button.delete')].findIndex((b) => b.closest('li').dataset.webhookId === String(hook.id));
    try { await hooks.remove(r.id, hook.id); } catch (e) { sayList(problemText(e)); return; }
    if (room !== r) return;
    if (fresh.dataset.webhookId === String(hook.id)) hideAddress();
    announce(`Webhook ${hook.name} deleted.`);
    status(`Webhook ${hook.name} deleted.`);
    await load();
    refocus('delete', Math.max(0, at));
  }

  copyButton.addEventListener('click', async () => status(await copyLink(address.value, address, fresh.dataset.kind === 'outgoing' ? 'secret' : 'link')));
  form.addEventListener('change', (e) => { if (e.target.name === 'webhook-kind') showKind(); });
  address.addEventListener('focus', () => address.select());

  return {
    /** Fresh for `r` (a room: {id, name}): no address or secret shown, the form empty (incoming), the list loaded again. */
    show(r) {
      if (!room || room.id !== r.id) setChildren(list); // never another room's list, even for a moment
      room = r;
      hideAddress();
      clearForm();
      status('');
      name.value = '';
      target.value = '';
      radios[0].checked = true;
      showKind();
      return load();
    },
    /** The section closed: the address or secret shown goes (it is never shown again), the list is loaded again at the next opening. */
    hide() {
      hideAddress();
      status('');
      drop();
    },
  };
}
