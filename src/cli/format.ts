// Human output for the CLI: tables that fit 100 columns (long names are
// shortened with an ellipsis), numbers and durations in a readable form.
export const MAX_WIDTH = 100;

export function shorten(s: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width === 1) return '…';
  return chars.slice(0, width - 1).join('') + '…';
}

export interface Column {
  title: string;
  /** Columns that may shrink when the table is too wide (widest first). */
  flex?: boolean;
  align?: 'left' | 'right';
  min?: number;
}

export function table(columns: Column[], rows: string[][], maxWidth = MAX_WIDTH): string {
  const gap = 2;
  const widths = columns.map((c, i) => Math.max([...c.title].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    columns.forEach((c, i) => {
      if (c.flex && widths[i] > (c.min ?? 6) && (widest < 0 || widths[i] > widths[widest])) widest = i;
    });
    if (widest < 0) break;
    widths[widest]--;
  }
  const fmt = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const s = shorten(cell ?? '', widths[i]);
        const pad = ' '.repeat(Math.max(0, widths[i] - [...s].length));
        return columns[i].align === 'right' ? pad + s : i === cells.length - 1 ? s : s + pad;
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return [fmt(columns.map((c) => c.title)), ...rows.map(fmt)].join('\n');
}

export function num(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function when(iso: string | null): string {
  if (!iso) return '–';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(s / 3600);
  return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function durationOf(created: string, ended: string | null, status: string): number | null {
  const end = ended ? Date.parse(ended) : status === 'running' ? Date.now() : null;
  return end === null ? null : (end - Date.parse(created)) / 1000;
}
