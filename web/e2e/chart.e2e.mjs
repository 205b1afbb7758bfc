// Browser tests for what a new user's hands found (issue 17): the chart says what it shows, a real comparison,
// and the small things. Same harness as app.e2e.mjs (a fresh page with empty localStorage per test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST } from './harness.mjs';
import { SWEEP_LABEL, analyze, setShape } from './app.e2e.mjs';

const require = createRequire(import.meta.url);

async function setPrecisions(page, wanted) {
  for (const box of await page.locator('fieldset.precisions input[type=checkbox]').all()) {
    const name = (await box.evaluate((el) => el.closest('label').querySelector('span:not(.swatch)').textContent)).trim();
    const want = wanted.some((w) => w.replace('_', ' ') === name);
    if ((await box.isChecked()) !== want) await box.click();
  }
}

async function waitPoints(page, n, selector = '[data-testid=point]') {
  await page.waitForFunction(([k, s]) => document.querySelectorAll(s).length === k, [n, selector], { timeout: 10000 });
}

const domainOf = async (page) => {
  const d = (await page.getByTestId('roofline-svg').getAttribute('data-domain')) ?? 'NaN,NaN;NaN,NaN';
  const [x, y] = d.split(';').map((s) => s.split(',').map(Number));
  return { x, y };
};

