// The node check's side-by-side view, as data (no React): one column per GPU with each phase's rate as a share of
// the fastest, the outliers' reasons on the GPU they name, and the spread in words. NodeCheckPanel draws it.
import type { NodeCheck, NodeGpu, NodeOutlier, NodePhase } from './types';

export interface PhaseCell {
  tflops: number | null;
  /** 0..1 of the fastest GPU in this phase: the bar's length */
  share: number;
  clock: string;
  power: string;
  temperature: string;
  failed: string;
}

export interface GpuColumn {
  index: number;
  title: string;
  identity: { uuid: string; pci: string; serial: string; link: string };
  alone: PhaseCell;
  together: PhaseCell;
  /** every reason the check gave for this GPU, across phases, once each */
  reasons: string[];
  outliers: NodeOutlier[];
}

const fixed = (v: number | null, digits: number, unit: string) => (v === null ? '–' : `${v.toFixed(digits)} ${unit}`);

function cell(p: NodePhase, fastest: number): PhaseCell {
  return {
    tflops: p.tflops,
    share: p.tflops !== null && fastest > 0 ? Math.max(0, Math.min(1, p.tflops / fastest)) : 0,
    clock: fixed(p.sm_clock_mhz, 0, 'MHz'),
    power:
      p.power_w === null ? '–' : `${p.power_w.toFixed(0)}${p.power_limit_w !== null ? ` / ${p.power_limit_w.toFixed(0)}` : ''} W`,
    temperature: fixed(p.temperature_c, 0, '°C'),
    failed: p.ran ? '' : p.message || 'no result',
  };
}

function link(g: NodeGpu): string {
  const l = g.link;
  if (l.pcie_generation === null && l.pcie_width === null) return '–';
  const now = `gen ${l.pcie_generation ?? '?'} x${l.pcie_width ?? '?'}`;
  const max = l.pcie_generation_max !== null || l.pcie_width_max !== null ? ` (of gen ${l.pcie_generation_max ?? '?'} x${l.pcie_width_max ?? '?'})` : '';
  return `PCIe ${now}${max}`;
}

const fastestOf = (r: NodeCheck, phase: 'alone' | 'together') =>
  Math.max(0, ...r.gpus.map((g) => g[phase].tflops ?? 0));

/** The GPUs in index order, each a column of the side-by-side view. */
export function gpuColumns(r: NodeCheck): GpuColumn[] {
  const fastAlone = fastestOf(r, 'alone');
  const fastTogether = fastestOf(r, 'together');
  return [...r.gpus]
    .sort((a, b) => a.index - b.index)
    .map((g) => {
      const outliers = r.outliers.filter((o) => o.index === g.index);
      const reasons = [...new Set(outliers.flatMap((o) => o.reasons))];
      return {
        index: g.index,
        title: `GPU ${g.index}${g.name ? ` · ${g.name}` : ''}`,
        identity: { uuid: g.uuid || '–', pci: g.pci_bus_id || '–', serial: g.serial || '–', link: link(g) },
        alone: cell(g.alone, fastAlone),
        together: cell(g.together, fastTogether),
        reasons,
        outliers,
      };
    });
}

/** "8 GPUs alone: median 702.1 TFLOP/s, spread 5.3%" for each phase. */
export function spreadLine(r: NodeCheck, phase: 'alone' | 'together'): string {
  const s = r.spread[phase];
  if (s.gpus === 0 || s.median_tflops === null) return `${phase}: no GPU gave a result`;
  const spread = s.spread_pct === null ? '' : `, spread ${s.spread_pct.toFixed(1)}%`;
  return `${phase}: ${s.gpus} GPU${s.gpus === 1 ? '' : 's'}, median ${s.median_tflops.toFixed(1)} TFLOP/s${spread}`;
}

/** The verdict in one line: which GPUs stand out and why, or that none does. */
export function verdict(r: NodeCheck): string {
  if (r.outliers.length === 0) {
    return `No outliers: every GPU within ${r.thresholds.slow_pct}% of the others' median, alone and together.`;
  }
  const byGpu = new Map<number, Set<string>>();
  for (const o of r.outliers) {
    const set = byGpu.get(o.index) ?? new Set<string>();
    o.reasons.forEach((x) => set.add(x));
    byGpu.set(o.index, set);
  }
  return [...byGpu.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, set]) => `GPU ${i}: ${[...set].join(', ')}`)
    .join('; ');
}
