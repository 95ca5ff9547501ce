// The server's bots, the "Bots" tab of Administration (views/admin.js shows it): the list (display
// name, @username, the bot tag, when it was added), "Create a bot" (a username and maybe a display
// name; the form's and the server's refusals at their fields), the bot's API token shown once,
// right after it is made, with Copy and how to use it (`Authorization: Bearer <token>`); it goes
// when the tab or the page closes. Per bot "New token" (the old one stops working) and
// "Deactivate" (the bot leaves the list, its token stops working, what it posted stays), both
// asked first. Its markup is built here: only server admins ever load it.
import { h, fieldError } from './dom.js';
import { announce } from './notices.js';
import { confirmAction } from './confirm.js';
import { copyLink } from './copy.js';
import { managedList } from './managed-list.js';
import { botsApi } from '../bots-api.js';
import { problemText } from '../admin.js';
import { newBot, problemsByField, BOT_TAKEN, USERNAME_MAX, DISPLAY_NAME_MAX } from '../forms.js';
import { dayKey, fullTimestamp } from '../format.js';

const LABELS = { username: 'The username', display_name: 'The display name' };
const ERRORS = { username: 'err-bot-username', display_name: 'err-bot-display-name' };
const code = (text) => h('code', { text });
/** A bot as the page names it: "Deploy Bot (@deploy-bot)", or its username alone. */
const who = (bot) => (bot.display_name ? `${bot.display_name} (@${bot.username})` : bot.username);

