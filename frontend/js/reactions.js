// A reaction chip's words without the DOM: its label and who reacted (toggling mine in a list is
// the store's withReaction). Loaded with the session, like the view.

/** A chip's name: "👍 2 reactions, including you; click to remove" (the count alone for someone who cannot react). */
export function reactionLabel(r, mine, canReact) {
  const count = `${r.emoji} ${r.count} reaction${r.count === 1 ? '' : 's'}${mine ? ', including you' : ''}`;
  return canReact ? `${count}; click to ${mine ? 'remove' : 'add yours'}` : count;
}

/** Who reacted, in order: "Reacted by alice, you and someone"; `nameOf(id)` (undefined: not known), at most `max` names. */
export function reactedBy(userIds, nameOf, max = 10) {
  const names = userIds.map(nameOf).filter(Boolean).slice(0, max);
  const rest = userIds.length - names.length;
  if (rest) names.push(rest === 1 ? 'someone' : `${rest} ${names.length ? 'others' : 'people'}`);
  return `Reacted by ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0]}`;
}
