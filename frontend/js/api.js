// REST client: JSON over fetch with bearer auth and silent token refresh.
//
// Refresh tokens rotate and reusing an old one revokes the session, so refreshes are serialized:
// concurrent callers share one in-flight request, and across tabs (same localStorage) a Web Lock
// makes the second tab adopt the tokens the first one stored instead of refreshing again.

const STORAGE_KEY = 'confab.tokens';
const REFRESH_MARGIN_MS = 60 * 1000;
const UNREACHABLE = { code: 'network_error', detail: 'The server cannot be reached. Check your connection.' };
const ABORTED = { code: 'aborted', detail: 'The request was cancelled.' };

// Refusals the app words itself (the server's detail is for the logs and other clients).
const SAID = { banned: 'You are banned from this room.', account_deactivated: 'This account is deactivated. Ask an admin.' };

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (SAID[problem.code] || problem.detail || problem.title)) || `Request failed (${status})`);
    this.status = status;
    this.code = (problem && problem.code) || 'http_' + status;
    this.detail = problem && (SAID[problem.code] || problem.detail);
    this.errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
    this.draft = (problem && problem.draft) || null; // a draft's conflict: the newer draft
  }
  /** {field: message} from a validation problem. */
  fieldErrors() {
    const out = {};
    for (const e of this.errors) if (e && e.field && !out[e.field]) out[e.field] = e.message || 'is invalid';
    return out;
  }
}

export class Api {
  constructor({ base = '/api/v1', storage = globalThis.localStorage, fetchImpl = (...a) => globalThis.fetch(...a), xhrImpl = () => new globalThis.XMLHttpRequest(), onSessionEnded = () => {}, now = () => Date.now() } = {}) {
    this.base = base;
    this.storage = storage;
    this.fetch = fetchImpl;
    this.xhr = xhrImpl;
    this.onSessionEnded = onSessionEnded;
    this.now = now;
    this.tokens = this.load();
    this.refreshing = null;
  }

  load() {
    try {
      const raw = this.storage && this.storage.getItem(STORAGE_KEY);
      return raw ? JSON.parse(raw) : null;
    } catch { return null; }
  }

  save(pair) {
    this.tokens = pair ? { ...pair, expires_at: this.now() + (pair.expires_in || 900) * 1000 } : null;
    try {
      if (pair) this.storage.setItem(STORAGE_KEY, JSON.stringify(this.tokens));
      else this.storage.removeItem(STORAGE_KEY);
    } catch { /* private mode: the session lasts for this tab */ }
  }

  get user() { return this.tokens && this.tokens.user; }
  get loggedIn() { return Boolean(this.tokens && this.tokens.refresh_token); }

