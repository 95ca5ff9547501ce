// Bots in the web app: the endpoints (paths, bodies, the bearer token), the create form's own
// checks (a username as a person's, an optional display name), the server's refusals under their
// fields (a validation problem's `errors[].field`, a taken username's 409), and the audit log's
// lines for bots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botsApi } from '../../js/bots-api.js';
import { Api, ApiError } from '../../js/api.js';
import { newBot, problemsByField, BOT_TAKEN, USERNAME_MIN, USERNAME_MAX, DISPLAY_NAME_MAX } from '../../js/forms.js';
import { auditLine } from '../../js/admin.js';

const anna = { id: 1, username: 'anna', role: 'admin' };
const LABELS = { username: 'The username', display_name: 'The display name' };

test('the bot endpoints: paths, bodies, the bearer token; a 204 as null', async () => {
  const seen = [];
  const answers = {
    'GET /api/v1/bots': [200, { bots: [{ id: 9, username: 'deploy-bot', bot: true, created_at: '2026-12-10T10:00:00Z' }] }],
    'POST /api/v1/bots': [201, { user: { id: 9, username: 'deploy-bot', bot: true }, token: 'cfb_one' }],
    'POST /api/v1/bots/9/token': [200, { user: null, token: 'cfb_two' }],
    'DELETE /api/v1/bots/9': [204, null],
  };
  const fetchImpl = async (url, init) => {
    seen.push({ url, method: init.method, auth: init.headers.Authorization, body: init.body && JSON.parse(init.body) });
    const [status, json] = answers[`${init.method} ${url}`];
    return { ok: true, status, json: async () => json };
  };
  const api = new Api({ storage: { getItem: () => null, setItem() {}, removeItem() {} }, fetchImpl });
  api.save({ user: anna, access_token: 'acc', refresh_token: 'ref', expires_in: 900 });
  const bots = botsApi(api);
  assert.equal((await bots.list()).bots[0].username, 'deploy-bot');
  assert.deepEqual(await bots.create({ username: 'deploy-bot', display_name: 'Deploy' }), answers['POST /api/v1/bots'][1]);
  await bots.create({ username: 'ci' });
  assert.equal((await bots.rotate(9)).token, 'cfb_two');
  assert.equal(await bots.remove(9), null, 'a 204');
  assert.deepEqual(seen.map((s) => [s.method, s.url]), [
    ['GET', '/api/v1/bots'],
    ['POST', '/api/v1/bots'],
    ['POST', '/api/v1/bots'],
    ['POST', '/api/v1/bots/9/token'],
    ['DELETE', '/api/v1/bots/9'],
  ]);
  assert.equal(seen[0].body, undefined);
  assert.deepEqual(seen[1].body, { username: 'deploy-bot', display_name: 'Deploy' });
  assert.deepEqual(seen[2].body, { username: 'ci' });
  assert.equal(seen[3].body, undefined, 'a new token has no body');
  for (const s of seen) assert.equal(s.auth, 'Bearer acc');
});

test('a refusal of the bot endpoints is an ApiError with the problem\'s code and fields', async () => {
  const problem = { type: 'urn:confab:problem:validation_failed', status: 400, code: 'validation_failed', detail: 'username: must be 3 to 32 characters', errors: [{ field: 'username', message: 'must be 3 to 32 characters' }] };
  const fetchImpl = async () => ({ ok: false, status: 400, headers: { get: () => 'application/problem+json' }, json: async () => problem });
  const api = new Api({ storage: { getItem: () => null, setItem() {}, removeItem() {} }, fetchImpl });
  api.save({ user: anna, access_token: 'acc', refresh_token: 'ref', expires_in: 900 });
  const err = await botsApi(api).create({ username: 'ab' }).then(() => null, (e) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.status, 400);
  assert.equal(err.code, 'validation_failed');
  assert.deepEqual(err.fieldErrors(), { username: 'must be 3 to 32 characters' });
  assert.deepEqual(problemsByField(err, LABELS, BOT_TAKEN), { fields: { username: 'The username must be 3 to 32 characters.' }, general: null });
});

