// Fakes shared by the unit tests of sync.js.

/** The drafts (drafts.js) as sync.js sees them, recording what it was told. */
export function fakeDrafts() {
  const told = [];
  return {
    told,
    sent: (roomId) => told.push(['sent', roomId]),
    serverChanged: (ev) => told.push(['serverChanged', ev.room_id, ev.body, ev.user_seq]),
    flush: () => told.push(['flush']),
    reload: async () => { told.push(['reload']); return 0; },
  };
}
