// Number tokens as trainers print them: Python's float repr (5e-05, nan, inf,
// -inf), tqdm's compact form (1.2e-5), and the JSON-ish NaN/Infinity. Shared by
// the Hugging Face, regex and preset parsers so they agree on what a number is.

const NUMBER_RE = /^[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?$/;

/** Parses one number token; undefined when the token is not a number. */
export function parseNumberToken(token: string): number | undefined {
  const s = token.trim();
  if (s.length === 0 || s.length > 64) return undefined;
  if (NUMBER_RE.test(s)) {
    const v = Number(s.includes('_') ? s.replace(/_/g, '') : s);
    return Number.isNaN(v) ? undefined : v;
  }
  switch (s.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

/** Shortens a line for an event or an error message (a malformed 4 MiB line is not worth repeating whole). */
export function clipLine(line: string, max = 500): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} characters)`;
}
