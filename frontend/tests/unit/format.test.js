import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupRows, dayLabel, typingText, formatTime, memberCount, charCount, bodyCounter, MAX_BODY, isLong, firstUnread, rankMatches, adjacent, connectionLabel, bannerText, describeAgent } from '../../js/format.js';

const at = (y, mo, d, h, mi) => new Date(y, mo - 1, d, h, mi).toISOString();
const m = (id, author, created_at, extra = {}) => ({ id, author: { id: author }, created_at, ...extra });

test('groups by author, day and 5-minute gaps', () => {
  const rows = groupRows([
    m(1, 1, at(2026, 11, 23, 10, 0)), m(2, 1, at(2026, 11, 23, 10, 2)), m(3, 2, at(2026, 11, 23, 10, 3)),
    m(4, 2, at(2026, 11, 23, 10, 20)), m(5, 2, at(2026, 11, 24, 9, 0)),
  ], new Date(2026, 10, 24, 12, 0));
  assert.deepEqual(rows.map((r) => (r.kind === 'day' ? r.label : `${r.msg.id}${r.first ? '*' : ''}`)),
    ['Yesterday', '1*', '2', '3*', '4*', 'Today', '5*']);
});

test('day labels and times', () => {
  const now = new Date(2026, 10, 24, 12, 0);
  assert.equal(dayLabel(at(2026, 11, 24, 1, 0), now), 'Today');
  assert.equal(dayLabel(at(2026, 11, 20, 1, 0), now), 'Friday, November 20');
  assert.equal(dayLabel(at(2025, 3, 2, 1, 0), now), 'March 2, 2025');
  assert.equal(formatTime(at(2026, 11, 24, 9, 5)), '09:05');
});

test('typing text', () => {
  assert.equal(typingText([]), '');
  assert.equal(typingText(['alice']), 'alice is typing…');
  assert.equal(typingText(['alice', 'bob']), 'alice and bob are typing…');
  assert.equal(typingText(['a', 'b', 'c']), 'Several people are typing…');
});

test('member counts', () => {
  assert.deepEqual([0, 1, 2].map(memberCount), ['0 members', '1 member', '2 members']);
});

test('bodies are counted in code points like the server, with a counter near the limit', () => {
  assert.equal(charCount('😄😄'), 2);
  assert.equal('😄😄'.length, 4);
  assert.equal(bodyCounter('hello'), null);
  assert.deepEqual(bodyCounter('😄'.repeat(3600)), { text: '3600 / 4000', over: false });
  assert.deepEqual(bodyCounter('😄'.repeat(MAX_BODY + 1)), { text: '4001 / 4000', over: true });
  assert.deepEqual(bodyCounter('  ' + 'a'.repeat(4000) + '\n\n'), { text: '4000 / 4000', over: false }, 'what is sent: trimmed');
});

test('long bodies collapse', () => {
  assert.equal(isLong('short'), false);
  assert.equal(isLong('a\n'.repeat(12)), true);
  assert.equal(isLong('x'.repeat(1201)), true);
});

test('the first unread is the first message of others after my read marker', () => {
  const m = (id, seq, author, extra = {}) => ({ id, seq, author: { id: author }, ...extra });
  const list = [m(1, 3, 2), m(2, 5, 1), m(3, 6, 2), m(4, 8, 2, { deleted: true }), m(5, 9, 3), m('p:x', undefined, 1, { pending: 'pending' })];
  assert.equal(firstUnread(list, 0, 1), 1);
  assert.equal(firstUnread(list, 3, 1), 3, 'mine (seq 5) is skipped');
  assert.equal(firstUnread(list, 6, 1), 5, 'deleted ones are not unread');
  assert.equal(firstUnread(list, 9, 1), null, 'all read');
  assert.equal(firstUnread(list, undefined, 1), null, 'not a member: no marker');
  assert.equal(firstUnread([m(2, 4, 1)], 0, 1), null, 'only mine after the marker');
});

test('quick switcher ranking: prefix, then word start, then substring', () => {
  const e = (label) => ({ label });
  const entries = [e('design-review'), e('general'), e('release-planning'), e('planning'), e('gen-z')];
  assert.deepEqual(rankMatches(entries, 'plan').map((x) => x.label), ['planning', 'release-planning']);
  assert.deepEqual(rankMatches(entries, '#gen').map((x) => x.label), ['general', 'gen-z']);
  assert.deepEqual(rankMatches(entries, 'view').map((x) => x.label), ['design-review']);
  assert.equal(rankMatches(entries, '', 2).length, 2);
  assert.deepEqual(rankMatches(entries, 'zzz'), []);
});

test('Alt+arrows move to the adjacent room, wrapping around', () => {
  assert.equal(adjacent([3, 5, 9], 5, 1), 9);
  assert.equal(adjacent([3, 5, 9], 9, 1), 3);
  assert.equal(adjacent([3, 5, 9], 3, -1), 9);
  assert.equal(adjacent([3, 5, 9], null, -1), 9);
  assert.equal(adjacent([], 1, 1), null);
});

test('the connection badge says what is happening, with the seconds to the next attempt', () => {
  assert.equal(connectionLabel('reconnecting', { retryAt: 5200 }, 1000), 'Reconnecting in 5 s');
  assert.equal(connectionLabel('reconnecting', { retryAt: 900 }, 1000), 'Reconnecting…');
  assert.equal(connectionLabel('offline'), 'Offline');
  assert.equal(connectionLabel('connected'), 'Connected');
  assert.equal(connectionLabel('error', { message: 'Too many tabs' }), 'Too many tabs');
});

test('the banner while the connection is down: offline, lost with the countdown, or why it stopped; none while up', () => {
  assert.equal(bannerText('offline'), 'You are offline. What you send is kept and goes out when the connection is back.');
  assert.equal(bannerText('reconnecting', { retryAt: 5200 }, 1000), 'Connection lost. Reconnecting in 5 s…');
  assert.equal(bannerText('reconnecting', {}, 1000), 'Connection lost. Reconnecting…');
  assert.equal(bannerText('error', { message: 'Too many open connections' }), 'Too many open connections');
  assert.equal(bannerText('connected'), null);
  assert.equal(bannerText('connecting'), null, 'a start does not flash it');
});

test('sessions are named by browser and system', () => {
  assert.equal(describeAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36'), 'Chrome on Linux');
  assert.equal(describeAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1'), 'Safari on iOS');
  assert.equal(describeAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'), 'Firefox on Windows');
  assert.equal(describeAgent(null), 'Unknown device');
  assert.equal(describeAgent('curl/8.0'), 'curl/8.0');
});
