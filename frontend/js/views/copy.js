// Copying a link (an invite's, a password reset's): the clipboard where the browser allows it,
// else the link selected for Ctrl+C. Loaded with the views that offer it.

/** Selects the text of `el` (an input, or any element) for the person to copy. */
export function select(el) {
  if (el instanceof HTMLInputElement) { el.focus(); el.select(); return; }
  const range = document.createRange();
  range.selectNodeContents(el);
  getSelection().removeAllRanges();
  getSelection().addRange(range);
}

/** Copies `text`; without a clipboard (or its permission), selects it in `el`. Resolves with what to say. */
export async function copyLink(text, el) {
  try {
    await navigator.clipboard.writeText(text);
    return 'Link copied.';
  } catch {
    select(el);
    return 'The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
  }
}
