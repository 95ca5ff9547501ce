import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionCount, documentTitle, badgeText, levelOf, notificationText } from '../../js/attention.js';

const room = (extra) => ({ kind: 'room', joined: true, unread_count: 0, mention_count: 0, ...extra });
const dm = (extra) => room({ kind: 'direct', ...extra });

test('the title count: mentions of rooms, unread of direct rooms (mentions there counted once), by each level', () => {
  assert.equal(attentionCount([]), 0);
  assert.equal(attentionCount([room({ unread_count: 5, mention_count: 2 }), dm({ unread_count: 3, mention_count: 1 })]), 5, '2 + 3');
  assert.equal(attentionCount([room({ unread_count: 5, mention_count: 2, notify: 'all' })]), 5, 'a room at all: every unread');
  assert.equal(attentionCount([dm({ unread_count: 3, mention_count: 1, notify: 'mentions' })]), 1, 'a direct room at mentions');
  assert.equal(attentionCount([room({ mention_count: 2, notify: 'none' }), dm({ unread_count: 3, notify: 'none' })]), 0, 'none counts nothing');
  assert.equal(attentionCount([room({ joined: false, unread_count: 4, mention_count: 4 })]), 0, 'not a member');
  assert.equal(attentionCount([room({ mention_count: undefined }), dm({})]), 0, 'fields missing');
  assert.deepEqual([levelOf(room({})), levelOf(dm({})), levelOf(room({ notify: 'none' }))], ['mentions', 'all', 'none']);
});

test('the title and the badge', () => {
  assert.equal(documentTitle(0), 'Confab');
  assert.equal(documentTitle(0, '#general'), '#general · Confab');
  assert.equal(documentTitle(3, 'bob'), '(3) bob · Confab');
  assert.equal(documentTitle(2), '(2) Confab');
  assert.deepEqual([badgeText(1), badgeText(99), badgeText(100)], ['1', '99', '99+']);
});

test('a notification says who, where and why', () => {
  const message = (extra) => ({ author: { id: 2, username: 'bob' }, attachments: [], reply_to: null, ...extra });
  assert.deepEqual(notificationText({ reason: 'mention', message: message() }, '#general', 'hi @alice'), { title: 'bob mentioned you in #general', body: 'hi @alice' });
  assert.deepEqual(notificationText({ reason: 'direct', message: message() }, 'bob', 'psst'), { title: 'bob', body: 'psst' });
  assert.deepEqual(notificationText({ reason: 'direct', message: message() }, 'bob, carol', 'all of us'), { title: 'bob in bob, carol', body: 'all of us' });
  assert.deepEqual(notificationText({ reason: 'all', message: message({ reply_to: 7 }) }, '#general', 'me too'), { title: 'bob in a thread in #general', body: 'me too' });
  assert.deepEqual(notificationText({ reason: 'all', message: message({ attachments: [{}, {}] }) }, '#general', ''), { title: 'bob in #general', body: '2 files' });
  assert.equal(notificationText({ reason: 'all', message: message() }, '#g', 'x'.repeat(300)).body.length, 200);
});
