// Profiles and the settings forms: a person's name and initials, the forms' bodies and checks, the
// server's refusals by field, avatars' object URLs, the store following `user_updated`, my profile's
// endpoints, and who may change a member's role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayName, initials } from '../../js/format.js';
import { roomChanges, profileChanges, avatarProblem, serverChanges, problemsByField } from '../../js/forms.js';
import { AvatarUrls } from '../../js/avatars.js';
import { Store } from '../../js/store.js';
import { Sync } from '../../js/sync.js';
import { fakeDrafts } from './fakes.js';
import { ApiError } from '../../js/api.js';
import { profileApi } from '../../js/profile-api.js';
import { canSetRole, auditLine } from '../../js/admin.js';
import { mentionChoices } from '../../js/mentions.js';

const ben = { id: 2, username: 'ben', role: 'member', display_name: null, status: null, avatar_url: null };

test('a person goes by their display name, else their username', () => {
  assert.equal(displayName(ben), 'ben');
  assert.equal(displayName({ ...ben, display_name: 'Ben Ross' }), 'Ben Ross');
  assert.equal(displayName({ ...ben, display_name: '' }), 'ben', 'an empty one is none');
  assert.equal(displayName(null), '?');
});

test('initials: the first letter of the first two words of the name, as capitals', () => {
  assert.equal(initials(ben), 'B');
  assert.equal(initials({ ...ben, display_name: 'anna maria berg' }), 'AM');
  assert.equal(initials({ ...ben, display_name: '(élan) vital' }), 'ÉV', 'letters, not punctuation');
  assert.equal(initials({ ...ben, display_name: '🎉 party' }), '🎉P', 'a word without letters gives its first character, whole');
  assert.equal(initials({ ...ben, display_name: '𝒜bc' }), '𝒜', 'code points, not halves of them');
  assert.equal(initials(null), '?');
});

test('a room\'s settings send only what changed, trimmed; their own checks come first', () => {
  const room = { id: 1, name: 'plans', topic: null };
  assert.deepEqual(roomChanges(room, { name: ' plans ', topic: '' }), { body: {}, errors: null });
  assert.deepEqual(roomChanges(room, { name: 'roadmap', topic: ' Q3 ' }), { body: { name: 'roadmap', topic: 'Q3' }, errors: null });
  assert.deepEqual(roomChanges({ ...room, topic: 'old' }, { name: 'plans', topic: '' }), { body: { topic: '' }, errors: null }, 'emptied: cleared');
  assert.deepEqual(roomChanges(room, { name: '  ', topic: '' }).errors, { name: 'Give the room a name.' });
  assert.equal(roomChanges(room, { name: 'x'.repeat(65), topic: '' }).errors.name, 'Use at most 64 characters.');
  assert.equal(roomChanges(room, { name: '😀'.repeat(64), topic: '' }).errors, null, 'counted as the server counts (code points)');
  assert.equal(roomChanges(room, { name: 'a', topic: 'y'.repeat(513) }).errors.topic, 'Use at most 512 characters.');
});

test('my profile sends what changed; an emptied field clears it', () => {
  const me = { ...ben, display_name: 'Ben', status: 'away' };
  assert.deepEqual(profileChanges(me, { displayName: 'Ben', status: 'away' }), { body: {}, errors: null });
  assert.deepEqual(profileChanges(me, { displayName: ' Ben Ross ', status: '' }), { body: { display_name: 'Ben Ross', status: '' }, errors: null });
  assert.deepEqual(profileChanges(ben, { displayName: '', status: 'hi' }), { body: { status: 'hi' }, errors: null });
  const long = profileChanges(ben, { displayName: 'n'.repeat(65), status: 's'.repeat(141) });
  assert.deepEqual(long.errors, { display_name: 'Use at most 64 characters.', status: 'Use at most 140 characters.' });
});

test('an avatar is an image of at most 5 MB', () => {
  assert.equal(avatarProblem({ type: 'image/png', size: 100 }), null);
  assert.equal(avatarProblem({ type: '', size: 100 }), null, 'no type: the server decides');
  assert.match(avatarProblem({ type: 'application/pdf', size: 100 }), /Pick an image/);
  assert.match(avatarProblem({ type: 'image/jpeg', size: 5 * 1024 * 1024 + 1 }), /too large/);
  assert.equal(avatarProblem({ type: 'image/jpeg', size: 5 * 1024 * 1024 }), null);
  assert.match(avatarProblem(null), /Pick an image/);
});

test('the server\'s settings: a name and a policy, what changed', () => {
  const server = { name: 'Confab', registration: 'open' };
  assert.deepEqual(serverChanges(server, { name: 'Confab', registration: 'open' }), { body: {}, errors: null });
  assert.deepEqual(serverChanges(server, { name: ' Acme chat ', registration: 'invite' }), { body: { name: 'Acme chat', registration: 'invite' }, errors: null });
  assert.deepEqual(serverChanges(server, { name: '', registration: undefined }).errors, { name: 'Give the server a name.', registration: 'Pick who may create an account.' });
});

