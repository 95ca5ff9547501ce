// What the settings forms send and say, without the DOM: a room's name and topic (PATCH
// /rooms/{id}), my profile (PATCH /me) and avatar (PUT /me/avatar), the server's name and
// registration (PATCH /admin/server), a new webhook (POST /rooms/{id}/webhooks, incoming or
// outgoing) and an outgoing one's state, a new bot (POST /bots); their own checks before sending,
// and the server's refusals as sentences by field. Loaded with the views that use them.
import { charCount } from './format.js';
import { sentence, problemText } from './admin.js';

export const ROOM_NAME_MAX = 64;
export const TOPIC_MAX = 512;
export const DISPLAY_NAME_MAX = 64;
export const STATUS_MAX = 140;
export const SERVER_NAME_MAX = 64;
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const REGISTRATIONS = ['open', 'invite', 'closed'];
export const WEBHOOK_NAME_MAX = 64;
export const WEBHOOK_URL_MAX = 2000;
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
const USERNAME_CHARS = /^[A-Za-z0-9_.-]+$/; // what a username is made of (as the server checks it)

/**
 * The body of PATCH /rooms/{id} from the form's values: only what changed (trimmed, as the server
 * stores it). `{body, errors}`: errors by field ('name', 'topic') when the form's own checks fail.
 */
export function roomChanges(room, { name, topic }) {
  const errors = {};
  const n = String(name ?? '').trim();
  const t = String(topic ?? '').trim();
  if (!n) errors.name = 'Give the room a name.';
  else if (charCount(n) > ROOM_NAME_MAX) errors.name = `Use at most ${ROOM_NAME_MAX} characters.`;
  if (charCount(t) > TOPIC_MAX) errors.topic = `Use at most ${TOPIC_MAX} characters.`;
  if (Object.keys(errors).length) return { body: null, errors };
  const body = {};
  if (n !== room.name) body.name = n;
  if (t !== (room.topic || '')) body.topic = t;
  return { body, errors: null };
}

/**
 * The body of PATCH /me from the form's values: only what changed; an empty field clears it (an
 * empty string). `{body, errors}` as roomChanges ('display_name', 'status').
 */
export function profileChanges(me, { displayName, status }) {
  const errors = {};
  const d = String(displayName ?? '').trim();
  const s = String(status ?? '').trim();
  if (charCount(d) > DISPLAY_NAME_MAX) errors.display_name = `Use at most ${DISPLAY_NAME_MAX} characters.`;
  if (charCount(s) > STATUS_MAX) errors.status = `Use at most ${STATUS_MAX} characters.`;
  if (Object.keys(errors).length) return { body: null, errors };
  const body = {};
  if (d !== (me.display_name || '')) body.display_name = d;
  if (s !== (me.status || '')) body.status = s;
  return { body, errors: null };
}

/**
 * The body of POST /rooms/{id}/webhooks from the form's values (trimmed): an incoming webhook
 * (`kind` 'incoming', the default: `{name}`) or an outgoing one ('outgoing': `{name, target_url,
 * events: ["message"]}`, its receiver an absolute http(s) URL). `{body, errors}` as roomChanges
 * ('name', 'target_url').
 */
export function newWebhook({ name, kind = 'incoming', targetUrl }) {
  const errors = {};
  const n = String(name ?? '').trim();
  if (!n) errors.name = 'Give the webhook a name: its posts show under it.';
  else if (charCount(n) > WEBHOOK_NAME_MAX) errors.name = `Use at most ${WEBHOOK_NAME_MAX} characters.`;
  const outgoing = kind === 'outgoing';
  const t = String(targetUrl ?? '').trim();
  if (outgoing) {
    let url = null;
    try { url = new URL(t); } catch { /* not a URL */ }
    if (!t) errors.target_url = 'Give the receiver\'s URL: each message of the room is sent there.';
    else if (charCount(t) > WEBHOOK_URL_MAX) errors.target_url = `Use at most ${WEBHOOK_URL_MAX} characters.`;
    else if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) errors.target_url = 'Use a full address starting with https:// or http://, such as https://example.com/hook.';
  }
  if (Object.keys(errors).length) return { body: null, errors };
  return { body: outgoing ? { name: n, target_url: t, events: ['message'] } : { name: n }, errors: null };
}

