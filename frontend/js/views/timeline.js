// The open room: its header (title, topic, members toggle, join and leave), the timeline with its
// scrolling, older history (and newer, after a jump), the "New since you left" divider before the
// first message of others after my read marker, jumps to one message (a search result: scrolled
// to, highlighted and focused), read markers (moved only for messages that were on screen in a
// visible tab), the typing line, and the composer (composer.js) with its emoji picker and files
// (uploads.js; a message's files are attachments.js's, its reactions reactions.js's, its thread
// threads.js's: these load with the session, not with the sign-in screen). Replies are not in the
// timeline, but for those also sent to the room: the history it pages is the room's without the
// others (`top_level`).
import { $, h } from './dom.js';
import { MessageList } from './messages.js';
import { initComposer } from './composer.js';
import { initDraftBox } from './draft-box.js';
import { toast, announce } from './notices.js';
import { plainText } from '../markdown.js';
import { oldestSeq, inMainTimeline } from '../store.js';
import { typingText, memberCount, firstUnread, senderName } from '../format.js';

const JUMP_LABEL = 'Jump to latest ↓';

/** store, api, sync, drafts; invalidate(...parts) schedules a render; openRoom(roomId | null). */
export function initTimeline({ store, api, sync, drafts, invalidate, openRoom }) {
  const timelineEl = $('timeline');
  const input = $('composer-input');
  const jump = $('btn-jump');
  let stickToBottom = true; // follow new messages; off while the user reads further up
  let anchorFromBottom = null; // set while prepending older history
  let membersOpen = false;
  let wantFocus = false; // focus the composer (or Join) once the room's header has rendered it
  let readAtOpen; // my read marker in the room when it was opened (undefined: not a member)
  let unreadFrom; // id of the first unread message (null: none; undefined: not known until the history is in)
  let scrollToDivider = false;
  let jumpTo = null; // {id, seq}: the message to scroll to, highlight and focus once it is loaded
  let awaiting = false; // the page the room opens at (around a seq, or the newest) is on its way

  let views = null; // the session's views once loaded: {attachments, uploads, fileNames, picker, reactions, threads, mentions}
  const list = new MessageList($('messages'), { store, api, sync, views: () => views, render: () => renderTimeline(), focus: () => input.focus(), prefix: '' });
  const composer = initComposer({
    form: $('composer'), input, count: $('composer-count'), button: $('btn-send'), store, sync,
    roomId: () => store.activeRoomId, uploads: () => views && views.uploads,
    send: (body, attached) => {
      const roomId = store.activeRoomId;
      stickToBottom = true;
      sync.send(roomId, body, attached);
      if (store.timeline(roomId).hasNewer) jumpToLatest(); // what I sent shows at the live end
    },
    onEmptyUp: () => {
      const mine = store.messages(store.activeRoomId).filter((m) => !m.pending && !m.deleted && m.author && m.author.id === store.me.id);
      if (mine.length) list.edit(mine[mine.length - 1].id);
      return mine.length > 0;
    },
    onPicked: () => draftBox.typed(),
  });
  const draftBox = initDraftBox({ drafts, input, onText: composer.updateCount });

  // ---- header --------------------------------------------------------------------------------
  function renderHeader() {
    const room = store.rooms.get(store.activeRoomId);
    const has = Boolean(room);
    const title = has ? (room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name) : '';
    $('room-name').textContent = has ? title : 'Welcome';
    $('room-topic').textContent = has ? (room.kind === 'direct' ? (room.member_count > 2 ? 'Group conversation' : 'Direct message') : room.topic || '') : 'Pick a room, or create one.';
    $('btn-members').hidden = !has;
    const count = has ? ((store.members.get(room.id) || []).length || room.member_count || 0) : 0;
    $('member-count').textContent = memberCount(count);
    $('btn-leave').hidden = !has || !room.joined || room.kind === 'direct';
    $('btn-notify').hidden = !has || !room.joined;
    $('btn-room-settings').hidden = !(has && room.kind !== 'direct' && (/^(owner|admin)$/.test(room.role) || store.me?.role === 'admin'));
    $('btn-notify').dataset.level = has ? room.notify || '' : '';
    $('btn-join').hidden = !has || room.joined;
    $('composer').hidden = !has || !room.joined;
    $('composer-hint').hidden = !has || !room.joined;
    $('empty').hidden = has;
    $('members').hidden = !has || !membersOpen;
    $('btn-members').setAttribute('aria-expanded', String(has && membersOpen));
    input.placeholder = has ? `Message ${title}` : 'Message';
    if (views) views.uploads.render();
    composer.updateSend();
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

  /** At the live end: at the bottom, with nothing newer still to load. */
  function atEnd() { return atBottom() && !store.timeline(store.activeRoomId).hasNewer; }

  function renderTimeline() {
    const roomId = store.activeRoomId;
    if (!roomId) { $('messages').replaceChildren(); $('history-status').textContent = ''; $('newer-status').hidden = true; return; }
    const t = store.timeline(roomId);
    const ready = t.loaded && !awaiting;
    const wasBottom = stickToBottom && !t.hasNewer;
    const msgs = store.messages(roomId);
    if (unreadFrom === undefined && ready) {
      unreadFrom = firstUnread(msgs, readAtOpen, store.me.id);
      scrollToDivider = unreadFrom !== null && !jumpTo;
    }
    list.render(msgs, store.me, { divider: unreadFrom ? { before: unreadFrom, text: 'New since you left', cls: 'unread-divider', id: 'unread-divider' } : null, connected: store.connection === 'connected' });
    $('history-status').textContent = !ready ? 'Loading messages…' : t.loadingOlder ? 'Loading older messages…'
      : t.hasMore ? '' : (msgs.length ? 'This is the beginning of the room.' : 'No messages yet. Say hello!');
    $('newer-status').hidden = !(ready && t.hasNewer);
    $('newer-status').textContent = t.loadingNewer ? 'Loading newer messages…' : '';
    const target = jumpTo && ready ? $('messages').querySelector(`li.msg[data-id="${jumpTo.id}"]`) : null;
    if (jumpTo && ready) {
      jumpTo = null;
      scrollToDivider = false;
      if (target) showTarget(target);
      else toast('That message is no longer there.');
    } else if (scrollToDivider) {
      scrollToDivider = false;
      const divider = $('unread-divider');
      timelineEl.scrollTop = divider.offsetTop - 8;
      stickToBottom = atEnd();
    } else if (wasBottom) timelineEl.scrollTop = timelineEl.scrollHeight;
    else if (anchorFromBottom !== null) { timelineEl.scrollTop = timelineEl.scrollHeight - anchorFromBottom; anchorFromBottom = null; }
    updateJump();
    if (ready) { maybeMarkRead(); maybeLoadNewer(); }
  }

  /** A jump's message: in the middle of the view, highlighted for a moment, and focused. */
  function showTarget(row) {
    list.spotlight(row, timelineEl);
    stickToBottom = atEnd();
  }

  function updateJump() {
    const roomId = store.activeRoomId;
    jump.hidden = !(roomId && (!atBottom() || store.timeline(roomId).hasNewer));
  }

  timelineEl.addEventListener('scroll', () => {
    if (!store.activeRoomId) return;
    stickToBottom = atEnd();
    updateJump();
    if (stickToBottom) jump.textContent = JUMP_LABEL;
    maybeMarkRead();
    if (timelineEl.scrollTop < 150) loadOlder();
    maybeLoadNewer();
  }, { passive: true });

  /** To the newest message: after a jump the newest page is loaded first (it replaces the jump's pages). */
  async function jumpToLatest() {
    const roomId = store.activeRoomId;
    if (!roomId) return;
    stickToBottom = true;
    jump.textContent = JUMP_LABEL;
    if (store.timeline(roomId).hasNewer) await sync.open(roomId, { latest: true });
    if (store.activeRoomId !== roomId) return;
    stickToBottom = true;
    timelineEl.scrollTop = timelineEl.scrollHeight;
  }

  jump.addEventListener('click', () => { jumpToLatest(); input.focus(); });

  /** After a jump: the next page forward once the bottom of what is loaded comes near. */
  async function maybeLoadNewer() {
    const roomId = store.activeRoomId;
    if (!roomId || awaiting || timelineEl.scrollHeight - timelineEl.scrollTop - timelineEl.clientHeight > 300) return;
    const afterSeq = store.startLoadingNewer(roomId);
    if (afterSeq === null) return;
    invalidate('timeline');
    try {
      const page = await api.history(roomId, { afterSeq, limit: 50 });
      store.applyNewer(roomId, page.messages, page.has_more);
    } catch (e) {
      store.stopLoadingNewer(roomId);
      toast(e.detail || e.message);
    }
  }

  async function loadOlder() {
    const roomId = store.activeRoomId;
    if (!roomId || awaiting) return;
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
    if (!roomId || awaiting || document.visibilityState !== 'visible' || !store.timeline(roomId).loaded) return;
    // Not before the room is placed where it opens (the divider, a jump): a scroll event of the
    // loading view (at its bottom) must not read what the person is about to be shown.
    if (unreadFrom === undefined || jumpTo || scrollToDivider) return;
    if (atEnd()) { sync.markRead(roomId); return; }
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

  return {
    /**
     * Loads the session's views (once): files, reactions, the emoji picker, threads, the names
     * of mentions, avatars and the members panel (and their stylesheet); the open room shows them
     * once they are in (a start from the local copy paints before). Without them messages show no
     * files, reactions or threads and nothing can be attached (said once).
     */
    async loadViews() {
      if (views) return;
      document.head.append(h('link', { rel: 'stylesheet', href: '/conversations.css' }));
      try {
        const [a, u, f, e, r, t, m, p, mb] = await Promise.all([import('./attachments.js'), import('./uploads.js'), import('../files.js'), import('./emoji-picker.js'), import('./reactions.js'), import('./threads.js'), import('../mentions.js'), import('./avatars.js'), import('./members.js')]);
        if (views) return;
        const picker = e.initEmojiPicker({ input, onChange: () => { composer.updateCount(); draftBox.typed(); } });
        const els = { list: $('uploads'), input, picker: $('file-input'), attach: $('btn-attach'), area: $('main'), zone: $('drop-zone') };
        const session = {
          attachments: a.initAttachments({ api }), avatars: p.initAvatars({ api }), members: mb.renderMembers, fileNames: f.fileNames, picker, reactions: r.initReactions({ store, sync, picker }),
          uploads: u.initUploads({ api, els, roomId: () => store.activeRoomId, can: () => Boolean(store.activeRoomId) && !$('composer').hidden, onChange: composer.updateSend }),
          mentions: (roomId) => { const nameOf = m.namesOf(store.members.get(roomId) || [], store.me); return (msg) => m.mentionedNames(msg, nameOf); },
        };
        session.threads = t.initThreads({ store, api, sync, views: session, uploads: u.initUploads });
        views = session;
        invalidate('header', 'timeline', 'members');
      } catch {
        toast('Files, reactions, threads, emoji and members could not be loaded: reload the page to see them.');
      }
    },
    renderHeader,
    renderTimeline,
    avatars: () => views && views.avatars,
    renderMembers() { if (views) views.members(store, store.activeRoomId, views.avatars); },
    renderTyping,
    /**
     * A room is about to open: no edit box or selection carries over; it starts at `target`
     * ({id, seq}: a search result), else at the first unread message, else at the newest. Returns
     * what to load for it (sync.open's options): the page around the target or my read marker
     * unless what is loaded has it, the newest page when leaving a jump's pages.
     */
    enter(roomId, { target } = {}) {
      const room = store.rooms.get(roomId);
      const t = store.timeline(roomId);
      list.editingId = null;
      list.selectedId = null;
      draftBox.open(roomId);
      if (views && roomId !== store.activeRoomId) views.threads.close({ quiet: true });
      stickToBottom = !target;
      readAtOpen = room && room.joined && typeof room.last_read_seq === 'number' ? room.last_read_seq : undefined;
      unreadFrom = undefined;
      scrollToDivider = false;
      jumpTo = target || null;
      if (views) views.picker.close();
      const shown = (seq) => t.loaded && (!t.hasNewer || seq <= t.newestPaged);
      let plan = {};
      if (target) {
        if (!(shown(target.seq) && t.byId.has(target.id))) plan = { aroundSeq: target.seq };
      } else if (readAtOpen !== undefined && room.unread_count > 0) {
        // The first unread is loaded when the marker is within what is loaded (or nothing is older).
        const oldest = oldestSeq(t) ?? Infinity;
        const covered = shown(readAtOpen + 1) && (!t.hasMore || oldest <= readAtOpen + 1);
        if (!covered) plan = { aroundSeq: readAtOpen };
      } else if (t.hasNewer) plan = { latest: true };
      awaiting = plan.aroundSeq !== undefined || Boolean(plan.latest);
      return plan;
    },
    /** The page the room opened at is in (or failed): the divider and the jump can be placed. */
    opened(roomId) {
      if (roomId !== store.activeRoomId || !awaiting) return;
      awaiting = false;
      invalidate('timeline');
    },
    /** Focuses the composer (or Join) of a room just opened once it shows, on wide screens (a phone would pop up its keyboard). */
    autofocus() { if (matchMedia('(min-width: 721px)').matches) { wantFocus = true; invalidate('header'); } },
    /** Focuses the composer if it shows, else the newest message; false when neither is there. */
    focusComposer() {
      if (!$('composer').hidden) { input.focus(); return true; }
      return list.focusNewest();
    },
    /** Closes the emoji picker if open (Escape); true when it was. */
    closeEmoji: () => Boolean(views) && views.picker.close(),
    /** Closes the thread panel if open (Escape); true when it was. */
    closeThread: () => Boolean(views) && views.threads.close(),
    /** Opens the thread of `rootId` in the open room, at the reply `at` ({id, seq}) if given. */
    openThread: (rootId, at) => views && views.threads.open(store.activeRoomId, rootId, { at }),
    /** A new message from someone else in the open room (a reply: in a thread). */
    showIncoming(message) {
      const names = views && message.attachments.length ? `${message.body ? ' · ' : ''}files: ${views.fileNames(message.attachments)}` : '';
      announce(`${senderName(message)}${message.reply_to ? (message.also_to_room ? ' (replied to a thread)' : ' (in a thread)') : ''}: ${plainText(message.body)}${names}`);
      if (!stickToBottom && inMainTimeline(message)) jump.textContent = 'New messages ↓';
    },
    /** Closes the members panel if it is open (Escape); true when it was. */
    closeMembers() {
      if (!membersOpen) return false;
      membersOpen = false;
      invalidate('header');
      $('btn-members').focus();
      return true;
    },
    /** The draft of a room changed other than by typing here (another device, a conflict). */
    draftChanged: (roomId) => draftBox.changed(roomId),
    /** The session ended. */
    clear() { draftBox.open(null); list.editingId = null; list.selectedId = null; $('messages').replaceChildren(); if (views) { views.uploads.clear(); views.threads.close({ quiet: true }); } },
  };
}
