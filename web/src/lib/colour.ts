// Text in a precision's colour must stay readable on the page: the seed's colours are mid-tones (FP32's yellow
// is 2:1 on white), so text uses the same hue mixed toward black (light scheme) or white (dark scheme) until
// it reaches WCAG's 4.5:1. Lines and markers keep the exact seed colour.

const parse = (hex: string): [number, number, number] => {
  const h = hex.replace('#', '');
  const n = parseInt(h.length === 3 ? h.replace(/./g, (c) => c + c) : h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};

const toHex = ([r, g, b]: [number, number, number]) =>
  `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** WCAG relative luminance of an sRGB colour. */
export function luminance(hex: string): number {
  const [r, g, b] = parse(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const cache = new Map<string, string>();

/** `colour`, or the nearest mix of it toward black/white that reads at `ratio`:1 on `background`. */
export function readableOn(colour: string, background: string, ratio = 4.5): string {
  const key = `${colour}|${background}|${ratio}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const towards: [number, number, number] = luminance(background) > 0.5 ? [0, 0, 0] : [255, 255, 255];
  const c = parse(colour);
  let out = colour;
  for (let t = 0; t <= 1.0001; t += 0.02) {
    const mixed = toHex(c.map((v, i) => v + (towards[i]! - v) * t) as [number, number, number]);
    out = mixed;
    if (contrast(mixed, background) >= ratio) break;
  }
  cache.set(key, out);
  return out;
}