test('refusals by field: the server\'s message after the field\'s name; the rest in general', () => {
  const invalid = new ApiError(400, { code: 'validation_failed', detail: 'validation failed', errors: [{ field: 'display_name', message: 'must be at most 64 characters' }] });
  assert.deepEqual(problemsByField(invalid, { display_name: 'The display name' }), { fields: { display_name: 'The display name must be at most 64 characters.' }, general: null });
  assert.deepEqual(problemsByField(invalid, { name: 'The name' }), { fields: {}, general: 'Validation failed.' }, 'a field the form does not have');
  const taken = new ApiError(409, { code: 'room_name_taken', detail: 'a room with that name exists' });
  assert.deepEqual(problemsByField(taken, { name: 'The name' }, { room_name_taken: ['name', 'Taken.'] }), { fields: { name: 'Taken.' }, general: null });
  assert.deepEqual(problemsByField(new ApiError(403, { code: 'forbidden', detail: 'only a room owner may change roles' }), {}), { fields: {}, general: 'Only a room owner may change roles.' });
  assert.equal(problemsByField(new ApiError(429, { code: 'rate_limited' }), {}).general, 'Too many requests: wait a moment and try again.');
});

test('avatars: one load per path; a person\'s older image is revoked once a newer one (or none) is asked for', async () => {
  const loads = []; const revoked = []; let made = 0;
  const urls = new AvatarUrls({ load: async (path) => { loads.push(path); return path; }, create: (b) => `blob:${b}#${++made}`, revoke: (u) => revoked.push(u) });
  assert.equal(urls.url(ben), null, 'no avatar');
  assert.equal(urls.url(null), null);
  const v1 = { ...ben, avatar_url: '/api/v1/users/2/avatar?v=1' };
  const [a, b] = [urls.url(v1), urls.url(v1)];
  assert.deepEqual(await Promise.all([a, b]), ['blob:/api/v1/users/2/avatar?v=1#1', 'blob:/api/v1/users/2/avatar?v=1#1']);
  const other = await urls.url({ id: 3, username: 'cy', avatar_url: '/api/v1/users/3/avatar?v=9' });
  assert.equal(await urls.url({ ...ben, avatar_url: '/api/v1/users/2/avatar?v=2' }), 'blob:/api/v1/users/2/avatar?v=2#3');
  assert.deepEqual(revoked, ['blob:/api/v1/users/2/avatar?v=1#1'], 'only ben\'s old one');
  assert.equal(urls.url(ben), null);
  assert.deepEqual(revoked, ['blob:/api/v1/users/2/avatar?v=1#1', 'blob:/api/v1/users/2/avatar?v=2#3'], 'removed: revoked');
  assert.equal(await urls.url({ id: 3, username: 'cy', avatar_url: '/api/v1/users/3/avatar?v=9' }), other, 'others kept');
  assert.equal(loads.length, 3);
});

test('user_updated reaches every place a person shows: members, direct rooms, messages, pending sends, me', async () => {
  const me = { id: 1, username: 'ann', role: 'admin', display_name: null, status: null, avatar_url: null };
  const store = new Store();
  store.setMe(me);
  store.setRooms([{ id: 1, name: 'r1', kind: 'room', visibility: 'public', joined: true, role: 'owner', member_count: 2 }, { id: 5, name: 'dm', kind: 'direct', visibility: 'private', joined: true, role: 'member', member_count: 2 }]);
  store.setMembers(1, [{ user: me, role: 'owner', online: true }, { user: ben, role: 'member', online: true }]);
  store.setDmPeer(5, ben);
  store.applyHistory(1, [{ id: 10, room_id: 1, seq: 1, author: ben, body: 'hi', created_at: '2026-01-01T00:00:00Z', edited_at: null, deleted: false, reactions: [] },
    { id: 11, room_id: 1, seq: 2, author: me, body: 'yo', created_at: '2026-01-01T00:00:01Z', edited_at: null, deleted: false, reactions: [] }], false);
  store.addPending(1, 'later', 'c1');
  const said = [];
  store.subscribe((what) => said.push(what));
  const sync = new Sync({ store, api: {}, drafts: fakeDrafts(), toast: () => {}, navigate: () => {}, onMessage: () => {} });
  const newBen = { ...ben, display_name: 'Ben Ross', status: 'on holiday', avatar_url: '/api/v1/users/2/avatar?v=3' };
  await sync.onEvent({ type: 'user_updated', user: newBen });
  assert.deepEqual(said, ['user']);
  assert.equal(store.members.get(1)[1].user.display_name, 'Ben Ross');
  assert.equal(store.members.get(1)[1].user.status, 'on holiday');
  assert.equal(store.roomTitle(store.rooms.get(5)), 'Ben Ross');
  assert.equal(store.messages(1)[0].author.avatar_url, '/api/v1/users/2/avatar?v=3');
  assert.equal(store.messages(1)[1].author.display_name, null, 'others untouched');
  // Mine (another tab saved it): me, my messages and my sends on their way.
  store.updateUser({ ...me, display_name: 'Ann' });
  assert.equal(store.me.display_name, 'Ann');
  assert.equal(store.me.role, 'admin');
  assert.equal(displayName(store.messages(1)[1].author), 'Ann');
  assert.equal(displayName(store.messages(1)[2].author), 'Ann', 'the pending send');
  store.setTyping(1, newBen, 0);
  assert.deepEqual(store.typingNames(1, 1), ['Ben Ross'], 'typing by name');
});

