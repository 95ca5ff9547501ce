// The `:shortcode:` emoji the composer understands and the picker offers: a short, common set
// (name → character), in the order the picker shows them (after the recently used ones). No DOM.

export const EMOJI = [
  ['smile', '😄'], ['grin', '😁'], ['joy', '😂'], ['wink', '😉'], ['blush', '😊'], ['heart_eyes', '😍'],
  ['thinking', '🤔'], ['neutral_face', '😐'], ['sweat_smile', '😅'], ['sob', '😭'], ['angry', '😠'], ['scream', '😱'],
  ['sunglasses', '😎'], ['upside_down', '🙃'], ['sleeping', '😴'], ['partying', '🥳'], ['eyes', '👀'], ['wave', '👋'],
  ['+1', '👍'], ['thumbsup', '👍'], ['-1', '👎'], ['thumbsdown', '👎'], ['clap', '👏'], ['pray', '🙏'],
  ['muscle', '💪'], ['ok_hand', '👌'], ['raised_hands', '🙌'], ['point_up', '☝️'], ['heart', '❤️'], ['broken_heart', '💔'],
  ['fire', '🔥'], ['sparkles', '✨'], ['star', '⭐'], ['tada', '🎉'], ['rocket', '🚀'], ['100', '💯'],
  ['check', '✅'], ['x', '❌'], ['warning', '⚠️'], ['question', '❓'], ['bulb', '💡'], ['coffee', '☕'],
  ['pizza', '🍕'], ['beer', '🍺'], ['cake', '🎂'], ['sun', '☀️'], ['rain', '🌧️'], ['snowflake', '❄️'],
  ['bug', '🐛'], ['memo', '📝'], ['calendar', '📅'], ['lock', '🔒'], ['link', '🔗'], ['ship', '🚢'],
];

const BY_NAME = new Map(EMOJI);

/** The character of `:name:`, or undefined. */
export function emojiFor(name) { return BY_NAME.get(name); }

/** The picker's list: one entry per character (aliases like `thumbsup` left out), the `recent` ones first. */
export function pickerEmoji(recent = []) {
  const seen = new Set();
  const all = EMOJI.filter(([, ch]) => !seen.has(ch) && seen.add(ch));
  const first = recent.map((ch) => all.find((e) => e[1] === ch)).filter(Boolean);
  return [...first, ...all.filter((e) => !first.includes(e))];
}

/** The recently used characters once `ch` is used: it goes first, `max` are kept. */
export function withRecent(recent, ch, max = 8) {
  return [ch, ...recent.filter((c) => c !== ch)].slice(0, max);
}
