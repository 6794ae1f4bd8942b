// The compare page's config table, as data: the runs' flat config keys grouped
// by section (the first path segment: `lora.`, `optimizer.` …), differing keys
// first in each section, keys the runtime adds (job.*, command, sweep, trial)
// left out unless asked and never marked as differing. Pure, so it is unit
// tested without a page.
import { configSection, isInternalConfigKey } from '../../protocol/config';

export interface ConfigKeyRow {
  /** The full dotted key. */
  key: string;
  /** The key without its section prefix (`lora.r` → `r`). */
  label: string;
  differs: boolean;
  internal: boolean;
}

/** The section holding the keys the runtime adds. */
export const RUNTIME_SECTION = 'added by Tune Studio';

export interface ConfigSection {
  /** '' for top-level keys, RUNTIME_SECTION for the runtime's keys. */
  name: string;
  internal: boolean;
  /** How many of this section's keys differ (counted before `showSame` hides the rest). */
  differing: number;
  keys: ConfigKeyRow[];
}

export interface ConfigTableOptions {
  /** Show keys whose value is the same in every run. */
  showSame: boolean;
  /** Show the keys the runtime adds. */
  showInternal: boolean;
}

/**
 * Sections of the config table: top-level keys first, then sections by name,
 * the runtime's own sections last. `diff` is the runtime's list of differing
 * keys; an internal key in it is still not marked (the rule is here too, so an
 * older runtime's answer cannot mark one).
 */
export function configSections(configs: Array<Record<string, unknown>>, diff: Iterable<string>, o: ConfigTableOptions): ConfigSection[] {
  const differing = new Set(diff);
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  const sections = new Map<string, ConfigSection>();
  for (const key of keys) {
    const internal = isInternalConfigKey(key);
    if (internal && !o.showInternal) continue;
    const differs = !internal && differing.has(key);
    // The runtime's keys share one section of their own, whatever their root.
    const name = internal ? RUNTIME_SECTION : configSection(key);
    let s = sections.get(name);
    if (!s) sections.set(name, (s = { name, internal, differing: 0, keys: [] }));
    if (differs) s.differing++;
    if (!differs && !o.showSame && !internal) continue;
    s.keys.push({ key, label: name && !internal ? key.slice(name.length + 1) : key, differs, internal });
  }
  for (const s of sections.values()) s.keys.sort((a, b) => Number(b.differs) - Number(a.differs) || a.key.localeCompare(b.key));
  return [...sections.values()]
    .filter((s) => s.keys.length > 0)
    .sort((a, b) => Number(a.internal) - Number(b.internal) || Number(b.name === '') - Number(a.name === '') || a.name.localeCompare(b.name));
}

/** A config value as the table shows it ('—' when the run has no such key). */
export function configText(v: unknown): string {
  return v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
}
