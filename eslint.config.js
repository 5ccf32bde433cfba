// ESLint flat config. TypeScript files get typescript-eslint's type-checked rules; plain .js/.mjs files
// (bin/, scripts/*.mjs, this file) get ESLint's recommended rules, without type information.
import { fileURLToPath } from 'node:url';

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('.', import.meta.url));

const typedFiles = ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'vitest.config.ts'];
const plainFiles = ['**/*.js', '**/*.mjs', '**/*.cjs'];

// Node's globals as this very process sees them (process, console, URL, fetch, setTimeout…),
// for the plain JS files that `no-undef` checks.
const nodeGlobals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly']));

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', '.tmp/', 'test-results/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      // Which files import-x reads to follow imports (no-cycle needs the .ts ones parsed).
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      // `./x.js` in an import resolves to `./x.ts` through the TypeScript resolver.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}tsconfig.json` })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
    },
  },
  {
    files: typedFiles,
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Ports are async; an implementation backed by a synchronous library (better-sqlite3) is fine.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: plainFiles,
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: nodeGlobals },
    rules: {
      'no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The domain is pure: it imports nothing outside src/domain/, no package but zod, no node: builtin.
    files: ['src/domain/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: './src/domain',
              from: '.',
              except: ['./src/domain', './node_modules'],
              message: 'src/domain/ imports nothing outside src/domain/.',
            },
          ],
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!(?:zod(?:/.*)?|\\.{1,2}(?:/.*)?)$)',
              message:
                'src/domain/ is pure: it may import only zod and other files of src/domain/ (no node: builtins).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // `expect(spy.method)` and mocks are the usual way to write a test, not a bug.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