/**
 * The body of POST /bots from the form's values (trimmed): `{username}`, with `display_name` only
 * when one is given. The username as a person's: 3 to 32 letters, digits, `_`, `.` or `-`; the
 * display name at most 64 characters as the server counts them. `{body, errors}` as roomChanges
 * ('username', 'display_name').
 */
export function newBot({ username, displayName }) {
  const errors = {};
  const u = String(username ?? '').trim();
  const d = String(displayName ?? '').trim();
  if (!u) errors.username = 'Give the bot a username: it is how it is mentioned and known.';
  else if (!USERNAME_CHARS.test(u)) errors.username = 'Use only letters, digits and _ . - (no spaces).';
  else if (u.length < USERNAME_MIN || u.length > USERNAME_MAX) errors.username = `Use ${USERNAME_MIN} to ${USERNAME_MAX} characters.`;
  if (charCount(d) > DISPLAY_NAME_MAX) errors.display_name = `Use at most ${DISPLAY_NAME_MAX} characters.`;
  if (Object.keys(errors).length) return { body: null, errors };
  return { body: d ? { username: u, display_name: d } : { username: u }, errors: null };
}

/** The server's refusals of POST /bots that belong to the username without naming it (a 409). */
export const BOT_TAKEN = {
  username_taken: ['username', 'That username is taken (by a person or a bot): pick another.'],
  conflict: ['username', 'That username is taken (by a person or a bot): pick another.'],
};

/** An outgoing webhook (it sends the room's messages to its `target_url`), not an incoming one. */
export const isOutgoing = (hook) => Boolean(hook && (hook.target_url || (hook.events || []).includes('message')));

/**
 * An outgoing webhook's state as its list says it: `{state, text}`, state 'delivering', 'failing'
 * (`failures` in a row, still retried) or 'disabled' (after too many: until a new secret); null
 * for an incoming webhook.
 */
export function webhookState(hook) {
  if (!isOutgoing(hook)) return null;
  const failures = Number(hook.failures) || 0;
  const error = String(hook.last_error ?? '').trim();
  if (hook.disabled) {
    const after = `Disabled after ${failures} ${failures === 1 ? 'failure' : 'failures'}`;
    return { state: 'disabled', text: error ? `${after}: ${error}` : `${after}.` };
  }
  if (failures > 0) return { state: 'failing', text: `Failing: ${error || 'no answer'} (${failures} in a row)` };
  return { state: 'delivering', text: 'Delivering' };
}

/** Why a picked file cannot be my avatar before uploading it (null: it may be). */
export function avatarProblem(file) {
  if (!file) return 'Pick an image.';
  if (file.type && !file.type.startsWith('image/')) return 'Pick an image (PNG, JPEG, GIF or WebP).';
  if (file.size > AVATAR_MAX_BYTES) return 'The image is too large: at most 5 MB.';
  return null;
}

/** The body of PATCH /admin/server from the form's values: only what changed. `{body, errors}` ('name', 'registration'). */
export function serverChanges(server, { name, registration }) {
  const errors = {};
  const n = String(name ?? '').trim();
  if (!n) errors.name = 'Give the server a name.';
  else if (charCount(n) > SERVER_NAME_MAX) errors.name = `Use at most ${SERVER_NAME_MAX} characters.`;
  if (!REGISTRATIONS.includes(registration)) errors.registration = 'Pick who may create an account.';
  if (Object.keys(errors).length) return { body: null, errors };
  const body = {};
  if (n !== server.name) body.name = n;
  if (registration !== server.registration) body.registration = registration;
  return { body, errors: null };
}

/**
 * A refusal (an ApiError) as sentences by field: `labels` names the form's fields ({name: 'The
 * name'}); the server's message for a known field reads "The name must be at most 64 characters.".
 * `{fields, general}`: general is the sentence for everything else (null when every problem has
 * its field). `taken`: {code: [field, text]} for refusals that belong to a field without saying
 * so (a 409 `room_name_taken`).
 */
export function problemsByField(err, labels, taken = {}) {
  const fields = {};
  if (err && taken[err.code]) {
    const [field, text] = taken[err.code];
    fields[field] = text;
    return { fields, general: null };
  }
  const known = err && typeof err.fieldErrors === 'function' ? err.fieldErrors() : {};
  let other = false;
  for (const [field, message] of Object.entries(known)) {
    if (labels[field]) fields[field] = sentence(`${labels[field]} ${message}`);
    else other = true;
  }
  const general = !Object.keys(fields).length || other ? problemText(err) : null;
  return { fields, general };
}
