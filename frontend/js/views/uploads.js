// A composer's files: the attach button (a hidden file input), files dropped on its area (the
// drop zone shows while they are dragged over it) and images pasted into its message box. Each
// uploads at once to its room, with a progress bar and Cancel; once up it can be removed, and a
// refused one says why (the server's words, or the size limit checked first). The list and its
// rules are js/files.js's UploadQueue, one list per room (or thread: `key`); the message sent
// next takes the uploaded ones. The room's composer and a thread's have one each.
import { h, syncChildren } from './dom.js';
import { announce } from './notices.js';
import { fileIcon } from './attachments.js';
import { UploadQueue, sizeProblem, formatSize } from '../files.js';

const hasFiles = (e) => Boolean(e.dataTransfer) && [...e.dataTransfer.types].includes('Files');
let guarded = false; // files dropped outside every drop area are not opened in place of the app
let maxBytes; // the server's upload limit (GET /server) once known; null: it has none to say

/**
 * api; els: {list, input, picker (the file input), attach (its button), area (where files drop),
 * zone (shown while they are over it)}; roomId() → the room they upload to; key() → whose list
 * shows (the room's, or a thread's); can() → files can be attached now; onChange() when what its
 * message could carry changes.
 */
export function initUploads({ api, els, roomId, key = roomId, can, onChange }) {
  const { list: listEl, input, picker, attach, area, zone } = els;
  const running = new Map(); // entry key -> {abort()} of its request
  let rows = new Map(); // `${key}|${status}` -> its list item
  const queue = new UploadQueue((k) => {
    if (k === key()) render();
    onChange();
  });

  async function limit() {
    if (maxBytes === undefined) {
      try { maxBytes = (await api.server()).max_upload_bytes ?? null; } catch { return null; }
    }
    return maxBytes;
  }

  /** Files chosen (an array: a drop's or a paste's list empties after its event). */
  async function add(files) {
    const [room, k] = [roomId(), key()];
    if (!files.length || !can()) return;
    const max = await limit();
    for (const file of files) start(room, k, file, sizeProblem(file.size, max));
  }

  function start(room, k, file, problem) {
    const entry = queue.add(k, { name: file.name || 'file', size: file.size, type: file.type }, problem);
    if (entry.status !== 'uploading') return;
    const upload = api.upload(room, file, { onProgress: (loaded, total) => queue.progress(entry.key, loaded, total) });
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

  /** The shown list's uploads; a focused button whose row changed passes the focus on (or back to the message box). */
  function render() {
    const focusedKey = listEl.contains(document.activeElement) ? document.activeElement.closest('li').dataset.key : null;
    const entries = queue.list(key());
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

  // Dropping files on the area attaches them; the zone shows while they are over it.
  area.addEventListener('dragenter', (e) => { if (hasFiles(e) && can()) zone.hidden = false; });
  area.addEventListener('dragover', (e) => {
    if (!hasFiles(e) || !can()) return;
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = 'copy';
    zone.hidden = false;
  });
  area.addEventListener('dragleave', (e) => { if (!area.contains(e.relatedTarget)) zone.hidden = true; });
  area.addEventListener('drop', (e) => {
    zone.hidden = true;
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.stopPropagation();
    add([...e.dataTransfer.files]);
  });
  if (!guarded) for (const type of ['dragover', 'drop']) document.addEventListener(type, (e) => { if (hasFiles(e)) e.preventDefault(); });
  guarded = true;

  return {
    render,
    /** True while a file of the shown list is still uploading. */
    busy: () => queue.busy(key()),
    /** The shown list's uploaded Files, in order. */
    files: () => queue.files(key()),
    /** Its message is sent: returns its Files, which leave the composer. */
    take: () => queue.take(key()),
    /** The session ended: uploads under way stop, the list empties. */
    clear() { for (const e of queue.clear()) running.get(e.key).abort(); },
  };
}
