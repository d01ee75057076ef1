import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ouraApp } from '../../src/apps/oura/index.ts';
import { ouraSample } from '../../src/apps/oura/sample.ts';
import { startDashboard } from '../../src/server/index.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { buildWeb, SHOTS } from './chromium.ts';
import { tempBroker } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';

/** The theme's band colours as the canvas paints them (src/web/charts/theme.ts: red, orange, green). */
const BAND_RGB: Record<string, [number, number, number]> = {
  red: [0xf8, 0x51, 0x49],
  orange: [0xf0, 0x88, 0x3e],
  green: [0x3f, 0xb9, 0x50],
  mark: [0xa3, 0x71, 0xf7], // purple: the anomaly marks
};

/** Pixels of each colour on a panel's chart canvas (exact match: bars and marks are drawn opaque). */
async function colourCounts(page: Page, panel: string): Promise<Record<string, number>> {
  return page.evaluate(
    ({ sel, rgb }) => {
      const c = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
      const out: Record<string, number> = Object.fromEntries(Object.keys(rgb).map((k) => [k, 0]));
      if (!c) return out;
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(c, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        for (const [name, [r, g, b]] of Object.entries(rgb)) {
          if (Math.abs(d[i]! - r) <= 2 && Math.abs(d[i + 1]! - g) <= 2 && Math.abs(d[i + 2]! - b) <= 2) out[name]!++;
        }
      }
      return out;
    },
    { sel: `[data-panel="${panel}"]`, rgb: BAND_RGB },
  );
}

let browser: Browser | undefined;
let env: Awaited<ReturnType<typeof tempBroker>>;
let dash: Awaited<ReturnType<typeof startDashboard>>;
let webRoot: string;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  mkdirSync(SHOTS, { recursive: true });
  webRoot = buildWeb();
  env = await tempBroker();
  // The real app through the real CLI, on the broker the dashboard reads: the generated sample, flat out.
  const run = await runCli([
    'run',
    'oura',
    '--rate',
    '0',
    '--sinks',
    'jsonl',
    '--broker',
    `local:${join(env.dir, 'broker.db')}`,
    '--data-dir',
    join(env.dir, 'data'),
    '--state-dir',
    join(env.dir, 'state'),
  ]);
  assert.equal(run.code, 0, run.stderr);
  dash = await startDashboard({ broker: env.broker, apps: [ouraApp], port: 0, webRoot, env: {} });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
});

after(async () => {
  // `RUNNEL_UPDATE_SCREENSHOTS=1` refreshes the README's image, as the other browser tests do.
  if (process.env.RUNNEL_UPDATE_SCREENSHOTS === '1' && existsSync(join(SHOTS, 'oura.png'))) {
    copyFileSync(join(SHOTS, 'oura.png'), join('docs', 'dashboard-oura.png'));
  }
  await browser?.close();
  await dash?.close();
  await env?.broker.close();
});

