import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser viewer. `simbridge up` builds it on first run (src/up/viewerBuild.ts) into
// dist/viewer; `npx vite build --config src/viewer/vite.config.ts` does the same by hand.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the build works under any path prefix.
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/viewer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // three.js alone is ~700 kB; one chunk loads fastest from localhost.
    chunkSizeWarningLimit: 2000,
  },
});
