// Files and images without the DOM: sizes as text, a file's kind (its icon) from its content type,
// which files show inline as images and the box reserved for them, the client-side size check,
// and the composer's uploads (per room: uploading, uploaded or refused, in the order chosen).

/** A message carries at most this many files (the server's limit). */
export const MAX_ATTACHMENTS = 10;
/** Thumbnails are at most this long on their longest side (the server makes them so). */
export const THUMB_MAX = 400;

const INLINE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const ARCHIVES = new Set(['application/zip', 'application/x-zip-compressed', 'application/gzip', 'application/x-gzip', 'application/x-tar',
  'application/x-7z-compressed', 'application/x-rar-compressed', 'application/vnd.rar', 'application/x-bzip2', 'application/x-xz', 'application/zstd']);
const TEXTS = new Set(['application/json', 'application/xml', 'application/javascript', 'application/x-sh', 'application/sql', 'application/toml', 'application/yaml']);
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** "512 B", "2.4 MB", "24 MB" (powers of 1024; one decimal below 10). */
export function formatSize(bytes) {
  let n = Math.max(0, Number(bytes) || 0);
  let unit = 0;
  while (unit < UNITS.length - 1 && Math.round(n) >= 1024) { n /= 1024; unit++; } // "1024 KB" is "1.0 MB"
  if (unit === 0) return `${Math.round(n)} B`;
  const digits = n < 9.95 ? 1 : 0;
  return `${n.toFixed(digits)} ${UNITS[unit]}`;
}

/** A content type without parameters, lower case: "Text/Plain; charset=utf-8" → "text/plain". */
const baseType = (contentType) => String(contentType || '').split(';')[0].trim().toLowerCase();

/** What a file is, for its icon: 'image', 'audio', 'video', 'pdf', 'archive', 'text' or 'file'. */
export function fileKind(contentType) {
  const t = baseType(contentType);
  const [top] = t.split('/');
  if (top === 'image' || top === 'audio' || top === 'video') return top;
  if (t === 'application/pdf') return 'pdf';
  if (ARCHIVES.has(t)) return 'archive';
  if (top === 'text' || TEXTS.has(t) || t.endsWith('+json') || t.endsWith('+xml')) return 'text';
  return 'file';
}

/** True for a File the timeline shows inline: a png, jpeg, gif or webp whose size the server knows. */
export function isInlineImage(file) {
  return INLINE_IMAGES.has(baseType(file.content_type)) && file.width > 0 && file.height > 0;
}

/** The box an image is shown in: its size scaled down (never up) so its longest side is at most `max`. */
export function thumbBox(width, height, max = THUMB_MAX) {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Why a file of `size` bytes is not uploaded (`maxBytes`: the server's limit, or null when unknown); null when it may be. */
export function sizeProblem(size, maxBytes) {
  if (typeof maxBytes !== 'number' || size <= maxBytes) return null;
  return `Too large (${formatSize(size)}): this server takes files up to ${formatSize(maxBytes)}.`;
}

/** Files named for a line of text: "a.png", "a.png, b.txt", "a.png, b.txt, c.pdf and 2 more". */
export function fileNames(files, shown = 3) {
  const names = files.slice(0, shown).map((f) => f.name).join(', ');
  return files.length > shown ? `${names} and ${files.length - shown} more` : names;
}

/**
 * The composer's uploads, per room, in the order they were chosen. An entry is
 * `{key, roomId, name, size, type, status: 'uploading'|'done'|'failed', loaded, total, file, error}`:
 * `file` is the server's File once uploaded, `error` says why it was refused. `onChange(roomId)`
 * follows every change.
 */
export class UploadQueue {
  constructor(onChange = () => {}) {
    this.entries = [];
    this.onChange = onChange;
    this.nextKey = 0;
  }

  /**
   * A file chosen for the room: uploading, or refused at once with `error` (or when the room's
   * message would carry more than MAX_ATTACHMENTS files).
   */
  add(roomId, { name, size, type }, error = null) {
    const counted = this.list(roomId).filter((e) => e.status !== 'failed').length;
    const why = error || (counted >= MAX_ATTACHMENTS ? `A message can carry at most ${MAX_ATTACHMENTS} files.` : null);
    const entry = { key: 'u' + ++this.nextKey, roomId, name, size, type, status: why ? 'failed' : 'uploading', loaded: 0, total: size, file: null, error: why || '' };
    this.entries.push(entry);
    this.onChange(roomId);
    return entry;
  }

  get(key) { return this.entries.find((e) => e.key === key) || null; }

  /** Bytes sent so far of an upload under way. */
  progress(key, loaded, total) {
    const e = this.get(key);
    if (!e || e.status !== 'uploading') return;
    e.loaded = loaded;
    if (total > 0) e.total = total;
    this.onChange(e.roomId);
  }

  /** The server took it: `file` is its File. */
  done(key, file) { this.settle(key, { status: 'done', file, loaded: this.get(key)?.total ?? 0 }); }

  /** The server (or the network) refused it, for `error`. */
  fail(key, error) { this.settle(key, { status: 'failed', error }); }

  settle(key, change) {
    const e = this.get(key);
    if (!e || e.status !== 'uploading') return;
    Object.assign(e, change);
    this.onChange(e.roomId);
  }

  /** Drops an entry (cancelled, removed); returns it, or null. */
  remove(key) {
    const e = this.get(key);
    if (!e) return null;
    this.entries = this.entries.filter((x) => x !== e);
    this.onChange(e.roomId);
    return e;
  }

  list(roomId) { return this.entries.filter((e) => e.roomId === roomId); }

  /** True while a file of the room is still uploading (a message waits for it). */
  busy(roomId) { return this.list(roomId).some((e) => e.status === 'uploading'); }

  /** The uploaded Files of the room, in order. */
  files(roomId) { return this.list(roomId).filter((e) => e.status === 'done').map((e) => e.file); }

  /** The room's message is sent: its uploaded Files leave the composer (refused ones stay, with their reason). */
  take(roomId) {
    const files = this.files(roomId);
    if (!files.length) return files;
    this.entries = this.entries.filter((e) => !(e.roomId === roomId && e.status === 'done'));
    this.onChange(roomId);
    return files;
  }

  /** The session ended: every entry goes; returns those still uploading (to abort). */
  clear() {
    const running = this.entries.filter((e) => e.status === 'uploading');
    const rooms = new Set(this.entries.map((e) => e.roomId));
    this.entries = [];
    for (const r of rooms) this.onChange(r);
    return running;
  }
}
