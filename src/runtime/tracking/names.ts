// Run ids and default run names. Ids are stable, unique and sort by creation
// time; names are for people and need not be unique.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** e.g. "mbx3k2a9q4f7": 8 chars of milliseconds in base 36, then 4 random. */
export function newRunId(now = Date.now()): string {
  const time = now.toString(36).padStart(8, '0').slice(-8);
  const rnd = randomBytes(4);
  let tail = '';
  for (const b of rnd) tail += ALPHABET[b % 36];
  return time + tail;
}

const ADJECTIVES = [
  'amber', 'brave', 'calm', 'crisp', 'dapper', 'eager', 'fancy', 'gentle', 'hazy', 'icy', 'jolly', 'keen', 'lucid',
  'mellow', 'nimble', 'olive', 'proud', 'quiet', 'rapid', 'silver', 'tidy', 'upbeat', 'vivid', 'warm', 'young', 'zesty',
];
const NOUNS = [
  'anchor', 'breeze', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'harbor', 'island', 'juniper', 'kestrel', 'lagoon',
  'meadow', 'nebula', 'orchid', 'pebble', 'quartz', 'river', 'summit', 'thicket', 'umbra', 'valley', 'willow', 'zenith',
];

export function defaultRunName(seq: number): string {
  const a = ADJECTIVES[Math.floor(Math.random() * ADJECTIVES.length)];
  const n = NOUNS[Math.floor(Math.random() * NOUNS.length)];
  return `${a}-${n}-${seq}`;
}

/** Metric names: 1–256 characters, no control characters; `/` groups them (train/loss). */
export function checkMetricName(name: unknown): string | null {
  if (typeof name !== 'string') return 'metric names must be strings';
  if (name.length === 0) return 'metric name is empty';
  if (name.length > 256) return `metric name is longer than 256 characters ('${name.slice(0, 40)}…')`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `metric name ${JSON.stringify(name)} contains control characters`;
  return null;
}

export function checkRunName(name: string): string | null {
  if (name.length === 0) return 'run name is empty';
  if (name.length > 200) return 'run name is longer than 200 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `run name ${JSON.stringify(name)} contains control characters`;
  return null;
}