/** api; `container`: where the tab's content goes (in the document). Returns {show({focus}), hide()}. */
export function initBots({ api, container }) {
  const bots = botsApi(api);
  const list = h('ul', { id: 'bot-list', class: 'browse-list admin-list bot-list', 'aria-labelledby': 'bots-list-title', 'aria-busy': 'false' });
  const listError = h('p', { class: 'form-error', id: 'bots-error', role: 'alert', hidden: true });
  const statusLine = h('p', { class: 'muted small', id: 'bots-status', role: 'status' });

  // The token just made (by create or "New token"), shown once.
  const tokenLabel = h('label', { for: 'bot-token' }, 'Token');
  const tokenInput = h('input', { id: 'bot-token', readonly: true, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'bot-token-once bot-token-use' });
  const copyButton = h('button', { type: 'button', class: 'btn', id: 'btn-copy-bot-token' }, 'Copy');
  const fresh = h('div', { class: 'bot-new form', id: 'bot-new', hidden: true },
    tokenLabel, h('div', { class: 'copy-row' }, tokenInput, copyButton),
    h('p', { class: 'small bot-once', id: 'bot-token-once', text: 'Copy it now: it will not be shown again.' }),
    h('p', { class: 'small', id: 'bot-token-use' }, 'Use it as ', code('Authorization: Bearer <token>'),
      ' on the API (and as the token of the WebSocket\'s auth frame). The bot joins a public room with ',
      code('PUT /api/v1/rooms/{id}/members/me'), ' and posts with ', code('POST /api/v1/rooms/{id}/messages'), '.'));

  const username = h('input', { id: 'bot-username', name: 'username', required: true, maxlength: String(USERNAME_MAX), autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': 'bot-username-help err-bot-username' });
  const displayName = h('input', { id: 'bot-display-name', name: 'display_name', maxlength: String(DISPLAY_NAME_MAX), autocomplete: 'off', 'aria-describedby': 'bot-display-name-help err-bot-display-name' });
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'bot-add' }, 'Create bot');
  const form = h('form', { class: 'form bot-form', id: 'form-bot', novalidate: true, 'aria-labelledby': 'bot-add-title' },
    h('h3', { id: 'bot-add-title', text: 'Create a bot' }),
    h('label', { for: 'bot-username', text: 'Username' }), username,
    h('p', { class: 'muted small', id: 'bot-username-help', text: '3 to 32 letters, digits, _ . or -, as a person\'s username; people mention the bot with it.' }),
    h('p', { class: 'field-error', id: 'err-bot-username', hidden: true }),
    h('label', { for: 'bot-display-name', text: 'Display name (optional)' }), displayName,
    h('p', { class: 'muted small', id: 'bot-display-name-help', text: 'Shown on its messages in place of the username, with a bot tag.' }),
    h('p', { class: 'field-error', id: 'err-bot-display-name', hidden: true }),
    h('p', { class: 'form-error', id: 'bot-form-error', role: 'alert', hidden: true }),
    submit);

  container.append(h('div', { class: 'bots' },
    h('p', { class: 'muted small', text: 'A bot is an account for an integration (a CI notifier, alerting, a deploy tool): it uses an API token instead of a password, joins rooms and posts as people do, and shows with a bot tag.' }),
    h('h3', { id: 'bots-list-title', text: 'Bots on this server' }), list, listError,
    fresh, statusLine, form));

  let shown = 0; // bumped by show and hide: an answer on its way for a tab since closed is dropped
  const status = (text) => { statusLine.textContent = text || ''; };
  const sayList = (text) => fieldError('bots-error', text);
  const { load, refocus, drop } = managedList({
    list,
    fetch: async () => (await bots.list()).bots,
    item,
    empty: { class: 'empty-bots', text: 'No bots yet.' },
    say: sayList,
    fallback: () => username,
  });
  const clearForm = () => { for (const id of [...Object.values(ERRORS), 'bot-form-error']) fieldError(id); };

  /** The refusals by field (ERRORS), under their fields; the focus on the first. */
  function showErrors(fields) {
    for (const [f, text] of Object.entries(fields)) fieldError(ERRORS[f], text);
    if (fields.username) username.focus();
    else if (fields.display_name) displayName.focus();
  }

  function hideToken() {
    fresh.hidden = true;
    tokenInput.value = '';
    delete fresh.dataset.userId;
  }

  /** Shows once, for the person to copy, the token of `bot`; the focus goes to Copy. */
  function showToken(bot, token, what) {
    tokenLabel.textContent = `${what} of ${who(bot)}`;
    tokenInput.value = token || '';
    fresh.dataset.userId = String(bot.id);
    fresh.hidden = false;
    copyButton.focus();
  }

  function item(bot) {
    const metaId = `bot-meta-${bot.id}`;
    const name = who(bot);
    return h('li', { class: 'browse-item bot', dataset: { userId: String(bot.id) } },
      h('div', { class: 'bot-main' },
        h('strong', { class: 'bot-name', text: bot.display_name || bot.username }), ' ',
        h('span', { class: 'bot-username muted', text: '@' + bot.username }),
        h('span', { class: 'tag bot-tag', text: 'bot' }),
        h('p', { class: 'muted small', id: metaId }, 'Added ',
          h('time', { datetime: bot.created_at, title: fullTimestamp(bot.created_at), text: dayKey(bot.created_at) }), ' · active')),
      h('div', { class: 'browse-actions' },
        h('button', { type: 'button', class: 'btn subtle rotate', 'aria-label': `New token for ${name}`, 'aria-describedby': metaId, onclick: () => rotate(bot) }, 'New token'),
        h('button', { type: 'button', class: 'btn subtle danger deactivate', 'aria-label': `Deactivate ${name}`, 'aria-describedby': metaId, onclick: () => remove(bot) }, 'Deactivate')));
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearForm();
    status('');
    const { body, errors } = newBot({ username: username.value, displayName: displayName.value });
    if (errors) { showErrors(errors); return; }
    const at = shown;
    submit.disabled = true;
    try {
      const { user, token } = await bots.create(body);
      if (at !== shown) return;
      username.value = '';
      displayName.value = '';
      await load();
      if (at !== shown) return;
      showToken(user, token, 'Token');
      status(`Bot ${who(user)} created: copy its token now, it will not be shown again.`);
    } catch (err) {
      if (at !== shown) return;
      const { fields, general } = problemsByField(err, LABELS, BOT_TAKEN);
      showErrors(fields);
      if (general) fieldError('bot-form-error', general);
    } finally { submit.disabled = false; }
  });

  async function rotate(bot) {
    const name = who(bot);
    const at = shown;
    const ok = await confirmAction({
      title: `Give ${name} a new token?`,
      text: 'Its current token stops working at once and its open connections close: the integration using it must be given the new one.',
      action: 'New token',
    });
    if (!ok || at !== shown) return;
    sayList();
    status('');
    try {
      const { token } = await bots.rotate(bot.id);
      if (at !== shown) return;
      showToken(bot, token, 'New token');
      status(`${name} has a new token: copy it now, it will not be shown again. The old one no longer works.`);
    } catch (e) { if (at === shown) sayList(problemText(e)); }
  }

  async function remove(bot) {
    const name = who(bot);
    const at = shown;
    const ok = await confirmAction({
      title: `Deactivate the bot ${name}?`,
      text: `Its token stops working at once, its connections close and it leaves this list. What it posted stays; among People it shows as deactivated.`,
      action: `Deactivate ${bot.username}`,
    });
    if (!ok || at !== shown) return;
    sayList();
    status('');
    const index = [...list.querySelectorAll('button.deactivate')].findIndex((b) => b.closest('li').dataset.userId === String(bot.id));
    try { await bots.remove(bot.id); } catch (e) { if (at === shown) sayList(problemText(e)); return; }
    if (at !== shown) return;
    if (fresh.dataset.userId === String(bot.id)) hideToken();
    announce(`Bot ${name} deactivated.`);
    status(`Bot ${name} deactivated: its token no longer works.`);
    await load();
    if (at === shown) refocus('deactivate', Math.max(0, index));
  }

  copyButton.addEventListener('click', async () => status(await copyLink(tokenInput.value, tokenInput, 'token')));
  tokenInput.addEventListener('focus', () => tokenInput.select());

  return {
    /** Fresh: no token shown, the form empty, the list loaded again. `focus`: on the username box. */
    show({ focus = false } = {}) {
      shown++;
      hideToken();
      clearForm();
      status('');
      username.value = '';
      displayName.value = '';
      if (focus) username.focus();
      return load();
    },
    /** The tab or the page closed: the token shown goes (it is never shown again); the list is loaded again at the next show. */
    hide() {
      shown++;
      hideToken();
      status('');
      drop();
    },
  };
}
