// Browser tests of the model view, the spot check and the batch panel against the real server
// (prediction-only here). run.mjs runs them after app.e2e.mjs.
import assert from 'node:assert/strict';

const pointCount = (page) => page.locator('[data-testid=point]').count();

export const tests = [
  {
    name: 'model view: a preset in decode puts its GEMMs on the chart and breaks the time down per precision',
    async run({ page }) {
      await page.getByTestId('tab-model').click();
      await page.getByTestId('model-preset').locator('option[value="llama-3.1-8b"]').waitFor({ state: 'attached' });
      await page.getByTestId('model-preset').selectOption('llama-3.1-8b');
      await page.getByTestId('model-phase').selectOption('decode');
      await page.getByTestId('model-tokens').fill('2048');
      await page.getByTestId('model-batch').fill('16');
      await page.getByTestId('model-run').click();
      await page.getByTestId('model-result').waitFor();
      await page.getByTestId('breakdown-BF16').waitFor();
      await page.getByTestId('breakdown-FP8').waitFor();
      const text = await page.getByTestId('model-result').innerText();
      assert.match(text, /16 tokens in the step/);
      // Decode at batch 16: the attention products' launch floors can outweigh a weight GEMM.
      assert.match(text, /dominant: (mlp|attn)\.[a-z_]+/);
      // Every GEMM of each scheme lands on the chart (two schemes, several GEMMs each).
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=point]').length >= 10);
      const labels = await page.locator('[data-testid=point]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      // q_proj at decode batch 16 (16x4096x4096) and the LM head (16x128256x4096), in both precisions.
      assert.ok(labels.some((l) => l.includes('16×4096×4096 BF16')), labels.join('\n'));
      assert.ok(labels.some((l) => l.includes('16×128256×4096 FP8')), labels.join('\n'));
    },
  },
  {
    name: 'model view: a pasted config with a missing key is refused naming the key',
    async run({ page }) {
      await page.getByTestId('tab-model').click();
      await page.getByTestId('model-preset').selectOption('(paste a config.json)');
      await page.getByTestId('model-config').fill(
        '{"model_type":"llama","hidden_size":2048,"intermediate_size":8192,"num_attention_heads":16,"num_hidden_layers":4,"vocab_size":32000}',
      );
      await page.getByTestId('model-run').click();
      const err = page.getByTestId('model-error');
      await err.waitFor();
      assert.match(await err.innerText(), /num_key_value_heads/);
      await page.getByTestId('model-tokens').fill('0');
      await page.getByTestId('model-run').click();
      await page.waitForFunction(() => /tokens/.test(document.querySelector('[data-testid=model-error]')?.textContent ?? ''));
    },
  },
  {
    name: 'spot check: a timed GEMM gets its % of roof and headroom, and its point lands on the chart',
    async run({ page }) {
      const before = await pointCount(page);
      await page.getByTestId('tab-spot').click();
      await page.getByTestId('spot-op').selectOption('gemm');
      await page.getByTestId('spot-m').fill('8192');
      await page.getByTestId('spot-n').fill('8192');
      await page.getByTestId('spot-k').fill('8192');
      await page.getByTestId('spot-time').fill('5ms');
      await page.getByTestId('spot-run').click();
      await page.getByTestId('spot-result').waitFor();
      assert.match(await page.getByTestId('spot-fraction').innerText(), /%$/);
      assert.match(await page.getByTestId('spot-result').innerText(), /headroom/);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=point]').length > n, before);
      await page.getByTestId('spot-time').fill('-1');
      await page.getByTestId('spot-run').click();
      assert.match(await page.getByTestId('spot-error').innerText(), /time/);
    },
  },
  {
    name: 'batch: a pasted list runs the good lines, names the bad one, and is stored as one run',
    async run({ page }) {
      await page.getByTestId('tab-batch').click();
      await page.getByTestId('batch-text').fill('1,4096,4096,BF16\n16,4096,4096,FP8\n4096,4096,x,FP16\n');
      await page.getByTestId('batch-run').click();
      await page.waitForFunction(() => /run #\d+/.test(document.querySelector('[data-testid=batch-status]')?.textContent ?? ''));
      const status = await page.getByTestId('batch-status').innerText();
      assert.match(status, /2 cases predicted/);
      assert.match(status, /1 skipped/);
      assert.match(await page.getByTestId('batch-errors').innerText(), /line 3, field 'k'/);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=point]').length >= 2);
    },
  },
];
