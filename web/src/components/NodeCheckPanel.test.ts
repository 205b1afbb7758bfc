// The side-by-side view rendered to HTML (react-dom/server: no DOM needed): every GPU gets its column with its
// identity, and the slow one carries its reason.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { NodeCheck, NodePhase } from '../lib/types';
import { NodeCheckView } from './NodeCheckPanel';

const phase = (tflops: number, clock: number): NodePhase => ({
  ran: true, message: '', flops: 1e15, time_s: 1e15 / (tflops * 1e12), tflops, sm_clock_mhz: clock, sm_clock_max_mhz: 1980,
  power_w: 600, power_limit_w: 700, temperature_c: 61, throttle_reasons: [],
});

const report: NodeCheck = {
  host: 'node-a',
  gpus: [0, 1, 2].map((i) => ({
    index: i, name: 'NVIDIA H200', uuid: `GPU-uuid-${i}`, pci_bus_id: `00000000:${i}A:00.0`, serial: `serial-${i}`,
    link: { pcie_generation: 5, pcie_generation_max: 5, pcie_width: 16, pcie_width_max: 16 },
    alone: phase(i === 1 ? 665 : 700, i === 1 ? 1880 : 1980),
    together: phase(i === 1 ? 655 : 690, i === 1 ? 1880 : 1980),
  })),
  spread: {
    alone: { gpus: 3, median_tflops: 700, min_tflops: 665, max_tflops: 700, spread_pct: 5 },
    together: { gpus: 3, median_tflops: 690, min_tflops: 655, max_tflops: 690, spread_pct: 5.1 },
  },
  outliers: [{ index: 1, phase: 'alone', deficit_pct: 5, reasons: ['clock'], message: 'GPU 1 is 5.0% below the others’ median alone' }],
  thresholds: { slow_pct: 3, clock_pct: 2, power_limit_pct: 2, power_near_limit: 0.97, temperature_c: 10, load_drop_pct: 3 },
};

describe('NodeCheckView', () => {
  const html = renderToStaticMarkup(createElement(NodeCheckView, { report }));

  it('shows one column per GPU with index, PCI bus id, serial and UUID', () => {
    for (const i of [0, 1, 2]) {
      expect(html).toContain(`data-testid="node-gpu-${i}"`);
      expect(html).toContain(`00000000:${i}A:00.0`);
      expect(html).toContain(`serial-${i}`);
      expect(html).toContain(`GPU-uuid-${i}`);
    }
    expect(html.indexOf('node-gpu-0')).toBeLessThan(html.indexOf('node-gpu-1'));
  });

  // Each GPU's column: its <article> element.
  const column = (i: number) => html.split('<article').find((a) => a.includes(`data-testid="node-gpu-${i}"`)) ?? '';

  it('marks the outlier with its reason and no other GPU', () => {
    expect(column(1)).toContain('class="node-gpu outlier"');
    expect(column(1)).toContain('>clock<');
    expect(column(0)).not.toContain('outlier');
    expect(column(2)).not.toContain('outlier');
    expect(html).toContain('GPU 1: clock');
  });

  it('shows both phases with rates, clocks and power', () => {
    expect(html).toContain('665.0 TFLOP/s');
    expect(html).toContain('655.0 TFLOP/s');
    expect(html).toContain('1880 MHz');
    expect(html).toContain('600 / 700 W');
  });
});
