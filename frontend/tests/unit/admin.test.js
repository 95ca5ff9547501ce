import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  auditLine, relativeTime, lastSeen, Pager, problemText, sentence, canBan, canModerate, resetToken,
  checkNewPassword, resetProblem, registrationText, RESET_INVALID,
} from '../../js/admin.js';
import { adminApi } from '../../js/admin-api.js';
import { Api, ApiError } from '../../js/api.js';

const anna = { id: 1, username: 'anna' };
const ben = { id: 2, username: 'ben' };
const entry = (action, extra = {}) => ({ id: 9, actor: anna, action, target: ben, room_id: null, detail: null, created_at: '2026-12-01T10:00:00Z', ...extra });

test('audit entries read as lines, the command line named as such', () => {
  const rooms = { 4: 'general' };
  const line = (action, extra) => auditLine(entry(action, extra), (id) => rooms[id] || null);
  assert.equal(line('user.deactivated'), 'anna deactivated ben');
  assert.equal(line('user.reactivated'), 'anna reactivated ben');
  assert.equal(line('user.role', { detail: 'admin' }), 'anna made ben an admin');
  assert.equal(line('user.role', { detail: 'member' }), 'anna made ben a member');
  assert.equal(line('user.password_reset'), 'anna made a password reset link for ben');
  assert.equal(line('user.password_reset_used', { actor: ben }), 'ben set a new password with a reset link');
  assert.equal(line('user.password_set', { actor: null }), "command line reset ben's password");
  assert.equal(line('user.created', { actor: null, detail: 'admin' }), 'command line created the account ben (an admin)');
  assert.equal(line('user.created', { actor: null, detail: 'member' }), 'command line created the account ben');
  assert.equal(line('invite.created', { target: null, detail: 'Ab3xYz…' }), 'anna created an invite link (Ab3xYz…)');
  assert.equal(line('invite.revoked', { target: null, detail: 'Ab3xYz…' }), 'anna revoked an invite link (Ab3xYz…)');
  assert.equal(line('room.ban', { room_id: 4 }), 'anna banned ben from #general');
  assert.equal(line('room.unban', { room_id: 4 }), "anna lifted ben's ban from #general");
  assert.equal(line('room.ban', { room_id: 12 }), 'anna banned ben from room 12', 'a room I do not know: its id');
  assert.equal(line('user.deactivated', { target: null }), 'anna deactivated someone');
  assert.equal(line('server.exploded', { detail: 'x' }), 'anna: server.exploded ben (x)', 'an action this app does not know still shows');
  assert.equal(auditLine(entry('room.ban', { room_id: 4 })), 'anna banned ben from room 4', 'no room names given');
});

test('times as "2 min ago", a last visit or none', () => {
  const now = Date.parse('2026-12-10T12:00:00Z');
  const ago = (ms) => new Date(now - ms).toISOString();
  assert.equal(relativeTime(ago(20 * 1000), now), 'just now');
  assert.equal(relativeTime(ago(-60 * 1000), now), 'just now', 'a clock a bit ahead');
  assert.equal(relativeTime(ago(2 * 60 * 1000), now), '2 min ago');
  assert.equal(relativeTime(ago(59 * 60 * 1000), now), '59 min ago');
  assert.equal(relativeTime(ago(3 * 3600 * 1000), now), '3 h ago');
  assert.equal(relativeTime(ago(30 * 3600 * 1000), now), 'yesterday');
  assert.equal(relativeTime(ago(5 * 86400 * 1000), now), '5 days ago');
  assert.match(relativeTime('2026-10-01T12:00:00Z', now), /^on 2026-10-0[12]$/);
  assert.equal(relativeTime('nonsense', now), '');
  assert.equal(lastSeen({ last_seen_at: ago(2 * 60 * 1000) }, now), 'Last seen 2 min ago');
  assert.equal(lastSeen({ last_seen_at: null }, now), 'Never signed in');
});

/** A load that answers when told: `answer(i, page)` / `fail(i, err)` for the i-th call. */
function controlled() {
  const calls = [];
  const load = (cursor) => new Promise((resolve, reject) => calls.push({ cursor, resolve, reject }));
  return { calls, load };
}
const page = (ids, hasMore) => ({ items: ids.map((id) => ({ id, name: 'p' + id })), hasMore });
const ids = (pager) => pager.items.map((i) => i.id);

