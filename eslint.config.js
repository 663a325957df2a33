// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * typescript-eslint's recommended rules with type information (the compiler's own program, read
 * through tsconfig.json), over everything tsconfig.json compiles. Formatting is Prettier's
 * (.prettierrc): no stylistic rule is turned on here.
 */
export default defineConfig(
  globalIgnores(['node_modules/', 'cdk.out/', '.data/', 'coverage/', 'docs/']),
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_` marks a parameter or binding kept on purpose (a handler's unused event, a destructured-away field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `async` is how a handler or a port says it answers a Promise; a body with nothing to await is no bug.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Migrations are frozen in time and typed `Kysely<any>` on purpose: they must not import today's table types.
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests (and the soak benchmark, a test under load) read untyped JSON (HTTP answers, CloudFormation templates,
    // problem bodies) and check its shape with expect() or by its status: typing every body first would only restate it.
    files: ['test/**/*.ts', 'bench/soak.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The few CommonJS and config files: plain JavaScript rules, no type information.
    files: ['**/*.{js,cjs,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' } },
  },
);
