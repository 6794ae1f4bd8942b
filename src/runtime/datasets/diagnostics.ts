// Turns a validation report into language-server diagnostics, one
// publication per file, and clears files whose problems are gone.
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver/node';
import type { DatasetProblem, Severity, ValidationReport } from '../../protocol/datasets';

const SEVERITY: Record<Severity, 1 | 2 | 3> = { error: 1, warning: 2, info: 3 };

export type PublishFn = (uri: string, diagnostics: Diagnostic[]) => void;

export function toDiagnostic(p: DatasetProblem): Diagnostic {
  const r = p.range ?? { line: 0, character: 0, endLine: 0, endCharacter: 0 };
  const d: Diagnostic = {
    range: { start: { line: r.line, character: r.character }, end: { line: r.endLine, character: r.endCharacter } },
    severity: SEVERITY[p.severity],
    code: p.code,
    source: 'Tune Studio',
    message: p.message,
  };
  if (p.related) {
    d.relatedInformation = [
      { location: { uri: pathToFileURL(p.related).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }, message: 'same content' },
    ];
  }
  return d;
}

/** Remembers what it published per dataset so a fixed problem disappears from the Problems panel. */
export class DatasetDiagnostics {
  private readonly published = new Map<string, Set<string>>();

  constructor(private readonly send: PublishFn) {}

  publish(report: ValidationReport): void {
    const byUri = new Map<string, Diagnostic[]>();
    for (const p of report.problems) {
      const uri = pathToFileURL(p.file).href;
      byUri.set(uri, [...(byUri.get(uri) ?? []), toDiagnostic(p)]);
    }
    const before = this.published.get(report.dir) ?? new Set<string>();
    for (const uri of before) if (!byUri.has(uri)) this.send(uri, []);
    for (const [uri, list] of byUri) this.send(uri, list);
    this.published.set(report.dir, new Set(byUri.keys()));
  }

  clear(dir: string): void {
    for (const uri of this.published.get(dir) ?? []) this.send(uri, []);
    this.published.delete(dir);
  }
}