test('paging: the first page, "Load more" after the last id, nothing more at the end', async () => {
  const c = controlled();
  const pager = new Pager(c.load);
  const first = pager.reset();
  assert.equal(pager.loading, true);
  c.calls[0].resolve(page([1, 2], true));
  assert.equal(await first, true);
  assert.deepEqual(ids(pager), [1, 2]);
  assert.equal(c.calls[0].cursor, undefined);
  const more = pager.more();
  assert.equal(await pager.more(), false, 'no second request while one is on its way');
  assert.equal(c.calls.length, 2);
  assert.equal(c.calls[1].cursor, 2, 'after the last id');
  c.calls[1].resolve(page([2, 3], false)); // an item seen already (it moved) is not doubled
  assert.equal(await more, true);
  assert.deepEqual(ids(pager), [1, 2, 3]);
  assert.equal(pager.hasMore, false);
  assert.equal(await pager.more(), false, 'the end: no request');
  assert.equal(c.calls.length, 2);
  pager.replace({ id: 2, name: 'changed' });
  assert.deepEqual(pager.items.map((i) => i.name), ['p1', 'changed', 'p3']);
});

test('paging: a new search drops the answer of the old one; only the latest failure is thrown', async () => {
  const c = controlled();
  const pager = new Pager(c.load);
  const old = pager.reset(); // "b"
  const latest = pager.reset(); // "be", typed before "b" was answered
  c.calls[1].resolve(page([5], false));
  c.calls[0].resolve(page([4, 5, 6], true));
  assert.equal(await old, false);
  assert.equal(await latest, true);
  assert.deepEqual(ids(pager), [5]);
  assert.equal(pager.hasMore, false);
  assert.equal(pager.loading, false);
  // A failure of a stale load is swallowed; of the latest, thrown.
  const stale = pager.reset();
  const current = pager.reset();
  c.calls[2].reject(new Error('stale'));
  c.calls[3].reject(new Error('current'));
  assert.equal(await stale, false);
  await assert.rejects(current, /current/);
  assert.equal(pager.loading, false);
  // clear(): an answer on its way is dropped.
  const dropped = pager.reset();
  pager.clear();
  c.calls[4].resolve(page([7], false));
  assert.equal(await dropped, false);
  assert.deepEqual(ids(pager), []);
});

test('refusals as sentences: the problem\'s detail (the last admin), a rate limit, the app\'s own words', () => {
  const lastAdmin = new ApiError(409, { code: 'conflict', detail: 'the server needs an active admin: make someone else admin first' });
  assert.equal(problemText(lastAdmin), 'The server needs an active admin: make someone else admin first.');
  assert.equal(problemText(new ApiError(403, { code: 'forbidden', detail: 'you cannot deactivate your own account' })), 'You cannot deactivate your own account.');
  assert.equal(problemText(new ApiError(429, { code: 'rate_limited', detail: 'slow down' })), 'Too many requests: wait a moment and try again.');
  assert.equal(problemText(new ApiError(500, null)), 'Request failed (500).');
  assert.equal(problemText(null), 'Something went wrong.');
  assert.equal(sentence('Done!'), 'Done!');
  assert.equal(sentence('  '), 'Something went wrong.');
  // Codes the app words itself, whatever the server's detail says.
  const banned = new ApiError(403, { code: 'banned', detail: 'banned from this room' });
  assert.equal(banned.detail, 'You are banned from this room.');
  assert.equal(problemText(banned), 'You are banned from this room.');
  const off = new ApiError(403, { code: 'account_deactivated', detail: 'this account is deactivated; ask an admin' });
  assert.equal(off.detail, 'This account is deactivated. Ask an admin.');
  assert.equal(off.message, 'This account is deactivated. Ask an admin.');
  assert.equal(new ApiError(403, { code: 'forbidden', detail: 'nope' }).detail, 'nope', 'others keep the server\'s detail');
});

test('who may ban whom, and who moderates a room', () => {
  const member = (id, role = 'member') => ({ user: { id, username: 'u' + id }, role });
  const plain = { id: 1, role: 'member' };
  const serverAdmin = { id: 1, role: 'admin' };
  assert.equal(canBan({ me: plain, myRole: 'owner', member: member(2, 'admin') }), true, 'owners ban admins');
  assert.equal(canBan({ me: plain, myRole: 'owner', member: member(2, 'owner') }), true, 'and other owners (the server keeps the last)');
  assert.equal(canBan({ me: plain, myRole: 'admin', member: member(2) }), true, 'room admins ban members');
  assert.equal(canBan({ me: plain, myRole: 'admin', member: member(2, 'admin') }), false, 'but not admins');
  assert.equal(canBan({ me: plain, myRole: 'admin', member: member(2, 'owner') }), false, 'nor owners');
  assert.equal(canBan({ me: plain, myRole: 'member', member: member(2) }), false);
  assert.equal(canBan({ me: plain, myRole: null, member: member(2) }), false);
  assert.equal(canBan({ me: serverAdmin, myRole: null, member: member(2, 'owner') }), true, 'server admins, anywhere');
  assert.equal(canBan({ me: plain, myRole: 'owner', member: member(1) }), false, 'never myself');
  assert.equal(canBan({ me: serverAdmin, myRole: 'owner', member: member(1) }), false);
  const room = (role, kind = 'room') => ({ id: 3, kind, role });
  assert.equal(canModerate(room('owner'), plain), true);
  assert.equal(canModerate(room('admin'), plain), true);
  assert.equal(canModerate(room('member'), plain), false);
  assert.equal(canModerate(room(null), serverAdmin), true, 'a server admin reading a room');
  assert.equal(canModerate(room('owner', 'direct'), serverAdmin), false, 'no bans in direct rooms');
  assert.equal(canModerate(undefined, serverAdmin), false);
});

