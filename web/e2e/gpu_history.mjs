// `npm run gpu-history [-- path/to/runs.db]`: the app showing sweeps that really ran on a GPU. The GPU machine
// has no browser (bench/device/full_check.sh), so there the server ran the sweeps the app asks for (the same
// POST /api/analyze/stream and body as "Run all precisions") into its SQLite store; this script starts the real
// server here on a copy of that store, plots the stored runs from the History panel in Debian's chromium, checks
// what a user would see (a hollow measured circle per measured precision in its colour, the honest
// not-supported rows, a tooltip with clocks and power) and writes docs/gpu-history.png.
// Default store: bench/device/results/h200_app_sweeps.db (an NVIDIA H200, 2026-11-30: the API sweeps of
// bench/device/run_on_device.sh and, newest, the app's own two sweeps from bench/device/app_sweep.mjs).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, buildIfNeeded, launchBrowser, startServer } from './harness.mjs';

const db = resolve(process.argv[2] ?? join(REPO, 'bench/device/results/h200_app_sweeps.db'));
if (!existsSync(db)) throw new Error(`${db} not found: copy rc.db out of bench/device/full_check.sh's logs.tgz`);
buildIfNeeded();

const server = await startServer(undefined, { db });
try {
  const runs = await (await fetch(`${server.url}/api/runs`)).json();
  const gpuRuns = runs.runs.filter((r) => r.backend === 'gpu');
  assert.ok(gpuRuns.length > 0, `no GPU runs in ${db}`);
  // The two newest distinct shapes: the app's own sweeps (full_check.sh makes 4096^3 then 8192^3 last).
  const shapes = new Map();
  for (const r of gpuRuns) {
    const key = `${r.M}x${r.N}x${r.K}`;
    if (!shapes.has(key)) shapes.set(key, r);
  }
  const chosen = [...shapes.values()].slice(0, 2);
  const hardwareKey = chosen[0].hardware_key;
  console.log(`# ${gpuRuns.length} GPU runs on ${chosen[0].device_name}; plotting ${chosen.map((r) => `run ${r.run_id} (${r.M}x${r.N}x${r.K})`).join(', ')}`);

  const { context, close } = await launchBrowser({ width: 1366, height: 900 });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
    await page.getByLabel('Hardware (roofs)').selectOption(hardwareKey);
    for (const r of chosen) {
      await page.getByRole('button', { name: `Plot run ${r.run_id}`, exact: true }).click();
    }
    const measured = page.locator('[data-testid=point][data-source=measured]');
    await measured.first().waitFor();
    // Every measured point of the stored runs is on the chart, in its precision's colour.
    const expected = [];
    for (const r of chosen) {
      const run = await (await fetch(`${server.url}/api/runs/${r.run_id}`)).json();
      for (const p of run.measured ?? []) {
        if (p.time_s > 0) expected.push(p);
      }
    }
    assert.ok(expected.length >= 4, `expected measured points in the stored runs, found ${expected.length}`);
    const seen = await measured.evaluateAll((els) =>
      els.map((e) => {
        const mark = e.querySelector('circle:not([data-export=skip])');
        return { precision: e.getAttribute('data-precision'), stroke: mark?.getAttribute('stroke'), fill: mark?.getAttribute('fill') };
      }),
    );
    assert.equal(seen.length, expected.length, `measured circles on the chart: ${JSON.stringify(seen)}`);
    for (const p of expected) {
      const s = seen.find((x) => x.precision === p.a_precision);
      assert.ok(s, `no circle for ${p.a_precision}`);
      assert.equal(s.stroke?.toLowerCase(), p.colour.toLowerCase(), `${p.a_precision} stroke`);
      assert.notEqual(s.fill?.toLowerCase(), p.colour.toLowerCase(), `${p.a_precision} circle is filled, not hollow`);
    }
    // The precisions this GPU cannot run say why, rather than showing a number.
    await page.getByTestId('result-row').first().waitFor();
    const rows = await page.getByTestId('result-row').allInnerTexts();
    console.log(rows.map((t) => `  ${t.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n'));
    for (const name of ['NVFP4', 'INT4']) {
      const row = page.locator(`[data-testid=result-row][data-precision=${name}]`);
      if ((await row.count()) === 0) continue;
      assert.equal(await row.getAttribute('data-disposition'), 'not_supported', `${name} row`);
    }
    // A tooltip on the largest FP8 point: shape, TFLOP/s, clocks and power from the GPU run.
    await page.locator('[data-testid=point][data-source=measured][data-precision=FP8_E4M3]').last().hover();
    const tip = await page.getByTestId('tooltip').innerText();
    console.log(`tooltip: ${tip.replace(/\s+/g, ' ')}`);
    assert.match(tip, /MHz/, 'tooltip shows the SM clock');
    assert.match(tip, / W\b/, 'tooltip shows the power');
    // For the picture: zoomed to the points, the larger sweep's FP8 point (run plotted first) with its tooltip.
    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('[data-testid=point][data-source=measured][data-precision=FP8_E4M3]').first().hover();
    await page.getByTestId('tooltip').waitFor();
    const out = resolve(process.env.GPU_HISTORY_PNG ?? join(REPO, 'docs/gpu-history.png'));
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
    console.log(`# ${expected.length} measured points from ${chosen.length} GPU sweeps plotted and checked`);
    console.log('gpu-history: 1 passed, 0 failed');
  } finally {
    await close();
  }
} finally {
  await server.stop();
}
