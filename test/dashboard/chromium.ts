/**
 * Debian's Chromium, launched for the browser tests: headless, no sandbox (root), and none of the
 * background requests this closed network would refuse. One place for the flags, the console capture, the
 * front end's build and the canvas readback.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Where the browser tests put their screenshots, to be looked at (and some copied into docs/). */
export const SHOTS = join(process.cwd(), 'test-results', 'screenshots');

/** The whole page as `<name>.png` in SHOTS (which the suite's before() makes). */
export function shoot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** Collects the page's console errors and warnings and uncaught errors into `into`. */
export function captureConsole(page: Page, into: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') into.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => into.push(`pageerror: ${e.message}`));
}

/** The front end built from the current sources into a temp folder, so the test never sees a stale dist/. */
export function buildWeb(): string {
  const out = mkdtempSync(join(tmpdir(), 'runnel-web-'));
  execFileSync(
    process.execPath,
    [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'],
    { stdio: 'inherit' },
  );
  return out;
}

/** Collects every request the page makes to anywhere but `origin` (the dashboard makes none). */
export function captureForeignRequests(page: Page, origin: string, into: string[]): void {
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) into.push(r.url());
  });
}

/** How many pixels of a panel's chart canvas are painted, and a fingerprint to see it change. */
export async function canvasInfo(page: Page, panel: string): Promise<{ painted: number; hash: string }> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
    if (!c) return { painted: 0, hash: '' };
    // Read through a fresh copy: repeated readbacks of the chart's own canvas make Chrome warn.
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    let h = 0;
    for (let i = 3; i < d.length; i += 4) {
      if (d[i]) painted++;
      h = (h * 31 + d[i - 1]! + d[i - 2]! * 7 + d[i]!) | 0;
    }
    return { painted, hash: String(h) };
  }, `[data-panel="${panel}"]`);
}
