// Starts a real Confab server on a free port with a fresh data directory, serving frontend/dist.
// `kill()` stops it the hard way (SIGKILL, as a crash would) and `start()` brings it back on the
// same port with the same data, so the browser tests can cut the server under a pending send.
// New accounts join no default room unless a test asks for one (`CONFAB_DEFAULT_ROOM`): most
// tests create and join their rooms themselves. Registration is open (`CONFAB_REGISTRATION`) unless
// a test asks for invites: most tests register several people.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');

/** Spawns the binary and resolves with the child and its URL once it listens. */
function spawnServer(bin, listen, dataDir, webDir, env) {
  const child = spawn(bin, ['serve', '--listen', listen, '--data-dir', dataDir, '--web-dir', webDir], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', CONFAB_DEFAULT_ROOM: '', CONFAB_REGISTRATION: 'open', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { child, log: '' };
  const onData = (chunk) => { out.log += chunk.toString(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 30 s:\n' + out.log)), 30000);
    const watch = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.log);
      if (m) { clearTimeout(timer); child.stdout.off('data', watch); child.stderr.off('data', watch); resolveUrl({ ...out, url: m[1] }); }
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out.log}`)); });
  });
}

const exited = (child) => new Promise((r) => { if (child.exitCode !== null || child.signalCode !== null) r(); else child.once('exit', r); });

export async function startServer({ env = {} } = {}) {
  const bin = process.env.CONFAB_BIN || join(repoRoot, 'target', 'debug', 'confab');
  if (!existsSync(bin)) throw new Error(`server binary not found at ${bin}: run \`cargo build -p confab\` or set CONFAB_BIN`);
  const webDir = join(repoRoot, 'frontend', 'dist');
  if (!existsSync(join(webDir, 'index.html'))) throw new Error('frontend/dist is missing: run `cd frontend && trunk build --release`');
  const dataDir = mkdtempSync(join(tmpdir(), 'confab-e2e-'));
  let run = await spawnServer(bin, '127.0.0.1:0', dataDir, webDir, env);
  const { url } = run;
  let earlierLogs = '';
  return {
    url,
    log: () => earlierLogs + run.log,
    /** Kills the server at once (no graceful shutdown); the data directory stays. */
    async kill() {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await exited(run.child);
    },
    /** Starts the killed server again on the same port with the same data; resolves once it listens. */
    async start() {
      earlierLogs += run.log;
      const listen = new URL(url).host;
      for (let attempt = 0; ; attempt++) {
        try { run = await spawnServer(bin, listen, dataDir, webDir, env); return; } catch (e) {
          if (attempt >= 10) throw e; // the port may take a moment to be free again
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      if (run.child.exitCode === null) {
        run.child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { run.child.kill('SIGKILL'); r(); }, 5000); run.child.once('exit', () => { clearTimeout(t); r(); }); });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
