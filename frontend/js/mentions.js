// Mentions without the DOM: the `@name` being typed at the caret (what the autocomplete
// completes), the members (and `room`, everyone) that match it, the text once one is picked, and
// which `@names` of a message show as mentions: the users the server resolved (`mentions`, ids)
// by their names, and `@room` when it says so (`mentions_room`). Loaded with the session.

/** Characters of a username (the server's rule); an `@` after one of them starts no mention. */
const NAME_CHAR = /[A-Za-z0-9_.-]/;

/** The `@name` being typed where the caret is: `{start, query}` (start: the index of the `@`), or null. */
export function mentionAt(text, caret) {
  let i = caret;
  while (i > 0 && NAME_CHAR.test(text[i - 1])) i--;
  if (text[i - 1] !== '@') return null;
  const before = text[i - 2];
  if (before !== undefined && NAME_CHAR.test(before)) return null; // an address: alice@example.com
  return { start: i - 1, query: text.slice(i, caret) };
}

/**
 * The choices for `query`, at most `limit`: members (not me) whose name starts with it, then
 * those whose name contains it, by name; `room` (everyone in the room) when it starts with it.
 * A choice: `{name, user}` or `{name: 'room', room: true}`.
 */
export function mentionChoices(members, query, { meId = null, limit = 8 } = {}) {
  const q = query.toLowerCase();
  const rank = (name) => { const n = name.toLowerCase(); return n.startsWith(q) ? 0 : n.includes(q) ? 1 : -1; };
  // By the username or the display name, whichever matches better; the mention is @username.
  const best = (user) => Math.min(...[user.username, user.display_name].filter(Boolean).map(rank).map((r) => (r < 0 ? 9 : r)));
  const users = members.map((m) => m.user || m).filter((u) => u.id !== meId)
    .map((user) => ({ name: user.username, user, r: best(user) })).filter((c) => c.r < 9)
    .sort((a, b) => a.r - b.r || a.name.localeCompare(b.name));
  const room = 'room'.startsWith(q) ? [{ name: 'room', room: true, r: 0 }] : [];
  return [...users.filter((c) => c.r === 0), ...room, ...users.filter((c) => c.r > 0)].slice(0, limit).map(({ r, ...c }) => c);
}

/** `text` with the `@query` at `at` (from mentionAt) up to `caret` replaced by `@name` and a space: `{text, caret}`. */
export function insertMention(text, at, caret, name) {
  const head = text.slice(0, at.start) + '@' + name;
  const tail = text.slice(caret);
  const glue = tail.startsWith(' ') ? '' : ' ';
  return { text: head + glue + tail, caret: head.length + 1 };
}

/**
 * The names (lower case) whose `@name` in a message shows as a mention: those of the users it
 * mentions, by `nameOf(id)` (undefined for people not known: their `@name` stays text), and
 * `room` when it mentions everyone.
 */
export function mentionedNames(msg, nameOf) {
  const names = new Set();
  for (const id of msg.mentions || []) {
    const name = nameOf(id);
    if (name) names.add(name.toLowerCase());
  }
  if (msg.mentions_room) names.add('room');
  return names;
}

/** `nameOf` for a room: its members' usernames by id, and mine. */
export function namesOf(members, me) {
  const byId = new Map(members.map((m) => [m.user.id, m.user.username]));
  if (me) byId.set(me.id, me.username);
  return (id) => byId.get(id);
}
