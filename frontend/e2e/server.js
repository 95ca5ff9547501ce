// Starts a real Confab server on a free port with a fresh data directory, serving frontend/dist.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');

export async function startServer({ env = {} } = {}) {
  const bin = process.env.CONFAB_BIN || join(repoRoot, 'target', 'debug', 'confab');
  if (!existsSync(bin)) throw new Error(`server binary not found at ${bin}: run \`cargo build -p confab\` or set CONFAB_BIN`);
  const webDir = join(repoRoot, 'frontend', 'dist');
  if (!existsSync(join(webDir, 'index.html'))) throw new Error('frontend/dist is missing: run `cd frontend && trunk build --release`');
  const dataDir = mkdtempSync(join(tmpdir(), 'confab-e2e-'));
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--web-dir', webDir], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 30 s:\n' + log)), 30000);
    const onData = (chunk) => {
      log += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${log}`)); });
  });
  child.stdout.on('data', (c) => { log += c.toString(); });
  return {
    url,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 5000); child.once('exit', () => { clearTimeout(t); r(); }); });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