test('the reset route, the form\'s checks and the server\'s refusals', () => {
  assert.equal(resetToken('#/reset/Ab3_x-9'), 'Ab3_x-9');
  assert.equal(resetToken('#/reset/Ab3/'), 'Ab3');
  for (const h of ['', '#/', '#/reset/', '#/reset', '#/join/abc', '#/reset/a/b', '#/reset/%E0%A4%A', undefined]) assert.equal(resetToken(h), null, String(h));
  assert.deepEqual(checkNewPassword('short', 'short'), { field: 'password', text: 'Use 8 to 128 characters.' });
  assert.deepEqual(checkNewPassword('x'.repeat(129), 'x'.repeat(129)), { field: 'password', text: 'Use 8 to 128 characters.' });
  assert.equal(checkNewPassword('😀'.repeat(8), '😀'.repeat(8)), null, 'characters as the server counts them, not UTF-16 units');
  assert.deepEqual(checkNewPassword('long enough', 'long enougH'), { field: 'confirm', text: 'The two passwords are not the same.' });
  assert.equal(checkNewPassword('long enough', 'long enough'), null);
  const invalid = (field, message) => new ApiError(400, { code: 'validation_failed', detail: 'invalid', errors: [{ field, message }] });
  assert.deepEqual(resetProblem(invalid('token', 'this link is unknown, used or expired')), { field: 'token', text: RESET_INVALID });
  assert.equal(RESET_INVALID, 'This link is invalid, used or expired. Ask an admin for a new one.');
  assert.deepEqual(resetProblem(invalid('password', 'must be 8 to 128 characters')), { field: 'password', text: 'The password must be 8 to 128 characters.' });
  assert.deepEqual(resetProblem(new ApiError(429, { code: 'rate_limited' })), { field: null, text: 'Too many requests: wait a moment and try again.' });
  assert.equal(registrationText('invite'), 'Invite only: an invite link is needed to create an account');
  assert.equal(registrationText('open'), 'Open: anyone who reaches the server can create an account');
  assert.equal(registrationText('closed'), 'Closed: only the command line creates accounts');
});

test('the admin endpoints: paths, query strings, bodies; the reset goes without a token', async () => {
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push({ url, method: init.method, auth: init.headers.Authorization, body: init.body && JSON.parse(init.body) });
    return { ok: true, status: url.includes('/bans/') || url.endsWith('/password-reset') ? 204 : 200, json: async () => ({}) };
  };
  const storage = { getItem: () => null, setItem() {}, removeItem() {} };
  const api = new Api({ storage, fetchImpl });
  api.save({ user: anna, access_token: 'acc', refresh_token: 'ref', expires_in: 900 });
  const admin = adminApi(api);
  await admin.users({ q: 'be', afterId: 40, limit: 50 });
  await admin.users();
  await admin.updateUser(2, { deactivated: true });
  await admin.passwordReset(2);
  await admin.audit({ beforeId: 77, limit: 20 });
  await admin.ban(3, 2);
  await admin.unban(3, 2);
  await admin.bans(3);
  await admin.addMember(3, 2);
  await admin.resetPassword('tok', 'new password');
  const row = (i) => [seen[i].method, seen[i].url];
  assert.deepEqual(row(0), ['GET', '/api/v1/admin/users?limit=50&q=be&after_id=40']);
  assert.deepEqual(row(1), ['GET', '/api/v1/admin/users?limit=50']);
  assert.deepEqual(row(2), ['PATCH', '/api/v1/admin/users/2']);
  assert.deepEqual(seen[2].body, { deactivated: true });
  assert.deepEqual(row(3), ['POST', '/api/v1/admin/users/2/password-reset']);
  assert.deepEqual(row(4), ['GET', '/api/v1/admin/audit?limit=20&before_id=77']);
  assert.deepEqual(row(5), ['PUT', '/api/v1/rooms/3/bans/2']);
  assert.deepEqual(row(6), ['DELETE', '/api/v1/rooms/3/bans/2']);
  assert.deepEqual(row(7), ['GET', '/api/v1/rooms/3/bans']);
  assert.deepEqual(row(8), ['PUT', '/api/v1/rooms/3/members/2']);
  for (const s of seen.slice(0, 9)) assert.equal(s.auth, 'Bearer acc');
  assert.deepEqual(row(9), ['POST', '/api/v1/auth/password-reset']);
  assert.deepEqual(seen[9].body, { token: 'tok', password: 'new password' });
  assert.equal(seen[9].auth, undefined, 'a reset link works signed out');
});
