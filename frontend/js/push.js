// Web Push on this device, without the DOM: "Notify me on this device when Confab is closed".
// Turning it on asks the browser's permission (from the click), registers the service worker
// (/sw.js, scope /), subscribes its push manager with the server's VAPID key and gives the server
// the subscription; turning it off (and signing out) takes it back from the server and
// unsubscribes (the worker stays: it keeps the app shell as well). Whether this device wants it is kept in localStorage (`confab.push`), so a page
// load registers the worker only then and hands the server the subscription again (the browser
// may have replaced it, the server may have dropped it). The three calls of the push API live
// here rather than in api.js: this module loads on first use, the sign-in page stays small.
//
// The browser, its storage and the API client are handed in, so it is unit-tested in node.

/** localStorage key: '1' when this device asked for push notifications (app.js reads it too). */
export const PUSH_FLAG = 'confab.push';
/** A subscribe with no answer this long failed (a push service out of reach can hang for ever). */
export const SUBSCRIBE_TIMEOUT_MS = 20000;
/** Signing out waits this long at most for the server to forget the subscription. */
const FORGET_TIMEOUT_MS = 5000;
/** States that mean this device cannot have it any more (the permission went, or the browser cannot). */
const GONE = new Set(['denied', 'dismissed', 'unsupported', 'insecure']);

