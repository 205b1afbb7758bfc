// Chart colours for the light and dark schemes, as values (not CSS variables) so an exported SVG carries them.
import { useEffect, useState } from 'react';

export interface ChartTheme {
  /** The chart's and cards' background. */
  bg: string;
  /** The page behind the cards (result rows sit on it). */
  page: string;
  fg: string;
  muted: string;
  axis: string;
  grid: string;
  gridMinor: string;
  memRoof: string;
}

export const LIGHT: ChartTheme = {
  bg: '#ffffff',
  page: '#f1f5f9',
  fg: '#1e293b',
  muted: '#475569',
  axis: '#94a3b8',
  grid: '#e2e8f0',
  gridMinor: '#f1f5f9',
  memRoof: '#334155',
};

export const DARK: ChartTheme = {
  bg: '#0f172a',
  page: '#020617',
  fg: '#e2e8f0',
  muted: '#94a3b8',
  axis: '#475569',
  grid: '#1e293b',
  gridMinor: '#162033',
  memRoof: '#cbd5e1',
};

const query = '(prefers-color-scheme: dark)';

export function useTheme(): ChartTheme {
  const [dark, setDark] = useState(() => window.matchMedia?.(query).matches ?? false);
  useEffect(() => {
    const mq = window.matchMedia?.(query);
    if (!mq) return;
    const on = (e: MediaQueryListEvent) => setDark(e.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return dark ? DARK : LIGHT;
}
