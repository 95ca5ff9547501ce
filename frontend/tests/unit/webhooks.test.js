// Webhooks in the web app: the endpoints, the add form's checks (incoming, and outgoing with its
// receiver URL), an outgoing webhook's state line, who manages them, a webhook post shown under
// the name it asked for (`posted_as`) in the timeline's grouping, the notifications and the audit
// log, and the field kept by the store and the local copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { webhooksApi } from '../../js/webhooks-api.js';
import { Api, ApiError } from '../../js/api.js';
import { newWebhook, problemsByField, isOutgoing, webhookState, WEBHOOK_NAME_MAX, WEBHOOK_URL_MAX } from '../../js/forms.js';
import { canEditRoom } from '../../js/views/room-settings.js';
import { groupRows, senderName, postedBy } from '../../js/format.js';
import { notificationText } from '../../js/attention.js';
import { auditLine } from '../../js/admin.js';
import { Store } from '../../js/store.js';
import { LocalCopy, follow } from '../../js/local-copy.js';

const anna = { id: 1, username: 'anna' };
const ci = { id: 9, username: 'hook-0a1b2c3d4e5f', display_name: 'CI', bot: true };
const at = (mi) => new Date(Date.UTC(2026, 11, 10, 10, mi)).toISOString();
const post = (id, extra = {}) => ({ id, room_id: 1, seq: id, author: ci, body: 'b' + id, client_id: null, reactions: [], attachments: [], deleted: false, edited_at: null, reply_to: null, created_at: at(id), ...extra });

test('the webhook endpoints: paths, bodies, the bearer token', async () => {
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push({ url, method: init.method, auth: init.headers.Authorization, body: init.body && JSON.parse(init.body) });
    return { ok: true, status: init.method === 'DELETE' ? 204 : 200, json: async () => ({ webhooks: [] }) };
  };
  const api = new Api({ storage: { getItem: () => null, setItem() {}, removeItem() {} }, fetchImpl });
  api.save({ user: anna, access_token: 'acc', refresh_token: 'ref', expires_in: 900 });
  const hooks = webhooksApi(api);
  assert.deepEqual(await hooks.list(3), { webhooks: [] });
  await hooks.create(3, { name: 'CI' });
  await hooks.create(3, { name: 'Pinger', target_url: 'https://example.com/hook', events: ['message'] });
  await hooks.rotate(3, 7);
  assert.equal(await hooks.remove(3, 7), null, 'a 204');
  assert.deepEqual(seen.map((s) => [s.method, s.url]), [
    ['GET', '/api/v1/rooms/3/webhooks'],
    ['POST', '/api/v1/rooms/3/webhooks'],
    ['POST', '/api/v1/rooms/3/webhooks'],
    ['POST', '/api/v1/rooms/3/webhooks/7/token'],
    ['DELETE', '/api/v1/rooms/3/webhooks/7'],
  ]);
  assert.deepEqual(seen[1].body, { name: 'CI' });
  assert.deepEqual(seen[2].body, { name: 'Pinger', target_url: 'https://example.com/hook', events: ['message'] });
  assert.equal(seen[3].body, undefined);
  for (const s of seen) assert.equal(s.auth, 'Bearer acc');
});

test('the add form: a name, trimmed, at most 64 characters as the server counts them; the server\'s refusal under it', () => {
  assert.equal(WEBHOOK_NAME_MAX, 64);
  assert.deepEqual(newWebhook({ name: '  CI  ' }), { body: { name: 'CI' }, errors: null });
  assert.match(newWebhook({ name: '   ' }).errors.name, /^Give the webhook a name/);
  assert.equal(newWebhook({ name: undefined }).body, null);
  assert.deepEqual(newWebhook({ name: '😀'.repeat(64) }).body, { name: '😀'.repeat(64) }, '64 scalar values, 128 UTF-16 units');
  assert.equal(newWebhook({ name: 'x'.repeat(65) }).errors.name, 'Use at most 64 characters.');
  const refused = new ApiError(400, { code: 'validation_failed', detail: 'invalid', errors: [{ field: 'name', message: 'must not contain bidi controls or zero-width characters' }] });
  assert.deepEqual(problemsByField(refused, { name: 'The name' }), { fields: { name: 'The name must not contain bidi controls or zero-width characters.' }, general: null });
  const forbidden = new ApiError(403, { code: 'forbidden', detail: 'you need to be an admin of this room to manage webhooks' });
  assert.deepEqual(problemsByField(forbidden, { name: 'The name' }), { fields: {}, general: 'You need to be an admin of this room to manage webhooks.' });
});

