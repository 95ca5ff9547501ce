// The open room: its header (title, topic, members toggle, join and leave), the timeline with its
// scrolling, older history, the "New since you left" divider and read markers (moved only for
// messages that were on screen in a visible tab), the typing line, and the composer with its
// character count (counted as the server counts) and emoji picker.
import { $ } from './dom.js';
import { MessageList } from './messages.js';
import { initEmojiPicker } from './emoji-picker.js';
import { toast, announce } from './notices.js';
import { plainText } from '../markdown.js';
import { typingText, memberCount, bodyCounter, firstUnread, MAX_BODY } from '../format.js';

const JUMP_LABEL = 'Jump to latest ↓';

/** store, api, sync; invalidate(...parts) schedules a render; openRoom(roomId | null). */
export function initTimeline({ store, api, sync, invalidate, openRoom }) {
  const timelineEl = $('timeline');
  const input = $('composer-input');
  const jump = $('btn-jump');
  let stickToBottom = true; // follow new messages; off while the user reads further up
  let anchorFromBottom = null; // set while prepending older history
  let membersOpen = false;
  let typingTimer = 0; // a trailing typing notice is scheduled
  let wantFocus = false; // focus the composer (or Join) once the room's header has rendered it
  let unreadAtOpen = 0; // the room's unread count when it was opened
  let unreadFrom; // id of the first unread message (null: none; undefined: not known until the history is in)
  let scrollToDivider = false;

  const list = new MessageList($('messages'), {
    onEdit: (msg) => { list.editingId = msg.id; renderTimeline(); },
    onCancelEdit: () => { list.editingId = null; renderTimeline(); input.focus(); },
    onSaveEdit: async (msg, body) => {
      try {
        if (body !== msg.body) store.mergeMessage(msg.room_id, await api.editMessage(msg.room_id, msg.id, body));
        list.editingId = null;
        renderTimeline();
        input.focus();
      } catch (e) { toast(e.detail || e.message); }
    },
    onDelete: async (msg) => {
      try {
        await api.deleteMessage(msg.room_id, msg.id);
        store.markDeleted(msg.room_id, msg.id);
        if (list.editingId === msg.id) { list.editingId = null; renderTimeline(); input.focus(); }
      } catch (e) { toast(e.detail || e.message); }
    },
    onToggle: () => renderTimeline(),
    onRetry: (clientId) => sync.retry(clientId),
    onDiscard: (clientId) => store.discardPending(clientId),
  });

  // ---- header --------------------------------------------------------------------------------
  function renderHeader() {
    const room = store.rooms.get(store.activeRoomId);
    const has = Boolean(room);
    const title = has ? (room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name) : '';
    $('room-name').textContent = has ? title : 'Welcome';
    $('room-topic').textContent = has ? (room.kind === 'direct' ? 'Direct message' : room.topic || '') : 'Pick a room, or create one.';
    $('btn-members').hidden = !has;
    const count = has ? ((store.members.get(room.id) || []).length || room.member_count || 0) : 0;
    $('member-count').textContent = memberCount(count);
    $('btn-leave').hidden = !has || !room.joined || room.kind === 'direct';
    $('btn-join').hidden = !has || room.joined;
    $('composer').hidden = !has || !room.joined;
    $('composer-hint').hidden = !has || !room.joined;
    $('empty').hidden = has;
    $('members').hidden = !has || !membersOpen;
    $('btn-members').setAttribute('aria-expanded', String(has && membersOpen));
    input.placeholder = has ? `Message ${title}` : 'Message';
    if (wantFocus && has) {
      wantFocus = false;
      if (!$('composer').hidden) input.focus(); else if (!$('btn-join').hidden) $('btn-join').focus();
    }
  }

  $('btn-join').addEventListener('click', async () => {
    const id = store.activeRoomId;
    try { await sync.addRoom(await api.joinRoom(id)); wantFocus = true; invalidate('header'); await sync.loadMembers(id); } catch (e) { toast(e.detail || e.message); }
  });
  $('btn-leave').addEventListener('click', async () => {
    const id = store.activeRoomId;
    const btn = $('btn-leave');
    if (!btn.dataset.armed) {
      btn.dataset.armed = '1'; btn.textContent = 'Leave room?';
      setTimeout(() => { delete btn.dataset.armed; btn.textContent = 'Leave'; }, 4000);
      return;
    }
    delete btn.dataset.armed; btn.textContent = 'Leave';
    try {
      await sync.leave(id);
      const next = store.joinedRooms()[0] || store.directRooms()[0];
      openRoom(next ? next.id : null);
    } catch (e) { toast(e.detail || e.message); }
  });
  $('btn-members').addEventListener('click', () => { membersOpen = !membersOpen; invalidate('header', 'members'); });
  $('btn-members-close').addEventListener('click', () => { membersOpen = false; invalidate('header'); $('btn-members').focus(); });

  // ---- timeline and scrolling ----------------------------------------------------------------
  function atBottom() { return timelineEl.scrollHeight - timelineEl.scrollTop - timelineEl.clientHeight < 48; }

  function renderTimeline() {
    const roomId = store.activeRoomId;
    if (!roomId) { $('messages').replaceChildren(); $('history-status').textContent = ''; return; }
    const t = store.timeline(roomId);
    const wasBottom = stickToBottom;
    const msgs = store.messages(roomId);
    if (unreadFrom === undefined && t.loaded) {
      unreadFrom = firstUnread(msgs, unreadAtOpen, store.me.id);
      scrollToDivider = unreadFrom !== null;
    }
    list.render(msgs, store.me, { unreadFrom: unreadFrom ?? null, connected: store.connection === 'connected' });
    $('history-status').textContent = !t.loaded ? 'Loading messages…' : t.loadingOlder ? 'Loading older messages…'
      : t.hasMore ? '' : (msgs.length ? 'This is the beginning of the room.' : 'No messages yet. Say hello!');
    if (scrollToDivider) {
      scrollToDivider = false;
      const divider = $('unread-divider');
      timelineEl.scrollTop = divider.offsetTop - 8;
      stickToBottom = atBottom();
    } else if (wasBottom) timelineEl.scrollTop = timelineEl.scrollHeight;
    else if (anchorFromBottom !== null) { timelineEl.scrollTop = timelineEl.scrollHeight - anchorFromBottom; anchorFromBottom = null; }
    updateJump();
    maybeMarkRead();
  }

  function updateJump() { jump.hidden = !(store.activeRoomId && !atBottom()); }

  timelineEl.addEventListener('scroll', () => {
    stickToBottom = atBottom();
    updateJump();
    if (stickToBottom) jump.textContent = JUMP_LABEL;
    maybeMarkRead();
    if (timelineEl.scrollTop < 150) loadOlder();
  }, { passive: true });

  jump.addEventListener('click', () => {
    stickToBottom = true;
    timelineEl.scrollTop = timelineEl.scrollHeight;
    jump.textContent = JUMP_LABEL;
    input.focus();
  });

  async function loadOlder() {
    const roomId = store.activeRoomId;
    if (!roomId) return;
    const beforeSeq = store.startLoadingOlder(roomId);
    if (beforeSeq === null) return;
    try {
      const page = await api.history(roomId, { beforeSeq, limit: 50 });
      if (store.activeRoomId === roomId) anchorFromBottom = timelineEl.scrollHeight - timelineEl.scrollTop;
      store.applyHistory(roomId, page.messages, page.has_more, { older: true });
    } catch (e) {
      store.stopLoadingOlder(roomId);
      toast(e.detail || e.message);
    }
  }

  /**
   * Read markers follow what the person has seen: in a visible tab, everything when the timeline
   * is at its bottom, else up to the newest message whose end is on screen.
   */
  function maybeMarkRead() {
    const roomId = store.activeRoomId;
    if (!roomId || document.visibilityState !== 'visible' || !store.timeline(roomId).loaded) return;
    if (atBottom()) { sync.markRead(roomId); return; }
    const view = timelineEl.getBoundingClientRect();
    const rows = $('messages').querySelectorAll('li.msg[data-seq]:not([data-seq=""])');
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i].getBoundingClientRect();
      if (r.bottom > view.bottom + 1) continue;
      if (r.bottom > view.top) sync.markRead(roomId, Number(rows[i].dataset.seq));
      return;
    }
  }
  document.addEventListener('visibilitychange', maybeMarkRead);

  function renderTyping() {
    $('typing').textContent = typingText(store.activeRoomId ? store.typingNames(store.activeRoomId) : []);
  }

  // ---- composer ------------------------------------------------------------------------------
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    if (e.key === 'ArrowUp' && input.value === '') {
      const mine = store.messages(store.activeRoomId).filter((m) => !m.pending && !m.deleted && m.author && m.author.id === store.me.id);
      if (mine.length) { e.preventDefault(); list.editingId = mine[mine.length - 1].id; renderTimeline(); }
    }
  });
  // Typing notices are throttled (sync.typing); a keystroke inside the window schedules one
  // trailing notice so a short burst is still announced.
  function sendTyping() {
    typingTimer = 0;
    if (!input.value.trim() || !store.activeRoomId) return;
    const wait = sync.typing(store.activeRoomId);
    if (wait > 0) typingTimer = setTimeout(sendTyping, wait);
  }
  input.addEventListener('input', () => { updateCount(); if (!typingTimer) sendTyping(); });
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  const emoji = initEmojiPicker({ input, onChange: updateCount });

  /** Shows the count near the limit, the way the server counts (code points of what is sent). */
  function updateCount() {
    const c = bodyCounter(input.value);
    const el = $('composer-count');
    el.hidden = !c;
    el.textContent = c ? c.text : '';
    el.classList.toggle('over', Boolean(c && c.over));
  }

  function submit() {
    const body = input.value.trim();
    const roomId = store.activeRoomId;
    if (!body || !roomId) return;
    const c = bodyCounter(body);
    if (c && c.over) { toast(`Messages can be at most ${MAX_BODY} characters (this one has ${c.text.split(' ')[0]}).`); return; }
    input.value = '';
    updateCount();
    clearTimeout(typingTimer);
    typingTimer = 0;
    stickToBottom = true;
    sync.send(roomId, body);
  }

  return {
    renderHeader,
    renderTimeline,
    renderTyping,
    /**
     * A room is about to open: no edit box or selection carries over; it starts at the newest
     * message, or at the first unread one (known once its history is in).
     */
    enter(roomId) {
      const room = store.rooms.get(roomId);
      list.editingId = null;
      list.selectedId = null;
      stickToBottom = true;
      unreadAtOpen = room && room.joined ? room.unread_count || 0 : 0;
      unreadFrom = undefined;
      scrollToDivider = false;
      emoji.close();
    },
    /** Focuses the composer (or Join) of a room just opened once it shows, on wide screens (a phone would pop up its keyboard). */
    autofocus() { if (matchMedia('(min-width: 721px)').matches) { wantFocus = true; invalidate('header'); } },
    /** Focuses the composer if it shows, else the newest message; false when neither is there. */
    focusComposer() {
      if (!$('composer').hidden) { input.focus(); return true; }
      return list.focusNewest();
    },
    /** Closes the emoji picker if open (Escape); true when it was. */
    closeEmoji: () => emoji.close(),
    /** A new message from someone else in the open room. */
    showIncoming(message) {
      announce(`${message.author.username}: ${plainText(message.body)}`);
      if (!stickToBottom) jump.textContent = 'New messages ↓';
    },
    /** Closes the members panel if it is open (Escape); true when it was. */
    closeMembers() {
      if (!membersOpen) return false;
      membersOpen = false;
      invalidate('header');
      $('btn-members').focus();
      return true;
    },
    /** The session ended. */
    clear() { list.editingId = null; list.selectedId = null; $('messages').replaceChildren(); },
  };
}