test('the create form: a username as a person\'s (3–32 of A-Z a-z 0-9 _ . -), trimmed; a display name only when given', () => {
  assert.equal(USERNAME_MIN, 3);
  assert.equal(USERNAME_MAX, 32);
  assert.equal(DISPLAY_NAME_MAX, 64);
  assert.deepEqual(newBot({ username: '  deploy-bot ', displayName: '' }), { body: { username: 'deploy-bot' }, errors: null });
  assert.deepEqual(newBot({ username: 'ci.bot_2', displayName: '  Deploy Bot  ' }), { body: { username: 'ci.bot_2', display_name: 'Deploy Bot' }, errors: null });
  assert.deepEqual(newBot({ username: 'ci', displayName: undefined }).errors, { username: 'Use 3 to 32 characters.' });
  assert.deepEqual(newBot({ username: 'abc', displayName: '   ' }).body, { username: 'abc' }, 'blank: no display name');
  assert.equal(newBot({ username: 'x'.repeat(32) }).errors, null);
  assert.equal(newBot({ username: 'x'.repeat(33) }).errors.username, 'Use 3 to 32 characters.');
  assert.match(newBot({ username: '   ' }).errors.username, /^Give the bot a username/);
  assert.match(newBot({}).errors.username, /^Give the bot a username/);
  for (const bad of ['deploy bot', 'bot!', 'ünï', 'a/b', 'emoji😀']) {
    assert.equal(newBot({ username: bad }).errors?.username, 'Use only letters, digits and _ . - (no spaces).', bad);
  }
  assert.deepEqual(newBot({ username: 'abc', displayName: '😀'.repeat(64) }).body, { username: 'abc', display_name: '😀'.repeat(64) }, '64 scalar values, 128 UTF-16 units');
  assert.equal(newBot({ username: 'abc', displayName: 'x'.repeat(65) }).errors.display_name, 'Use at most 64 characters.');
  assert.deepEqual(Object.keys(newBot({ username: 'a b', displayName: 'x'.repeat(65) }).errors), ['username', 'display_name'], 'both at once');
});

test('the server\'s refusals under their fields: a display name\'s validation, a taken username (409), the rest as a sentence', () => {
  const invalid = new ApiError(400, { code: 'validation_failed', detail: 'invalid', errors: [{ field: 'display_name', message: 'must not contain bidi controls or zero-width characters' }] });
  assert.deepEqual(problemsByField(invalid, LABELS, BOT_TAKEN), { fields: { display_name: 'The display name must not contain bidi controls or zero-width characters.' }, general: null });
  for (const code of ['username_taken', 'conflict']) {
    const taken = new ApiError(409, { code, detail: 'that username is taken' });
    assert.deepEqual(problemsByField(taken, LABELS, BOT_TAKEN), { fields: { username: 'That username is taken (by a person or a bot): pick another.' }, general: null }, code);
  }
  const forbidden = new ApiError(403, { code: 'forbidden', detail: 'server admins only' });
  assert.deepEqual(problemsByField(forbidden, LABELS, BOT_TAKEN), { fields: {}, general: 'Server admins only.' });
  const limited = new ApiError(429, { code: 'rate_limited', detail: 'slow down' });
  assert.deepEqual(problemsByField(limited, LABELS, BOT_TAKEN), { fields: {}, general: 'Too many requests: wait a moment and try again.' });
  const other = new ApiError(400, { code: 'validation_failed', detail: 'unknown field `admin`', errors: [{ field: 'admin', message: 'unknown' }] });
  assert.deepEqual(problemsByField(other, LABELS, BOT_TAKEN), { fields: {}, general: 'Unknown field `admin`.' }, 'a field the form does not have');
});

test('the audit log names bots: created, a new token, deactivated', () => {
  const bot = { id: 9, username: 'deploy-bot', bot: true };
  const entry = (action) => ({ id: 1, action, actor: anna, target: bot, room_id: null, detail: null, created_at: '2026-12-10T10:00:00Z' });
  assert.equal(auditLine(entry('bot.created')), 'anna created the bot deploy-bot');
  assert.equal(auditLine(entry('bot.token')), 'anna gave the bot deploy-bot a new token');
  assert.equal(auditLine(entry('bot.deleted')), 'anna deactivated the bot deploy-bot');
  assert.equal(auditLine({ ...entry('bot.created'), actor: null }), 'command line created the bot deploy-bot');
});
