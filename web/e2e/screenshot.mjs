// `npm run screenshot`: the README's picture, taken by the same tooling as the e2e tests — the built app served
// by the real server, two precision sweeps (a decode and a square GEMM) on a B200 with an H100's roofs beside
// them, one tooltip open. Writes docs/screenshot.png (light), and for checking by eye
// test-results/screenshot-dark.png and full-page shots of both schemes. `--offline` serves dist/ without an API (for working on the look only).
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { DIST, REPO, WEB, buildIfNeeded, launchBrowser, startServer } from './harness.mjs';
import { SWEEP_LABEL, analyze, setShape } from './app.e2e.mjs';

const offline = process.argv.includes('--offline');
buildIfNeeded();

async function staticServer() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' };
  const srv = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path.startsWith('/api/')) return req.socket.destroy(); // no API: the app must fall back
    const file = normalize(join(DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(DIST) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}`, stop: async () => srv.close() };
}

const server = offline ? await staticServer() : await startServer();
mkdirSync(join(WEB, 'test-results'), { recursive: true });
try {
  for (const scheme of ['light', 'dark']) {
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/`);
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.getByRole('button', { name: 'Analyze GEMM' }).waitFor();
      if (!offline) await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
      await page.getByLabel('Hardware (roofs)').selectOption('b200');
      await page.getByLabel(SWEEP_LABEL, { exact: true }).check();
      await setShape(page, 1, 4096, 4096);
      await analyze(page);
      await setShape(page, 4096, 4096, 4096);
      await analyze(page);
      await page.getByLabel("Compare with a second GPU's roofs").selectOption('h100-sxm');
      // The square GEMM's FP16 point: its tooltip opens down and left, over the empty middle of the chart.
      await page.locator('[data-testid=point][data-precision=FP16]').last().hover();
      await page.getByTestId('tooltip').waitFor();
      const out = scheme === 'light' ? join(REPO, 'docs/screenshot.png') : join(WEB, 'test-results/screenshot-dark.png');
      await page.screenshot({ path: out });
      console.log(`wrote ${out}`);
      const full = join(WEB, `test-results/screenshot-${scheme}-full.png`);
      await page.mouse.move(0, 0);
      await page.screenshot({ path: full, fullPage: true });
      console.log(`wrote ${full}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.stop();
}
