// The web app itself, run on the GPU machine against the GPU server: that machine has no browser (and a
// Chromium is larger than what a device call may carry), so the app's own built bundle (web/dist, served by
// `roofline serve`) runs in jsdom under a carried Node. The script does what a user does — tick "Run all
// precisions", press "Analyze GEMM", then a second shape — through the app's own handlers, fetch and stream
// parser, and reads back what the page shows: the progress, one result row per precision, the points drawn.
// Then what needs a GPU to try: the NVML panel's live clocks, a measured point's tooltip (clock and power),
// and "Clear measured" (with its Undo).
// It writes the page's DOM (app_dom.html) so the chart can be rendered and looked at elsewhere
// (bench/device/render_dom.mjs).
//   node app_sweep.mjs <server url> <out dir>   (JSDOM_DIR: a folder whose node_modules holds jsdom)
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [base, outDir] = process.argv.slice(2);
const require = createRequire(resolve(process.env.JSDOM_DIR ?? '.', 'x.js'));
const { JSDOM, VirtualConsole } = require('jsdom');

const SWEEP_LABEL = 'Run all precisions (FP16, FP8, NVFP4, INT8, INT4)';
const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(2)} s]`, ...a);
const errors = [];
const vc = new VirtualConsole();
vc.on('jsdomError', (e) => errors.push(String(e?.message ?? e)));
vc.on('error', (e) => errors.push(String(e)));

// jsdom runs classic scripts only: the module tag comes out of the page and its bundle (Vite's single chunk, no
// import or export statements) is evaluated once the document exists, as a module script would be (deferred).
const page = await (await fetch(`${base}/`)).text();
const modules = [...page.matchAll(/<script type="module"[^>]*src="([^"]+)"[^>]*><\/script>/g)].map((m) => m[1]);
const html = page.replace(/<script type="module"[^>]*><\/script>/g, '');
const dom = new JSDOM(html, {
  url: `${base}/`,
  runScripts: 'dangerously',
  resources: 'usable',
  pretendToBeVisual: true,
  virtualConsole: vc,
  beforeParse(window) {
    // What jsdom lacks and a browser has: fetch with streaming bodies (Node's, with Node's AbortController so
    // the app's cancel reaches it), a layout size for the chart, media queries.
    window.fetch = (input, init) => fetch(new URL(String(input), window.location.href), init);
    window.AbortController = AbortController;
    window.TextDecoder = TextDecoder;
    window.ReadableStream = ReadableStream;
    window.ResizeObserver = class {
      constructor(cb) {
        this.cb = cb;
      }
      observe(el) {
        setTimeout(() => this.cb([{ target: el, contentRect: { width: 960, height: 560 } }]), 0);
      }
      unobserve() {}
      disconnect() {}
    };
    window.matchMedia = (q) => ({ matches: false, media: q, addEventListener() {}, removeEventListener() {} });
  },
});
const { window } = dom;
const doc = window.document;
for (const src of modules) {
  const code = await (await fetch(new URL(src, `${base}/`))).text();
  if (/^\s*(import|export)\s/m.test(code)) throw new Error(`${src} has import/export statements: jsdom cannot run it`);
  window.eval(code);
}

async function until(what, test, timeoutMs = 120000) {
  const t0 = Date.now();
  for (;;) {
    const v = test();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}; page errors: ${errors.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
// An element's text as a reader sees it: the leaves' texts with spaces between (jsdom has no innerText).
const words = (el) => {
  const out = [];
  const walk = doc.createTreeWalker(el, window.NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) if (n.textContent.trim()) out.push(n.textContent.trim());
  return out.join(' ');
};
const byText = (sel, text) => [...doc.querySelectorAll(sel)].find((e) => e.textContent.trim().startsWith(text));
const labelled = (text) => {
  const label = [...doc.querySelectorAll('label')].find((l) => l.textContent.trim() === text);
  return label && (label.control ?? label.querySelector('input,select'));
};
function setValue(el, value) {
  // React tracks the value through the prototype's setter; set it there, then fire the event React listens to.
  const proto = el.tagName === 'SELECT' ? window.HTMLSelectElement.prototype : window.HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
  el.dispatchEvent(new window.Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
}

await until('the app to render', () => byText('button', 'Analyze GEMM'));
window.localStorage.clear();
const status = await until('the API status "online"', () => {
  const s = doc.querySelector('[data-testid=api-status]');
  return s && /API online/.test(s.textContent) ? s.textContent.trim() : null;
});
log(`page loaded; status pill: "${status}"`);
const health = await (await fetch(`${base}/api/health`)).json();
const gpu = health.backend === 'gpu';
const hw = gpu
  ? await until('the picker to adopt the GPU', () => {
      const sel = labelled('Hardware (roofs)');
      return sel && sel.value === health.default_hardware_key ? sel.value : null;
    }, 15000)
  : labelled('Hardware (roofs)').value;
log(`hardware picker: ${hw}${gpu ? ` (adopted from the server's GPU, ${health.device?.name})` : ' (prediction-only server)'}`);

const summary = { status, hardware: hw, sweeps: [] };
const sweep = labelled(SWEEP_LABEL);
if (!sweep.checked) sweep.click();
for (const s of [4096, 8192]) {
  for (const f of ['M', 'N', 'K']) {
    setValue(doc.querySelector(`input[name=${f}]`), String(s));
  }
  const t0 = Date.now();
  const before = doc.querySelector('[data-testid=progress]')?.textContent ?? '';
  byText('button', 'Analyze GEMM').click();
  const seen = new Set();
  const done = await until(`the ${s}^3 sweep to finish`, () => {
    const p = doc.querySelector('[data-testid=progress]');
    const text = p ? words(p) : '';
    if (text && !seen.has(text)) {
      seen.add(text);
      log(`progress: ${text}`);
    }
    // Done, and not the previous sweep's "done" still showing before React has rendered this one.
    return p && p.className.includes('progress-done') && p.textContent !== before ? text : null;
  });
  const wall = (Date.now() - t0) / 1000;
  const rows = [...doc.querySelectorAll('[data-testid=result-row]')].map((r) => ({
    precision: r.getAttribute('data-precision'),
    disposition: r.getAttribute('data-disposition'),
    text: words(r).slice(0, 240),
  }));
  for (const r of rows) log(`  ${r.precision.padEnd(9)} ${r.disposition.padEnd(14)} ${r.text}`);
  summary.sweeps.push({ shape: `${s}^3`, wall_s: wall, progress: done, rows });
}
const points = [...doc.querySelectorAll('[data-testid=point]')].map((g) => ({
  precision: g.getAttribute('data-precision'),
  source: g.getAttribute('data-source'),
  colour: g.getAttribute('data-colour'),
  label: g.getAttribute('aria-label'),
}));
summary.points = points;
const measured = points.filter((p) => p.source === 'measured');
log(`chart: ${points.length} points, ${measured.length} measured: ${measured.map((p) => p.label).join('; ')}`);
const failures = [];

// The NVML panel: on a GPU server it shows live clocks when "Watch continuously" is ticked.
const panel = doc.querySelector('[data-testid=telemetry]');
summary.nvml = { available: health.nvml?.available === true, reason: health.nvml?.reason ?? null };
if (panel) {
  const watch = [...panel.querySelectorAll('label')].find((l) => /Watch continuously/.test(l.textContent))?.querySelector('input');
  if (watch && !watch.checked) watch.click();
  const metric = (name) => {
    const m = [...panel.querySelectorAll('.metric')].find((d) => d.querySelector('dt')?.textContent === name);
    return m ? m.querySelector('dd').textContent.trim() : null;
  };
  try {
    // Two samples, so the spark line is drawn and the value is a live one, not the first reading only.
    await until('live SM clocks in the NVML panel', () => panel.querySelector('.metric svg.spark') && /\d/.test(metric('SM clock') ?? ''), 15000);
  } catch (e) {
    failures.push(`NVML panel: ${e.message}`);
  }
  summary.nvml.panel = Object.fromEntries(['SM clock', 'memory clock', 'power', 'temperature', 'utilization'].map((n) => [n, metric(n)]));
  summary.nvml.status = words(panel.querySelector('h2'));
  log(`NVML panel (${summary.nvml.status}): ${JSON.stringify(summary.nvml.panel)}`);
  if (watch?.checked) watch.click();
} else {
  const text = [...doc.querySelectorAll('section.telemetry')].map(words).join(' ');
  summary.nvml.panel_text = text;
  log(`NVML panel: not live: ${text}`);
  if (gpu) failures.push(`a GPU server, but the NVML panel is not live: ${text}`);
}

// A measured point's tooltip: its clock and power rows (keyboard focus opens it, as hover does).
const measuredMark = [...doc.querySelectorAll('[data-testid=point][data-source=measured]')].at(-1);
if (measuredMark) {
  measuredMark.focus();
  const tip = await until('the tooltip of a measured point', () => doc.querySelector('[data-testid=tooltip]'), 5000).catch(() => null);
  const rows = tip ? Object.fromEntries([...tip.querySelectorAll('tr')].slice(0, 40).map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent])) : {};
  summary.tooltip = { point: measuredMark.getAttribute('aria-label'), rows };
  log(`tooltip of ${measuredMark.getAttribute('data-precision')}: SM clock ${rows['SM clock'] ?? '(none)'}; power ${rows.power ?? '(none)'}; energy ${rows['energy / GEMM'] ?? '(none)'}`);
  if (!rows['SM clock'] || !rows.power) failures.push(`the measured point's tooltip lacks the clock or the power: ${JSON.stringify(rows)}`);
  measuredMark.blur();
} else if (gpu) {
  failures.push('no measured point to open a tooltip on');
}

