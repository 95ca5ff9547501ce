import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, parseInline, safeHref, mentions, plainText } from '../../js/markdown.js';

const texts = (nodes) => nodes.map((n) => (n.text !== undefined ? n.text : n.children ? texts(n.children) : n.type === 'mention' ? '@' + n.name : '\n')).join('');
const find = (nodes, type) => {
  for (const n of nodes) {
    if (n.type === type) return n;
    if (n.children) { const f = find(n.children, type); if (f) return f; }
  }
  return null;
};

test('plain text stays one text token', () => {
  assert.deepEqual(parse('hello world'), [{ type: 'para', children: [{ type: 'text', text: 'hello world' }] }]);
});

test('bold, italic (both markers) and inline code', () => {
  const [p] = parse('a **b** *c* _d_ `e*f*`');
  assert.equal(find(p.children, 'bold').children[0].text, 'b');
  const italics = p.children.filter((n) => n.type === 'italic').map((n) => n.children[0].text);
  assert.deepEqual(italics, ['c', 'd']);
  assert.deepEqual(find(p.children, 'code'), { type: 'code', text: 'e*f*' });
});

test('snake_case and lone asterisks stay literal', () => {
  assert.deepEqual(parseInline('snake_case_name 2 * 3 * 4'), [{ type: 'text', text: 'snake_case_name 2 * 3 * 4' }]);
});

test('fenced code block keeps its content verbatim', () => {
  const blocks = parse('before\n```js\nconst a = "<b>";\n**no**\n```\nafter');
  assert.equal(blocks.length, 3);
  assert.deepEqual(blocks[1], { type: 'code_block', text: 'const a = "<b>";\n**no**' });
  assert.equal(texts(blocks[2].children), 'after');
});

test('links: markdown and bare URLs, trailing punctuation excluded', () => {
  const [p] = parse('see [docs](https://example.com/a?b=1) and https://example.org/x.');
  const links = p.children.filter((n) => n.type === 'link');
  assert.equal(links.length, 2);
  assert.equal(links[0].href, 'https://example.com/a?b=1');
  assert.equal(texts(links[0].children), 'docs');
  assert.equal(links[1].href, 'https://example.org/x');
  assert.equal(p.children.at(-1).text, '.');
});

test('javascript:, data: and vbscript: links are never linked', () => {
  for (const body of ['[x](javascript:alert(1))', '[x](javascript:alert%281%29)', '[x](JaVaScRiPt:alert)', '[x](data:text/html,<script>alert(1)</script>)', '[x](vbscript:msgbox)', 'javascript:alert(1)']) {
    const blocks = parse(body);
    assert.equal(find(blocks[0].children, 'link'), null, body);
    assert.equal(texts(blocks[0].children), body, 'kept as literal text: ' + body);
  }
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref(' https://ok.example/'), 'https://ok.example/');
  assert.equal(safeHref('mailto:a@b.example'), 'mailto:a@b.example');
  assert.equal(safeHref('//evil.example'), null);
});

test('HTML payloads stay text tokens', () => {
  const payloads = ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '"><svg onload=alert(1)>', '<a href="javascript:alert(1)">x</a>'];
  for (const s of payloads) {
    const blocks = parse(s);
    assert.equal(blocks.length, 1);
    assert.equal(texts(blocks[0].children), s);
    assert.ok(blocks[0].children.every((n) => n.type === 'text' || n.type === 'link'), s);
  }
  // Inside formatting too.
  const [p] = parse('**<img src=x onerror=alert(1)>**');
  assert.equal(find(p.children, 'bold').children[0].text, '<img src=x onerror=alert(1)>');
});

test('mentions: mine are flagged, emails are not mentions', () => {
  const [p] = parse('hey @Alice and @bob, mail me at x@example.com', { me: 'alice' });
  const ms = p.children.filter((n) => n.type === 'mention');
  assert.deepEqual(ms.map((m) => [m.name, m.me]), [['Alice', true], ['bob', false]]);
  assert.ok(mentions('ping @alice', 'alice'));
  assert.ok(!mentions('ping @alicex', 'alice'));
});

test('newlines become line breaks; plainText flattens', () => {
  const [p] = parse('a\nb');
  assert.deepEqual(p.children.map((n) => n.type), ['text', 'br', 'text']);
  assert.equal(plainText('**hi** `x`'), 'hi x');
});

test('quotes hold blocks; lists keep their items and start; ordinary lines stay paragraphs', () => {
  const blocks = parse('> quoted **bold**\n> - inside\nplain\n- one\n- two\n3. three\n4) four\n*not a list*');
  assert.deepEqual(blocks.map((b) => b.type), ['quote', 'para', 'list', 'list', 'para']);
  assert.deepEqual(blocks[0].blocks.map((b) => b.type), ['para', 'list']);
  assert.equal(find(blocks[0].blocks[0].children, 'bold').children[0].text, 'bold');
  assert.deepEqual(blocks[2].items.map(texts), ['one', 'two']);
  assert.deepEqual([blocks[3].ordered, blocks[3].start, blocks[3].items.map(texts)], [true, 3, ['three', 'four']]);
  assert.equal(find(blocks[4].children, 'italic').children[0].text, 'not a list');
  assert.equal(plainText('> a\n- b\n- c'), 'a b c');
  assert.ok(mentions('- ping @alice', 'alice'));
});

test('quotes nest only so deep; a > inside a line is literal', () => {
  const [q] = parse('>>>> deep');
  assert.equal(q.blocks[0].blocks[0].blocks[0].type, 'para');
  assert.equal(texts(q.blocks[0].blocks[0].blocks[0].children), '> deep');
  assert.deepEqual(parse('2 > 1').map((b) => b.type), ['para']);
});

test('strikethrough and known :shortcodes:; unknown ones and times stay literal', () => {
  const [p] = parse('~~old~~ new :tada: :nope: 12:30:45 a~~b');
  assert.equal(find(p.children, 'strike').children[0].text, 'old');
  assert.deepEqual(find(p.children, 'emoji'), { type: 'emoji', name: 'tada', char: '🎉' });
  assert.match(texts(p.children.filter((n) => n.type === 'text')), /:nope: 12:30:45 a~~b$/);
  assert.equal(plainText(':+1: ok'), '👍 ok');
});