test('the oura page: bars in three band colours, the anomalies marked with their reason on hover, no console errors', async (t) => {
  if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(`${dash.url}#/apps/oura`);
  const sample = ouraSample();
  // The calories panel shows the last 90 days: the sample's last anomaly (2025-11-17) is among them.
  const calories = '[data-panel="calories"]';
  await page.waitForSelector(`${calories}[data-empty="false"][data-marks="1"]`, { timeout: 20_000 });
  await page.waitForTimeout(300);
  const counts = await colourCounts(page, 'calories');
  for (const band of ['red', 'orange', 'green', 'mark'])
    assert.ok(counts[band]! > 50, `${band}: ${JSON.stringify(counts)}`);
  assert.equal(await page.locator(calories).getAttribute('data-colors'), '#3fb950 #f0883e #f85149');
  // 90 slots although days are missing from the data: a gap is an empty slot, not a squeezed axis.
  assert.equal(await page.locator(calories).getAttribute('data-slots'), '90');
  const newest = Date.parse('2025-12-31T00:00:00Z');
  const missing = sample.missing.filter((d) => Date.parse(`${d}T00:00:00Z`) > newest - 90 * 86_400_000).length;
  assert.ok(missing > 0);
  assert.match(
    (await page.locator(`${calories} .summary`).textContent()) ?? '',
    new RegExp(`^${90 - missing} of 90 days`),
  );

  // Hovering the marked day shows why it was marked.
  const last = sample.anomalies[sample.anomalies.length - 1]!;
  const box = (await page.locator(`${calories} .u-over`).boundingBox())!;
  const days = 90;
  const slot = days - 1 - (newest - Date.parse(`${last}T00:00:00Z`)) / 86_400_000;
  await page.mouse.move(box.x + ((slot + 0.5) / days) * box.width, box.y + box.height / 2);
  const tip = page.locator(`${calories} .day-tip`);
  await tip.waitFor({ state: 'visible', timeout: 5000 });
  const text = (await tip.textContent()) ?? '';
  assert.match(text, new RegExp(last));
  assert.match(text, /high activity with low calories: \d+ kcal for [\d.]+ activity minutes/);
  await page.screenshot({ path: join(SHOTS, 'oura.png'), fullPage: true });

  // The score line over its days (the app's setting), and the weekly means; the score panel marks exactly
  // the anomalies and non-wear days of those days.
  await page.waitForSelector('[data-panel="score"][data-empty="false"]');
  await page.waitForSelector('[data-panel="weekly"][data-empty="false"]');
  const scoreDays = (ouraApp.panels.find((p) => p.id === 'score')!.options as { days: number }).days;
  const from = newest - (scoreDays - 1) * 86_400_000;
  const inWindow = [...sample.anomalies, ...sample.nonWear].filter((d) => Date.parse(`${d}T00:00:00Z`) >= from);
  assert.equal(await page.locator('[data-panel="score"]').getAttribute('data-marks'), String(inWindow.length));
  assert.equal(await page.locator('[data-panel="score"]').getAttribute('data-slots'), String(scoreDays));
  assert.match((await page.locator('[data-panel="calories"] .summary').textContent()) ?? '', /· 1 marked$/);
  // The anomalies table: its day column says when (no time-of-day column of midnights), a missing z is a dash.
  await page.waitForSelector('[data-panel="alerts"][data-empty="false"]');
  const heads = await page.locator('[data-panel="alerts"] th').evaluateAll((ths) => ths.map((th) => th.textContent));
  assert.deepEqual(heads, ['day', 'type', 'z', 'reason']);
  const cells = await page.locator('[data-panel="alerts"] td').allTextContents();
  assert.ok(cells.length > 0 && !cells.some((c) => c === 'null' || c === 'undefined'), cells.join(' | '));
  assert.deepEqual(errors, []);
});

test('the oura page has the replay controls of a running oura: Pause holds every day back, Resume goes on', async (t) => {
  if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
  // A live replay in another process on the same broker, four days a second.
  const cli = startCli([
    'run',
    'oura',
    '--speed',
    String(4 * 86_400),
    '--sinks',
    'jsonl',
    '--broker',
    `local:${join(env.dir, 'broker.db')}`,
    '--data-dir',
    join(env.dir, 'data-live'),
    '--state-dir',
    join(env.dir, 'state-live'),
  ]);
  let cliErr = '';
  cli.stderr!.on('data', (d: Buffer) => (cliErr += d));
  const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
  const produced = async () =>
    ((await env.broker.describeTopic('oura'))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${dash.url}#/apps/oura`);
    const controls = page.locator('[data-replay="oura"] .replay-controls');
    await controls.waitFor({ timeout: 30_000 });
    assert.match(
      (await controls.locator('.replay-note').textContent()) ?? '',
      /×345600 event time: 4 days of data a second/,
    );
    const before = await produced();
    await page.locator('[data-replay="oura"] button.replay-toggle').click();
    await page.locator('[data-replay="oura"] .replay-controls[data-paused="true"]').waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);
    const held = await produced();
    assert.ok(held > before - 1, cliErr);
    for (let i = 0; i < 15; i++) {
      await page.waitForTimeout(100);
      assert.equal(await produced(), held, `a day was produced ${(i + 1) * 100} ms into the pause`);
    }
    await page.locator('[data-replay="oura"] button.replay-toggle').click();
    await page.locator('[data-replay="oura"] .replay-controls[data-paused="false"]').waitFor({ timeout: 5000 });
    const deadline = Date.now() + 5000;
    while ((await produced()) === held && Date.now() < deadline) await page.waitForTimeout(100);
    assert.ok((await produced()) > held, 'nothing produced after Resume');
    assert.deepEqual(errors, []);
  } finally {
    cli.kill('SIGINT');
    assert.equal(await exited, 0, cliErr);
    await page.close();
  }
});