  /** Refresh this long before expiry: a minute, or a fifth of a short token lifetime. */
  margin(tokens = this.tokens) {
    const life = ((tokens && tokens.expires_in) || 900) * 1000;
    return Math.min(REFRESH_MARGIN_MS, life / 5);
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken() {
    if (!this.tokens) throw new ApiError(401, { code: 'unauthenticated', detail: 'Not logged in' });
    if (this.tokens.expires_at - this.now() < this.margin()) await this.refresh();
    return this.tokens.access_token;
  }

  /** Rotates the token pair; concurrent calls share one request. Ends the session on failure. */
  refresh() {
    if (!this.refreshing) {
      const stale = this.tokens && this.tokens.access_token;
      const run = () => this.doRefresh(stale);
      const locks = globalThis.navigator && globalThis.navigator.locks;
      const p = locks ? locks.request('confab-refresh', run) : run();
      this.refreshing = p.finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  async doRefresh(staleAccess) {
    const stored = this.load();
    // Another tab may have refreshed already: adopt its tokens instead of reusing ours.
    if (stored && stored.access_token !== staleAccess && stored.expires_at - this.now() > this.margin(stored)) {
      this.tokens = stored;
      return stored;
    }
    const current = stored || this.tokens;
    if (!current || !current.refresh_token) { this.endSession(); throw new ApiError(401, { code: 'unauthenticated' }); }
    let res;
    try {
      res = await this.fetch(this.base + '/auth/refresh', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
    } catch {
      throw new ApiError(0, UNREACHABLE);
    }
    if (!res.ok) {
      const problem = await readJson(res);
      if (res.status === 401 || res.status === 400 || res.status === 403) this.endSession();
      throw new ApiError(res.status, problem);
    }
    const pair = await res.json();
    this.save(pair);
    return pair;
  }

  endSession() {
    const had = this.tokens;
    this.save(null);
    if (had) this.onSessionEnded();
  }

  /**
   * Runs `attempt(headers)` (→ a Response, or anything with its `status`, `ok` and `json()`), the
   * bearer header among the headers unless `auth` is false; a 401 refreshes the tokens and tries
   * once more. Resolves with the response; a failure throws an ApiError with the server's problem.
   */
  async authorized(attempt, { auth = true, retry = true } = {}) {
    const headers = auth ? { Authorization: 'Bearer ' + await this.accessToken() } : {};
    const res = await attempt(headers);
    if (res.status === 401 && auth && retry) {
      await this.refresh();
      return this.authorized(attempt, { auth, retry: false });
    }
    if (!res.ok) {
      const problem = await readJson(res);
      if (res.status === 401 && auth) this.endSession();
      throw new ApiError(res.status, problem);
    }
    return res;
  }

  /** fetch, its failure an ApiError (`aborted` when `init.signal` was). */
  async fetchOrFail(url, init) {
    try {
      return await this.fetch(url, init);
    } catch {
      throw new ApiError(0, init.signal && init.signal.aborted ? ABORTED : UNREACHABLE);
    }
  }

  /** Calls the API; a 401 triggers one refresh and retry. Returns parsed JSON or null (204). */
  async request(method, path, body, { auth = true, retry = true, signal } = {}) {
    const type = body === undefined ? {} : { 'Content-Type': 'application/json' };
    const res = await this.authorized((headers) => this.fetchOrFail(this.base + path, {
      method, headers: { Accept: 'application/json', ...type, ...headers }, body: body === undefined ? undefined : JSON.stringify(body), signal,
    }), { auth, retry });
    return res.status === 204 ? null : readJson(res);
  }

  // ---- endpoints -----------------------------------------------------------------------------
  /** `invite`: the code of an invite link, or undefined. */
  async register(username, password, invite) { const p = await this.request('POST', '/auth/register', { username, password, invite }, { auth: false }); this.save(p); return p; }
  async login(username, password) { const p = await this.request('POST', '/auth/login', { username, password }, { auth: false }); this.save(p); return p; }
  async logout() {
    try { if (this.tokens) await this.request('POST', '/auth/logout', undefined, { retry: false }); } catch { /* the session ends locally anyway */ }
    this.save(null);
  }
  me() { return this.request('GET', '/me'); }
  changePassword(current, next) { return this.request('PUT', '/me/password', { current_password: current, new_password: next }); }
  /** My live sessions, newest first: `{sessions: [{id, created_at, last_used_at, expires_at, current, user_agent}]}`. */
  sessions() { return this.request('GET', '/sessions'); }
  endSessionById(id) { return this.request('DELETE', `/sessions/${id}`); }
  /** Logs out everywhere, this session included; the tokens here are forgotten. */
  async endAllSessions() { await this.request('DELETE', '/sessions', undefined, { retry: false }); this.save(null); }
  /** The server's name, registration policy and upload limit (no auth): `{name, registration, version, setup, max_upload_bytes}`. */
  server() { return this.request('GET', '/server', undefined, { auth: false }); }
  /** Admins: a new invite link; `body`: `{max_uses?, expires_in?}` (seconds), omitted for no limit, never. */
  createInvite(body) { return this.request('POST', '/invites', body); }
  invites() { return this.request('GET', '/invites'); }
  revokeInvite(code) { return this.request('DELETE', `/invites/${encodeURIComponent(code)}`); }
  searchUsers(q) { return this.request('GET', '/users?q=' + encodeURIComponent(q)); }
  presence() { return this.request('GET', '/presence'); }
  /** One page of the room list (by id): `{rooms, has_more}`. `joined`: true (mine), false (public ones I have not joined). */
  roomsPage({ joined, afterId = 0, limit = 200 } = {}) {
    const q = new URLSearchParams({ after_id: String(afterId), limit: String(limit) });
    if (joined !== undefined) q.set('joined', String(joined));
    return this.request('GET', `/rooms?${q}`);
  }
  /** Every room of the list, following the pages. */
  async allRooms({ joined } = {}) {
    const rooms = [];
    for (let afterId = 0; ;) {
      const page = await this.roomsPage({ joined, afterId });
      rooms.push(...page.rooms);
      if (!page.has_more || !page.rooms.length) return rooms;
      afterId = page.rooms[page.rooms.length - 1].id;
    }
  }
  room(id) { return this.request('GET', `/rooms/${id}`); }
  createRoom(name, topic, visibility) { return this.request('POST', '/rooms', { name, topic, visibility }); }
  joinRoom(id) { return this.request('PUT', `/rooms/${id}/members/me`); }
  leaveRoom(id) { return this.request('DELETE', `/rooms/${id}/members/me`); }
  members(id) { return this.request('GET', `/rooms/${id}/members`); }
  /** The direct room of me and one person (a user id) or a group (an array of 1–8 user ids). */
  openDm(ids) { return this.request('POST', '/dms', Array.isArray(ids) ? { user_ids: ids } : { user_id: ids }); }
  /** My notifications of a room: 'all' | 'mentions' | 'none'. */
  setNotify(id, level) { return this.request('PUT', `/rooms/${id}/notifications`, { level }); }
  /**
   * A page of the room's timeline without replies, or of the thread of `thread` (its root first):
   * the newest, older (`beforeSeq`), newer (`afterSeq`) or around one seq (`aroundSeq`).
   */
  history(id, { thread, beforeSeq, afterSeq, aroundSeq, limit = 50 } = {}) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (thread) q.set('thread', String(thread)); else q.set('top_level', 'true');
    if (beforeSeq !== undefined) q.set('before_seq', String(beforeSeq));
    if (afterSeq !== undefined) q.set('after_seq', String(afterSeq));
    if (aroundSeq !== undefined) q.set('around_seq', String(aroundSeq));
    return this.request('GET', `/rooms/${id}/messages?${q}`);
  }
  /** Message search (docs/search.md): `{results: [{message, highlights}], has_more}`, newest first; `beforeId` pages. */
  search(query, { beforeId, limit = 20, signal } = {}) {
    const q = new URLSearchParams({ q: query, limit: String(limit) });
    if (beforeId !== undefined) q.set('before_id', String(beforeId));
    return this.request('GET', `/search?${q}`, undefined, { signal });
  }
  /** A new message; `attachments`: ids of files I uploaded to the room (none: the field is left out); `replyTo`: a thread's root (`alsoToRoom`: in the timeline too). */
  sendMessage(id, body, clientId, attachments = [], replyTo = null, alsoToRoom = false) {
    return this.request('POST', `/rooms/${id}/messages`, { body, client_id: clientId, ...(attachments.length ? { attachments } : {}), ...(replyTo ? { reply_to: replyTo } : {}), ...(replyTo && alsoToRoom ? { also_to_room: true } : {}) });
  }
  editMessage(id, messageId, body) { return this.request('PATCH', `/rooms/${id}/messages/${messageId}`, { body }); }
  deleteMessage(id, messageId) { return this.request('DELETE', `/rooms/${id}/messages/${messageId}`); }
  /** Puts my `emoji` on a message (`on`: PUT) or takes it off (DELETE); both idempotent. */
  react(id, messageId, emoji, on) { return this.request(on ? 'PUT' : 'DELETE', `/rooms/${id}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`); }
  markRead(id, seq) { return this.request('PUT', `/rooms/${id}/read`, { seq }); }
  /** My user stream after `afterUserSeq`, up to 500 events: `{events, head_user_seq, replay_truncated, more}`. */
  userStream(afterUserSeq) { return this.request('GET', `/sync?after_user_seq=${afterUserSeq}`); }
  /** My non-empty drafts and my user stream's head: `{drafts: [{room_id, body, user_seq}], user_seq}`. */
  drafts() { return this.request('GET', '/drafts'); }
  /** My draft of a room, based on the version `baseSeq` (409 `conflict` with the newer `draft` when it changed since); '' clears it. */
  putDraft(id, body, baseSeq) { return this.request('PUT', `/rooms/${id}/draft`, { body, base_seq: baseSeq }); }
  /** A file's bytes, or its thumbnail's (images only), as a Blob: fetched with the bearer header, never a token in a URL. */
  async fileBlob(fileId, { thumbnail = false } = {}) {
    const res = await this.authorized((headers) => this.fetchOrFail(`${this.base}/files/${fileId}${thumbnail ? '/thumbnail' : ''}`, { headers }));
    return res.blob();
  }

  /**
   * Uploads `file` (a Blob with a `name`) to a room as it is: `{promise, abort()}`. The promise
   * resolves with the server's File; `onProgress(loaded, total)` follows the bytes sent (over
   * XMLHttpRequest: fetch does not report upload progress); abort() rejects it as `aborted`.
   */
  upload(roomId, file, { onProgress = () => {} } = {}) {
    let xhr = null;
    let cancelled = false;
    const url = `${this.base}/rooms/${roomId}/files?name=${encodeURIComponent(file.name)}`;
    const attempt = (headers) => new Promise((resolve, reject) => {
      if (cancelled) { reject(new ApiError(0, ABORTED)); return; }
      xhr = this.xhr();
      xhr.open('POST', url);
      const all = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream', ...headers };
      for (const [name, value] of Object.entries(all)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
      xhr.onload = () => resolve(xhrResponse(xhr));
      xhr.onerror = () => reject(new ApiError(0, UNREACHABLE));
      xhr.onabort = () => reject(new ApiError(0, ABORTED));
      xhr.send(file);
    });
    return {
      promise: this.authorized(attempt).then(readJson),
      abort() { cancelled = true; if (xhr) xhr.abort(); },
    };
  }
}

/** What `authorized` needs of a response, from a finished XMLHttpRequest. */
function xhrResponse(xhr) {
  return { status: xhr.status, ok: xhr.status >= 200 && xhr.status < 300, json: async () => JSON.parse(xhr.responseText) };
}

async function readJson(res) {
  try { return await res.json(); } catch { return null; }
}
