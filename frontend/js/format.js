// Pure display helpers (no DOM): times, message grouping, the typing line, member counts, body
// length as the server counts it, the unread divider, quick-switcher ranking, room order, the
// connection badge and session names.

const GROUP_GAP_MS = 5 * 60 * 1000;

const pad = (n) => String(n).padStart(2, '0');

/** "14:05" in local time. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local calendar-day key, e.g. "2026-11-24". */
export function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "Today", "Yesterday", "Monday, November 23" or "November 23, 2025". */
export function dayLabel(iso, now = new Date()) {
  const d = new Date(iso);
  const key = dayKey(d);
  if (key === dayKey(now)) return 'Today';
  const y = new Date(now); y.setDate(y.getDate() - 1);
  if (key === dayKey(y)) return 'Yesterday';
  const label = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
  if (d.getFullYear() !== now.getFullYear()) return `${label}, ${d.getFullYear()}`;
  return `${WEEKDAYS[d.getDay()]}, ${label}`;
}

/** Full timestamp for a title attribute. */
export function fullTimestamp(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${dayKey(d)} ${formatTime(d)}`;
}

/**
 * Turns an ordered message list into rows: {kind:'day', key, label} and
 * {kind:'msg', msg, first} where `first` starts a group (new author, or a webhook post under
 * another name; new day, a 5-minute gap, or a reply also sent to the room: its own header).
 * Messages are {author:{id}, created_at, ...}.
 */
export function groupRows(messages, now = new Date()) {
  const rows = [];
  let prev = null;
  for (const msg of messages) {
    const day = dayKey(msg.created_at);
    const newDay = !prev || dayKey(prev.created_at) !== day;
    if (newDay) rows.push({ kind: 'day', key: 'day-' + day, label: dayLabel(msg.created_at, now) });
    const first = newDay || prev.author.id !== msg.author.id || (prev.posted_as || null) !== (msg.posted_as || null) || Boolean(msg.reply_to && msg.also_to_room)
      || new Date(msg.created_at) - new Date(prev.created_at) > GROUP_GAP_MS;
    rows.push({ kind: 'msg', msg, first });
    prev = msg;
  }
  return rows;
}

/** Names for a typing line: "alice is typing…", "alice and bob are typing…", "several people are typing…". */
export function typingText(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

/** "1 member", "3 members". */
export function memberCount(n) {
  return `${n} member${n === 1 ? '' : 's'}`;
}

/** A stable hue (0–359) for a user id, used for avatar colours via CSS classes. */
export function avatarHue(id) {
  return ((Number(id) * 47) % 12 + 12) % 12;
}

/** A person's name: their display name, else their username. */
export const displayName = (u) => (u && (u.display_name || u.username)) || '?';

/**
 * Who a message shows as: the name a webhook post asked to be shown under (`posted_as`, Slack's
 * `username`) instead of its author's (the webhook's bot account), else the author's name.
 */
export const senderName = (msg) => (msg && msg.posted_as) || displayName(msg && msg.author);

/** What to say of a message's real author where it shows under another name ("posted by webhook CI"); null when it does not. */
export const postedBy = (msg) => (msg && msg.posted_as ? `posted by webhook ${displayName(msg.author)}` : null);

/** An avatar's letters: the first of the name's first two words ("Anna Berg" → "AB"). */
export const initials = (u) => displayName(u).split(/\s+/).filter(Boolean).slice(0, 2).map((w) => (w.match(/[\p{L}\p{N}]/u) || [...w])[0]).join('').toUpperCase();

/** The server's limit for a message body, in Unicode scalar values. */
export const MAX_BODY = 4000;

/** Characters the way the server counts them: Unicode scalar values (code points, not UTF-16 units). */
export function charCount(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The composer's counter for what would be sent: null while far from the limit, else {text, over}. */
export function bodyCounter(body, { max = MAX_BODY, from = max - 500 } = {}) {
  const n = charCount(body.trim());
  if (n < from) return null;
  return { text: `${n} / ${max}`, over: n > max };
}

/** A body long enough to collapse behind "Show more": more than `lines` lines or `chars` characters. */
export function isLong(body, { lines = 12, chars = 1200 } = {}) {
  return body.split('\n').length > lines || charCount(body) > chars;
}

/**
 * The id of the first unread message: the first in display order after my read marker
 * (`lastReadSeq`) that is someone else's and not deleted; null when none is loaded, or no marker
 * is known (a room I am not a member of).
 */
export function firstUnread(messages, lastReadSeq, meId) {
  if (typeof lastReadSeq !== 'number') return null;
  const m = messages.find((x) => !x.pending && !x.deleted && x.author && x.author.id !== meId && x.seq > lastReadSeq);
  return m ? m.id : null;
}

/**
 * The quick switcher's matches for `query`: entries ({label, …}) whose label starts with it come
 * first, then those with a word starting with it, then those containing it; ties keep their order.
 */
export function rankMatches(entries, query, limit = 8) {
  const q = query.trim().toLowerCase().replace(/^[#@]/, '');
  const rank = (label) => {
    const l = label.toLowerCase();
    if (!q || l.startsWith(q)) return 0;
    if (l.split(/[\s_.-]+/).some((w) => w.startsWith(q))) return 1;
    return l.includes(q) ? 2 : -1;
  };
  return entries.map((e, i) => ({ e, i, r: rank(e.label) })).filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.i - b.i).slice(0, limit).map((x) => x.e);
}

/** The room after (step 1) or before (step -1) `current` in `ids`, wrapping around; null when none. */
export function adjacent(ids, current, step) {
  if (!ids.length) return null;
  const i = ids.indexOf(current);
  if (i < 0) return ids[step > 0 ? 0 : ids.length - 1];
  return ids[(i + step + ids.length) % ids.length];
}

/** The connection badge: "Connected", "Offline", "Reconnecting in 4 s", … */
export function connectionLabel(state, info = {}, now = Date.now()) {
  if (state === 'reconnecting' && info.retryAt > now) return `Reconnecting in ${Math.ceil((info.retryAt - now) / 1000)} s`;
  if (state === 'error') return info.message || 'Disconnected';
  return { connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', offline: 'Offline' }[state] || state;
}

/**
 * The banner's words while the connection is down (null: it is not): offline, lost with the
 * seconds to the next attempt, or why it stopped.
 */
export function bannerText(state, info = {}, now = Date.now()) {
  if (state === 'offline') return 'You are offline. What you send is kept and goes out when the connection is back.';
  if (state === 'reconnecting') return info.retryAt > now ? `Connection lost. Reconnecting in ${Math.ceil((info.retryAt - now) / 1000)} s…` : 'Connection lost. Reconnecting…';
  if (state === 'error') return info.message || 'Disconnected.';
  return null;
}

/** "Firefox on Linux" from a User-Agent header; "Unknown device" without one. */
export function describeAgent(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /Linux|X11/.test(ua) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua.slice(0, 40);
}
