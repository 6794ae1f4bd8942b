// Semantic checks of Tune Studio JSON files (*.tunejob.json,
// *.tunetrain.json) as diagnostics in the Problems panel. A checker returns
// problems addressed by JSON path ("parsers[2].regex"); this maps them onto
// the text with jsonc-parser so the squiggle sits on the offending value.
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import type { RuntimeContext } from './context';

export interface FileProblem {
  path: string;
  message: string;
  severity: 'error' | 'warning' | 'info';
}

export interface JsonFileChecker {
  /** e.g. /\.tunejob\.json$/i */
  pattern: RegExp;
  source: string;
  check(value: unknown, filePath: string): FileProblem[] | Promise<FileProblem[]>;
}

/** "parsers[2].regex" → ['parsers', 2, 'regex']; a JSON pointer "/lora/r" works too. */
export function splitJsonPath(p: string): Array<string | number> {
  if (p.startsWith('/')) return p.slice(1).split('/').map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  const out: Array<string | number> = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

export async function diagnose(doc: TextDocument, checker: JsonFileChecker, filePath: string): Promise<Diagnostic[]> {
  const text = doc.getText();
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const diags: Diagnostic[] = errors.map((e) => ({
    range: { start: doc.positionAt(e.offset), end: doc.positionAt(e.offset + Math.max(1, e.length)) },
    message: `JSON: ${printParseErrorCode(e.error)}`,
    severity: DiagnosticSeverity.Error,
    source: checker.source,
  }));
  if (!root || errors.length) return diags;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSONC (comments, trailing commas): evaluate from the tree.
    value = evaluate(root);
  }
  let problems: FileProblem[];
  try {
    problems = await checker.check(value, filePath);
  } catch (e) {
    problems = [{ path: '', message: `could not check this file: ${(e as Error).message}`, severity: 'warning' }];
  }
  for (const p of problems) {
    const segs = splitJsonPath(p.path);
    let node: Node | undefined = segs.length ? findNodeAtLocation(root, segs) : undefined;
    // Unknown keys and missing values: point at the nearest existing parent (or its key).
    for (let n = segs.length - 1; !node && n >= 0; n--) node = findNodeAtLocation(root, segs.slice(0, n));
    const target = node?.parent?.type === 'property' && !p.path ? node.parent : node;
    const start = target ? target.offset : 0;
    const length = target ? (target.type === 'object' || target.type === 'array' ? 1 : target.length) : 1;
    diags.push({
      range: { start: doc.positionAt(start), end: doc.positionAt(start + length) },
      message: p.message,
      severity: p.severity === 'error' ? DiagnosticSeverity.Error : p.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: checker.source,
    });
  }
  return diags;
}

function evaluate(n: Node): unknown {
  switch (n.type) {
    case 'object':
      return Object.fromEntries((n.children ?? []).map((p) => [p.children![0].value as string, p.children![1] ? evaluate(p.children![1]) : null]));
    case 'array':
      return (n.children ?? []).map(evaluate);
    default:
      return n.value;
  }
}

/** Checks matching open documents on open/change/save and clears diagnostics on close. */
export function registerJsonChecker(ctx: RuntimeContext, checker: JsonFileChecker): void {
  const pending = new Map<string, NodeJS.Timeout>();
  const run = (doc: TextDocument) => {
    let file: string;
    try {
      file = fileURLToPath(doc.uri);
    } catch {
      return;
    }
    if (!checker.pattern.test(path.basename(file))) return;
    clearTimeout(pending.get(doc.uri));
    pending.set(
      doc.uri,
      setTimeout(() => {
        pending.delete(doc.uri);
        void diagnose(doc, checker, file).then(
          (diagnostics) => ctx.connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics }),
          (e) => ctx.log.warn(`checking ${file} failed`, e),
        );
      }, 150),
    );
  };
  ctx.documents.onDidOpen((e) => run(e.document));
  ctx.documents.onDidChangeContent((e) => run(e.document));
  ctx.documents.onDidSave((e) => run(e.document));
  ctx.documents.onDidClose((e) => {
    if (checker.pattern.test(e.document.uri)) void ctx.connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
}
