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