test('my profile\'s endpoints: PATCH /me, the avatar\'s bytes with their type, DELETE, anyone\'s avatar with the bearer header', async () => {
  const seen = [];
  const api = {
    base: '/api/v1',
    request: async (method, path, body) => { seen.push([method, path, body]); return { id: 1 }; },
    fetchOrFail: async (url, init) => { seen.push([init.method || 'GET', url, init.headers]); return { json: async () => ({ id: 1, avatar_url: 'x' }), blob: async () => 'bytes' }; },
    authorized: async (attempt) => attempt({ Authorization: 'Bearer t' }),
  };
  const p = profileApi(api);
  await p.update({ display_name: 'Ann' });
  const file = { type: 'image/png', size: 3 };
  assert.deepEqual(await p.setAvatar(file), { id: 1, avatar_url: 'x' });
  await p.removeAvatar();
  assert.equal(await p.avatarBlob('/api/v1/users/1/avatar?v=2'), 'bytes');
  assert.deepEqual(seen, [
    ['PATCH', '/me', { display_name: 'Ann' }],
    ['PUT', '/api/v1/me/avatar', { Accept: 'application/json', 'Content-Type': 'image/png', Authorization: 'Bearer t' }],
    ['DELETE', '/me/avatar', undefined],
    ['GET', '/api/v1/users/1/avatar?v=2', { Authorization: 'Bearer t' }],
  ]);
});

test('roles: a room\'s owners change those of others who are not owners; nobody else', () => {
  const me = { id: 1, role: 'member' };
  const room = (role, kind = 'room') => ({ kind, role });
  const member = (id, role) => ({ user: { id }, role });
  assert.equal(canSetRole(room('owner'), me, member(2, 'member')), true);
  assert.equal(canSetRole(room('owner'), me, member(2, 'admin')), true);
  assert.equal(canSetRole(room('owner'), me, member(2, 'owner')), false, 'not another owner');
  assert.equal(canSetRole(room('owner'), me, member(1, 'owner')), false, 'not myself');
  assert.equal(canSetRole(room('admin'), me, member(2, 'member')), false, 'room admins do not');
  assert.equal(canSetRole(room('member'), { id: 1, role: 'admin' }, member(2, 'member')), true, 'server admins in any room');
  assert.equal(canSetRole(null, { id: 1, role: 'admin' }, member(2, 'member')), false);
  assert.equal(canSetRole(room('owner', 'direct'), me, member(2, 'member')), false, 'no roles in direct rooms');
});

test('the mention autocomplete finds people by their display name too; the mention stays @username', () => {
  const members = [{ user: { id: 2, username: 'ben', display_name: 'Zed Ross' } }, { user: { id: 3, username: 'zara' } }];
  assert.deepEqual(mentionChoices(members, 'z').map((c) => c.name), ['ben', 'zara']);
  assert.deepEqual(mentionChoices(members, 'ross').map((c) => c.name), ['ben'], 'a later word of it: containing');
  assert.deepEqual(mentionChoices(members, 'be').map((c) => c.name), ['ben']);
});

test('the audit log says who changed the server\'s settings', () => {
  assert.equal(auditLine({ action: 'server.updated', actor: { username: 'ann' }, target: null, room_id: null, detail: 'registration=invite' }), 'ann changed the server\'s settings (registration=invite)');
});

test('member_updated: the member role changes in the panel, and a change of mine changes the room role', async () => {
  const me = { id: 1, username: 'ann', role: 'member' };
  const store = new Store();
  store.setMe(me);
  store.setRooms([{ id: 1, name: 'r1', kind: 'room', visibility: 'public', joined: true, role: 'member', member_count: 2 }]);
  store.setMembers(1, [{ user: me, role: 'member', online: true }, { user: ben, role: 'member', online: true }]);
  const said = [];
  store.subscribe((what) => said.push(what));
  const sync = new Sync({ store, api: {}, drafts: fakeDrafts(), toast: () => {}, navigate: () => {}, onMessage: () => {} });
  await sync.onEvent({ type: 'member_updated', room_id: 1, user: ben, role: 'admin' });
  assert.equal(store.members.get(1)[1].role, 'admin');
  assert.equal(store.rooms.get(1).role, 'member', 'not mine');
  await sync.onEvent({ type: 'member_updated', room_id: 1, user: me, role: 'admin' });
  assert.equal(store.rooms.get(1).role, 'admin', 'mine: Room settings may show now');
  assert.ok(said.includes('members') && said.includes('rooms'));
});
