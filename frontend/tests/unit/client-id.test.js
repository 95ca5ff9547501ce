import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientId } from '../../js/sync.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// crypto's methods live on Crypto's prototype (`delete globalThis.crypto.randomUUID` alone
// removes nothing): they are replaced, or deleted as on a plain-HTTP page, there.
const proto = Object.getPrototypeOf(globalThis.crypto);

/** Runs `fn` with crypto's `name` replaced by `value` (undefined: gone), then puts it back. */
function withCrypto(name, value, fn) {
  const saved = Object.getOwnPropertyDescriptor(proto, name);
  if (value === undefined) delete proto[name];
  else Object.defineProperty(proto, name, { ...saved, value });
  try {
    assert.equal(globalThis.crypto[name], value);
    return fn();
  } finally {
    Object.defineProperty(proto, name, saved);
  }
}

test('crypto.randomUUID makes the id where the browser has it', () => {
  assert.equal(withCrypto('randomUUID', () => 'from-random-uuid', clientId), 'from-random-uuid');
});

test('without crypto.randomUUID (plain HTTP on a LAN address) the id is a v4 UUID from getRandomValues', () => {
  withCrypto('randomUUID', undefined, () => {
    const ids = Array.from({ length: 200 }, clientId);
    for (const id of ids) assert.match(id, V4);
    assert.equal(new Set(ids).size, ids.length, 'all different');
    // The bytes are getRandomValues' with the version and variant bits set.
    assert.equal(withCrypto('getRandomValues', (a) => a.fill(0xff), clientId), 'ffffffff-ffff-4fff-bfff-ffffffffffff');
    assert.equal(withCrypto('getRandomValues', (a) => a.fill(0), clientId), '00000000-0000-4000-8000-000000000000');
    const bytes = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
    assert.equal(withCrypto('getRandomValues', (a) => { a.set(bytes); return a; }, clientId), '12345678-9abc-4ef0-9234-56789abcdef0');
  });
  assert.equal(typeof globalThis.crypto.randomUUID, 'function', 'put back');
});
