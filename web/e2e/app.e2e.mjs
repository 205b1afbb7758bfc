// End-to-end tests: the built app in Debian's chromium against the real `roofline serve` (prediction-only
// here: no GPU). Each test gets a fresh page with empty localStorage.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const SWEEP_LABEL = 'Run all precisions (FP16, FP8, NVFP4, INT8, INT4)';
const COLOURS = {
  FP16: '#f97316',
  BF16: '#fb923c',
  FP8_E4M3: '#22c55e',
  FP8_E5M2: '#16a34a',
  NVFP4: '#a855f7',
  INT8: '#06b6d4',
  INT4: '#3b82f6',
};

// --- helpers ---------------------------------------------------------------------------------------------
export async function setShape(page, m, n, k) {
  await page.locator('input[name=M]').fill(String(m));
  await page.locator('input[name=N]').fill(String(n));
  await page.locator('input[name=K]').fill(String(k));
}

export async function analyze(page) {
  // A finished analysis shows the done state; wait for a *new* one by clearing the old text first.
  const before = await page.locator('[data-testid=progress]').count();
  await page.getByRole('button', { name: 'Analyze GEMM' }).click();
  if (before > 0) await page.waitForTimeout(50);
  await page.locator('[data-testid=progress].progress-done').waitFor({ timeout: 15000 });
}

async function points(page) {
  return page.locator('[data-testid=point]').evaluateAll((els) =>
    els.map((el) => ({
      precision: el.getAttribute('data-precision'),
      source: el.getAttribute('data-source'),
      origin: el.getAttribute('data-origin'),
      colour: el.getAttribute('data-colour'),
      stroke: el.querySelector('path, circle:not([fill=transparent])')?.getAttribute('stroke'),
      label: el.getAttribute('aria-label'),
    })),
  );
}

async function waitPoints(page, n) {
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid=point]').length === k, n, { timeout: 10000 });
  return points(page);
}

export async function setPrecisions(page, wanted) {
  for (const box of await page.locator('fieldset.precisions input[type=checkbox]').all()) {
    const name = (await box.evaluate((el) => el.closest('label').querySelector('span:not(.swatch)').textContent)).trim();
    const want = wanted.some((w) => w.replace('_', ' ') === name);
    if ((await box.isChecked()) !== want) await box.click();
  }
}

