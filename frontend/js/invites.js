// Invite links and the registration policy, without the DOM: the join route (#/join/<code>), what
// the create-account tab offers under each policy (GET /server), the body of a new invite, and an
// invite's uses and expiry as text.

/** The invite code of a join route (`#/join/<code>`); null for any other hash. */
export function joinCode(hash) {
  const m = /^#\/join\/([^/?#\s]+)\/?$/.exec(hash || '');
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}

/**
 * What the create-account tab offers, given the server's answer to GET /server (`server`, null
 * while unknown: then everything is offered and the server decides) and the invite carried by the
 * link (`invite`, or null): `{tab}` shows the tab, `{fields}` the username and password,
 * `{note}` says why (or null), `{first}` is the setup of a fresh server (the tab opens first).
 */
export function registration(server, invite) {
  if (!server) return { tab: true, fields: true, note: null, first: false };
  const name = server.name || 'this server';
  if (server.setup) return { tab: true, fields: true, note: 'Create the first account: you will be the server\'s admin.', first: true };
  if (server.registration === 'closed') return { tab: false, fields: false, note: null, first: false };
  if (server.registration === 'invite') {
    return invite
      ? { tab: true, fields: true, note: `You are invited to ${name}: choose a username and a password.`, first: false }
      : { tab: true, fields: false, note: `An invite link is needed to create an account on ${name}: ask one of its admins for one.`, first: false };
  }
  return { tab: true, fields: true, note: null, first: false };
}

/**
 * The body of POST /invites from the form's values: how many uses and seconds until expiry, as
 * strings; anything but a positive number ("unlimited", "never") is left out: no limit, never.
 */
export function inviteBody({ uses, expires }) {
  const body = {};
  const maxUses = Number(uses);
  const expiresIn = Number(expires);
  if (Number.isInteger(maxUses) && maxUses > 0) body.max_uses = maxUses;
  if (Number.isInteger(expiresIn) && expiresIn > 0) body.expires_in = expiresIn;
  return body;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "0 of 1 use", "3 of 25 uses", "3 uses, no limit". */
export function inviteUses({ uses, max_uses: max }) {
  return max == null ? `${plural(uses, 'use')}, no limit` : `${uses} of ${plural(max, 'use')}`;
}

/** "Never expires", "Expires in 5 minutes", "… in 3 hours", "… in 7 days", "Expired". */
export function inviteExpiry({ expires_at: at }, now = Date.now()) {
  if (!at) return 'Never expires';
  const minutes = (new Date(at).getTime() - now) / 60000;
  if (Number.isNaN(minutes)) return '';
  if (minutes <= 0) return 'Expired';
  if (minutes < 59.5) return `Expires in ${plural(Math.max(1, Math.round(minutes)), 'minute')}`;
  const hours = minutes / 60;
  if (hours < 23.5) return `Expires in ${plural(Math.round(hours), 'hour')}`;
  return `Expires in ${plural(Math.round(hours / 24), 'day')}`;
}
