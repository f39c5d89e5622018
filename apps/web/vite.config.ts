import { defineConfig } from 'vite';

// The page is served by the controller from dist/ (same origin as the API); `npm run dev` proxies
// the API (and the exec and log sockets) to a controller on 127.0.0.1:7070.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:7070', ws: true } } },
});
