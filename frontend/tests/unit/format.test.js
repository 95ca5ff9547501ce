import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupRows, dayLabel, typingText, formatTime, memberCount } from '../../js/format.js';

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
