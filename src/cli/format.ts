// Human output for the CLI: tables that fit 100 columns (long names are
// shortened with an ellipsis), numbers and durations in the protocol's one
// readable form (src/protocol/format.ts, shared with the editor's views).
import { fmtDuration, fmtNum, type JsonNumberLike } from '../protocol/format';

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

/** A value in a table cell: the protocol's one number format, '–' for none. */
export function num(v: JsonNumberLike): string {
  return fmtNum(v, '–');
}

export function when(iso: string | null): string {
  if (!iso) return '–';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A duration in a table cell: the protocol's one duration format, '–' for none. */
export function duration(seconds: number | null): string {
  return fmtDuration(seconds) || '–';
}

export function durationOf(created: string, ended: string | null, status: string): number | null {
  const end = ended ? Date.parse(ended) : status === 'running' ? Date.now() : null;
  return end === null ? null : (end - Date.parse(created)) / 1000;
}
