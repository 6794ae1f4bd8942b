// Which New Job… field a runtime problem is about, so the wizard shows it at
// the step where the value was typed (pure: unit-tested without VS Code).
import type { PresetField } from '../../protocol/jobs';

/** Which of the fields up to `upTo` a problem is about: it names the field's label or quotes a word of its value. */
export function fieldNamed(fields: readonly PresetField[], values: Record<string, string | number>, message: string, upTo: number): number | undefined {
  for (let k = upTo; k >= 0; k--) {
    const f = fields[k];
    if (message.startsWith(`${f.label} `) || message.includes(` ${f.label} `)) return k;
    const v = values[f.key];
    if (v === undefined) continue;
    const words = String(v).split(/\s+/).map((w) => w.replace(/^["']|["']$/g, '')).filter((w) => w.length > 1);
    if (words.some((w) => message.includes(`'${w}'`))) return k;
  }
  return undefined;
}
