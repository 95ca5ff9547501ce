// Web Push on this device (push.js) with a fake browser: the key's decoding, what goes to the
// server, and what the setting says when the browser or the server refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { base64UrlToBytes, subscriptionBody, deletePath, pushSupport, pushText, DevicePush, PUSH_FLAG } from '../../js/push.js';

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
// A real uncompressed P-256 point, as the server's VAPID key is.
const vapid = (() => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
})();

test('base64url → bytes: both alphabets\' odd characters, with or without padding; other text is refused', () => {
  assert.deepEqual([...base64UrlToBytes('AQID')], [1, 2, 3]);
  assert.deepEqual([...base64UrlToBytes('-_8')], [0xfb, 0xff]);
  assert.deepEqual([...base64UrlToBytes('-_8=')], [0xfb, 0xff], 'padded');
  assert.deepEqual([...base64UrlToBytes('AA')], [0]);
  assert.deepEqual([...base64UrlToBytes('')], []);
  const key = base64UrlToBytes(b64url(vapid));
  assert.ok(key instanceof Uint8Array);
  assert.equal(key.length, 65);
  assert.deepEqual(Buffer.from(key), vapid, 'the key\'s 65 bytes exactly');
  for (const bad of ['a+b/', 'ab cd', 'abcde', '=AA', 12]) assert.throws(() => base64UrlToBytes(bad), TypeError, String(bad));
});

test('the subscription sent is toJSON()\'s endpoint and keys only; the delete names the endpoint, encoded', () => {
  const sub = { toJSON: () => ({ endpoint: 'https://push.example/a?b=1', expirationTime: null, keys: { p256dh: 'P', auth: 'A' } }) };
  assert.deepEqual(subscriptionBody(sub), { endpoint: 'https://push.example/a?b=1', keys: { p256dh: 'P', auth: 'A' } });
  assert.equal(deletePath('https://push.example/a?b=1&c'), '/push/subscriptions?endpoint=https%3A%2F%2Fpush.example%2Fa%3Fb%3D1%26c');
});

test('what the browser offers: a plain-HTTP address has no service workers; no push manager, no push', () => {
  class PushManager {}
  class Notification {}
  assert.equal(pushSupport({ isSecureContext: false, navigator: {} }), 'insecure');
  assert.equal(pushSupport({ isSecureContext: true, navigator: {}, PushManager, Notification }), 'unsupported', 'no serviceWorker');
  assert.equal(pushSupport({ isSecureContext: true, navigator: { serviceWorker: {} }, Notification }), 'unsupported', 'no PushManager');
  assert.equal(pushSupport({ isSecureContext: true, navigator: { serviceWorker: {} }, PushManager, Notification }), 'ok');
  assert.equal(pushText('unavailable'), 'This browser can\'t receive push notifications here.');
  assert.equal(pushText('failed', 'endpoint is not https'), 'Not turned on: endpoint is not https');
  assert.equal(pushText('nonsense'), '');
});

/**
 * A browser with a service worker container and a push manager that record what they are asked.
 * permission: the Notification permission now; answer: what requestPermission resolves with;
 * subscribe(): the push manager's answer.
 */
function fakeBrowser({ permission = 'default', answer = 'granted', subscribe, existing = null } = {}) {
  const log = [];
  const store = new Map();
  const makeSub = (endpoint, key) => ({
    endpoint, options: { applicationServerKey: key ? key.buffer.slice(0) : null },
    toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: 'pk-' + endpoint, auth: 'au-' + endpoint } }),
    unsubscribe: async () => { log.push(['unsubscribe', endpoint]); if (reg.sub && reg.sub.endpoint === endpoint) reg.sub = null; return true; },
  });
  const reg = {
    sub: existing ? makeSub(existing.endpoint, existing.key) : null,
    registered: false,
    pushManager: {
      getSubscription: async () => reg.sub,
      subscribe: async (opts) => {
        log.push(['subscribe', opts.userVisibleOnly, Buffer.from(opts.applicationServerKey)]);
        const made = subscribe ? await subscribe(opts) : makeSub('https://push.example/new', opts.applicationServerKey);
        if (made && !made.toJSON) return makeSub(made.endpoint, opts.applicationServerKey);
        reg.sub = made;
        return made;
      },
    },
  };
  const Notification = {
    permission,
    requestPermission: async () => { log.push(['requestPermission']); Notification.permission = answer; return answer; },
  };
  const g = {
    isSecureContext: true, PushManager: class {}, Notification,
    navigator: {
      serviceWorker: {
        register: async (url, opts) => { log.push(['register', url, opts.scope]); reg.registered = true; return reg; },
        get ready() { return Promise.resolve(reg); },
        getRegistration: async (scope) => { log.push(['getRegistration', scope]); return reg.registered ? reg : undefined; },
      },
    },
    localStorage: { getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, String(v)), removeItem: (k) => store.delete(k) },
  };
  return { g, reg, log, store, makeSub };
}

