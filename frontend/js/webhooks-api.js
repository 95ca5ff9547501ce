// A room's webhooks over the Api client (api.js): list, add (incoming, or outgoing with a
// receiver URL), a new address or secret, delete (its owners and admins, and server admins; never
// a direct room). An incoming webhook's `url`, its secret address, and an outgoing one's signing
// `secret` are only in the answers of add and of rotate. Loaded with the view that uses them.

/** `api`: an Api. Every call resolves with the server's JSON (null for a 204) or throws an ApiError. */
export function webhooksApi(api) {
  const r = (method, path, body) => api.request(method, path, body);
  const base = (roomId) => `/rooms/${roomId}/webhooks`;
  return {
    /** The room's webhooks of both kinds, oldest first (no addresses, no secrets): `{webhooks: [Webhook]}`. */
    list(roomId) { return r('GET', base(roomId)); },
    /**
     * A new webhook: `hook` is `{name}` (incoming: its posts show under it) → the Webhook with its
     * `url`; or `{name, target_url, events: ["message"]}` (outgoing) → the Webhook with its `secret`.
     */
    create(roomId, hook) { return r('POST', base(roomId), hook); },
    /**
     * A new address for an incoming webhook (the old one stops working) → the Webhook with its
     * `url`; a new secret for an outgoing one (the old one is no longer valid; a disabled one is
     * enabled again, its deliveries going on from where they stopped) → the Webhook with its `secret`.
     */
    rotate(roomId, webhookId) { return r('POST', `${base(roomId)}/${webhookId}/token`); },
    /** Deletes the webhook: its address stops working or its deliveries stop; what it posted stays. */
    remove(roomId, webhookId) { return r('DELETE', `${base(roomId)}/${webhookId}`); },
  };
}
