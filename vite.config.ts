import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard front end: src/web → dist/web, which the server in src/server serves as static files.
// Build: `npx vite build` (part of `npm run build`, so `npm install` builds it through `prepare`).
export default defineConfig({
  root: fileURLToPath(new URL('./src/web', import.meta.url)),
  base: '/',
  publicDir: 'public',
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The page loads once per visit; a single chunk keeps it to two requests (JS + CSS).
    chunkSizeWarningLimit: 300,
  },
  server: { host: '127.0.0.1' },
  plugins: [
    {
      // Vite only warns and puts an empty shim in place of a Node built-in, which then fails in the
      // browser at the first call. A browser module that reaches one is a build error instead.
      name: 'runnel:no-node-builtins',
      enforce: 'pre',
      resolveId(id, importer) {
        if (id.startsWith('node:')) this.error(`${importer ?? '?'} imports ${id}: browser code cannot use Node built-ins`);
        return null;
      },
    },
  ],
});