/** An API client recording its requests; `fail`: {'METHOD path-start': error} refusals. */
function fakeApi({ fail = {}, key = b64url(vapid) } = {}) {
  const calls = [];
  return {
    calls, loggedIn: true,
    async request(method, path, body) {
      calls.push([method, path, body]);
      const refusal = Object.entries(fail).find(([k]) => `${method} ${path}`.startsWith(k));
      if (refusal) throw refusal[1];
      if (path === '/push/vapid-key') return { public_key: key };
      return null;
    },
  };
}
const problem = (status, detail) => Object.assign(new Error(detail), { status, detail });

test('turning it on: the permission from the click, the worker at /sw.js with scope /, the server\'s key, the subscription posted; then it is on', async () => {
  const b = fakeBrowser();
  const api = fakeApi();
  const push = new DevicePush({ api, g: b.g });
  assert.equal(await push.state(), 'off');
  assert.deepEqual(await push.enable(), { state: 'on' });
  assert.deepEqual(b.log.filter((l) => l[0] !== 'getRegistration'), [
    ['requestPermission'],
    ['register', '/sw.js', '/'],
    ['subscribe', true, vapid],
  ]);
  assert.deepEqual(api.calls, [
    ['GET', '/push/vapid-key', undefined],
    ['POST', '/push/subscriptions', { endpoint: 'https://push.example/new', keys: { p256dh: 'pk-https://push.example/new', auth: 'au-https://push.example/new' } }],
  ]);
  assert.equal(b.store.get(PUSH_FLAG), '1');
  assert.equal(await push.state(), 'on');
});

test('the permission refused or the prompt dismissed: nothing registered or sent, and it says why', async () => {
  for (const [answer, state] of [['denied', 'denied'], ['default', 'dismissed']]) {
    const b = fakeBrowser({ answer });
    const api = fakeApi();
    const push = new DevicePush({ api, g: b.g });
    assert.deepEqual(await push.enable(), { state });
    assert.deepEqual(b.log, [['requestPermission']], answer);
    assert.deepEqual(api.calls, []);
    assert.equal(b.store.has(PUSH_FLAG), false);
  }
  const blocked = fakeBrowser({ permission: 'denied' });
  const push = new DevicePush({ api: fakeApi(), g: blocked.g });
  assert.equal(await push.state(), 'denied');
  assert.deepEqual(await push.enable(), { state: 'denied' });
  assert.deepEqual(blocked.log.filter((l) => l[0] === 'requestPermission'), [], 'a blocked permission is not asked for again');
});

test('a browser that cannot subscribe (no push service, or one that never answers): "can\'t receive push here", nothing posted, a late subscription undone', async () => {
  const refused = fakeBrowser({ subscribe: async () => { throw Object.assign(new Error('Registration failed - permission denied'), { name: 'AbortError' }); } });
  const api = fakeApi();
  const push = new DevicePush({ api, g: refused.g });
  assert.deepEqual(await push.enable(), { state: 'unavailable' });
  assert.deepEqual(api.calls.map((c) => c[0] + ' ' + c[1]), ['GET /push/vapid-key']);
  assert.equal(refused.store.has(PUSH_FLAG), false);
  assert.equal(await push.state(), 'off');

  let answerLate;
  const hanging = fakeBrowser({ permission: 'granted', subscribe: () => new Promise((r) => { answerLate = r; }) });
  const slow = new DevicePush({ api: fakeApi(), g: hanging.g, timeoutMs: 20 });
  assert.deepEqual(await slow.enable(), { state: 'unavailable' });
  answerLate({ endpoint: 'https://push.example/late' });
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(hanging.log.filter((l) => l[0] === 'unsubscribe'), [['unsubscribe', 'https://push.example/late']]);
});

test('the server refuses the subscription or sends a bad key: it says so and keeps nothing', async () => {
  const b = fakeBrowser({ permission: 'granted' });
  const push = new DevicePush({ api: fakeApi({ fail: { 'POST /push/subscriptions': problem(400, 'endpoint must be https') } }), g: b.g });
  assert.deepEqual(await push.enable(), { state: 'failed', detail: 'endpoint must be https' });
  assert.deepEqual(b.log.filter((l) => l[0] === 'unsubscribe'), [['unsubscribe', 'https://push.example/new']], 'the browser\'s subscription is dropped again');
  assert.equal(b.store.has(PUSH_FLAG), false);
  for (const key of ['AQID', '***']) {
    const c = fakeBrowser({ permission: 'granted' });
    const r = await new DevicePush({ api: fakeApi({ key }), g: c.g }).enable();
    assert.equal(r.state, 'failed', key);
    assert.deepEqual(c.log.filter((l) => l[0] === 'subscribe'), [], 'never subscribed with it');
  }
});

