// Object URLs of fetched files by key (a file id): each is loaded once while it is shown, and
// revoked once nothing shows it any more (`retain`), so memory follows what is on the page. No DOM:
// the loader and URL.createObjectURL / revokeObjectURL are handed in.

export class BlobUrls {
  /** load(key) → Promise<Blob>; create(blob) → url and revoke(url) default to URL's. */
  constructor({ load, create = (blob) => URL.createObjectURL(blob), revoke = (url) => URL.revokeObjectURL(url) }) {
    this.load = load;
    this.create = create;
    this.revoke = revoke;
    this.entries = new Map(); // key -> {url: string | null, promise}
  }

  /**
   * The object URL for `key`, loaded once (callers at the same time share the load). Resolves to
   * null when the key was released while loading; rejects when the load fails (a later call tries
   * again).
   */
  url(key) {
    const known = this.entries.get(key);
    if (known) return known.promise;
    const entry = { url: null, promise: null };
    entry.promise = this.load(key).then((blob) => {
      if (this.entries.get(key) !== entry) return null;
      entry.url = this.create(blob);
      return entry.url;
    }, (e) => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw e;
    });
    this.entries.set(key, entry);
    return entry.promise;
  }

  /** Revokes (and forgets) every URL whose key is not in `keys`: what is still shown. */
  retain(keys) {
    const keep = new Set(keys);
    for (const [key, entry] of this.entries) {
      if (keep.has(key)) continue;
      this.entries.delete(key);
      if (entry.url) this.revoke(entry.url);
    }
  }
}
