// ESLint for the whole tree (`npm test` runs it as its own stage, `lint`):
// typescript-eslint's recommended rules, no unused code, and no import cycles
// (import-x/no-cycle over value and type imports alike, resolved the way
// TypeScript resolves them). The layer rules (what may import what) are in
// test/unit/architecture/ and in the per-target tsconfigs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'out/', '.cache/', 'test-results/', 'bench/.work/', 'demo-workspace/', 'code-server/', 'python/', '**/*.d.ts', '**/*.d.mts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'import-x': importX },
    languageOptions: { globals: { ...globals.node } },
    settings: {
      // Without these, import-x parses no .ts dependency and no-cycle silently finds nothing.
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Off: the parsers' tight loops use `(a = 1), (b = 2)` and `c ? x++ : y++` as statements on
      // purpose, which this rule cannot tell from a forgotten call; TypeScript already reports the
      // dangerous case, a comma operand without side effects (TS2695).
      '@typescript-eslint/no-unused-expressions': 'off',
      // Optional and native modules (tfjs backends, better-sqlite3 in tests) are loaded lazily with
      // require() on purpose, so a missing one is a clear error at use, not at load.
      '@typescript-eslint/no-require-imports': 'off',
      // It flags the initialiser of `let x = ''; try { x = … } catch {}`, which TypeScript's
      // definite-assignment analysis needs; reads before writes are TypeScript's to catch.
      'no-useless-assignment': 'off',
      // A `let` that a closure defined earlier reads (a cleanup set up before the thing it cleans) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // chart.js calls tick and tooltip callbacks with its own `this`; the view is kept as `view`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['view'] }],
    },
  },
  {
    // The protocol's message declarations use the namespace form of vscode-eslint and
    // rust-analyzer (`export namespace XRequest { method; type }`), as STYLE.md asks.
    files: ['src/protocol/**/*.ts'],
    rules: { '@typescript-eslint/no-namespace': 'off' },
  },
);