test('a subscription for another key (the server\'s changed) is replaced; one for this key is reused', async () => {
  const other = new Uint8Array(65).fill(4);
  const b = fakeBrowser({ permission: 'granted', existing: { endpoint: 'https://push.example/old', key: other } });
  assert.deepEqual(await new DevicePush({ api: fakeApi(), g: b.g }).enable(), { state: 'on' });
  assert.deepEqual(b.log.filter((l) => l[0] === 'unsubscribe' || l[0] === 'subscribe').map((l) => l.slice(0, 2)), [['unsubscribe', 'https://push.example/old'], ['subscribe', true]]);
  const same = fakeBrowser({ permission: 'granted', existing: { endpoint: 'https://push.example/same', key: new Uint8Array(vapid) } });
  await new DevicePush({ api: fakeApi(), g: same.g }).enable();
  assert.deepEqual(same.log.filter((l) => l[0] === 'unsubscribe'), []);
});

test('turning it off: the server forgets the endpoint, the browser unsubscribes, the worker stays (the app shell\'s); signed out, only the browser', async () => {
  const b = fakeBrowser({ permission: 'granted' });
  const api = fakeApi();
  const push = new DevicePush({ api, g: b.g });
  await push.enable();
  b.log.length = 0;
  api.calls.length = 0;
  await push.disable();
  assert.deepEqual(api.calls, [['DELETE', '/push/subscriptions?endpoint=https%3A%2F%2Fpush.example%2Fnew', undefined]]);
  assert.deepEqual(b.log.filter((l) => l[0] !== 'getRegistration'), [['unsubscribe', 'https://push.example/new']]);
  assert.equal(b.store.has(PUSH_FLAG), false);
  assert.equal(await push.state(), 'off');

  const c = fakeBrowser({ permission: 'granted' });
  const gone = fakeApi({ fail: { DELETE: problem(0, 'unreachable') } });
  const p2 = new DevicePush({ api: gone, g: c.g });
  await p2.enable();
  await p2.disable();
  assert.deepEqual(c.log.filter((l) => l[0] === 'unsubscribe'), [['unsubscribe', 'https://push.example/new']], 'a failed DELETE still unsubscribes');
  const d = fakeBrowser({ permission: 'granted' });
  const signedOut = fakeApi();
  const p3 = new DevicePush({ api: signedOut, g: d.g });
  await p3.enable();
  signedOut.loggedIn = false;
  signedOut.calls.length = 0;
  await p3.disable({ server: true });
  assert.deepEqual(signedOut.calls, [], 'no token: no DELETE');
  assert.deepEqual(d.log.filter((l) => l[0] === 'unsubscribe').length, 1);
});

test('a page load on a device that turned it on: the worker and the subscription handed over again, never a prompt; a revoked permission turns it off', async () => {
  const off = fakeBrowser({ permission: 'granted' });
  assert.equal(await new DevicePush({ api: fakeApi(), g: off.g }).resume(), null);
  assert.deepEqual(off.log, [], 'not on here: no worker');

  const b = fakeBrowser({ permission: 'granted' });
  const api = fakeApi();
  const push = new DevicePush({ api, g: b.g });
  await push.enable();
  api.calls.length = 0;
  assert.deepEqual(await push.resume(), { state: 'on' });
  assert.deepEqual(api.calls.map((c) => c[0] + ' ' + c[1]), ['GET /push/vapid-key', 'POST /push/subscriptions']);

  b.g.Notification.permission = 'default'; // reset in the site settings
  b.log.length = 0;
  assert.deepEqual(await push.resume(), { state: 'dismissed' });
  assert.deepEqual(b.log.filter((l) => l[0] === 'requestPermission'), [], 'no prompt without a click');
  assert.equal(b.store.has(PUSH_FLAG), false, 'turned off');
  assert.ok(b.log.some((l) => l[0] === 'unsubscribe'));

  const flaky = fakeBrowser({ permission: 'granted' });
  const p2 = new DevicePush({ api: fakeApi(), g: flaky.g });
  await p2.enable();
  flaky.reg.pushManager.subscribe = async () => { throw new Error('push service down'); };
  flaky.reg.sub = null;
  assert.deepEqual(await p2.resume(), { state: 'unavailable' });
  assert.equal(flaky.store.get(PUSH_FLAG), '1', 'a failure that may pass leaves it on for the next load');
});
