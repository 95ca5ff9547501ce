// My profile over the Api client (api.js): display name and status (PATCH /me), the avatar's
// image (PUT and DELETE /me/avatar: the bytes as they are, with their type) and anyone's avatar
// as a Blob (its `avatar_url`, fetched with the bearer header). Loaded with the session's views.

/** `api`: an Api. Every call resolves with the server's answer or throws an ApiError. */
export function profileApi(api) {
  return {
    /** `changes`: `{display_name?, status?}` (an empty string clears one) → my User. */
    update(changes) { return api.request('PATCH', '/me', changes); },
    /** `file`: an image (a Blob), at most 5 MiB; the server crops it square → my User. */
    async setAvatar(file) {
      const res = await api.authorized((headers) => api.fetchOrFail(`${api.base}/me/avatar`, {
        method: 'PUT', headers: { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream', ...headers }, body: file,
      }));
      return res.json();
    },
    /** → my User, without an avatar. */
    removeAvatar() { return api.request('DELETE', '/me/avatar'); },
    /** The image at `path` (a User's `avatar_url`, e.g. `/api/v1/users/12/avatar?v=…`) as a Blob. */
    async avatarBlob(path) {
      const res = await api.authorized((headers) => api.fetchOrFail(path, { headers }));
      return res.blob();
    },
  };
}
