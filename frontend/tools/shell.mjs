// trunk's post-build hook (Trunk.toml): writes the app shell into the staged sw.js, every file of
// the build but the worker itself (index.html as `/`, the page's address) and a version hashed
// from their names and bytes, so each build that changes a file is a new worker with its own
// cache; and into app.js the modules session.js imports (all of them, statically), which it
// preloads at once with a session instead of finding them one import after the other.
// `node tools/shell.mjs DIR` does the same to a built DIR.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep, posix } from 'node:path';

const MARKER = /^const SHELL = \{ version: 'dev', files: \[\] \};$/m;
const PRELOAD = /^const PRELOAD = \[\];/m;
const STATIC_IMPORT = /^import\s(?:[^;]*?\sfrom\s)?'([^']+)';$/gm;

/** The modules `entry` (a path under `dir`) imports statically, and theirs, as addresses (`/js/…`), `entry` first. */
function importGraph(dir, entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(join(dir, file), 'utf8').matchAll(STATIC_IMPORT)) visit(posix.join(posix.dirname(file), spec));
  };
  visit(entry);
  return [...seen].map((f) => '/' + f);
}

/** The files under `dir` (paths from it, with `/`), sorted. */
function filesOf(dir, root = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesOf(join(dir, e.name), root) : [relative(root, join(dir, e.name)).split(sep).join('/')])).sort();
}

const dir = process.argv[2] || process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('no build directory: run as trunk\'s hook (TRUNK_STAGING_DIR) or with a directory');
const app = join(dir, 'js', 'app.js');
const boot = readFileSync(app, 'utf8');
if (!PRELOAD.test(boot)) throw new Error('js/app.js has no PRELOAD line to fill in');
writeFileSync(app, boot.replace(PRELOAD, `const PRELOAD = ${JSON.stringify(importGraph(dir, 'js/session.js'))};`));
const files = filesOf(dir).filter((f) => f !== 'sw.js');
const hash = createHash('sha256');
for (const f of files) hash.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
const shell = { version: hash.digest('hex').slice(0, 16), files: files.map((f) => (f === 'index.html' ? '/' : '/' + f)) };
const worker = join(dir, 'sw.js');
const source = readFileSync(worker, 'utf8');
if (!MARKER.test(source)) throw new Error('sw.js has no SHELL line to fill in');
writeFileSync(worker, source.replace(MARKER, `const SHELL = ${JSON.stringify(shell)};`));
console.log(`app shell ${shell.version}: ${shell.files.length} files`);
