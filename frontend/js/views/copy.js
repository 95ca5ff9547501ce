// Copying a link (an invite's, a password reset's, a webhook's address), a webhook's secret or a
// bot's token: the clipboard where the browser allows it, else the text selected for Ctrl+C.
// Loaded with the views that offer it.

/** Selects the text of `el` (an input, or any element) for the person to copy. */
export function select(el) {
  if (el instanceof HTMLInputElement) { el.focus(); el.select(); return; }
  const range = document.createRange();
  range.selectNodeContents(el);
  getSelection().removeAllRanges();
  getSelection().addRange(range);
}

/**
 * Copies `text`; without a clipboard (or its permission), selects it in `el`. Resolves with what
 * to say, naming it `what` ('link', 'secret' for a webhook's signing secret, 'token' for a bot's).
 */
export async function copyLink(text, el, what = 'link') {
  try {
    await navigator.clipboard.writeText(text);
    return `${what[0].toUpperCase()}${what.slice(1)} copied.`;
  } catch {
    select(el);
    return `The ${what} is selected: press Ctrl+C (⌘C on a Mac) to copy it.`;
  }
}
