// Light, dark, or the OS's choice: a small select in the header, remembered across visits (components/theme.ts).
import { setThemeChoice, useThemeChoice, type ThemeChoice } from './theme';

export function ThemeToggle() {
  const choice = useThemeChoice();
  return (
    <label className="theme-toggle">
      <span className="sr-only">Colour theme</span>
      <select value={choice} onChange={(e) => setThemeChoice(e.target.value as ThemeChoice)} aria-label="Colour theme" data-testid="theme">
        <option value="system">Theme: as the OS</option>
        <option value="light">Theme: light</option>
        <option value="dark">Theme: dark</option>
      </select>
    </label>
  );
}
