// Avatars' object URLs without the DOM: one per avatar path (`avatar_url`, which changes whenever
// the image does), loaded once (blob-urls.js); a person's older image is revoked once a newer one
// (or none) is asked for, so memory holds one image per person. The loader, URL.createObjectURL and
// revokeObjectURL are handed in.
import { BlobUrls } from './blob-urls.js';

export class AvatarUrls {
  /** load(path) → Promise<Blob>; create and revoke as BlobUrls's. */
  constructor(options) {
    this.blobs = new BlobUrls(options);
    this.latest = new Map(); // user id → the avatar path last asked for (null: none)
  }

  /** A promise of the object URL of `user`'s avatar, or null when they have none. */
  url(user) {
    if (!user) return null;
    const path = user.avatar_url || null;
    if (this.latest.get(user.id) !== path) {
      const had = this.latest.has(user.id);
      this.latest.set(user.id, path);
      if (had) this.blobs.retain([...this.latest.values()].filter(Boolean));
    }
    return path ? this.blobs.url(path) : null;
  }
}
