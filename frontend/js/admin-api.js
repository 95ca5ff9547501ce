// The administration and moderation endpoints over the Api client (api.js): accounts, reset
// links, the audit log and the server's settings (server admins), a room's bans, members, roles,
// name and topic (its moderators), a reset link's use (signed out). Loaded with the views that use
// them, not with the sign-in page.

/** `api`: an Api. Every call resolves with the server's JSON (null for a 204) or throws an ApiError. */
export function adminApi(api) {
  const r = (method, path, body, options) => api.request(method, path, body, options);
  return {
    /** A page of accounts in id order: `{users: [AdminUser], has_more}`; `q`: the start of a name. */
    users({ q = '', afterId, limit = 50 } = {}) {
      const p = new URLSearchParams({ limit: String(limit) });
      if (q) p.set('q', q);
      if (afterId !== undefined) p.set('after_id', String(afterId));
      return r('GET', `/admin/users?${p}`);
    },
    /** `changes`: `{role?: 'admin' | 'member', deactivated?: bool}` → the AdminUser now. */
    updateUser(id, changes) { return r('PATCH', `/admin/users/${id}`, changes); },
    /** A one-time password reset link (24 h): `{url, expires_at}`. */
    passwordReset(id) { return r('POST', `/admin/users/${id}/password-reset`); },
    /** A page of the audit log, newest first: `{entries, has_more}`. */
    audit({ beforeId, limit = 50 } = {}) {
      const p = new URLSearchParams({ limit: String(limit) });
      if (beforeId !== undefined) p.set('before_id', String(beforeId));
      return r('GET', `/admin/audit?${p}`);
    },
    /** Sets a new password with a reset link's token (no session needed; every session of the account ends). */
    resetPassword(token, password) { return r('POST', '/auth/password-reset', { token, password }, { auth: false }); },
    ban(roomId, userId) { return r('PUT', `/rooms/${roomId}/bans/${userId}`); },
    unban(roomId, userId) { return r('DELETE', `/rooms/${roomId}/bans/${userId}`); },
    /** Who is banned from the room: `{users: [User]}` (its moderators only). */
    bans(roomId) { return r('GET', `/rooms/${roomId}/bans`); },
    /** Adds someone to a room (its owners and admins) → their Member. */
    addMember(roomId, userId) { return r('PUT', `/rooms/${roomId}/members/${userId}`); },
    /** A member's role in a room (its owners): 'admin' | 'member' → their Member. */
    setRole(roomId, userId, role) { return r('PUT', `/rooms/${roomId}/members/${userId}/role`, { role }); },
    /** A room's name and topic (its owners and admins): `changes` `{name?, topic?}` → the Room. */
    updateRoom(roomId, changes) { return r('PATCH', `/rooms/${roomId}`, changes); },
    /** The server's settings (server admins): `changes` `{name?, registration?}` → GET /server's answer. */
    updateServer(changes) { return r('PATCH', '/admin/server', changes); },
  };
}
