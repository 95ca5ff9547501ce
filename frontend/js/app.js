// Entry point: the sign-in screen, a reset link's page (#/reset/…), or the signed-in app
// (session.js, loaded on sign-in or at once with a kept session, so the sign-in screen stays
// small); the `confab-interactive` mark once either is usable.
import { Api } from './api.js';
import { fieldError } from './views/dom.js';
import { initAuth } from './views/auth.js';

const SESSION_ENDED = 'Your session has ended. Please sign in again.';
const NOT_LOADED = 'Confab could not load. Check your connection, then reload the page.';

const api = new Api({ onSessionEnded: () => endSession(SESSION_ENDED) });
const auth = initAuth({
  getServer: () => api.server(),
  onSubmit: async (mode, username, password, invite) => { // invite: with a new account only
    if (mode === 'login') await api.login(username, password);
    else await api.register(username, password, invite);
    await startSession();
  },
});
let app = null; // session.js's app once asked for (a promise)
let signedIn = false; // a session is shown
// The signed-in app's modules: session.js and all it imports (the build writes the list:
// tools/shell.mjs), fetched at once rather than found one import after the other.
const PRELOAD = [];

function session() {
  if (app) return app;
  for (const href of PRELOAD) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', href }));
  app = import('./session.js').then((m) => m.initSession({ api, endSession, markInteractive }));
  app.catch(() => { app = null; });
  return app;
}

async function startSession() {
  signedIn = true;
  auth.hide();
  try {
    await (await session()).start();
  } catch {
    signedIn = false;
    auth.show();
    fieldError('auth-error', NOT_LOADED);
    markInteractive();
  }
}

async function endSession(message) {
  if (app) (await app).end();
  api.save(null);
  signedIn = false;
  auth.show();
  if (message) fieldError('auth-error', message);
}

// A reset link's page shows instead of the app.
const isReset = () => location.hash.startsWith('#/reset/');
const resetPage = () => import('./views/reset.js').then((m) => m.showReset({ api, leave: (done) => {
  history.replaceState(null, '', '#/');
  if (done || !api.loggedIn) endSession(null); else startSession();
} }));
window.addEventListener('hashchange', () => { if (isReset() && !signedIn) resetPage(); });

// ---- boot
let interactiveMarked = false;
function markInteractive() {
  if (interactiveMarked) return;
  interactiveMarked = true;
  performance.mark('confab-interactive');
}

window.confab = { api, socket: null, connectionLog: [], notificationLog: [] }; // debug, tests (session.js adds its parts)
if (isReset()) {
  resetPage().then(markInteractive);
} else if (api.loggedIn) {
  startSession();
} else {
  auth.show();
  markInteractive();
}
