// Vite builds the web UI into ui/dist, which tauri.conf.json embeds (`frontendDist`).
// Vitest runs the unit tests in a DOM (happy-dom) against the in-memory IPC.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Relative asset URLs work under both tauri://localhost and the dev server.
  base: './',
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15',
    // Inline assets would need `data:` in the CSP; keep everything as files.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.ts'],
    testTimeout: 5000,
  },
});
