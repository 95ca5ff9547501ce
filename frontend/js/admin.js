// Administration and moderation without the DOM: an audit entry as a line of text, "2 min ago",
// a person's last visit, a paged list (`Pager`: "Load more", a new search dropping the answers of
// the old one), a refusal as a sentence, who may ban whom in a room, the reset route's token and
// the reset form's checks and refusals, the registration policy in words.
import { charCount, dayKey } from './format.js';

/** "Something went wrong" as the app says it: the server's detail as a sentence. */
export function sentence(text) {
  const t = String(text || '').trim();
  if (!t) return 'Something went wrong.';
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}

/**
 * A refused request (an ApiError) as a sentence: the problem's detail (so a 409 says why, e.g.
 * "The server needs an active admin: make someone else admin first."), a rate limit as such.
 */
export function problemText(err) {
  if (!err) return 'Something went wrong.';
  if (err.status === 429) return 'Too many requests: wait a moment and try again.';
  return sentence(err.detail || err.message);
}

/** "just now", "2 min ago", "3 h ago", "yesterday", "5 days ago", then the day ("on 2026-11-24"). */
export function relativeTime(iso, now = Date.now()) {
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return '';
  const minutes = Math.floor((now - at) / 60000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days < 2) return 'yesterday';
  if (days < 30) return `${days} days ago`;
  return 'on ' + dayKey(at);
}

/** A person's last visit (a sign-in or a token refresh): "Last seen 2 min ago", "Never signed in". */
export function lastSeen(user, now = Date.now()) {
  return user.last_seen_at ? `Last seen ${relativeTime(user.last_seen_at, now)}` : 'Never signed in';
}

const hook = (entry) => (entry.detail ? `the webhook ${entry.detail}` : 'a webhook');

/**
 * One audit entry as a line: "anna deactivated ben", "command line reset ben's password", "anna
 * created the bot deploy-bot".
 * `roomName(id)` names a room (null when unknown: "room 12").
 */
export function auditLine(entry, roomName = () => null) {
  const actor = entry.actor ? entry.actor.username : 'command line';
  const target = entry.target ? entry.target.username : 'someone';
  const name = entry.room_id == null ? '' : (roomName(entry.room_id) ? '#' + roomName(entry.room_id) : `room ${entry.room_id}`);
  const code = entry.detail ? ` (${entry.detail})` : '';
  switch (entry.action) {
    case 'user.role': return `${actor} made ${target} ${entry.detail === 'admin' ? 'an admin' : 'a member'}`;
    case 'user.deactivated': return `${actor} deactivated ${target}`;
    case 'user.reactivated': return `${actor} reactivated ${target}`;
    case 'user.password_reset': return `${actor} made a password reset link for ${target}`;
    case 'user.password_reset_used': return `${target} set a new password with a reset link`;
    case 'user.password_set': return `${actor} reset ${target}'s password`;
    case 'user.created': return `${actor} created the account ${target}${entry.detail === 'admin' ? ' (an admin)' : ''}`;
    case 'invite.created': return `${actor} created an invite link${code}`;
    case 'invite.revoked': return `${actor} revoked an invite link${code}`;
    case 'room.ban': return `${actor} banned ${target} from ${name || 'a room'}`;
    case 'room.unban': return `${actor} lifted ${target}'s ban from ${name || 'a room'}`;
    case 'webhook.created': return `${actor} added ${hook(entry)} to ${name || 'a room'}`;
    case 'webhook.token': return `${actor} gave ${hook(entry)} of ${name || 'a room'} a new address`;
    case 'webhook.deleted': return `${actor} deleted ${hook(entry)} of ${name || 'a room'}`;
    case 'bot.created': return `${actor} created the bot ${target}`;
    case 'bot.token': return `${actor} gave the bot ${target} a new token`;
    case 'bot.deleted': return `${actor} deactivated the bot ${target}`;
    case 'server.updated': return `${actor} changed the server's settings${code}`;
    default: return `${actor}: ${entry.action}${entry.target ? ' ' + target : ''}${code}`;
  }
}

/**
 * A list loaded page by page. `load(cursor)` → `{items, hasMore}` (cursor undefined: the first
 * page); `cursorOf(item)` → the cursor after it (the last item's id). `reset()` starts over (a
 * new search): the answer of a load still on its way is then dropped, so only the latest query
 * shows. Both resolve true when they changed the items, false when dropped or nothing to do.
 */
