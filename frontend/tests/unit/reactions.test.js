import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withReaction } from '../../js/store.js';
import { reactionLabel, reactedBy } from '../../js/reactions.js';

const thumbs = (...ids) => ({ emoji: '👍', count: ids.length, user_ids: ids });
const tada = (...ids) => ({ emoji: '🎉', count: ids.length, user_ids: ids });

test('my reaction goes on as the server puts it: a new emoji last, me after the others', () => {
  assert.deepEqual(withReaction([], '👍', 1, true), [thumbs(1)]);
  assert.deepEqual(withReaction(undefined, '👍', 1, true), [thumbs(1)], 'a message without the field');
  assert.deepEqual(withReaction([thumbs(2)], '🎉', 1, true), [thumbs(2), tada(1)]);
  assert.deepEqual(withReaction([thumbs(2), tada(3)], '👍', 1, true), [thumbs(2, 1), tada(3)]);
});

test('my reaction comes off leaving the others in order; an emoji nobody uses goes away', () => {
  assert.deepEqual(withReaction([thumbs(2, 1, 3), tada(1)], '👍', 1, false), [thumbs(2, 3), tada(1)]);
  assert.deepEqual(withReaction([thumbs(1), tada(2)], '👍', 1, false), [tada(2)]);
});

test('a reaction that is so already leaves the very same list (no re-render)', () => {
  const list = [thumbs(1, 2)];
  assert.equal(withReaction(list, '👍', 1, true), list);
  assert.equal(withReaction(list, '👍', 3, false), list);
  assert.equal(withReaction(list, '🎉', 1, false), list);
});

test('a chip says its count, whether I am in it and what a click does', () => {
  assert.equal(reactionLabel(thumbs(2, 1), true, true), '👍 2 reactions, including you; click to remove');
  assert.equal(reactionLabel(thumbs(2), false, true), '👍 1 reaction; click to add yours');
  assert.equal(reactionLabel(thumbs(2, 3), false, false), '👍 2 reactions', 'not a member: nothing to click');
});

test('who reacted, in order, by name; me as "you"; ids not known are "someone" or counted', () => {
  const names = new Map([[1, 'you'], [2, 'alice'], [3, 'bob']]);
  const nameOf = (id) => names.get(id);
  assert.equal(reactedBy([2], nameOf), 'Reacted by alice');
  assert.equal(reactedBy([3, 1], nameOf), 'Reacted by bob and you');
  assert.equal(reactedBy([2, 1, 3], nameOf), 'Reacted by alice, you and bob');
  assert.equal(reactedBy([2, 99], nameOf), 'Reacted by alice and someone');
  assert.equal(reactedBy([99], nameOf), 'Reacted by someone');
  assert.equal(reactedBy([98, 2, 99], nameOf), 'Reacted by alice and 2 others');
  assert.equal(reactedBy([98, 99], nameOf), 'Reacted by 2 people');
  const many = Array.from({ length: 13 }, (_, i) => i + 100);
  assert.equal(reactedBy(many, (id) => `u${id}`, 10), 'Reacted by u100, u101, u102, u103, u104, u105, u106, u107, u108, u109 and 3 others');
});
