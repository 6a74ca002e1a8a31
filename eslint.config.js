// Lint rules a reviewer relies on: type-aware, with dropped promises treated as errors
// (a floating promise in a proxy is a hung request).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // dist/: compiled from src/ (npm run build:client), linted there.
  { ignores: ['node_modules/**', 'coverage/**', 'bench/results/**', 'dist/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Benchmarks print their tables on stdout: that is their output, not logging.
    files: ['bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain JavaScript for Node, so it runs on the old Node it replaces.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    // The demo SPA and the examples are plain browser modules: these are the browser globals they use.
    files: ['demo/spa/**/*.js', 'examples/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'fetch',
          'navigator',
          'URL',
          'URLSearchParams',
          'setInterval',
          'clearInterval',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Host scripts the pages load before these modules: Office.js and TeamsJS v2.
    files: ['examples/office-addin/**/*.js'],
    languageOptions: { globals: { Office: 'readonly' } },
  },
  {
    files: ['examples/teams-tab/**/*.js'],
    languageOptions: { globals: { microsoftTeams: 'readonly' } },
  },
);
