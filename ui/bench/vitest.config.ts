// `npm run bench`: the figures in bench/*.bench.ts, in the same DOM as the unit tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'happy-dom',
    include: ['bench/**/*.bench.ts'],
    testTimeout: 120_000,
  },
});
