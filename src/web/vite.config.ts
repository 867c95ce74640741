// Builds the console (src/web) into dist/web, which the management server serves from its own HTTPS
// origin (src/server/http/console.ts). No inline script or style ends up in the output, so the
// console runs under a strict content security policy.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Inlined assets would become data: URLs; keep every asset a file of its own.
    assetsInlineLimit: 0,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev:web`: the console with hot reload, the API proxied to a running `monban serve`.
    proxy: { '/api': { target: process.env.MONBAN_URL ?? 'https://127.0.0.1:8443', secure: false } },
  },
});
