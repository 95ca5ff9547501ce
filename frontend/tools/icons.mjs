// Draws the app's PNG icons from icons/icon.svg with headless Chromium (playwright-core, as the
// browser tests): 192 and 512 px for the manifest, a maskable 512 px one (the drawing inside the
// safe zone, on the full-bleed colour) and the 180 px apple-touch-icon. Run after changing the SVG:
// `node tools/icons.mjs`; the PNGs are committed.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../e2e/helpers.js';

const icons = join(dirname(fileURLToPath(import.meta.url)), '..', 'icons');
const svg = readFileSync(join(icons, 'icon.svg'), 'utf8');
const drawn = [['icon-192.png', 192, false], ['icon-512.png', 512, false], ['maskable-512.png', 512, true], ['apple-touch-icon.png', 180, true]];

const browser = await launch();
const page = await browser.newPage();
for (const [name, size, bleed] of drawn) {
  await page.setViewportSize({ width: size, height: size });
  // Full bleed: the colour to the edges and the drawing at 80 % (a mask may cut the rest).
  const inner = bleed ? `<div style="width:100%;height:100%;background:#3a5bd9;display:grid;place-items:center"><div style="width:80%;height:80%">${svg}</div></div>` : svg;
  await page.setContent(`<style>html,body{margin:0;width:${size}px;height:${size}px;overflow:hidden}svg{display:block;width:100%;height:100%}</style>${inner}`);
  await page.screenshot({ path: join(icons, name), omitBackground: !bleed });
}
await browser.close();
