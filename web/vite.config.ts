// Vite builds the app into dist/, which `roofline serve --web-root web/dist` serves at /. In development the dev
// server forwards /api to a running `roofline serve` (ROOFLINE_API, default the server's 127.0.0.1:8000).
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: './',
  server: {
    port: 5173,
    fs: { allow: ['..'] }, // the registry and golden files live in ../data
    proxy: { '/api': { target: process.env.ROOFLINE_API ?? 'http://127.0.0.1:8000', changeOrigin: false } },
  },
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 800 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
