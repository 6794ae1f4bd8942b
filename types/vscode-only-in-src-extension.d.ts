// Stands in for the `vscode` module in every tsconfig but the extension's
// (their "paths" map `vscode` here). It is deliberately not a module, so
// `import … from 'vscode'` outside src/extension/ fails to compile with
// "File '…/vscode-only-in-src-extension.d.ts' is not a module": only the
// extension host has the editor API; other code talks to it through
// src/protocol/.
declare const vscodeIsOnlyAvailableInSrcExtension: never;
