// Run colours: a palette read from the theme's chart colours (--vscode-charts-*
// and the terminal's ANSI colours), and a stable choice per run (a hash of its
// id), so a run has the same colour in every chart, dashboard and table.

// Hues far apart (no "bright" twins of the same hue: two runs side by side must not look alike).
const PALETTE_VARS = [
  '--vscode-charts-blue',
  '--vscode-charts-orange',
  '--vscode-charts-green',
  '--vscode-charts-purple',
  '--vscode-charts-red',
  '--vscode-charts-yellow',
  '--vscode-terminal-ansiMagenta',
  '--vscode-terminal-ansiCyan',
];
/** Used where the theme does not define a variable (and outside VS Code, e.g. the bench page). */
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700', '#bc3fbc', '#29b8db'];

export function themeVar(name: string, fallback = ''): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function themePalette(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  PALETTE_VARS.forEach((v, i) => {
    const c = normalize(themeVar(v, FALLBACK[i]));
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  });
  return out;
}

/** FNV-1a: small, stable across sessions and machines. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Colours for a set of runs: each run's hashed palette entry. When two runs
 * shown together hash to the same entry, the later one (by id) gets a lighter
 * or darker variant, so they stay distinguishable and the choice is stable
 * for the same set.
 */
export function runColors(runIds: string[], palette: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Map<number, number>();
  for (const id of [...runIds].sort()) {
    const i = hashString(id) % palette.length;
    const n = used.get(i) ?? 0;
    used.set(i, n + 1);
    out.set(id, n === 0 ? palette[i] : shade(palette[i], n % 2 ? 0.35 : -0.3));
  }
  return out;
}

/** `#rrggbb` or `rgb(…)` → `rgba(r, g, b, a)`. */
export function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = rgb(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Lighter (amount > 0, towards white) or darker (amount < 0, towards black). */
export function shade(color: string, amount: number): string {
  const [r, g, b] = rgb(color);
  const t = amount > 0 ? 255 : 0;
  const a = Math.abs(amount);
  const mix = (c: number) => Math.round(c + (t - c) * a);
  return `#${[mix(r), mix(g), mix(b)].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function normalize(c: string): string {
  const [r, g, b] = rgb(c);
  return `#${[r, g, b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

export function rgb(color: string): [number, number, number] {
  const c = color.trim();
  let m = /^#([0-9a-f]{3,8})$/i.exec(c);
  if (m) {
    let hex = m[1];
    if (hex.length === 3 || hex.length === 4) hex = [...hex.slice(0, 3)].map((x) => x + x).join('');
    return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return [128, 128, 128];
}
