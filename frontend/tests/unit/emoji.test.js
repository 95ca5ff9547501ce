import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickerEmoji, withRecent, EMOJI } from '../../js/emoji.js';

test('the picker offers each character once, the recently used ones first', () => {
  const all = pickerEmoji();
  assert.equal(new Set(all.map((e) => e[1])).size, all.length);
  assert.deepEqual(all[0], EMOJI[0]);
  assert.equal(all.find((e) => e[1] === '👍')[0], '+1', 'an alias is left out');
  const recent = pickerEmoji(['🎉', '👍', 'not one of ours']);
  assert.deepEqual(recent.slice(0, 3).map((e) => e[1]), ['🎉', '👍', all[0][1]]);
  assert.equal(recent.length, all.length, 'moved, not repeated');
});

test('a use puts the character first, once; a few are kept', () => {
  assert.deepEqual(withRecent([], '👍'), ['👍']);
  assert.deepEqual(withRecent(['🎉', '👍', '🔥'], '👍'), ['👍', '🎉', '🔥']);
  assert.deepEqual(withRecent(['1', '2', '3'], '4', 3), ['4', '1', '2']);
});
