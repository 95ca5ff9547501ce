// The server's bots over the Api client (api.js), server admins only: list, create (a username
// and maybe a display name), a new token, delete (the account is deactivated, its messages stay).
// A bot's API token (`cfb_…`) is only in the answers of create and of a new token: the list never
// has it. Loaded with Administration, which uses them.

/** `api`: an Api. Every call resolves with the server's JSON (null for a 204) or throws an ApiError. */
export function botsApi(api) {
  const r = (method, path, body) => api.request(method, path, body);
  return {
    /** The bots that are not deleted, by name: `{bots: [User]}` (each `bot: true`, no tokens). */
    list() { return r('GET', '/bots'); },
    /** A new bot: `bot` is `{username, display_name?}` → `{user, token}`, the token shown only here. */
    create(bot) { return r('POST', '/bots', bot); },
    /** A new token for the bot (the old one stops working at once, its sockets close) → `{token}`. */
    rotate(userId) { return r('POST', `/bots/${userId}/token`); },
    /** Deletes the bot: its account is deactivated (out of the list), its token stops working; what it posted stays. */
    remove(userId) { return r('DELETE', `/bots/${userId}`); },
  };
}
