// Lint rules for the whole monorepo. Type-aware rules catch floating promises; the
// import rules keep layers honest (see docs/ARCHITECTURE.md).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      '**/data/**',
      'bench/results/**',
      '.tmp/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/ignore': ['node_modules'] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-console': 'error',
    },
  },
  {
    // The pure core: no adapters, no environment, no wall clock.
    files: ['packages/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'hono',
            'hono/*',
            'better-sqlite3',
            'pg',
            '@electric-sql/*',
            'nodemailer',
            'node:*',
            'pino',
            '@clinic/*',
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a Clock.' },
      ],
    },
  },
  {
    // Application services: the domain and their own port only; no framework, no adapter.
    files: ['packages/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'hono',
            'hono/*',
            'better-sqlite3',
            'pg',
            '@electric-sql/*',
            'nodemailer',
            'pino',
            '@clinic/api',
            '@clinic/store-*',
            '@clinic/server',
            '@clinic/auth',
          ],
        },
      ],
    },
  },
  {
    // The HTTP API talks to ports, never to a concrete database or to the apps.
    files: ['packages/api/**/*.ts', 'packages/auth/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'better-sqlite3',
            'pg',
            '@electric-sql/*',
            '@clinic/store-*',
            '@clinic/server',
            '@clinic/edge',
            '@clinic/central',
            '@clinic/cli',
          ],
        },
      ],
    },
  },
  {
    // Storage adapters implement the port; they know nothing of HTTP or the apps.
    files: ['packages/store-*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'hono',
            'hono/*',
            '@clinic/sync',
            '@clinic/api',
            '@clinic/server',
            '@clinic/auth',
            '@clinic/edge',
            '@clinic/central',
            '@clinic/cli',
          ],
        },
      ],
    },
  },
  {
    // Sync speaks to ports (its own and core's); adapters implement them, apps wire them.
    files: ['sync/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'better-sqlite3',
            'pg',
            '@electric-sql/pglite',
            '@clinic/store-*',
            '@clinic/api',
            '@clinic/server',
            '@clinic/edge',
            '@clinic/central',
            '@clinic/cli',
          ],
        },
      ],
    },
  },
  {
    // Configuration is parsed once, in the CLI; nothing else reads the environment.
    files: ['packages/**/*.ts', 'sync/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Parse config in apps/cli/src/config.ts.' },
      ],
    },
  },
  {
    // Tests, benchmarks and the CLI talk to a terminal.
    files: [
      'tests/**/*.ts',
      'bench/**/*.ts',
      'apps/cli/**/*.ts',
      'scripts/**/*.ts',
      '**/*.test.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    // The web UI knows the API only by HTTP: of the workspace only the pure domain (its
    // enumerations), no service, no adapter.
    files: ['packages/web/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '@clinic/*',
            '!@clinic/domain',
            'better-sqlite3',
            'pg',
            '@electric-sql/*',
            'nodemailer',
          ],
        },
      ],
    },
  },
  {
    // The browser client: DOM globals, and only its own modules (it talks to the API by HTTP).
    files: ['packages/web/src/client/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'node:*',
            '@clinic/*',
            '!@clinic/domain',
            'hono',
            'hono/*',
            'better-sqlite3',
            'pg',
            '@electric-sql/*',
            'nodemailer',
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
  },
);
