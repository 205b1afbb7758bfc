// Shared by the end-to-end tests and the screenshot: start the real `roofline serve` on a free port with a
// fresh database, and Debian's chromium through playwright-core (no browser download, a fresh profile each time).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(WEB, '..');
export const DIST = join(WEB, 'dist');

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The server binary: $ROOFLINE_BIN, else the newest build under build/*. */
export function serverBinary() {
  if (process.env.ROOFLINE_BIN) {
    const bin = resolve(process.env.ROOFLINE_BIN);
    if (!existsSync(bin)) throw new Error(`ROOFLINE_BIN=${bin} does not exist; build it first (scripts/build.sh)`);
    return bin;
  }
  const builds = join(REPO, 'build');
  const found = existsSync(builds)
    ? readdirSync(builds)
        .map((d) => join(builds, d, 'apps/roofline/roofline'))
        .filter((p) => existsSync(p))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    : [];
  if (found.length === 0) {
    throw new Error('no server binary: set ROOFLINE_BIN=/path/to/roofline (built by scripts/build.sh)');
  }
  return found[0];
}

/**
 * The server's own test double for `roofline worker` (libs/server/tests/fake_worker.cpp): it answers with
 * points derived from the model, crashes on INT8 and so on, which lets the GPU path of the app (progress per
 * precision, measured points, failures, cancel) run here without a GPU. $FAKE_WORKER, else beside the binary's
 * build tree; null when neither exists.
 */
export function fakeWorker(bin) {
  const candidates = [process.env.FAKE_WORKER, join(dirname(bin), '../../libs/server/fake_worker')].filter(Boolean);
  return candidates.map((c) => resolve(c)).find((c) => existsSync(c)) ?? null;
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than the sources, the registry data or the build config. */
export function buildIfNeeded() {
  const index = join(DIST, 'index.html');
  const inputs = Math.max(
    newestMtime(join(WEB, 'src')),
    newestMtime(join(REPO, 'data/hardware')),
    statSync(join(REPO, 'data/precisions.json')).mtimeMs,
    ...['index.html', 'vite.config.ts', 'package.json', 'package-lock.json'].map((f) => statSync(join(WEB, f)).mtimeMs),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= inputs) return;
  console.log('# building the web app (dist/ missing or stale)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: WEB, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

/**
 * Starts `roofline serve --port 0` and resolves once it prints its address. No GPU is needed: on a machine
 * without one the server runs prediction-only, which is what these tests check.
 */
export async function startServer(bin = serverBinary(), { args: extra = [], env = {}, db = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'roofline-e2e-'));
  // `db`: start from a copy of an existing store (runs made elsewhere, e.g. on a GPU machine); the copy is used.
  if (db) copyFileSync(db, join(dir, 'runs.db'));
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'runs.db'), '--web-root', DIST, ...extra];
  const proc = spawn(bin, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its address in 15 s:\n${log}`)), 15000);
    const onData = (chunk) => {
      log += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1].replace(/\/$/, ''));
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${log}`));
    });
  });
  proc.removeAllListeners('exit');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, proc, stop, log: () => log, bin };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser context with a fresh profile (its own --user-data-dir), downloads allowed. */
export async function launchBrowser({ colorScheme = 'light', width = 1366, height = 768 } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (the tests never download a browser)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'roofline-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width, height },
    colorScheme,
    timeout: 30000,
  });
  const close = async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}
