// Number, duration and time formats: one behaviour for every face (CLI
// tables, tree views, status bar, webviews). Pure: no DOM, no node imports.

export type JsonNumberLike = number | 'NaN' | 'Infinity' | '-Infinity' | null | undefined;

/** Short, readable number: integers below 1e9 exact, else 4 significant digits with an exponent for very small or large values; `missing` for none. */
export function fmtNum(v: JsonNumberLike, missing = '—'): string {
  if (v === null || v === undefined) return missing;
  if (typeof v === 'string') return v === 'Infinity' ? '+Inf' : v === '-Infinity' ? '-Inf' : 'NaN';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  // Counts and steps stay exact (a CLI table or tooltip must not round 1234567 steps).
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

/** 3d 4h, 2h 05m, 4m 07s, 12s. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Seconds between two ISO times (end: now when missing). */
export function secondsBetween(startIso: string, endIso: string | null | undefined, now = Date.now()): number | null {
  const a = Date.parse(startIso);
  const b = endIso ? Date.parse(endIso) : now;
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return Math.max(0, (b - a) / 1000);
}

/** Relative time axis label: 0:42, 12:05, 1:02:03. */
export function fmtClock(seconds: number): string {
  const neg = seconds < 0;
  let s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body = h ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
  return neg ? `-${body}` : body;
}

/** Relative time axis label with the precision the axis span needs: 12:05, 4.5s, 301ms. */
export function fmtSeconds(x: number, span: number): string {
  if (!(span < 30)) return fmtClock(x);
  if (span >= 1) return `${Number(x.toFixed(span < 3 ? 2 : 1))}s`;
  const ms = span * 1000;
  return `${(x * 1000).toFixed(ms >= 5 ? 0 : ms >= 0.5 ? 1 : 2)}ms`;
}

/** Wall time axis label (seconds since the epoch) in local time. */
export function fmtWall(seconds: number, withDate = false, withMs = false): string {
  const d = new Date(seconds * 1000);
  const ms = withMs ? `.${String(d.getMilliseconds()).padStart(3, '0')}` : '';
  const t = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}${ms}`;
  return withDate ? `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${t}` : t;
}
