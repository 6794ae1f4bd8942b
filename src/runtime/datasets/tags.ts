// Prompt files hold comma-separated tags. Parsing, formatting, and merging
// captioner tags with what the user wrote (trigger word first, user tags
// kept unless overwriting, no duplicates).

// The parsing rules live in the protocol: the dataset editor's page uses them too.
export { formatTags, hasTag, parseTags } from '../../protocol/datasetEditor';

const key = (t: string) => t.trim().toLowerCase();

/**
 * The new prompt's tags: trigger word, then the user's tags (the existing
 * ones minus what the captioner wrote last time; none when overwriting),
 * then the new captioner tags. Case-insensitive duplicates are dropped.
 */
export function mergeTags(opts: { existing: string[]; previousAuto: string[]; auto: string[]; triggerWord?: string; overwrite: boolean }): string[] {
  const prevAuto = new Set(opts.previousAuto.map(key));
  const trigger = opts.triggerWord?.trim();
  const user = opts.overwrite ? [] : opts.existing.filter((t) => !prevAuto.has(key(t)));
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => {
    const k = key(t);
    if (!k || seen.has(k)) return;
    seen.add(k);
    out.push(t.trim());
  };
  if (trigger) add(trigger);
  user.forEach(add);
  opts.auto.forEach(add);
  return out;
}
