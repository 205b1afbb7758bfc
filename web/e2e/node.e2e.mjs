// The node panel against a server with three fake GPUs (one test-double worker each, pinned like real ones), GPU 1
// planted 6% slow at a lower clock: the lanes are listed, the node check shows the GPUs side by side and names
// GPU 1's clock; the history filters by GPU.
import assert from 'node:assert/strict';
import { analyze, setPrecisions, setShape } from './app.e2e.mjs';

export const tests = [
  {
    name: 'node check: three fake GPUs side by side, the slow one flagged for its clock, history by GPU',
    fakeWorker: true,
    serverArgs: ['--gpus', '0,1,2'],
    serverEnv: { FAKE_WORKER_SLOW_GPU: '1' },
    async run({ page }) {
      const lanes = page.getByTestId('node-lanes');
      await lanes.filter({ hasText: 'GPU 2: ready' }).waitFor();
      assert.match(await lanes.innerText(), /GPU 0: ready.*00000000:00:00\.0/s);
      await page.getByRole('group', { name: 'Node check' }).getByLabel('size').selectOption('2048');
      await page.getByRole('button', { name: 'Check the node' }).click();
      await page.getByTestId('node-check').waitFor({ timeout: 30000 });
      for (const i of [0, 1, 2]) {
        const col = page.getByTestId(`node-gpu-${i}`);
        assert.match(await col.innerText(), new RegExp(`fake-serial-${i}`));
        assert.match(await col.innerText(), /TFLOP\/s/);
      }
      assert.equal(await page.locator('.node-gpu.outlier').count(), 1);
      assert.match(await page.getByTestId('node-verdict').innerText(), /^GPU 1: clock$/);
      // A one-precision analysis runs on one of the GPUs and is stored with it: the history names the GPU, and
      // clicking it filters to that GPU's runs; another GPU's filter shows none of them.
      await setShape(page, 256, 256, 256);
      await setPrecisions(page, ['FP16']);
      await analyze(page);
      const gpuButton = page.getByTestId('history').getByRole('button', { name: /^Only runs of GPU \d$/ }).first();
      await gpuButton.waitFor();
      await gpuButton.click();
      const filter = page.getByLabel('board (index, UUID or PCI bus id)');
      assert.match(await filter.inputValue(), /^GPU-fake-\d$/);
      await page.getByTestId('history-pager').filter({ hasText: '1–1 of 1' }).waitFor();
      await filter.fill('GPU-fake-9');
      await page.locator('.history').getByText('No stored runs yet.').waitFor();
    },
  },
];
