import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinCode, registration, inviteBody, inviteUses, inviteExpiry } from '../../js/invites.js';

test('the join route carries the invite code; other hashes carry none', () => {
  assert.equal(joinCode('#/join/Ab3_x-9'), 'Ab3_x-9');
  assert.equal(joinCode('#/join/Ab3/'), 'Ab3');
  assert.equal(joinCode('#/join/a%20b'), 'a b');
  for (const h of ['', '#/', '#/join/', '#/join', '#/rooms/3', '#/join/a/b', '#/join/%E0%A4%A', undefined]) assert.equal(joinCode(h), null, String(h));
});

test('what the create-account tab offers under each policy', () => {
  const server = (registration, setup = false) => ({ name: 'Acme', registration, version: '0.1.0', setup });
  assert.deepEqual(registration(null, null), { tab: true, fields: true, note: null, first: false }, 'unknown: the server decides');
  assert.deepEqual(registration(server('open'), null), { tab: true, fields: true, note: null, first: false });
  for (const policy of ['open', 'invite', 'closed']) {
    const offer = registration(server(policy, true), null);
    assert.equal(offer.first, true);
    assert.equal(offer.fields, true);
    assert.match(offer.note, /first account: you will be the server's admin/);
  }
  const needed = registration(server('invite'), null);
  assert.equal(needed.fields, false);
  assert.match(needed.note, /invite link is needed to create an account on Acme/);
  const invited = registration(server('invite'), 'abc');
  assert.equal(invited.fields, true);
  assert.match(invited.note, /invited to Acme/);
  assert.deepEqual(registration(server('closed'), 'abc'), { tab: false, fields: false, note: null, first: false });
});

test('the body of a new invite: no limit and never are left out', () => {
  assert.deepEqual(inviteBody({ uses: '5', expires: '86400' }), { max_uses: 5, expires_in: 86400 });
  assert.deepEqual(inviteBody({ uses: 'unlimited', expires: 'never' }), {});
  assert.deepEqual(inviteBody({ uses: '1', expires: null }), { max_uses: 1 });
});

test("an invite's uses", () => {
  assert.equal(inviteUses({ uses: 0, max_uses: 1 }), '0 of 1 use');
  assert.equal(inviteUses({ uses: 3, max_uses: 25 }), '3 of 25 uses');
  assert.equal(inviteUses({ uses: 1, max_uses: null }), '1 use, no limit');
  assert.equal(inviteUses({ uses: 4, max_uses: null }), '4 uses, no limit');
});

test("an invite's expiry, relative to now", () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const at = (s) => ({ expires_at: new Date(now + s * 1000).toISOString() });
  assert.equal(inviteExpiry({ expires_at: null }, now), 'Never expires');
  assert.equal(inviteExpiry(at(-5), now), 'Expired');
  assert.equal(inviteExpiry(at(20), now), 'Expires in 1 minute');
  assert.equal(inviteExpiry(at(60 * 45), now), 'Expires in 45 minutes');
  assert.equal(inviteExpiry(at(3600 * 5 + 60), now), 'Expires in 5 hours');
  assert.equal(inviteExpiry(at(86400 - 2), now), 'Expires in 1 day', 'a day-long invite just created');
  assert.equal(inviteExpiry(at(7 * 86400 - 2), now), 'Expires in 7 days');
  assert.equal(inviteExpiry({ expires_at: 'soon' }, now), '');
});
