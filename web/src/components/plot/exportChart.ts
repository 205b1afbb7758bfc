// The exported SVG and PNG: the chart as drawn, interaction-only marks taken out, and below it the legend and a
// caption with the GPU names and the date (lib/plot/exportLegend.ts lays them out), so the image explains itself.
import { exportCaption, flowLegend, type LegendEntry } from '../../lib/plot/exportLegend';
import type { ChartTheme } from '../theme';

const NS = 'http://www.w3.org/2000/svg';

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function mark(e: LegendEntry, x: number, y: number): SVGElement {
  const cy = y - 4;
  switch (e.mark) {
    case 'swatch':
      return el('rect', { x, y: cy - 5, width: 14, height: 10, rx: 2, fill: e.colour });
    case 'measured':
      return el('circle', { cx: x + 8, cy, r: 5, fill: 'none', stroke: e.colour, 'stroke-width': 2 });
    case 'predicted':
      return el('path', { d: `M${x + 8},${cy - 6} l6,6 l-6,6 l-6,-6 Z`, fill: 'none', stroke: e.colour, 'stroke-width': 1.6, 'stroke-dasharray': '3 2' });
    case 'line':
      return el('line', { x1: x, y1: cy + 4, x2: x + 18, y2: cy - 4, stroke: e.colour, 'stroke-width': 2 });
    case 'dashed':
      return el('line', { x1: x, y1: cy, x2: x + 18, y2: cy, stroke: e.colour, 'stroke-width': 1.5, 'stroke-dasharray': e.dash ?? '3 4' });
  }
}

export interface ExportInput {
  svg: SVGSVGElement;
  width: number;
  height: number;
  theme: ChartTheme;
  entries: LegendEntry[];
  gpus: string[];
  points: number;
  when?: Date;
}

/** The standalone SVG document, with the legend and the caption added under the chart. */
export function exportSvgText(input: ExportInput): { text: string; height: number } {
  const { width, height, theme } = input;
  const svg = input.svg.cloneNode(true) as SVGSVGElement;
  svg.querySelectorAll('[data-export="skip"]').forEach((n) => n.remove());
  svg.setAttribute('xmlns', NS);
  const { placed, height: legendH } = flowLegend(input.entries, width);
  const captionH = 22;
  const total = height + legendH + captionH;
  svg.setAttribute('height', String(total));
  svg.setAttribute('viewBox', `0 0 ${width} ${total}`);
  const g = el('g', { transform: `translate(0,${height})`, 'data-testid': 'export-legend', 'font-size': 11.5 });
  g.appendChild(el('rect', { width, height: legendH + captionH, fill: theme.bg }));
  for (const p of placed) {
    g.appendChild(mark(p, p.x, p.y));
    g.appendChild(el('text', { x: p.x + 22, y: p.y, fill: theme.fg }, p.text));
  }
  g.appendChild(el('text', { x: 16, y: legendH + 15, fill: theme.muted, 'data-testid': 'export-caption' },
    exportCaption(input.gpus, input.points, input.when ?? new Date())));
  svg.appendChild(g);
  return { text: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(svg)}`, height: total };
}
