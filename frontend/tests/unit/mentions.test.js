import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentionAt, mentionChoices, insertMention, mentionedNames, namesOf } from '../../js/mentions.js';
import { parse } from '../../js/markdown.js';

const member = (id, username) => ({ user: { id, username }, role: 'member', online: false });
const members = [member(1, 'alice'), member(2, 'bob'), member(3, 'bobby'), member(4, 'rob'), member(5, 'carol')];

test('the @name being typed at the caret: after a space or at the start, not in an address', () => {
  assert.deepEqual(mentionAt('@', 1), { start: 0, query: '' });
  assert.deepEqual(mentionAt('hi @bo', 6), { start: 3, query: 'bo' });
  assert.deepEqual(mentionAt('hi @bo there', 6), { start: 3, query: 'bo' }, 'the caret decides, not the end of the text');
  assert.deepEqual(mentionAt('(@ca', 4), { start: 1, query: 'ca' });
  assert.deepEqual(mentionAt('ask @first.last', 15), { start: 4, query: 'first.last' });
  assert.equal(mentionAt('mail alice@example', 18), null, 'an address');
  assert.equal(mentionAt('hi @bo there', 12), null, 'a space ended it');
  assert.equal(mentionAt('no at sign', 10), null);
  assert.equal(mentionAt('', 0), null);
});

test('choices: names starting with the query first, then containing it, by name; room; never me; at most the limit', () => {
  const names = (q, o) => mentionChoices(members, q, o).map((c) => c.name);
  assert.deepEqual(names('bo', { meId: 1 }), ['bob', 'bobby']);
  assert.deepEqual(names('ob', { meId: 1 }), ['bob', 'bobby', 'rob'], 'containing it');
  assert.deepEqual(names('r', { meId: 1 }), ['rob', 'room', 'carol'], 'starting with it (room too) before containing it');
  assert.deepEqual(names('', { meId: 1 }), ['bob', 'bobby', 'carol', 'rob', 'room'], 'everyone but me, then room');
  assert.deepEqual(names('', { meId: 1, limit: 2 }), ['bob', 'bobby']);
  assert.deepEqual(names('ALI', { meId: 2 }), ['alice'], 'case does not matter');
  assert.deepEqual(names('zz'), []);
  const room = mentionChoices(members, 'roo')[0];
  assert.deepEqual(room, { name: 'room', room: true });
  assert.deepEqual(mentionChoices(members, 'car')[0], { name: 'carol', user: { id: 5, username: 'carol' } });
});

test('picking a choice replaces the @query with @name and a space, the caret after it', () => {
  assert.deepEqual(insertMention('hi @bo', mentionAt('hi @bo', 6), 6, 'bobby'), { text: 'hi @bobby ', caret: 10 });
  assert.deepEqual(insertMention('hi @bo there', mentionAt('hi @bo there', 6), 6, 'bob'), { text: 'hi @bob there', caret: 8 }, 'no second space');
  assert.deepEqual(insertMention('@', mentionAt('@', 1), 1, 'room'), { text: '@room ', caret: 6 });
  const text = 'a @ca, b';
  assert.deepEqual(insertMention(text, mentionAt(text, 5), 5, 'carol'), { text: 'a @carol , b', caret: 9 });
});

test('a message\'s mentions: the mentioned users\' names (known ones only) and room', () => {
  const nameOf = namesOf(members, { id: 9, username: 'me_myself' });
  assert.deepEqual([...mentionedNames({ mentions: [2, 5], mentions_room: false }, nameOf)], ['bob', 'carol']);
  assert.deepEqual([...mentionedNames({ mentions: [9, 42], mentions_room: true }, nameOf)], ['me_myself', 'room'], 'me, not an unknown id; room');
  assert.deepEqual([...mentionedNames({}, nameOf)], [], 'an older message without the fields');
  assert.equal(nameOf(3), 'bobby');
  assert.equal(nameOf(42), undefined);
});

test('the markdown tokens the names apply to: @name tokens (case kept), none in code', () => {
  const tokens = parse('hey @Bob and `@carol`, @room!', { me: 'bob' })[0].children.filter((t) => t.type === 'mention');
  assert.deepEqual(tokens, [{ type: 'mention', name: 'Bob', me: true }, { type: 'mention', name: 'room', me: false }]);
});
