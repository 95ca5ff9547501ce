// The build's post-build hook (tools/shell.mjs) fills the service worker's app shell in (every
// file but the worker, index.html as `/`, and a version that changes with any file's bytes) and
// app.js's list of the signed-in app's modules to preload (session.js's static imports, deep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const hook = new URL('../../tools/shell.mjs', import.meta.url).pathname;
const worker = new URL('../../sw.js', import.meta.url).pathname;

const APP = "import { Api } from './api.js';\nconst PRELOAD = [];\nimport('./session.js');\n";

/** Stages the worker and app.js (as trunk copies them) in a fake dist, runs the hook on it and returns the SHELL it wrote. */
function run(dir) {
  copyFileSync(worker, join(dir, 'sw.js'));
  writeFileSync(join(dir, 'js', 'app.js'), APP);
  execFileSync(process.execPath, [hook, dir]);
  return JSON.parse(/^const SHELL = (.*);$/m.exec(readFileSync(join(dir, 'sw.js'), 'utf8'))[1]);
}

test('the shell lists the build\'s files (the page as /, not the worker) and its version follows their bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'confab-shell-'));
  try {
    mkdirSync(join(dir, 'js', 'views'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'app-0123456789abcdef.css'), 'body{}');
    writeFileSync(join(dir, 'js', 'session.js'), "import { Store } from './store.js';\nimport { $ } from './views/dom.js';\nconst later = () => import('./views/search.js');\n");
    writeFileSync(join(dir, 'js', 'store.js'), "import { displayName } from './format.js';\n");
    writeFileSync(join(dir, 'js', 'format.js'), '');
    writeFileSync(join(dir, 'js', 'views', 'dom.js'), "import { h } from '../format.js';\n");
    const first = run(dir);
    assert.deepEqual(first.files, ['/app-0123456789abcdef.css', '/', '/js/app.js', '/js/format.js', '/js/session.js', '/js/store.js', '/js/views/dom.js']);
    assert.match(readFileSync(join(dir, 'js', 'app.js'), 'utf8'), /^const PRELOAD = \["\/js\/session\.js","\/js\/store\.js","\/js\/format\.js","\/js\/views\/dom\.js"\];$/m, 'static imports, not the ones on demand');
    assert.match(first.version, /^[0-9a-f]{16}$/);
    assert.equal(run(dir).version, first.version, 'the same build: the same worker');
    writeFileSync(join(dir, 'js', 'format.js'), '// changed');
    assert.notEqual(run(dir).version, first.version, 'a changed file: a new worker');
    assert.throws(() => execFileSync(process.execPath, [hook, dir], { stdio: 'pipe' }), 'app.js without the PRELOAD line (filled in already) fails the build');
    writeFileSync(join(dir, 'js', 'app.js'), APP);
    writeFileSync(join(dir, 'sw.js'), 'no marker');
    assert.throws(() => execFileSync(process.execPath, [hook, dir], { stdio: 'pipe' }), 'a worker without the SHELL line fails the build');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