/** The bytes of base64url text (padded or not), as pushManager.subscribe takes a key. Throws on other text. */
export function base64UrlToBytes(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new TypeError('not base64url');
  const b64 = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (b64.length % 4 === 1) throw new TypeError('not base64url');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The body of POST /push/subscriptions from a PushSubscription: its toJSON()'s endpoint and keys. */
export function subscriptionBody(sub) {
  const { endpoint, keys = {} } = sub.toJSON();
  return { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };
}

/** The query of DELETE /push/subscriptions for one endpoint. */
export const deletePath = (endpoint) => `/push/subscriptions?endpoint=${encodeURIComponent(endpoint)}`;

/** What this browser can do here: 'ok', 'insecure' (a plain-HTTP address: no service workers) or 'unsupported'. */
export function pushSupport(g = globalThis) {
  if (g.isSecureContext === false) return 'insecure';
  return g.navigator && g.navigator.serviceWorker && 'PushManager' in g && 'Notification' in g ? 'ok' : 'unsupported';
}

/** What the setting says in each state (`detail`: the server's reason, for 'failed'). */
export function pushText(state, detail = '') {
  return {
    on: 'On: this device shows Confab\'s notifications while no tab of it is open.',
    off: 'Off: notifications show only while Confab is open.',
    enabling: 'Turning on…',
    disabling: 'Turning off…',
    dismissed: 'Allow notifications when the browser asks, to turn this on.',
    denied: 'Notifications are blocked for Confab in this browser\'s site settings.',
    unavailable: 'This browser can\'t receive push notifications here.',
    unsupported: 'This browser can\'t receive push notifications.',
    insecure: 'Push notifications need Confab on a secure (https) address.',
    failed: `Not turned on: ${detail || 'the server refused it'}`,
  }[state] || '';
}

/** Same key bytes (an ArrayBuffer or a view, and a Uint8Array). */
function sameKey(a, b) {
  const x = a ? new Uint8Array(a.buffer || a, a.byteOffset || 0, a.byteLength) : null;
  return Boolean(x) && x.length === b.length && x.every((v, i) => v === b[i]);
}

/** `promise`, or a rejection after `ms`; a late answer is handed to `late`. */
function within(promise, ms, late = () => {}) {
  let timer = 0;
  let over = false;
  return Promise.race([
    promise.then((v) => { if (over) late(v); return v; }),
    new Promise((_, reject) => { timer = setTimeout(() => { over = true; reject(new Error('timed out')); }, ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * This device's push notifications. api: the API client (`request`, `loggedIn`); g: the
 * browser's global (navigator, Notification, PushManager); storage: localStorage.
 */
export class DevicePush {
  constructor({ api, g = globalThis, storage = g.localStorage, timeoutMs = SUBSCRIBE_TIMEOUT_MS }) {
    this.api = api;
    this.g = g;
    this.storage = storage;
    this.timeoutMs = timeoutMs;
  }

  /** This device asked for push notifications. */
  get wanted() {
    try { return this.storage.getItem(PUSH_FLAG) === '1'; } catch { return false; }
  }

  want(on) {
    try { if (on) this.storage.setItem(PUSH_FLAG, '1'); else this.storage.removeItem(PUSH_FLAG); } catch { /* private mode: for this page only */ }
  }

  /** The worker's registration of scope /, if any. */
  async registration() {
    try { return (await this.g.navigator.serviceWorker.getRegistration('/')) || null; } catch { return null; }
  }

  /** The state to show: 'on' only with a subscription this device asked for; else why not ('off', 'denied', 'unsupported', 'insecure'). */
  async state() {
    const support = pushSupport(this.g);
    if (support !== 'ok') return support;
    if (this.g.Notification.permission === 'denied') return 'denied';
    if (!this.wanted) return 'off';
    const reg = await this.registration();
    const sub = reg && await reg.pushManager.getSubscription().catch(() => null);
    return sub ? 'on' : 'off';
  }

  /**
   * Turns it on: the permission (asked for when `ask`, from a click), the worker, the server's
   * key, the subscription (the existing one when it is for that key), given to the server.
   * Resolves with {state: 'on'} or why not ({state, detail}); never throws.
   */
  async enable({ ask = true } = {}) {
    const { g } = this;
    const support = pushSupport(g);
    if (support !== 'ok') return { state: support };
    let permission = g.Notification.permission;
    if (permission === 'default' && ask) {
      try { permission = await g.Notification.requestPermission(); } catch { permission = g.Notification.permission; }
    }
    if (permission !== 'granted') return { state: permission === 'denied' ? 'denied' : 'dismissed' };
    let key;
    try {
      key = base64UrlToBytes((await this.api.request('GET', '/push/vapid-key')).public_key);
      if (key.length !== 65 || key[0] !== 4) throw new Error('The server\'s push key is not a P-256 point.');
    } catch (e) { return { state: 'failed', detail: e.detail || e.message }; }
    let sub;
    try {
      const sw = g.navigator.serviceWorker;
      const reg = await within(sw.register('/sw.js', { scope: '/' }).then(() => sw.ready), this.timeoutMs);
      const old = await reg.pushManager.getSubscription();
      if (old && !sameKey(old.options && old.options.applicationServerKey, key)) await old.unsubscribe(); // the server's key changed
      sub = await within(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), this.timeoutMs, (late) => late.unsubscribe().catch(() => {}));
    } catch { return { state: 'unavailable' }; }
    try {
      await this.api.request('POST', '/push/subscriptions', subscriptionBody(sub));
    } catch (e) {
      sub.unsubscribe().catch(() => {});
      return { state: 'failed', detail: e.detail || e.message };
    }
    this.want(true);
    return { state: 'on' };
  }

  /**
   * Turns it off: the server forgets the subscription (when signed in and `server`), the browser
   * drops it; the worker stays (it keeps the app shell too). Best effort: never throws.
   */
  async disable({ server = true } = {}) {
    this.want(false);
    if (pushSupport(this.g) !== 'ok') return;
    const reg = await this.registration();
    if (!reg) return;
    const sub = await reg.pushManager.getSubscription().catch(() => null);
    if (sub) {
      if (server && this.api.loggedIn) await within(this.api.request('DELETE', deletePath(sub.endpoint)), FORGET_TIMEOUT_MS).catch(() => {});
      await sub.unsubscribe().catch(() => {});
    }
  }

  /**
   * A session starts on a device that asked for it: the worker registered again, the
   * subscription given to the server again. Without the permission any more it is turned
   * off; a failure that may pass (the server, the push service) leaves it for the next load.
   */
  async resume() {
    if (!this.wanted) return null;
    const r = await this.enable({ ask: false });
    if (GONE.has(r.state)) await this.disable();
    return r;
  }
}