// "Clear measured" takes the measured points off and keeps the predictions; Undo puts them back.
const count = (source) => doc.querySelectorAll(`[data-testid=point][data-source=${source}]`).length;
const before = { measured: count('measured'), predicted: count('predicted') };
const clearButton = byText('button', 'Clear measured');
if (before.measured > 0 && clearButton && !clearButton.disabled) {
  clearButton.click();
  await until('the measured points to go', () => count('measured') === 0, 5000).catch((e) => failures.push(`Clear measured: ${e.message}`));
  const afterClear = { measured: count('measured'), predicted: count('predicted') };
  if (afterClear.predicted !== before.predicted) failures.push(`Clear measured removed predictions: ${JSON.stringify({ before, afterClear })}`);
  doc.querySelector('[data-testid=undo] button')?.click();
  await until('Undo to bring them back', () => count('measured') === before.measured, 5000).catch((e) => failures.push(`Undo: ${e.message}`));
  summary.clear_measured = { before, after_clear: afterClear, after_undo: { measured: count('measured'), predicted: count('predicted') } };
  log(`Clear measured: ${JSON.stringify(summary.clear_measured)}`);
} else {
  summary.clear_measured = { before, skipped: 'no measured point' };
  if (gpu) failures.push('Clear measured could not be tried: no measured point or the button is disabled');
}
summary.failures = failures;
summary.page_errors = errors;
// The form's state lives in DOM properties, which serializing drops: write it into attributes first.
for (const i of doc.querySelectorAll('input')) {
  if (i.type === 'checkbox' || i.type === 'radio') i.toggleAttribute('checked', i.checked);
  else i.setAttribute('value', i.value);
}
for (const o of doc.querySelectorAll('option')) o.toggleAttribute('selected', o.selected);
writeFileSync(join(outDir, 'app_dom.html'), dom.serialize());
writeFileSync(join(outDir, 'app_sweep.json'), JSON.stringify(summary, null, 1));
log(`page errors: ${errors.length ? errors.join(' | ') : 'none'}`);
log(`failures: ${failures.length ? failures.join(' | ') : 'none'}`);
window.close();
// Two sweeps of five: on a GPU server FP16, FP8 and INT8 measured at each shape (NVFP4 and INT4 only where the
// GPU has them); on a prediction-only server, predicted points instead.
const enough = (gpu ? measured.length : points.length) >= 6;
process.exit(enough && errors.length === 0 && failures.length === 0 ? 0 : 1);
