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

/** The theme toggle's choice: follow the OS, or a fixed scheme; remembered in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEME_KEY = 'roofline-calc:theme';
const listeners = new Set<() => void>();

export function themeChoice(): ThemeChoice {
  try {
    const v = window.localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Applies the choice to the page (data-theme on the root, read by styles.css) and to every chart. */
export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') window.localStorage.removeItem(THEME_KEY);
    else window.localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Storage disabled: the choice holds for this page only.
  }
  applyThemeChoice(choice);
  listeners.forEach((l) => l());
}

export function applyThemeChoice(choice: ThemeChoice = themeChoice()): void {
  if (choice === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

export function useThemeChoice(): ThemeChoice {
  const [choice, setChoice] = useState(themeChoice);
  useEffect(() => {
    const on = () => setChoice(themeChoice());
    listeners.add(on);
    return () => void listeners.delete(on);
  }, []);
  return choice;
}

export function useTheme(): ChartTheme {
  const choice = useThemeChoice();
  const [osDark, setDark] = useState(() => window.matchMedia?.(query).matches ?? false);
  useEffect(() => {
    const mq = window.matchMedia?.(query);
    if (!mq) return;
    const on = (e: MediaQueryListEvent) => setDark(e.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  const dark = choice === 'system' ? osDark : choice === 'dark';
  return dark ? DARK : LIGHT;
}
