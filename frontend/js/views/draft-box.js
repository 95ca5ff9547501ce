// The room composer's draft (drafts.js): the room's text when it opens, what is typed kept and
// put, the last room's edit put on a room switch or a blur; a newer draft from another device
// replaces the text in place, and when it replaced what was typed here a notice under the box
// offers it back ("Restore mine") or lets it go.
import { $ } from './dom.js';

/** drafts; input (the message box); onText() after the box's text was set. Returns {open(roomId), changed(roomId), typed()}. */
export function initDraftBox({ drafts, input, onText }) {
  let roomId = null; // the room whose draft the box shows
  /** The box's text is the room's draft (typed, or an emoji or a mention put in). */
  const typed = () => { if (roomId !== null && input.value !== drafts.text(roomId)) drafts.edit(roomId, input.value); };
  input.addEventListener('input', typed);
  input.addEventListener('blur', () => { if (roomId !== null) { typed(); drafts.flush(roomId); } });
  $('draft-restore').addEventListener('click', () => { drafts.restoreMine(roomId); input.focus(); });
  $('draft-dismiss').addEventListener('click', () => { drafts.dismiss(roomId); input.focus(); });

  function show() {
    const text = roomId === null ? '' : drafts.text(roomId);
    if (input.value !== text) { input.value = text; onText(); }
    $('draft-notice').hidden = roomId === null || drafts.conflict(roomId) === null;
  }

  return {
    /** The box writes in `id` now (null: no room). */
    open(id) {
      if (roomId !== null && roomId !== id) drafts.flush(roomId);
      roomId = id;
      show();
    },
    /** The draft of `id` changed other than by typing here. */
    changed(id) { if (id === roomId) show(); },
    typed,
  };
}
