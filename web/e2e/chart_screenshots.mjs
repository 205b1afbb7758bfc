// `npm run chart-screenshots`: the pictures of issue 17's fixed chart, by the same tooling as the e2e tests.
// docs/chart-mixed-gpus.png  three GPUs' points (one plotted from History), each label naming its GPU, a tooltip open;
// docs/chart-compare.png     H100 SXM5 measured-or-predicted shapes beside the same shapes predicted for a B200;
// docs/chart-export.png      the PNG the "PNG" button saves: legend, GPU names and date under the chart.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, buildIfNeeded, launchBrowser, startServer } from './harness.mjs';
import { analyze, setShape } from './app.e2e.mjs';

buildIfNeeded();
const server = await startServer();
const browser = await launchBrowser({ width: 1366, height: 900 });
const precisions = async (page, wanted) => {
  for (const box of await page.locator('fieldset.precisions input[type=checkbox]').all()) {
    const name = (await box.evaluate((el) => el.closest('label').querySelector('span:not(.swatch)').textContent)).trim();
    if ((await box.isChecked()) !== wanted.includes(name)) await box.click();
  }
};
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
  const plot = page.locator('.plot-card');

  // A mixed-GPU history: the same shapes on three GPUs, the first plotted again from History.
  await precisions(page, ['FP16', 'INT8']);
  for (const hw of ['h100-sxm', 'b10', 'a100-sxm']) {
    await page.getByLabel('Hardware (roofs)').selectOption(hw);
    await setShape(page, 4096, 4096, 4096);
    await analyze(page);
  }
  // A fresh page (the chart empty, the server's history kept), then every stored run plotted from History.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
  await page.getByTestId('history').locator('tbody tr').first().waitFor();
  for (const row of await page.getByTestId('history').locator('tbody tr').all()) await row.getByRole('button', { name: /^Plot run/ }).click();
  await page.getByLabel('Hardware (roofs)').selectOption('a100-sxm');
  await page.locator('[data-testid=point][data-hardware=b10][data-precision=INT8]').click();
  await page.getByTestId('tooltip').waitFor();
  await plot.screenshot({ path: join(REPO, 'docs/chart-mixed-gpus.png') });
  console.log('wrote docs/chart-mixed-gpus.png');

  // A comparison: decode and square shapes on the H100, the same shapes predicted for a B200, with ratios.
  await page.keyboard.press('Escape');
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId('api-status').filter({ hasText: 'API online' }).waitFor();
  await page.getByLabel('Hardware (roofs)').selectOption('h100-sxm');
  await precisions(page, ['FP16', 'FP8 E4M3', 'INT8']);
  await setShape(page, 1, 4096, 4096);
  await analyze(page);
  await setShape(page, 4096, 4096, 4096);
  await analyze(page);
  await page.getByLabel("Compare with a second GPU's roofs").selectOption('b200');
  await page.mouse.move(0, 0);
  await plot.screenshot({ path: join(REPO, 'docs/chart-compare.png') });
  console.log('wrote docs/chart-compare.png');

  // The exported PNG, as saved.
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'PNG', exact: true }).click()]);
  copyFileSync(await d.path(), join(REPO, 'docs/chart-export.png'));
  console.log('wrote docs/chart-export.png');
} finally {
  await browser.close();
  await server.stop();
}
