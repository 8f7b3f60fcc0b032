// ESLint for the window's TypeScript: the recommended rules of ESLint and typescript-eslint.
// Formatting is Prettier's (.prettierrc.json), not ESLint's. `npm test` runs both.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/', 'node_modules/', 'src/ipc/generated.ts'] }, js.configs.recommended, ...tseslint.configs.recommended, {
  rules: {
    // `void promise` marks a call whose result is handled elsewhere (events, notices).
    'no-void': 'off',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
  },
});
