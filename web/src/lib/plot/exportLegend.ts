// The legend and caption an exported chart carries below the plot (an image on its own must say what it
// shows): items flowed into rows that fit the width, and the caption naming the GPUs and the date.
import { textWidth } from './geometry';

export type LegendMark = 'swatch' | 'measured' | 'predicted' | 'line' | 'dashed';

export interface LegendEntry {
  mark: LegendMark;
  colour: string;
  text: string;
  /** For 'dashed': the roof set's dash pattern. */
  dash?: string;
}

export interface PlacedEntry extends LegendEntry {
  x: number;
  y: number;
}

export const LEGEND_ROW_H = 18;
const MARK_W = 22;
const GAP = 14;

/** Flows the entries left to right into rows no wider than `width - 2·pad`; y is each row's baseline. */
export function flowLegend(entries: LegendEntry[], width: number, pad = 16, fontPx = 11.5): { placed: PlacedEntry[]; height: number } {
  const placed: PlacedEntry[] = [];
  let x = pad;
  let row = 0;
  for (const e of entries) {
    const w = MARK_W + textWidth(e.text, fontPx);
    if (x > pad && x + w > width - pad) {
      row++;
      x = pad;
    }
    placed.push({ ...e, x, y: (row + 1) * LEGEND_ROW_H });
    x += w + GAP;
  }
  return { placed, height: entries.length === 0 ? 0 : (row + 1) * LEGEND_ROW_H + 6 };
}

/** "NVIDIA H100 SXM5 vs NVIDIA B200 · 4 points · exported 2026-12-01 23:40 UTC · Roofline Calc 0.1.0" */
export function exportCaption(gpus: string[], points: number, when: Date, tool = 'Roofline Calc'): string {
  const stamp = `${when.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `${gpus.join(' vs ')} · ${points} point${points === 1 ? '' : 's'} · exported ${stamp} · ${tool}`;
}
