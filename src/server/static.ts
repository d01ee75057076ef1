import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite names assets by content hash, so they never change under the same URL. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * `<repo>/dist/web`, where `vite build` writes the front end. The same relative path holds from
 * `src/server/` (run from source) and `dist/server/` (compiled), so one expression serves both.
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

/**
 * Loads the built front end into memory once: it is a few hundred KB, and a fixed map of URL → file
 * means no request path ever reaches the file system (no traversal to guard against).
 */
export function loadStatic(root: string): Map<string, StaticFile> | undefined {
  if (!existsSync(join(root, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = `/${relative(root, path).split(sep).join('/')}`;
        files.set(url, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: url.startsWith('/assets/'),
        });
      }
    }
  };
  walk(root);
  return files;
}

/** Shown when the front end was not built, so `runnel dashboard` still says what to do. */
export function notBuiltPage(root: string): StaticFile {
  const body = `<!doctype html><meta charset="utf-8"><title>runnel dashboard</title>
<body style="font:16px system-ui;background:#0d1117;color:#e6edf3;padding:3rem">
<h1>runnel dashboard</h1><p>The front end is not built (no index.html in ${escapeHtml(root)}).</p>
<p>Build it with <code>npx vite build</code> (or <code>npm run build</code>), then reload. The API is up at
<a style="color:#58a6ff" href="/api/overview">/api/overview</a>.</p></body>`;
  return { body: Buffer.from(body), type: TYPES['.html']!, immutable: false };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
