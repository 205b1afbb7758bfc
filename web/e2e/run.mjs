// `npm run e2e`: builds the app if needed, starts the real server (ROOFLINE_BIN), runs every browser test in
// Debian's chromium and ends with "N passed, N failed"; exits non-zero on any failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WEB, buildIfNeeded, fakeWorker, launchBrowser, serverBinary, startServer } from './harness.mjs';
import { tests as appTests } from './app.e2e.mjs';
import { tests as chartTests } from './chart.e2e.mjs';
import { tests as workloadTests } from './workloads.e2e.mjs';
import { tests as nodeTests } from './node.e2e.mjs';

const tests = [...appTests, ...chartTests, ...workloadTests, ...nodeTests];

const only = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;
const started = Date.now();

let bin;
try {
  bin = serverBinary();
  buildIfNeeded();
} catch (e) {
  console.error(`e2e setup failed: ${e.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`# server: ${bin}`);
const fake = fakeWorker(bin);
console.log(fake ? `# GPU-path tests use the server's test-double worker ${fake}` :
  '# no fake_worker built (cmake --build <dir> --target fake_worker): the GPU-path tests are skipped');

const shots = join(WEB, 'test-results');
mkdirSync(shots, { recursive: true });

let shared = null;
const browser = await launchBrowser();
try {
  for (const t of tests) {
    if (only && !t.name.includes(only)) continue;
    const t0 = Date.now();
    let server = null;
    let page = null;
    if (t.fakeWorker && !fake) {
      skipped++;
      console.log(`skip ${t.name} (no fake_worker binary)`);
      continue;
    }
    try {
      if (t.fakeWorker) {
        server = await startServer(bin, { args: ['--worker-command', fake, ...(t.serverArgs ?? [])], env: t.serverEnv ?? {} });
      } else if (t.ownServer) {
        server = await startServer(bin);
      } else {
        shared ??= await startServer(bin);
        server = shared;
      }
      page = await browser.context.newPage();
      page.setDefaultTimeout(10000);
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${server.url}/`);
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.getByRole('button', { name: 'Analyze GEMM' }).waitFor();
      await t.run({ page, server });
      if (errors.length > 0) throw new Error(`uncaught errors in the page: ${errors.join('; ')}`);
      passed++;
      console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed++;
      const where = String(e?.stack ?? '').split('\n').find((l) => l.includes('app.e2e.mjs')) ?? '';
      const message = String(e?.message ?? e).split('\n').slice(0, 40).join('\n     ');
      console.log(`FAIL ${t.name} (${Date.now() - t0} ms)\n     ${message}\n     ${where.trim()}`);
      if (server) console.log(`     server log tail:\n${server.log().split('\n').slice(-8).map((l) => `       ${l}`).join('\n')}`);
      if (page) {
        const file = join(shots, `${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        console.log(`     screenshot: ${file}`);
      }
    } finally {
      await page?.close().catch(() => undefined);
      if ((t.ownServer || t.fakeWorker) && server) await server.stop();
    }
  }
} finally {
  await shared?.stop();
  await browser.close();
}
console.log(`# e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
