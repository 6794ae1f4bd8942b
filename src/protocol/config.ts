// Run configs as flat dotted keys ({"optim": {"lr": 1}} → {"optim.lr": 1}),
// the same in the runtime (which keys differ) and in the compare table.
export function flattenConfig(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flattenConfig(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/**
 * Config roots the runtime adds to a run, not the user's own config: `job.*`
 * (the supervised job's id, attempt, command, cwd), `command` (the argv
 * `tunestudio run` records) and `sweep` / `trial` (which sweep and trial a run
 * belongs to). They never count as differing between runs and the compare
 * table hides them unless asked.
 */
export const INTERNAL_CONFIG_ROOTS: readonly string[] = ['job', 'command', 'sweep', 'trial'];

/** Whether a flat dotted config key is one the runtime added (see INTERNAL_CONFIG_ROOTS). */
export function isInternalConfigKey(key: string): boolean {
  return INTERNAL_CONFIG_ROOTS.some((r) => key === r || key.startsWith(r + '.'));
}

/** A flat key's section: its first path segment (`lora.r` → `lora`), or '' for a top-level key. */
export function configSection(key: string): string {
  const i = key.indexOf('.');
  return i < 0 ? '' : key.slice(0, i);
}
