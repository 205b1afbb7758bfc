// The registry files are bundled at build time (the same data/hardware/*.json the C++ core embeds), so the app
// knows every GPU's roofs with no server at all.
import { registryFromFiles } from './hardware';

const files = import.meta.glob('../../../data/hardware/*.json', { eager: true, import: 'default' });

export const registry = registryFromFiles(files);

/** The API's default when no GPU is known (docs/API.md: "else b10"). */
export const DEFAULT_HARDWARE = 'b10';

/** A GPU's name for a point's hardware key; a measured profile's key (`<gpu>-measured`) names its GPU. */
export function gpuName(key: string): string {
  const e = registry.find(key);
  if (e) return e.name;
  const base = key.endsWith('-measured') ? registry.find(key.slice(0, -'-measured'.length)) : undefined;
  return base ? `${base.name} (measured roofs)` : key;
}
