// Stands in for native modules (better-sqlite3, onnxruntime-node, tfjs-node,
// transformers.js, sharp) in tsconfig.extension.json (its "paths" map them
// here). It is deliberately not a module, so an import of one in the
// extension, or in runtime code the extension imports, fails to compile with
// "File '…/native-modules-only-in-the-runtime.d.ts' is not a module": the
// extension host never loads native code (DESIGN.md §1); it asks the runtime.
declare const nativeModulesAreOnlyAvailableInTheRuntime: never;
