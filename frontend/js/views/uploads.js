// The composer's files: the attach button (a hidden file input), files dropped on the open room
// (the drop zone shows while they are dragged over it) and images pasted into the message box.
// Each uploads at once to the open room, with a progress bar and Cancel; once up it can be
// removed, and a refused one says why (the server's words, or the size limit checked first). The
// list and its rules are js/files.js's UploadQueue; the message sent next takes the uploaded ones.
import { $, h, syncChildren } from './dom.js';
import { announce } from './notices.js';
import { fileIcon } from './attachments.js';
import { UploadQueue, sizeProblem, formatSize } from '../files.js';

const hasFiles = (e) => Boolean(e.dataTransfer) && [...e.dataTransfer.types].includes('Files');

/** store, api; onChange() when what the open room's message could carry changes. */
export function initUploads({ store, api, onChange }) {
  const listEl = $('uploads');
  const input = $('composer-input');
  const picker = $('file-input');
  const main = $('main');
  const zone = $('drop-zone');
  const running = new Map(); // entry key -> {abort()} of its request
  let rows = new Map(); // `${key}|${status}` -> its list item
  let maxBytes; // the server's upload limit (GET /server) once known; null: it has none to say
  const queue = new UploadQueue((roomId) => {
    if (roomId === store.activeRoomId) render();
    onChange();
  });

  async function limit() {
    if (maxBytes === undefined) {
      try { maxBytes = (await api.server()).max_upload_bytes ?? null; } catch { return null; }
    }
    return maxBytes;
  }

  /** Files chosen for the open room (an array: a drop's or a paste's list empties after its event). */
  async function add(files) {
    const roomId = store.activeRoomId;
    if (!files.length || !canAttach()) return;
    const max = await limit();
    for (const file of files) start(roomId, file, sizeProblem(file.size, max));
  }

  function start(roomId, file, problem) {
    const entry = queue.add(roomId, { name: file.name || 'file', size: file.size, type: file.type }, problem);
    if (entry.status !== 'uploading') return;
    const upload = api.upload(roomId, file, { onProgress: (loaded, total) => queue.progress(entry.key, loaded, total) });
    running.set(entry.key, upload);
    upload.promise.then((uploaded) => {
      queue.done(entry.key, uploaded);
      announce(`${entry.name} is uploaded`);
    }, (e) => {
      if (e.code !== 'aborted') queue.fail(entry.key, e.message);
    }).finally(() => running.delete(entry.key));
  }

  /** Cancel (an upload under way) or Remove. */
  function drop(key) {
    const upload = running.get(key);
    if (upload) upload.abort();
    queue.remove(key);
  }

  /** An entry's row: once uploaded, with the name and type the server gave the file. */
  function row(e) {
    const uploading = e.status === 'uploading';
    return h('li', { class: `upload ${e.status}`, dataset: { key: e.key } },
      fileIcon(e.file ? e.file.content_type : e.type),
      h('span', { class: 'upload-name', text: e.file ? e.file.name : e.name }),
      h('span', { class: 'upload-size', text: formatSize(e.size) }),
      uploading ? h('progress', { class: 'upload-progress', max: '1', value: '0', 'aria-label': `Uploading ${e.name}` }) : null,
      e.status === 'done' ? h('span', { class: 'upload-ok', text: 'Ready' }) : null,
      h('button', { type: 'button', class: 'icon-btn upload-remove', 'aria-label': `${uploading ? 'Cancel the upload of' : 'Remove'} ${e.name}`, title: uploading ? 'Cancel' : 'Remove', onclick: () => drop(e.key) }, '✕'),
      e.status === 'failed' ? h('p', { class: 'upload-error', role: 'alert', text: e.error }) : null);
  }

  /** The open room's uploads; a focused button whose row changed passes the focus on (or back to the message box). */
  function render() {
    const focusedKey = listEl.contains(document.activeElement) ? document.activeElement.closest('li').dataset.key : null;
    const entries = queue.list(store.activeRoomId);
    const next = new Map();
    const items = entries.map((e) => {
      const id = `${e.key}|${e.status}`;
      const li = rows.get(id) || row(e);
      next.set(id, li);
      if (e.status === 'uploading') {
        const bar = li.querySelector('progress');
        bar.max = e.total || 1;
        bar.value = e.loaded;
      }
      return li;
    });
    rows = next;
    syncChildren(listEl, items);
    listEl.hidden = !items.length;
    if (focusedKey && !listEl.contains(document.activeElement)) {
      const same = items.find((li) => li.dataset.key === focusedKey);
      (same ? same.querySelector('button') : input).focus();
    }
  }

  const canAttach = () => Boolean(store.activeRoomId) && !$('composer').hidden;

  const attach = $('btn-attach');
  attach.addEventListener('click', () => picker.click());
  attach.hidden = false; // shown once files can be attached
  picker.addEventListener('change', () => {
    add([...picker.files]);
    picker.value = '';
  });
  input.addEventListener('paste', (e) => {
    const files = e.clipboardData ? [...e.clipboardData.files] : [];
    if (!files.length) return;
    e.preventDefault();
    add(files);
  });

  // Dropping files on the open room attaches them; the zone shows while they are over it.
  main.addEventListener('dragenter', (e) => { if (hasFiles(e) && canAttach()) zone.hidden = false; });
  main.addEventListener('dragover', (e) => {
    if (!hasFiles(e) || !canAttach()) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.hidden = false;
  });
  main.addEventListener('dragleave', (e) => { if (!main.contains(e.relatedTarget)) zone.hidden = true; });
  main.addEventListener('drop', (e) => {
    zone.hidden = true;
    if (!hasFiles(e)) return;
    e.preventDefault();
    add([...e.dataTransfer.files]);
  });
  // Files dropped anywhere else are not opened in place of the app.
  for (const type of ['dragover', 'drop']) document.addEventListener(type, (e) => { if (hasFiles(e)) e.preventDefault(); });

  return {
    render,
    /** True while a file of the room is still uploading. */
    busy: (roomId) => queue.busy(roomId),
    /** The room's uploaded Files, in order. */
    files: (roomId) => queue.files(roomId),
    /** The room's message is sent: returns its Files, which leave the composer. */
    take: (roomId) => queue.take(roomId),
    /** The session ended: uploads under way stop, the list empties. */
    clear() { for (const e of queue.clear()) running.get(e.key).abort(); },
  };
}