const cliJson = (bin, args) => {
  const r = spawnSync(bin, ['analyze', '--predict-only', '--format', 'json', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

async function postAnalyze(server, body, hardware = null) {
  const res = await fetch(`${server.url}/api/analyze${hardware ? `?hardware_key=${hardware}` : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

async function axeSerious(page) {
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

export const tests = [
  {
    name: 'issue 17.1: the Results header names the GPU of the run plotted from History, and the roofs follow it',
    ownServer: true,
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 2048, 2048, 2048);
      await analyze(page);
      await page.getByLabel('Hardware (roofs)').selectOption('b10');
      await page.getByRole('button', { name: 'Clear all' }).click();
      const row = page.getByTestId('history').locator('tr', { hasText: '2048³' }).first();
      await row.getByRole('button', { name: /^Plot run/ }).click();
      await waitPoints(page, 1);
      const header = await page.locator('.card.results h2').innerText();
      assert.match(header, /H100 SXM5/, header);
      assert.doesNotMatch(header, /GB10/, header);
      assert.equal(await page.getByLabel('Hardware (roofs)').inputValue(), 'h100-sxm');
      // Switching the form's GPU afterwards leaves the header naming the GPU the figures are for.
      await page.getByLabel('Hardware (roofs)').selectOption('b10');
      assert.match(await page.locator('.card.results h2').innerText(), /H100 SXM5/);
    },
  },
  {
    name: 'issue 17.2: points of earlier GPUs say which GPU and run in label and tooltip; "show only this GPU"',
    ownServer: true,
    async run({ page }) {
      await setPrecisions(page, ['INT8']);
      for (const hw of ['h100-sxm', 'b10', 'a100-sxm']) {
        await page.getByLabel('Hardware (roofs)').selectOption(hw);
        await analyze(page);
      }
      await waitPoints(page, 3);
      const labels = await page.locator('[data-testid=point-label]').allTextContents();
      assert.equal(new Set(labels).size, labels.length, `labels alike: ${labels}`);
      assert.ok(labels.some((l) => l.includes('H100 SXM5')), `labels: ${labels}`);
      const h100 = page.locator('[data-testid=point][data-hardware=h100-sxm]');
      assert.match(await h100.getAttribute('aria-label'), /on NVIDIA H100 SXM5 80GB, run #\d+/);
      await h100.click();
      const tip = page.getByTestId('tooltip');
      await tip.waitFor();
      assert.match(await tip.getByTestId('tooltip-gpu').first().innerText(), /NVIDIA H100 SXM5 80GB · run #\d+/);
      await tip.getByRole('button', { name: 'Show only NVIDIA H100 SXM5 80GB' }).click();
      await waitPoints(page, 1);
      assert.equal(await page.locator('[data-testid=point]').getAttribute('data-hardware'), 'h100-sxm');
      await page.getByTestId('legend-gpus').getByRole('button', { name: 'all' }).click();
      await waitPoints(page, 3);
      await page.getByTestId('legend-gpus').getByRole('button', { name: /only GB10/ }).click();
      await waitPoints(page, 1);
      assert.equal(await page.locator('[data-testid=point]').getAttribute('data-hardware'), 'b10');
    },
  },
  {
    name: 'issue 17.3: coincident points (FP16 and BF16 on GB10) share one tooltip that lists both',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('b10');
      // Same AI and the same predicted rate on GB10 (its FP16 and BF16 roofs are one derived figure).
      await setPrecisions(page, ['FP16', 'BF16']);
      await analyze(page);
      await waitPoints(page, 2);
      await page.locator('[data-testid=point][data-precision=FP16]').hover({ force: true });
      const tip = page.getByTestId('tooltip');
      await tip.waitFor();
      const sections = await tip.getByTestId('tooltip-point').allInnerTexts();
      assert.equal(sections.length, 2, (await tip.innerText()));
      assert.ok(sections.some((s) => s.includes('FP16')) && sections.some((s) => s.includes('BF16')), sections.join('\n---\n'));
      assert.match(await tip.innerText(), /2 points on this spot/);
      const labels = await page.locator('[data-testid=point-label]').allTextContents();
      assert.ok(labels.some((l) => l.endsWith('+1')), `the spot's label says there is more than one: ${labels}`);
    },
  },
  {
    name: 'issue 17.4: the exported SVG and PNG carry a legend, the GPU name and the date',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setPrecisions(page, ['FP16', 'FP8_E4M3']);
      await analyze(page);
      await waitPoints(page, 2);
      const save = async (name) => {
        const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
        return readFileSync(await d.path());
      };
      const svg = (await save('SVG')).toString('utf8');
      const today = new Date().toISOString().slice(0, 10);
      assert.ok(svg.includes('data-testid="export-legend"'), 'no legend in the SVG');
      const caption = /data-testid="export-caption"[^>]*>([^<]*)</.exec(svg)?.[1] ?? '';
      assert.match(caption, new RegExp(`NVIDIA H100 SXM5 80GB · 2 points · exported ${today} \\d\\d:\\d\\d UTC`));
      for (const want of ['FP16 989.5 TFLOP/s', 'FP8 E4M3 1979 TFLOP/s', 'predicted', 'memory roof']) {
        assert.ok(svg.includes(want), `the SVG legend lacks "${want}"`);
      }
      const png = await save('PNG');
      const pngHeight = png.readUInt32BE(20);
      const shown = await page.getByTestId('roofline-svg').evaluate((el) => el.height.baseVal.value);
      assert.ok(pngHeight > shown * 2 + 30, `PNG ${pngHeight} px high: no room for the legend under a ${shown} px chart (2×)`);
    },
  },
  {
    name: 'issue 17.5: the first view fits the data and the roofs, with no empty decades above them',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 4096, 4096, 4096);
      await analyze(page);
      await waitPoints(page, 1);
      // As drawn: the point (at the roof) sits near the top of the plot area, not decades below it.
      const where = await page.evaluate(() => {
        const area = document.querySelector('[data-testid=roofline-svg] rect[fill=none]').getBoundingClientRect();
        const mark = document.querySelector('[data-testid=point] path').getBoundingClientRect();
        return (mark.top + mark.height / 2 - area.top) / area.height;
      });
      // The perf model predicts below the roof, so the roof above the point is part of the fit.
      assert.ok(where < 0.2, `the point sits ${(where * 100).toFixed(0)} % of the way down the plot`);
      const d = await domainOf(page);
      // FP16 on H100 SXM5: the point sits at the 989.5 TFLOP/s roof, AI 1365; the ridge is at 295 FLOP/byte.
      assert.ok(d.y[1] > 989.5 && d.y[1] < 989.5 * 10 ** 0.4, `top of the view ${d.y[1]} TFLOP/s`);
      assert.ok(d.x[0] < 295 && d.x[1] > 1365, `x view ${d.x}`);
      assert.ok(Math.log10(d.y[1] / d.y[0]) <= 2.5, `y spans ${Math.log10(d.y[1] / d.y[0]).toFixed(2)} decades`);
      assert.equal(await page.locator('[data-testid=roof-label]').count(), 1);
    },
  },
  {
    name: 'issue 17.6: a mixed-precision run (B precision INT4) gives rows with figures, none grey and empty',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setPrecisions(page, ['FP16']);
      await page.locator('details.advanced summary, summary', { hasText: /Advanced/ }).first().click();
      await page.getByLabel('B precision', { exact: false }).selectOption('INT4');
      await analyze(page);
      await waitPoints(page, 1);
      const rows = await page.locator('[data-testid=result-row]').evaluateAll((els) =>
        els.map((el) => ({ d: el.getAttribute('data-disposition'), text: el.textContent, figures: !!el.querySelector('.figures') })));
      assert.ok(rows.length >= 1);
      for (const r of rows) {
        assert.notEqual(r.d, 'pending', `a row left waiting: ${JSON.stringify(rows)}`);
        assert.ok(r.figures || /not|no /.test(r.text), `a row with no figures and no word: ${JSON.stringify(r)}`);
      }
      assert.match(rows.map((r) => r.text).join(' '), /INT4/);
    },
  },
  {
    name: 'issue 17.7: Compare predicts the same shapes on the second GPU, draws them and tables the ratio',
    async run({ page, server }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, 1, 4096, 4096);
      await setPrecisions(page, ['FP16', 'FP8_E4M3']);
      await analyze(page);
      await waitPoints(page, 2);
      await page.getByLabel("Compare with a second GPU's roofs").selectOption('b200');
      await waitPoints(page, 2, '[data-testid=point][data-compare=true]');
      const rows = page.getByTestId('compare-row');
      assert.equal(await rows.count(), 2);
      const h100 = cliJson(server.bin, ['--shape', '1x4096x4096', '--precision', 'fp16,fp8', '--hardware', 'h100-sxm']);
      const b200 = cliJson(server.bin, ['--shape', '1x4096x4096', '--precision', 'fp16,fp8', '--hardware', 'b200']);
      for (const [i, precision] of ['FP16', 'FP8_E4M3'].entries()) {
        const ratio = b200.points[i].tflops / h100.points[i].tflops;
        const text = await page.locator(`[data-testid=compare-row][data-precision=${precision}] [data-testid=compare-ratio]`).innerText();
        assert.ok(Math.abs(parseFloat(text) - ratio) / ratio < 0.005, `${precision}: table says ${text}, the CLI's figures give ${ratio}`);
      }
      // The derived points sit at the B200's figures (memory-bound here: B200's bandwidth, not H100's).
      const tip = page.getByTestId('tooltip');
      await page.locator('[data-testid=point][data-compare=true][data-precision=FP16]').hover({ force: true });
      await tip.waitFor();
      assert.match(await tip.innerText(), /NVIDIA B200/);
    },
  },
  {
    name: 'issue 17.8: the page opened from file:// says how to serve it',
    async run({ page }) {
      await page.goto(pathToFileURL(join(DIST, 'index.html')).href);
      const notice = page.locator('#file-notice');
      await notice.waitFor({ state: 'visible', timeout: 5000 });
      assert.match(await notice.innerText(), /roofline serve/);
    },
  },
  {
    name: 'issue 17.9: the offline banner names the server and says predictions come from the model, no raw TypeError',
    ownServer: true,
    async run({ page, server }) {
      await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
      await server.stop();
      await page.getByRole('button', { name: 'Analyze GEMM' }).click();
      const banner = page.getByTestId('api-offline');
      await banner.waitFor({ timeout: 10000 });
      const text = await banner.innerText();
      assert.ok(text.includes(`the server at ${server.url}/ does not answer; showing the model’s predictions`), text);
      assert.doesNotMatch(text, /TypeError|Failed to fetch/);
    },
  },
  {
    name: 'issue 17.10: dimensions accept 4k and 8192*2, and a bad one says what is accepted (never NaN)',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await setShape(page, '4k', '8192*2', '1M');
      await analyze(page);
      await waitPoints(page, 1);
      assert.match(await page.locator('[data-testid=point]').getAttribute('aria-label'), /4096×16384×1048576/);
      await page.locator('input[name=M]').fill('4.5k');
      await page.getByRole('button', { name: 'Analyze GEMM' }).click();
      const err = page.locator('.field.dim .error').first();
      await err.waitFor();
      const msg = await err.innerText();
      assert.match(msg, /4k \(= 4096\)/);
      assert.doesNotMatch(msg, /NaN/);
    },
  },
  {
    name: 'issue 17.11: Clear all can be undone; History Delete asks first; History pages and filters',
    ownServer: true,
    async run({ page, server }) {
      const base = { M: 64, N: 64, K: 64, precision: 'FP16' };
      for (let i = 0; i < 22; i++) await postAnalyze(server, { ...base, M: 64 + i }, 'h100-sxm');
      await postAnalyze(server, { ...base, precision: 'INT8' }, 'b10');
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await analyze(page);
      await waitPoints(page, 1);
      await page.getByRole('button', { name: 'Clear all' }).click();
      await waitPoints(page, 0);
      await page.getByTestId('undo').getByRole('button', { name: 'Undo' }).click();
      await waitPoints(page, 1);
      // History: 24 runs, 20 a page.
      const pager = page.getByTestId('history-pager');
      await pager.filter({ hasText: '1–20 of 24' }).waitFor();
      assert.equal(await page.getByTestId('history').locator('tbody tr').count(), 20);
      await pager.getByRole('button', { name: 'Older' }).click();
      await pager.filter({ hasText: '21–24 of 24' }).waitFor();
      assert.equal(await page.getByTestId('history').locator('tbody tr').count(), 4);
      await page.getByRole('group', { name: 'Filter the history' }).getByLabel('precision').selectOption('INT8');
      await pager.filter({ hasText: '1–1 of 1' }).waitFor();
      await page.getByRole('group', { name: 'Filter the history' }).getByLabel('precision').selectOption('');
      await page.getByRole('group', { name: 'Filter the history' }).getByLabel('GPU').selectOption('b10');
      await pager.filter({ hasText: '1–1 of 1' }).waitFor();
      // Delete asks first: Keep keeps the run, "Delete for good" removes it.
      const row = page.getByTestId('history').locator('tbody tr').first();
      await row.getByRole('button', { name: /^Delete run/ }).click();
      await row.getByRole('button', { name: /^Keep run/ }).click();
      await pager.filter({ hasText: '1–1 of 1' }).waitFor();
      await row.getByRole('button', { name: /^Delete run/ }).click();
      await row.getByRole('button', { name: /^Confirm: delete run/ }).click();
      await pager.filter({ hasText: '0 of 0' }).waitFor();
    },
  },
  {
    name: 'issue 17.12: the mouse wheel zooms around the pointer; the theme toggle is remembered',
    async run({ page }) {
      await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
      await analyze(page);
      await waitPoints(page, 1);
      const before = await domainOf(page);
      const markX = () => page.locator('[data-testid=roofline-svg] line').evaluateAll((ls) => ls.map((l) => l.getAttribute('x1')).join());
      const x0 = await markX();
      const box = await page.getByTestId('roofline-svg').boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -300);
      await page.waitForTimeout(300);
      // Zoomed in: Reset view is offered, the grid moved, the view narrowed.
      assert.equal(await page.getByRole('button', { name: 'Reset view' }).isDisabled(), false, 'the wheel set no view');
      assert.notEqual(await markX(), x0);
      const after = await domainOf(page);
      assert.ok(after.x[1] / after.x[0] < before.x[1] / before.x[0], `wheel did not zoom in: ${before.x} → ${after.x}`);
      await page.getByTestId('theme').selectOption('dark');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      const bg = () => page.locator('[data-testid=roofline-svg] > rect').first().getAttribute('fill');
      assert.equal(await bg(), '#0f172a');
      await page.reload();
      await page.getByRole('button', { name: 'Analyze GEMM' }).waitFor();
      assert.equal(await page.getByTestId('theme').inputValue(), 'dark');
      assert.equal(await bg(), '#0f172a');
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(2, 6, 23)');
      await page.getByTestId('theme').selectOption('system');
      assert.equal(await bg(), '#ffffff'); // the browser's scheme here is light
    },
  },
  {
    name: 'issue 17.13: at 390 px wide no roof label covers a point marker; axe-core clean at phone width, light and dark',
    async run({ page }) {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await page.getByRole('button', { name: 'Analyze GEMM' }).waitFor();
      await page.getByLabel(SWEEP_LABEL, { exact: true }).check();
      for (const hw of ['h100-sxm', 'b200', 'l4']) {
        await page.getByLabel('Hardware (roofs)').selectOption(hw);
        for (const s of [4096, 8192]) {
          await setShape(page, s, s, s);
          await analyze(page);
        }
        await page.waitForTimeout(200);
        // Roof labels: the right-aligned 11 px texts in the chart (the y tick labels are 11.5 px).
        const clash = await page.evaluate(() => {
          const labels = [...document.querySelectorAll('[data-testid=roofline-svg] text[text-anchor=end][font-size="11"]')];
          const marks = [...document.querySelectorAll('[data-testid=point]')].map((g) =>
            g.querySelector('path, circle:not([fill=transparent])').getBoundingClientRect());
          const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          return labels.flatMap((l) => marks.filter((m) => hit(l.getBoundingClientRect(), m)).map(() => l.textContent));
        });
        assert.deepEqual(clash, [], `${hw}: roof labels over point markers`);
        await page.getByRole('button', { name: 'Clear all' }).click();
      }
      await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
      for (const theme of ['light', 'dark']) {
        await page.getByTestId('theme').selectOption(theme);
        await page.waitForTimeout(200);
        assert.deepEqual(await axeSerious(page), [], `${theme} at 390 px`);
      }
    },
  },
];
