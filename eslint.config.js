// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers of src/, lowest first. A folder may import from its own layer and the ones before it,
 * never from one after it: core/ knows nothing of requests, the request path nothing of routers.
 * The folders beside the stack (redis, migrations, django, cli) and the composition root at the
 * top (createDurin.ts, types.ts, index.ts) are never imported from inside the stack.
 */
const LAYERS = ['config', 'models', 'core', 'subscriptions', 'request', 'throttle', 'router'];
const BESIDE = ['redis', 'migrations', 'django', 'cli', 'otel', 'client'];
const ROOT_FILES = ['createDurin', 'types', 'index'];
const upward = (names) => `^(\\.\\./)+(${names.join('|')})/`;
const layerRules = LAYERS.map((layer, index) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: upward([...LAYERS.slice(index + 1), ...BESIDE]),
            message: `src/${layer} sits below that folder: move the shared piece down instead.`,
          },
          { regex: `^(\\.\\./)+(${ROOT_FILES.join('|')})\\.js$`, message: 'The composition root imports the layers, never the reverse.' },
          ...(['config', 'models', 'core'].includes(layer)
            ? [{ regex: '^@trpc/', message: `src/${layer} is tRPC-free: tRPC belongs to the request path and above.` }]
            : []),
        ],
      },
    ],
  },
}));

/**
 * Lint: typescript-eslint's recommended rules everywhere, and the type-aware rules that catch
 * real defects in a server library (a promise nobody awaits, a type imported as a value).
 * Formatting is Prettier's job (.prettierrc.json), not ESLint's.
 */
export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'example-app/public/**',
      'examples/*/node_modules/**',
      'examples/*/dist/**',
      'bench/results.json',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'no-console': ['error', { allow: ['error', 'warn'] }],
      'max-params': ['error', 3],
      // Type imports count too: a type cycle is still two modules that cannot be read apart.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/errors.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.', message: 'errors.ts is a leaf: everything imports it.' }] }],
    },
  },
  ...layerRules,
  {
    // trpc-durin/client runs in browsers: nothing of the server side may come along with it.
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./', message: 'src/client imports only from src/client: it ships to browsers without the server side.' },
            {
              regex: '^(sequelize|sequelize-typescript|ioredis|zod|memoizee|proxy-addr|umzug|node:)',
              message: 'src/client has no server dependency.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
