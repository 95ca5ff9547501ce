// What asks for my attention: the count in the title ("(3) general · Confab", the count
// attention.js says) and on the favicon (a badge drawn on a canvas, shown as a data: URL, which
// the CSP's img-src allows), and a browser notification for a `notification` event while the tab
// is hidden, if the browser allows them (the permission is asked for in a room's notification
// settings, never here); a click on it focuses the window and opens the room, or the thread of a
// reply, at it. Loaded with the session.
import { plainText } from '../markdown.js';
import { attentionCount, documentTitle, badgeText, notificationText } from '../attention.js';

const SIZE = 32;

/** The favicon with the count on a badge. */
function badgeIcon(n) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SIZE;
  const g = canvas.getContext('2d');
  g.fillStyle = '#3a5bd9'; // the app's accent: a speech bubble
  g.beginPath();
  g.roundRect(1, 4, 24, 20, 6);
  g.moveTo(6, 23); g.lineTo(4, 30); g.lineTo(13, 23);
  g.fill();
  const text = badgeText(n);
  g.fillStyle = '#e0245e';
  g.beginPath();
  g.roundRect(text.length > 1 ? 10 : 15, 11, text.length > 1 ? 22 : 17, 17, 8.5);
  g.fill();
  g.fillStyle = '#fff';
  g.font = `bold ${text.length > 2 ? 10 : 13}px system-ui, sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(text, text.length > 1 ? 21 : 23.5, 20);
  return canvas.toDataURL('image/png');
}

/** store; open(roomId, {thread}) opens a room (and a thread in it). Returns {notify(ev)}. */
export function initAttention({ store, open }) {
  const icon = document.querySelector('link[rel="icon"]');
  const plain = icon.getAttribute('href'); // the page's own: no icon
  let drawn = 0;
  let frame = 0;

  function update() {
    frame = 0;
    const n = store.me ? attentionCount(store.rooms.values()) : 0;
    const room = store.rooms.get(store.activeRoomId);
    document.title = documentTitle(n, room ? store.roomTitle(room) : '');
    if (n !== drawn) {
      drawn = n;
      icon.setAttribute('href', n ? badgeIcon(n) : plain);
    }
  }
  store.subscribe((what) => {
    if (['rooms', 'active', 'me', 'reset'].includes(what) && !frame) frame = requestAnimationFrame(update);
  });
  update();

  /** A `notification` event: shown by the browser while the tab is hidden. */
  function notify(ev) {
    if (document.visibilityState !== 'hidden' || !('Notification' in window) || Notification.permission !== 'granted') return;
    const room = store.rooms.get(ev.room_id);
    const place = room ? (room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name) : 'a room';
    const { title, body } = notificationText(ev, place, plainText(ev.message.body));
    const m = ev.message;
    const shown = new Notification(title, { body, tag: `confab-${ev.room_id}-${m.id}` });
    shown.onclick = () => {
      window.focus();
      shown.close();
      open(ev.room_id, m.reply_to ? { thread: { rootId: m.reply_to, at: { id: m.id, seq: m.seq } } } : { target: { id: m.id, seq: m.seq } });
    };
  }

  return { notify };
}
