// A message's files in the timeline: images inline from their thumbnail, in a box of the right
// shape before it loads (no jump), a button that opens the full-size viewer (a dialog with a
// download link); other files as a card with an icon by kind, the name, the size and Download.
// Files are fetched with the bearer header and shown through object URLs: thumbnails load as they
// come near the screen and are revoked once their message leaves the page, the viewer's when it
// closes, a download's soon after it starts. The timeline and a thread's panel show them alike.
import { $, h } from './dom.js';
import { toast } from './notices.js';
import { BlobUrls } from '../blob-urls.js';
import { fileKind, formatSize, isInlineImage, thumbBox } from '../files.js';

/** How long a download's object URL outlives its click (the browser reads the blob meanwhile). */
const DOWNLOAD_URL_MS = 30 * 1000;

/** The icon of a file (by its content type): a tile the stylesheet draws, hidden from screen readers. */
export function fileIcon(contentType) {
  return h('span', { class: 'file-icon', dataset: { kind: fileKind(contentType) }, 'aria-hidden': 'true' });
}

/** Saves a blob as a file called `name`: a click on a temporary <a download>. */
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_MS);
}

/** api. Returns {node(files, listEl)}: a message's files in a list (its parent scrolls). */
export function initAttachments({ api }) {
  const thumbs = new BlobUrls({ load: (id) => api.fileBlob(id, { thumbnail: true }) });
  const waiting = new Map(); // img waiting to come near the screen -> {file, near: its list's observer}
  const lists = new Map(); // a message list -> the observer of its scrolling parent
  const shown = () => [...lists.keys()].flatMap((l) => [...l.querySelectorAll('.att-image[data-file-id]')].map((b) => Number(b.dataset.fileId)));

  function loadThumb(img) {
    const { file, near } = waiting.get(img);
    near.unobserve(img);
    waiting.delete(img);
    thumbs.url(file.id).then((url) => { if (url) img.src = url; }, () => img.parentElement.classList.add('failed'));
  }

  /** Watches a list: its thumbnails load as they come near its scrolling parent's view; those no list shows any more are revoked. */
  function watch(listEl) {
    lists.set(listEl, new IntersectionObserver((seen) => {
      for (const { target, isIntersecting } of seen) if (isIntersecting) loadThumb(target);
    }, { root: listEl.parentElement, rootMargin: '800px 0px' }));
    // Messages leave the page (a render, a room switch, the end of a session): the thumbnails no
    // message shows any more are revoked, and those never loaded are no longer watched.
    new MutationObserver(() => {
      for (const [img, w] of waiting) if (!img.isConnected) { w.near.unobserve(img); waiting.delete(img); }
      thumbs.retain(shown());
    }).observe(listEl, { childList: true });
  }

  /** The files of a message (null for none) in `listEl`. */
  function node(files, listEl) {
    if (!files.length) return null;
    if (!lists.has(listEl)) watch(listEl);
    return h('div', { class: 'attachments' }, files.map((f) => (isInlineImage(f) ? imageNode(f, lists.get(listEl)) : cardNode(f))));
  }

  function imageNode(file, near) {
    const box = thumbBox(file.width, file.height);
    const img = h('img', { alt: file.name, width: box.width, height: box.height });
    const btn = h('button', { type: 'button', class: 'att-image', 'aria-haspopup': 'dialog', title: 'Open full size', dataset: { fileId: String(file.id) }, onclick: () => viewer.open(file, btn) }, img);
    // The box keeps its shape (and its width, up to the column's) before the thumbnail arrives.
    // Set through the CSSOM, which the CSP allows (style attributes it does not).
    btn.style.width = `${box.width}px`;
    btn.style.aspectRatio = `${file.width} / ${file.height}`;
    waiting.set(img, { file, near });
    near.observe(img);
    return btn;
  }

  function cardNode(file) {
    return h('div', { class: 'file-card' },
      fileIcon(file.content_type),
      h('span', { class: 'file-meta' }, h('span', { class: 'file-name', text: file.name }), h('span', { class: 'file-size', text: formatSize(file.size) })),
      h('button', { type: 'button', class: 'btn subtle file-download', 'aria-label': `Download ${file.name}`, onclick: (e) => download(file, e.currentTarget) }, 'Download'));
  }

  async function download(file, btn) {
    if (btn.getAttribute('aria-disabled') === 'true') return;
    btn.setAttribute('aria-disabled', 'true');
    btn.textContent = 'Downloading…';
    try {
      saveBlob(await api.fileBlob(file.id), file.name);
    } catch (e) {
      toast(`${file.name} could not be downloaded: ${e.message}`);
    } finally {
      btn.removeAttribute('aria-disabled');
      btn.textContent = 'Download';
    }
  }

  // ---- the full-size viewer (markup in index.html) -------------------------------------------
  const viewer = (() => {
    const dlg = $('dlg-viewer');
    const img = $('viewer-img');
    const link = $('viewer-download');
    const status = $('viewer-status');
    let opener = null; // the thumbnail it was opened from: the focus goes back there
    let openerList = null; // and its message list
    let url = null;
    let opened = 0; // counts openings, so a load that finishes after its viewer closed is dropped

    dlg.addEventListener('close', () => {
      opened++;
      if (url) URL.revokeObjectURL(url);
      url = null;
      img.hidden = true;
      img.removeAttribute('src');
      link.hidden = true;
      link.removeAttribute('href');
      // A thumbnail re-rendered meanwhile: the same file's button in the same list.
      const back = opener && (opener.isConnected ? opener : openerList && openerList.querySelector(`.att-image[data-file-id="${opener.dataset.fileId}"]`));
      opener = null;
      if (back) back.focus();
    });

    return {
      async open(file, from) {
        const mine = ++opened;
        opener = from;
        openerList = from.closest('ol');
        $('viewer-title').textContent = file.name;
        $('viewer-meta').textContent = `${file.width} × ${file.height} · ${formatSize(file.size)}`;
        img.alt = file.name;
        status.textContent = 'Loading…';
        dlg.showModal();
        $('viewer-close').focus();
        try {
          const blob = await api.fileBlob(file.id);
          if (mine !== opened) return;
          url = URL.createObjectURL(blob);
          img.src = url;
          img.hidden = false;
          link.href = url;
          link.download = file.name;
          link.hidden = false;
          status.textContent = '';
        } catch (e) {
          if (mine === opened) status.textContent = `The image could not be loaded: ${e.message}`;
        }
      },
    };
  })();

  return { node };
}
