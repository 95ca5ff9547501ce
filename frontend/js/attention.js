// What asks for my attention, without the DOM: the count the title and the favicon show, and the
// words of a browser notification. Loaded with the session.
import { senderName } from './format.js';

/** A room's notification level: mine, else the server's default (every message of a direct room, mentions elsewhere). */
export const levelOf = (room) => room.notify || (room.kind === 'direct' ? 'all' : 'mentions');

/**
 * The count of the title and the favicon: what would notify me, room by room, by its level. A
 * room at `all` counts its unread messages, at `mentions` its unread messages that mention me or
 * @room, at `none` nothing. With the default levels that is every room's mentions plus the unread
 * messages of direct rooms (a mention in a direct room is one of its unread: counted once).
 */
export function attentionCount(rooms) {
  let n = 0;
  for (const r of rooms) {
    if (!r.joined) continue;
    const level = levelOf(r);
    n += level === 'all' ? r.unread_count || 0 : level === 'mentions' ? r.mention_count || 0 : 0;
  }
  return n;
}

/** "(3) #general · Confab": the count (when any), the open room, the app. */
export function documentTitle(count, roomTitle = '') {
  return (count ? `(${count}) ` : '') + (roomTitle ? `${roomTitle} · ` : '') + 'Confab';
}

/** The favicon badge's text: the count, "99+" beyond. */
export const badgeText = (n) => (n > 99 ? '99+' : String(n));

/**
 * A browser notification's title and body for a `notification` event: who, where (`place`: "#general",
 * or the people of a direct room), why; the body is the message as plain text (`text`), its files
 * counted when it has no text.
 */
export function notificationText({ reason, message }, place, text) {
  const who = message.author || message.posted_as ? senderName(message) : 'Someone';
  const where = message.reply_to ? `a thread in ${place}` : place;
  const title = reason === 'mention' ? `${who} mentioned you in ${where}`
    : reason === 'direct' && !message.reply_to && place === who ? who : `${who} in ${where}`;
  const files = message.attachments ? message.attachments.length : 0;
  const body = text || (files ? `${files} file${files === 1 ? '' : 's'}` : '');
  return { title, body: body.length > 200 ? `${body.slice(0, 199)}…` : body };
}
