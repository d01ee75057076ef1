/**
 * The stopcovid page in Chromium, fed by a live `runnel run stopcovid` in another process: the map draws,
 * changes as ticks arrive, and ends showing each status as often as a brute-force simulation of the same
 * seed says; the status counts and the speed follow; no console errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { stopcovidApp } from '../../src/apps/stopcovid/index.ts';
import { startDashboard } from '../../src/server/index.ts';
import { startCli } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { reference } from '../helpers/stopcovid-reference.ts';
import { buildWeb, CHROMIUM, canvasInfo, captureConsole, launchChromium } from './chromium.ts';
import { tempBroker } from './fixtures.ts';

const SIM = { people: 1500, width: 60, height: 40, seed: 21, radius: 0 };
const TICKS = 25;
const ENV = { STOPCOVID_PEOPLE: String(SIM.people), STOPCOVID_GRID: `${SIM.width}x${SIM.height}` };

let browser: Browser | undefined;
let env: Awaited<ReturnType<typeof tempBroker>>;
let dash: Awaited<ReturnType<typeof startDashboard>>;
let webRoot: string;

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  mkdirSync(join('test-results', 'screenshots'), { recursive: true });
  webRoot = buildWeb();
  env = await tempBroker();
  dash = await startDashboard({ broker: env.broker, apps: [stopcovidApp], port: 0, webRoot, env: ENV });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await dash?.close();
  await env?.broker.close();
});

test('the stopcovid page: the map draws and changes as ticks arrive, ends equal to the reference, no console errors', {
  timeout: 180_000,
}, async (t) => {
  if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1400 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  captureConsole(page, errors);
  await page.goto(`${dash.url}#/apps/stopcovid`);
  await page.waitForSelector('[data-panel="map"]');
  const cli = startCli(
    [
      'run',
      'stopcovid',
      ...['--people', String(SIM.people), '--grid', `${SIM.width}x${SIM.height}`, '--seed', String(SIM.seed)],
      ...['--ticks', String(TICKS), '--tick-rate', '3', '--sinks', 'jsonl'],
      ...['--broker', `local:${join(env.dir, 'broker.db')}`, '--data-dir', join(env.dir, 'data')],
    ],
    { env: {} },
  );
  let cliErr = '';
  cli.stderr!.on('data', (d: Buffer) => (cliErr += d));
  const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
  try {
    const map = page.locator('[data-panel="map"]');
    await page.waitForSelector('[data-panel="map"][data-empty="false"]', { timeout: 60_000 });
    const first = Number(await map.getAttribute('data-newest'));
    const before = await canvasInfo(page, 'map');
    // Later ticks redraw a different picture.
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-panel="map"]')?.getAttribute('data-newest')) >= n + 2,
      first,
      { timeout: 60_000 },
    );
    assert.notEqual((await canvasInfo(page, 'map')).hash, before.hash, 'the map changed as ticks arrived');
    assert.equal(await map.getAttribute('data-mode'), 'points');
    // Ticks per second, while the ticks come (3 a second): a number above 0.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-panel="speed"]')?.getAttribute('data-rate')) > 0,
      undefined,
      {
        timeout: 10_000,
      },
    );
    assert.equal(await exited, 0, cliErr);
    // The last tick on the map: each status as often as the reference has it.
    await page.waitForFunction(
      (last) => Number(document.querySelector('[data-panel="map"]')?.getAttribute('data-newest')) === last,
      TICKS - 1,
      { timeout: 30_000 },
    );
    const want = reference(SIM, TICKS);
    const counts = [0, 1, 2].map((s) => [...want.status.values()].filter((v) => v === s).length);
    await page.waitForFunction(
      (c) => document.querySelector('[data-panel="map"]')?.getAttribute('data-groups') === c,
      counts.join(' '),
      { timeout: 10_000 },
    );
    assert.equal(await map.getAttribute('data-count'), String(SIM.people));
    // Every tick's rows of the people table, counted by status: the stacked area has all of them.
    await page.waitForFunction(
      (n) => document.querySelector('[data-panel="statuses"]')?.getAttribute('data-ticks') === String(n),
      TICKS,
      { timeout: 10_000 },
    );
    const totals = (await page.locator('[data-panel="statuses"]').getAttribute('data-totals'))!.split(' ').map(Number);
    assert.equal(
      totals.reduce((a, b) => a + b, 0),
      SIM.people * TICKS,
    );
    // Contacts and new notifications per tick, added up over the run: the reference's.
    await page.waitForFunction(
      (n) => document.querySelector('[data-panel="contacts"]')?.getAttribute('data-ticks') === String(n),
      TICKS,
      { timeout: 10_000 },
    );
    const contacts = (await page.locator('[data-panel="contacts"]').getAttribute('data-totals'))!
      .split(' ')
      .map(Number);
    const ref = reference(SIM, TICKS);
    assert.deepEqual(contacts, [
      ref.perTick.reduce((n, x) => n + x.contacts, 0),
      ref.perTick.reduce((n, x) => n + x.notifications, 0),
    ]);
    assert.ok(ref.notifications.length > 0);
    // Its legend says which colour is which, with the last tick's counts (two lines of no name before).
    const keys = await page
      .locator('[data-panel="contacts"] .lines-key')
      .evaluateAll((els) => els.map((e) => [e.textContent, getComputedStyle(e.firstElementChild!).backgroundColor]));
    const lastTick = ref.perTick.at(-1)!;
    assert.deepEqual(
      keys.map(([text]) => text),
      [
        `contacts: ${lastTick.contacts.toLocaleString('en-US')}`,
        `new notifications: ${lastTick.notifications.toLocaleString('en-US')}`,
      ],
    );
    assert.notEqual(keys[0]![1], keys[1]![1], 'two colours');
    assert.equal(await page.locator('[data-panel="speed"]').getAttribute('data-tick'), String(TICKS - 1));
    await page.waitForSelector('[data-panel="speed"][data-lag="0"]', { timeout: 10_000 });
    assert.ok(
      (await page.locator('[data-panel="notifications"] tbody tr').count()) > 0,
      'the feed shows notifications',
    );
    await page.screenshot({ path: join('test-results', 'screenshots', 'stopcovid.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    if (cli.exitCode === null) cli.kill('SIGINT');
    await page.close();
  }
});

test('the stopcovid map above its point limit: a heatmap per status, downsampled on the server, that adds up to the reference', {
  timeout: 60_000,
}, async (t) => {
  if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
  // The same broker (the run above), a page whose limit is below the population.
  const heat = await startDashboard({
    broker: env.broker,
    apps: [stopcovidApp],
    port: 0,
    webRoot,
    env: { ...ENV, STOPCOVID_MAP_POINTS: '500' },
  });
  const page = await browser!.newPage({ viewport: { width: 1440, height: 1400 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  captureConsole(page, errors);
  try {
    await page.goto(`${heat.url}#/apps/stopcovid`);
    const want = reference(SIM, TICKS);
    const counts = [0, 1, 2].map((s) => [...want.status.values()].filter((v) => v === s).length);
    await page.waitForFunction(
      (c) => {
        const el = document.querySelector('[data-panel="map"]');
        return el?.getAttribute('data-mode') === 'density' && el.getAttribute('data-groups') === c;
      },
      counts.join(' '),
      { timeout: 30_000 },
    );
    // data-groups is what the renderer summed over the cells it drew.
    await page.screenshot({ path: join('test-results', 'screenshots', 'stopcovid-heatmap.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
    await heat.close();
  }
});
