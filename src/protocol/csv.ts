// CSV field escaping (RFC 4180), the one escaper of every CSV export (the
// CLI's `tunestudio export`, the dashboard's Export CSV). Pure: no imports.

/** A field as CSV writes it: quoted (quotes doubled) when it holds a quote, comma, CR or LF. */
export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