// --- tests -------------------------------------------------------------------------------------------------
export const tests = [
  {
    name: 'the page loads from the server and reports the API online, prediction-only',
    async run({ page }) {
      await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
      assert.match(await page.getByTestId('api-status').innerText(), /prediction-only/);
      assert.equal(await page.getByTestId('api-offline').count(), 0);
    },
  },
  {
    name: 'one shape gives one point in the precision colour',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 4096, 4096, 4096);
      await setPrecisions(page, ['FP16']);
      await analyze(page);
      const pts = await waitPoints(page, 1);
      assert.equal(pts[0].precision, 'FP16');
      assert.equal(pts[0].source, 'predicted');
      assert.equal(pts[0].origin, 'server');
      assert.equal(pts[0].stroke, COLOURS.FP16);
      const row = page.locator('[data-testid=result-row][data-precision=FP16]');
      assert.equal(await row.getAttribute('data-disposition'), 'passed');
      // Compute-bound on H100 SXM: the performance model's rate, never above the 989.5 TFLOP/s FP16 roof.
      const rate = Number((await row.innerText()).match(/([\d.]+)\s*TFLOP\/s/)[1]);
      assert.ok(rate > 500 && rate <= 989.5, `predicted ${rate} TFLOP/s`);
    },
  },
  {
    name: 'the sweep gives one point per supported precision, each in its colour, and says why the others have none',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('b10');
      await setShape(page, 4096, 4096, 4096);
      await page.getByLabel(SWEEP_LABEL, { exact: true }).check();
      await analyze(page);
      // GB10 has no INT4 tensor-core rate: four points, and an INT4 row that says so.
      let pts = await waitPoints(page, 4);
      assert.deepEqual(pts.map((p) => p.precision).sort(), ['FP16', 'FP8_E4M3', 'INT8', 'NVFP4']);
      for (const p of pts) assert.equal(p.stroke, COLOURS[p.precision], `${p.precision} colour`);
      const int4 = page.locator('[data-testid=result-row][data-precision=INT4]');
      assert.equal(await int4.getAttribute('data-disposition'), 'not_supported');
      assert.match(await int4.innerText(), /has no INT4/);
      assert.equal(await page.locator('[data-testid=result-row]').count(), 5);
      // RTX 4090 has INT4 (and no NVFP4): after its sweep all five sweep colours are on the plot.
      await page.getByLabel('Hardware (roofs)').selectOption('rtx-4090');
      await analyze(page);
      pts = await waitPoints(page, 8);
      const colours = new Set(pts.map((p) => p.stroke));
      assert.deepEqual([...colours].sort(), Object.values({
        FP16: COLOURS.FP16, FP8_E4M3: COLOURS.FP8_E4M3, NVFP4: COLOURS.NVFP4, INT8: COLOURS.INT8, INT4: COLOURS.INT4,
      }).sort());
      assert.equal(
        await page.locator('[data-testid=result-row][data-precision=NVFP4]').getAttribute('data-disposition'),
        'not_supported',
      );
    },
  },
  {
    name: 'shape A then shape B: both stay on the plot, and survive a reload',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 4096, 4096, 4096);
      await analyze(page);
      await setShape(page, 1, 4096, 4096);
      await analyze(page);
      let pts = await waitPoints(page, 2);
      assert.ok(pts.some((p) => p.label.includes('4096³')));
      assert.ok(pts.some((p) => p.label.includes('1×4096×4096')));
      const labels = await page.locator('[data-testid=point-label]').allTextContents();
      assert.ok(labels.includes('4096³ FP16') && labels.includes('1×4096×4096 FP16'), `labels: ${labels}`);
      await page.reload();
      pts = await waitPoints(page, 2);
      assert.equal(pts.length, 2);
    },
  },
  {
    name: 'Clear measured removes measured points only; Clear all empties the plot',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await analyze(page);
      await waitPoints(page, 1);
      // Prediction-only servers make no measured points, so take the stored predicted point and mark a copy as
      // measured: this checks the button's behaviour, not a figure.
      await page.evaluate(() => {
        const key = 'roofline-calc:state';
        const s = JSON.parse(localStorage.getItem(key));
        const p = structuredClone(s.points[0]);
        p.id = 'fixture-measured';
        p.point.source = 'measured';
        p.point.label = p.point.label.replace('(predicted)', '(measured)');
        p.point.tflops = p.point.tflops / 2;
        s.points.push(p);
        localStorage.setItem(key, JSON.stringify(s));
      });
      await page.reload();
      let pts = await waitPoints(page, 2);
      assert.deepEqual(pts.map((p) => p.source).sort(), ['measured', 'predicted']);
      await page.getByRole('button', { name: 'Clear measured' }).click();
      pts = await waitPoints(page, 1);
      assert.equal(pts[0].source, 'predicted');
      assert.equal(await page.getByRole('button', { name: 'Clear measured' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Clear all' }).click();
      await waitPoints(page, 0);
      await page.reload();
      assert.equal(await page.locator('[data-testid=point]').count(), 0);
    },
  },
  {
    name: 'Export CSV gives the points with the same columns and figures as the CLI',
    async run({ page, server }) {
      await page.getByLabel('Hardware (roofs)').selectOption('b10');
      await page.getByLabel(SWEEP_LABEL, { exact: true }).check();
      await analyze(page);
      await waitPoints(page, 4);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      assert.match(download.suggestedFilename(), /^roofline-points-.*\.csv$/);
      const csv = readFileSync(await download.path(), 'utf8');
      const cli = spawnSync(
        server.bin,
        ['analyze', '--predict-only', '--shape', '4096x4096x4096', '--all-precisions', '--hardware', 'b10', '--format', 'csv'],
        { encoding: 'utf8' },
      );
      assert.equal(cli.status, 0, cli.stderr);
      // Same header, and the same rows (the app keeps all five, the not-supported INT4 included), every column:
      // the prediction's (pacing, clock, % of roof at that clock, interval, calibrated, prediction_error) too.
      const lines = (t) => t.trim().split('\n');
      assert.equal(lines(csv)[0], lines(cli.stdout)[0]);
      assert.equal(lines(csv)[0].split(',').length, 29);
      assert.deepEqual(lines(csv).slice(1).sort(), lines(cli.stdout).slice(1).sort());
      // A prediction-only server names no unknown GPU: no warnings notice.
      assert.equal(await page.locator('[data-testid=answer-warnings]').count(), 0);
    },
  },
  {
    name: 'SVG and PNG export the chart as drawn; Zoom to fit and Compare change it',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setPrecisions(page, ['FP16', 'FP8_E4M3']);
      await analyze(page);
      await waitPoints(page, 2);
      await page.getByLabel("Compare with a second GPU's roofs").selectOption('b200');
      assert.ok((await page.locator('[data-testid=compute-roof]').count()) >= 4, 'H100 and B200 roofs both drawn');
      const save = async (name) => {
        const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
        return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
      };
      const svg = await save('SVG');
      assert.match(svg.name, /\.svg$/);
      const text = svg.bytes.toString('utf8');
      assert.ok(text.startsWith('<?xml') && text.includes('xmlns="http://www.w3.org/2000/svg"'));
      for (const want of ['Arithmetic intensity (FLOP/byte)', 'Performance (TFLOP/s)', '#f97316', '#22c55e', 'NVIDIA B200']) {
        assert.ok(text.includes(want), `SVG lacks ${want}`);
      }
      assert.ok(!text.includes('data-export="skip"'), 'interaction-only elements left in the SVG');
      const png = await save('PNG');
      assert.match(png.name, /\.png$/);
      assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.bytes.length > 10000, `PNG only ${png.bytes.length} bytes`);
      const ticksBefore = await page.locator('[data-testid=roofline-svg] text').allTextContents();
      await page.getByRole('button', { name: 'Zoom to fit' }).click();
      assert.equal(await page.getByRole('button', { name: 'Reset view' }).isDisabled(), false);
      const ticksAfter = await page.locator('[data-testid=roofline-svg] text').allTextContents();
      assert.notDeepEqual(ticksAfter, ticksBefore);
      await page.getByRole('button', { name: 'Reset view' }).click();
      assert.equal(await page.getByRole('button', { name: 'Reset view' }).isDisabled(), true);
    },
  },
  {
    name: 'points show their figures in a tooltip on hover and on keyboard focus; the legend hides a precision',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setPrecisions(page, ['FP16', 'INT8']);
      await analyze(page);
      await waitPoints(page, 2);
      const fp16 = page.locator('[data-testid=point][data-precision=FP16]');
      await fp16.hover();
      const tip = page.getByTestId('tooltip');
      await tip.waitFor();
      const text = await tip.innerText();
      for (const want of ['4096 × 4096 × 4096', 'FP16', 'FLOP/byte', 'TFLOP/s', 'µs', '% of roof', 'compute']) {
        assert.ok(text.includes(want), `tooltip lacks "${want}": ${text}`);
      }
      await page.mouse.move(0, 0);
      await tip.waitFor({ state: 'detached' });
      await page.locator('[data-testid=point][data-precision=INT8]').focus();
      await tip.waitFor();
      assert.match(await tip.innerText(), /INT8/);
      await page.locator('[data-testid=legend-item][data-precision=INT8]').click();
      const pts = await waitPoints(page, 1);
      assert.equal(pts[0].precision, 'FP16');
      assert.equal(await page.locator('[data-testid=legend-item][data-precision=INT8]').getAttribute('aria-pressed'), 'false');
    },
  },
  {
    name: 'history lists the stored run and plots it again',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 2048, 2048, 2048);
      await analyze(page);
      await waitPoints(page, 1);
      await page.getByRole('button', { name: 'Clear all' }).click();
      await waitPoints(page, 0);
      const row = page.getByTestId('history').locator('tr', { hasText: '2048³' }).first();
      await row.waitFor();
      await row.getByRole('button', { name: /^Plot run/ }).click();
      const pts = await waitPoints(page, 1);
      assert.match(pts[0].label, /2048³/);
      // The results list shows the reloaded run too.
      const rows = page.getByTestId('result-row');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 1);
      assert.match(await page.locator('.card.results h2').innerText(), /2048³/);
    },
  },
  {
    name: 'server stopped: the "API offline" banner shows and the local model still adds a predicted point',
    ownServer: true,
    async run({ page, server }) {
      await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 8192, 8192, 8192);
      await server.stop();
      await page.getByRole('button', { name: 'Analyze GEMM' }).click();
      await page.getByTestId('api-offline').waitFor({ timeout: 10000 });
      assert.match(await page.getByTestId('api-offline').innerText(), /API offline/);
      const pts = await waitPoints(page, 1);
      assert.equal(pts[0].origin, 'local');
      assert.equal(pts[0].source, 'predicted');
      assert.equal(pts[0].stroke, COLOURS.FP16);
      // 8192³ FP16 on H100 SXM at the 989.5 TFLOP/s roof: the core's figure (1111.18 µs).
      // Not faster than the 989.5 TFLOP/s roof allows (1.11 ms): the performance model's time.
      const t = (await page.locator('[data-testid=result-row][data-precision=FP16]').innerText()).match(/TIME\n([\d.]+)\s*ms/);
      assert.ok(t && Number(t[1]) >= 1.11 && Number(t[1]) < 3, `predicted ${t && t[1]} ms`);
    },
  },
  {
    name: 'GPU path (server test-double worker): progress names each precision, measured points are hollow circles, a crashed precision says so',
    fakeWorker: true,
    serverEnv: { FAKE_WORKER_DELAY_MS: '600' },
    async run({ page }) {
      await page.getByTestId('api-status').filter({ hasText: 'Fake GPU' }).waitFor();
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setPrecisions(page, ['BF16', 'FP16', 'FP8_E4M3', 'INT8']);
      await page.getByRole('button', { name: 'Analyze GEMM' }).click();
      // One step per precision, the current one named.
      const text = page.locator('[data-testid=progress] .progress-text');
      await page.waitForFunction(() => /Running BF16 — 1 of 4/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''));
      await page.waitForFunction(() => /Running FP16 — 2 of 4/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''));
      assert.equal(await page.getByRole('progressbar').getAttribute('aria-valuemax'), '4');
      await page.locator('[data-testid=progress].progress-done').waitFor({ timeout: 20000 });
      assert.match(await text.innerText(), /Measured/);
      const pts = await points(page);
      const measured = pts.filter((p) => p.source === 'measured');
      assert.deepEqual(measured.map((p) => p.precision).sort(), ['BF16', 'FP16', 'FP8_E4M3']);
      for (const p of measured) assert.equal(p.stroke, COLOURS[p.precision]);
      // Measured: circles; predicted: the dashed diamonds.
      const shapes = await page.locator('[data-testid=point]').evaluateAll((els) =>
        els.map((el) => [el.getAttribute('data-source'), el.querySelector('path') ? 'diamond' : 'circle']));
      for (const [source, shape] of shapes) assert.equal(shape, source === 'measured' ? 'circle' : 'diamond');
      assert.equal(pts.filter((p) => p.source === 'predicted').length, 4);
      const int8 = page.locator('[data-testid=result-row][data-precision=INT8]');
      assert.equal(await int8.getAttribute('data-disposition'), 'failed');
      assert.ok((await int8.innerText()).length > 20, 'the INT8 row says what happened');
      await page.locator('[data-testid=point][data-source=measured][data-precision=FP16]').hover();
      assert.match(await page.getByTestId('tooltip').innerText(), /timing\s+cold, median of 30/);
    },
  },
  {
    name: 'GPU path: Cancel stops the precisions not yet started and keeps what landed',
    fakeWorker: true,
    serverEnv: { FAKE_WORKER_DELAY_MS: '1500' },
    async run({ page, server }) {
      await page.getByTestId('api-status').filter({ hasText: 'Fake GPU' }).waitFor();
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setPrecisions(page, ['BF16', 'FP16', 'FP8_E4M3', 'FP8_E5M2']);
      await page.getByRole('button', { name: 'Analyze GEMM' }).click();
      await page.waitForFunction(() => /Running FP16 — 2 of 4/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''), null, { timeout: 10000 });
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.locator('[data-testid=progress].progress-cancelled').waitFor();
      const rows = await page.locator('[data-testid=result-row]').evaluateAll((els) =>
        Object.fromEntries(els.map((el) => [el.getAttribute('data-precision'), el.textContent])));
      assert.match(rows.BF16, /measured/i);
      assert.match(rows.FP8_E5M2, /cancelled/);
      const measured = (await points(page)).filter((p) => p.source === 'measured');
      assert.deepEqual(measured.map((p) => p.precision), ['BF16']);
      await page.getByRole('button', { name: 'Analyze GEMM' }).waitFor();
      // The server stops the rest: its log says so, and it is still healthy.
      await page.waitForFunction(() => true);
      for (let i = 0; i < 50 && !/cancelled/.test(server.log()); i++) await page.waitForTimeout(100);
      assert.match(server.log(), /remaining precisions cancelled/);
      assert.equal(await page.getByTestId('api-offline').count(), 0);
    },
  },
  {
    name: 'no serious accessibility violations (axe-core), in the light and the dark scheme',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await page.getByLabel(SWEEP_LABEL, { exact: true }).check();
      await analyze(page);
      await waitPoints(page, 3);
      await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
      for (const scheme of ['light', 'dark']) {
        await page.emulateMedia({ colorScheme: scheme });
        // React re-renders the text colours on the media-query change: let that land before checking.
        await page.waitForFunction((dark) => matchMedia('(prefers-color-scheme: dark)').matches === dark, scheme === 'dark');
        await page.waitForTimeout(300);
        const result = await page.evaluate(async () => {
          // eslint-disable-next-line no-undef
          const r = await axe.run(document, { resultTypes: ['violations'] });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
        });
        const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(bad, [], `${scheme}: ${JSON.stringify(bad, null, 1)}`);
      }
    },
  },
];