test('the add form, outgoing: a name and an absolute http(s) receiver URL of at most 2000 characters; the server\'s refusals under their fields', () => {
  assert.equal(WEBHOOK_URL_MAX, 2000);
  const out = (name, targetUrl) => newWebhook({ name, kind: 'outgoing', targetUrl });
  assert.deepEqual(out(' Pinger ', ' https://bots.example/confab?x=1 '),
    { body: { name: 'Pinger', target_url: 'https://bots.example/confab?x=1', events: ['message'] }, errors: null });
  assert.equal(out('P', 'http://127.0.0.1:8080/x').body.target_url, 'http://127.0.0.1:8080/x', 'private addresses are the server\'s to refuse');
  assert.deepEqual(newWebhook({ name: 'CI', kind: 'incoming', targetUrl: 'https://ignored.example' }), { body: { name: 'CI' }, errors: null }, 'an incoming one has no URL');
  assert.match(out('P', '  ').errors.target_url, /^Give the receiver's URL/);
  assert.equal(out('P', undefined).body, null);
  for (const bad of ['bots.example/hook', 'ftp://bots.example/x', 'mailto:a@b.example', 'javascript:alert(1)', 'http://', 'https://']) {
    assert.match(out('P', bad).errors?.target_url ?? '', /^Use a full address starting with https:\/\//, bad);
  }
  const long = 'https://bots.example/' + 'x'.repeat(2000 - 21);
  assert.equal(long.length, 2000);
  assert.equal(out('P', long).errors, null);
  assert.equal(out('P', long + 'x').errors.target_url, 'Use at most 2000 characters.');
  assert.deepEqual(Object.keys(out('', 'nope').errors), ['name', 'target_url'], 'both at once');
  const labels = { name: 'The name', target_url: 'The receiver URL', events: 'The events' };
  const refused = new ApiError(400, { code: 'validation_failed', detail: 'invalid', errors: [{ field: 'target_url', message: 'must not be a private, loopback or link-local address' }] });
  assert.deepEqual(problemsByField(refused, labels), { fields: { target_url: 'The receiver URL must not be a private, loopback or link-local address.' }, general: null });
  const events = new ApiError(400, { code: 'validation_failed', detail: 'invalid', errors: [{ field: 'events', message: 'must be ["message"]' }] });
  assert.deepEqual(problemsByField(events, labels).fields, { events: 'The events must be ["message"].' });
});

test('an outgoing webhook\'s state: delivering, failing (so many in a row) or disabled; none for an incoming one', () => {
  const hook = (extra) => ({ id: 4, name: 'Pinger', events: ['message'], target_url: 'https://bots.example/x', delivered_seq: 12, failures: 0, disabled: false, ...extra });
  const incoming = { id: 3, name: 'CI', events: ['incoming'], failures: 0, disabled: false };
  assert.equal(isOutgoing(hook()), true);
  assert.equal(isOutgoing({ ...hook(), target_url: undefined }), true, 'by its events too');
  assert.equal(isOutgoing(incoming), false);
  assert.equal(isOutgoing(undefined), false);
  assert.equal(webhookState(incoming), null);
  assert.deepEqual(webhookState(hook()), { state: 'delivering', text: 'Delivering' });
  assert.deepEqual(webhookState(hook({ last_error: 'HTTP 500' })), { state: 'delivering', text: 'Delivering' }, 'an old error after a success');
  assert.deepEqual(webhookState(hook({ failures: 3, last_error: 'HTTP 500' })), { state: 'failing', text: 'Failing: HTTP 500 (3 in a row)' });
  assert.deepEqual(webhookState(hook({ failures: 1, last_error: null })), { state: 'failing', text: 'Failing: no answer (1 in a row)' });
  assert.deepEqual(webhookState(hook({ failures: 50, last_error: 'timed out', disabled: true })), { state: 'disabled', text: 'Disabled after 50 failures: timed out' });
  assert.deepEqual(webhookState(hook({ failures: 1, disabled: true })), { state: 'disabled', text: 'Disabled after 1 failure.' });
  assert.equal(webhookState(hook({ failures: '2', last_error: '  HTTP 502 ' })).text, 'Failing: HTTP 502 (2 in a row)');
});

test('who manages a room\'s settings and webhooks: its owners and admins, server admins, never in a direct room', () => {
  const room = (extra) => ({ id: 1, kind: 'room', joined: true, role: 'member', ...extra });
  const admin = { id: 5, role: 'admin' };
  const member = { id: 6, role: 'member' };
  assert.equal(canEditRoom(room({ role: 'owner' })), true);
  assert.equal(canEditRoom(room({ role: 'admin' }), member), true);
  assert.equal(canEditRoom(room({}), member), false, 'a plain member');
  assert.equal(canEditRoom(room({ role: 'owner', joined: false }), member), false, 'a room left');
  assert.equal(canEditRoom(room({}), admin), true, 'a server admin, a plain member of it');
  assert.equal(canEditRoom(room({ joined: false, role: undefined }), admin), true, 'a server admin, not in it');
  assert.equal(canEditRoom(room({ kind: 'direct', role: 'owner' }), admin), false, 'a direct room');
  assert.equal(canEditRoom(undefined, admin), false);
});

test('a webhook post shows under the name it asked for, its account said as well; grouped by that name', () => {
  assert.equal(senderName(post(1)), 'CI');
  assert.equal(postedBy(post(1)), null);
  assert.equal(senderName(post(1, { posted_as: 'Jenkins' })), 'Jenkins');
  assert.equal(postedBy(post(1, { posted_as: 'Jenkins' })), 'posted by webhook CI');
  assert.equal(senderName(post(1, { posted_as: null })), 'CI', 'null as absent');
  assert.equal(senderName({ author: anna }), 'anna');
  const rows = groupRows([post(1), post(2, { posted_as: 'Jenkins' }), post(3, { posted_as: 'Jenkins' }), post(4, { posted_as: 'Grafana' }), post(5), post(6, { posted_as: null })], new Date(2026, 11, 10, 12));
  assert.deepEqual(rows.filter((r) => r.kind === 'msg').map((r) => `${r.msg.id}${r.first ? '*' : ''}`), ['1*', '2*', '3', '4*', '5*', '6'],
    'each name its own header; absent and null are the same');
});

test('a notification and the audit log name webhooks', () => {
  const message = post(1, { posted_as: 'Jenkins' });
  assert.deepEqual(notificationText({ reason: 'mention', message }, '#ops', 'build failed @anna'), { title: 'Jenkins mentioned you in #ops', body: 'build failed @anna' });
  assert.equal(notificationText({ reason: 'mention', message: post(1) }, '#ops', 'x').title, 'CI mentioned you in #ops');
  const entry = (action, extra = {}) => ({ id: 1, action, actor: anna, target: ci, room_id: 4, detail: 'CI', created_at: at(0), ...extra });
  const names = (id) => (id === 4 ? 'ops' : null);
  assert.equal(auditLine(entry('webhook.created'), names), 'anna added the webhook CI to #ops');
  assert.equal(auditLine(entry('webhook.token'), names), 'anna gave the webhook CI of #ops a new address');
  assert.equal(auditLine(entry('webhook.deleted', { room_id: 12 }), names), 'anna deleted the webhook CI of room 12');
  assert.equal(auditLine(entry('webhook.deleted', { detail: null }), names), 'anna deleted a webhook of #ops');
});

test('the store and the local copy keep posted_as: live, after a profile change, across a restart', async () => {
  const idb = new IDBFactory();
  const store = new Store();
  store.setMe(anna);
  store.setRooms([{ id: 1, name: 'ops', kind: 'room', visibility: 'public', joined: true, member_count: 2, unread_count: 0, last_read_seq: 0 }]);
  const copy = await LocalCopy.open(idb);
  const keeper = follow(store, copy, { setTimeout: () => 1, clearTimeout: () => {} });
  store.applyHistory(1, [post(1)], false);
  assert.equal(store.applyChange({ type: 'message', room_id: 1, seq: 2, message: post(2, { posted_as: 'Jenkins' }) }), 'applied');
  store.updateUser({ ...ci, display_name: 'Builds' });
  const shown = store.messages(1).map((m) => [senderName(m), postedBy(m)]);
  assert.deepEqual(shown, [['Builds', null], ['Jenkins', 'posted by webhook Builds']]);
  await keeper.flush();
  const again = new Store();
  again.restore(await (await LocalCopy.open(idb)).load(1));
  again.restoreTimeline(1, (await copy.timeline(1)).messages, false);
  assert.deepEqual(again.messages(1).map((m) => m.posted_as ?? null), [null, 'Jenkins']);
});
