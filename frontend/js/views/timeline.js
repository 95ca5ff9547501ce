// The open room: its header (title, topic, members toggle, join and leave), the timeline with its
// scrolling, older history and read markers, the typing line, and the composer.
import { $ } from './dom.js';
import { MessageList } from './messages.js';
import { toast, announce } from './notices.js';
import { plainText } from '../markdown.js';
import { typingText, memberCount } from '../format.js';

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
      } catch (e) { toast(e.detail || e.message); }
    },
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
  }

  $('btn-join').addEventListener('click', async () => {
    const id = store.activeRoomId;
    try { await sync.addRoom(await api.joinRoom(id)); await sync.loadMembers(id); input.focus(); } catch (e) { toast(e.detail || e.message); }
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
    list.render(msgs, store.me);
    $('history-status').textContent = !t.loaded ? 'Loading messages…' : t.loadingOlder ? 'Loading older messages…'
      : t.hasMore ? '' : (msgs.length ? 'This is the beginning of the room.' : 'No messages yet. Say hello!');
    if (wasBottom) timelineEl.scrollTop = timelineEl.scrollHeight;
    else if (anchorFromBottom !== null) { timelineEl.scrollTop = timelineEl.scrollHeight - anchorFromBottom; anchorFromBottom = null; }
    updateJump();
    maybeMarkRead();
  }

  function updateJump() { jump.hidden = !(store.activeRoomId && !atBottom()); }

  timelineEl.addEventListener('scroll', () => {
    stickToBottom = atBottom();
    updateJump();
    if (stickToBottom) { jump.textContent = JUMP_LABEL; maybeMarkRead(); }
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

  /** Read markers follow what is on screen: the bottom of a visible timeline. */
  function maybeMarkRead() {
    if (document.visibilityState === 'visible' && atBottom()) sync.markRead(store.activeRoomId);
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
  input.addEventListener('input', () => { if (!typingTimer) sendTyping(); });
  $('composer').addEventListener('submit', (e) => { e.preventDefault(); submit(); });

  function submit() {
    const body = input.value.trim();
    const roomId = store.activeRoomId;
    if (!body || !roomId) return;
    if (body.length > 4000) { toast('Messages can be at most 4000 characters.'); return; }
    input.value = '';
    clearTimeout(typingTimer);
    typingTimer = 0;
    stickToBottom = true;
    sync.send(roomId, body);
  }

  return {
    renderHeader,
    renderTimeline,
    renderTyping,
    /** A room is about to open: no edit box carries over, and it starts at the newest message. */
    enter() { list.editingId = null; stickToBottom = true; },
    /** Focuses the composer of a room just opened, on wide screens (a phone would pop up its keyboard). */
    autofocus() { if (matchMedia('(min-width: 721px)').matches) input.focus(); },
    /** A new message from someone else in the open room. */
    showIncoming(message) {
      announce(`${message.author.username}: ${plainText(message.body)}`);
      if (!stickToBottom) jump.textContent = 'New messages ↓';
    },
    /** Closes the members panel if it is open. */
    closeMembers() { if (membersOpen) { membersOpen = false; invalidate('header'); } },
    /** The session ended. */
    clear() { list.editingId = null; $('messages').replaceChildren(); },
  };
}
