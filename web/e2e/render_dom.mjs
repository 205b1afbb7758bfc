// `node e2e/render_dom.mjs <app_dom.html> <out.png>`: a picture of a page state saved elsewhere. The GPU
// machine has no browser, so there the app runs in jsdom (bench/device/app_sweep.mjs) and saves its DOM; this
// draws that DOM, as it was, in Debian's chromium with the app's stylesheet (no script runs: it is the page the
// sweep left, not a new one).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, buildIfNeeded, launchBrowser } from './harness.mjs';

const [domFile, outFile] = process.argv.slice(2).map((p) => resolve(p));
if (!domFile || !outFile) throw new Error('usage: node e2e/render_dom.mjs <app_dom.html> <out.png>');
buildIfNeeded();
const dir = mkdtempSync(join(tmpdir(), 'roofline-dom-'));
try {
  mkdirSync(join(dir, 'assets'));
  const css = readdirSync(join(DIST, 'assets')).filter((f) => f.endsWith('.css'));
  for (const f of css) copyFileSync(join(DIST, 'assets', f), join(dir, 'assets', f));
  // The saved page names the stylesheet of the build that served it; point it at this build's.
  const html = readFileSync(domFile, 'utf8')
    .replace(/<script\b[\s\S]*?<\/script>/g, '')
    .replace(/<link rel="stylesheet"[^>]*>/, `<link rel="stylesheet" href="./assets/${css[0]}">`); // no crossorigin: file://
  writeFileSync(join(dir, 'index.html'), html);
  const { context, close } = await launchBrowser({ width: 1366, height: 900 });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    await page.screenshot({ path: outFile });
    console.log(`wrote ${outFile}`);
  } finally {
    await close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