export class Pager {
  constructor(load, cursorOf = (item) => item.id) {
    this.load = load;
    this.cursorOf = cursorOf;
    this.items = [];
    this.hasMore = false;
    this.loading = false;
    this.generation = 0; // bumped by every load: an answer of an older one is stale
  }

  reset() {
    this.items = [];
    this.hasMore = false;
    return this.fetch(undefined);
  }

  /** Empties the list (a query that matches no one), dropping the answer of a load on its way. */
  clear() {
    this.generation++;
    this.items = [];
    this.hasMore = false;
    this.loading = false;
  }

  /** The next page ("Load more"); nothing while one is on its way or when there is none. */
  more() {
    if (this.loading || !this.hasMore || !this.items.length) return Promise.resolve(false);
    return this.fetch(this.cursorOf(this.items[this.items.length - 1]));
  }

  async fetch(cursor) {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await this.load(cursor);
      if (generation !== this.generation) return false;
      const known = new Set(this.items.map((i) => i.id));
      this.items = cursor === undefined ? page.items : [...this.items, ...page.items.filter((i) => !known.has(i.id))];
      this.hasMore = Boolean(page.hasMore);
      return true;
    } catch (e) {
      if (generation !== this.generation) return false;
      throw e;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Puts the server's new copy of an item in place of the old one (same id). */
  replace(item) {
    this.items = this.items.map((i) => (i.id === item.id ? item : i));
  }
}

/**
 * May I ban `member` ({user, role}) from a room where my role is `myRole` (null: not a member)?
 * Server admins may ban anyone but themselves (the server keeps the last owner); a room's owners
 * anyone but themselves; its admins only plain members; nobody else.
 */
export function canBan({ me, myRole, member }) {
  if (!me || !member || member.user.id === me.id) return false;
  if (me.role === 'admin' || myRole === 'owner') return true;
  return myRole === 'admin' && (member.role || 'member') === 'member';
}

/**
 * May I change `member`'s role in the room ({user, role})? Its owners, for anyone but themselves
 * and the other owners (PUT …/role with 'admin' or 'member'; server admins are no exception).
 */
export function canSetRole(room, me, member) {
  if (!room || !me || !member || room.kind === 'direct' || (room.role !== 'owner' && me.role !== 'admin')) return false;
  return member.user.id !== me.id && member.role !== 'owner';
}

/** May I moderate the room (ban, see who is banned, add people)? Not in direct rooms. */
export function canModerate(room, me) {
  if (!room || !me || room.kind === 'direct') return false;
  return me.role === 'admin' || room.role === 'owner' || room.role === 'admin';
}

/** The token of a reset route (`#/reset/<token>`); null for any other hash. */
export function resetToken(hash) {
  const m = /^#\/reset\/([^/?#\s]+)\/?$/.exec(hash || '');
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}

export const RESET_INVALID = 'This link is invalid, used or expired. Ask an admin for a new one.';
export const RESET_DONE = 'Your password is set. Sign in with it.';

/** The reset form's own checks: `{field, text}` of the first problem ('password' | 'confirm'), or null. */
export function checkNewPassword(password, confirm) {
  const n = charCount(password);
  if (n < 8 || n > 128) return { field: 'password', text: 'Use 8 to 128 characters.' };
  if (password !== confirm) return { field: 'confirm', text: 'The two passwords are not the same.' };
  return null;
}

/** The server's refusal of a reset: `{field, text}`, field 'token' (the link), 'password' or null. */
export function resetProblem(err) {
  const fields = typeof err.fieldErrors === 'function' ? err.fieldErrors() : {};
  if (fields.token) return { field: 'token', text: RESET_INVALID };
  if (fields.password) return { field: 'password', text: sentence('The password ' + fields.password) };
  return { field: null, text: problemText(err) };
}

/** GET /server's registration policy in words. */
export function registrationText(policy) {
  switch (policy) {
    case 'open': return 'Open: anyone who reaches the server can create an account';
    case 'invite': return 'Invite only: an invite link is needed to create an account';
    case 'closed': return 'Closed: only the command line creates accounts';
    default: return policy || 'Unknown';
  }
}
