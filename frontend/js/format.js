// Pure display helpers (no DOM): times, message grouping, the typing line, member counts.

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
 * {kind:'msg', msg, first} where `first` starts a group (new author, new day or a 5-minute gap).
 * Messages are {author:{id}, created_at, ...}.
 */
export function groupRows(messages, now = new Date()) {
  const rows = [];
  let prev = null;
  for (const msg of messages) {
    const day = dayKey(msg.created_at);
    const newDay = !prev || dayKey(prev.created_at) !== day;
    if (newDay) rows.push({ kind: 'day', key: 'day-' + day, label: dayLabel(msg.created_at, now) });
    const first = newDay || prev.author.id !== msg.author.id
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
