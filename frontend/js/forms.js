// What the settings forms send and say, without the DOM: a room's name and topic (PATCH
// /rooms/{id}), my profile (PATCH /me) and avatar (PUT /me/avatar), the server's name and
// registration (PATCH /admin/server); their own checks before sending, and the server's
// refusals as sentences by field. Loaded with the views that use them.
import { charCount } from './format.js';
import { sentence, problemText } from './admin.js';

export const ROOM_NAME_MAX = 64;
export const TOPIC_MAX = 512;
export const DISPLAY_NAME_MAX = 64;
export const STATUS_MAX = 140;
export const SERVER_NAME_MAX = 64;
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
export const REGISTRATIONS = ['open', 'invite', 'closed'];

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
