import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDashboard } from '../../src/server/index.ts';
import { needService } from '../helpers/services.ts';
import { buildWeb, CHROMIUM, canvasInfo, captureConsole, launchChromium, SHOTS, shoot } from './chromium.ts';
import { buzzApp, runTestApps, smokerApp, tempBroker } from './fixtures.ts';

const apps = [buzzApp, smokerApp];

async function waitForChange(page: Page, panel: string, before: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await canvasInfo(page, panel)).hash !== before) return;
    await page.waitForTimeout(250);
  }
  assert.fail(`panel ${panel} did not change within ${timeoutMs} ms`);
}

describe('dashboard in a real browser', { timeout: 180_000 }, () => {
  let browser: Browser | undefined;
  let env: Awaited<ReturnType<typeof tempBroker>>;
  let running: ReturnType<typeof runTestApps>;
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  let page: Page;
  let webRoot: string;
  const errors: string[] = [];
  const shot = (name: string) => shoot(page, name);

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    mkdirSync(SHOTS, { recursive: true });
    webRoot = buildWeb();
    env = await tempBroker();
    running = runTestApps(env.broker, env.dir, { buzzRate: 25, smokerPerSecond: 6 });
    dash = await startDashboard({ broker: env.broker, apps, port: 0, webRoot });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    captureConsole(page, errors);
  });
  after(async () => {
    // `RUNNEL_UPDATE_SCREENSHOTS=1 node --test test/dashboard/browser.test.ts` refreshes the README images.
    if (process.env.RUNNEL_UPDATE_SCREENSHOTS === '1' && existsSync(join(SHOTS, 'buzz.png'))) {
      copyFileSync(join(SHOTS, 'buzz.png'), join('docs', 'dashboard.png'));
      copyFileSync(join(SHOTS, 'overview.png'), join('docs', 'dashboard-overview.png'));
      copyFileSync(join(SHOTS, 'smoker-stall.png'), join('docs', 'dashboard-smoker.png'));
    }
    await browser?.close();
    await dash?.close();
    await running?.stop();
    await env?.broker.close();
  });

  test('overview lists the running apps with their components and topics', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.goto(dash.url);
    await page.waitForSelector('.app-card[data-app="buzz"][data-running="true"]', { timeout: 20_000 });
    await page.waitForSelector('.app-card[data-app="smoker"][data-running="true"]', { timeout: 20_000 });
    assert.equal(
      await page.locator('.app-card[data-app="buzz"] tr[data-component="sink/test-archive"] .pill').textContent(),
      'ok',
    );
    assert.ok(await page.locator('tr[data-topic="buzz"]').isVisible());
    // A stateful processor shows its event-time progress: the watermark it has reached, as a date.
    await page.waitForFunction(
      () => {
        const el = document.querySelector(
          '.app-card[data-app="buzz"] tr[data-component^="processor/"] [data-watermark]',
        );
        const at = Number(el?.getAttribute('data-watermark'));
        return at > Date.parse('2020-01-01') && /^watermark \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(el?.textContent ?? '');
      },
      undefined,
      { timeout: 15_000 },
    );
    // The smoker source's malformed row (minute 12) shows as one dead letter on its topic.
    await page.waitForFunction(
      () => document.querySelector('tr[data-topic="smoker"] td:last-child')?.textContent === '1',
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForTimeout(2500); // a few seconds of throughput for the chart
    await shot('overview');
  });

  test('overview with many topics: the busiest 8 on the chart, its legend inside the panel', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    // A shared cluster has dozens of topics: their legend used to spill over the apps below the chart.
    for (let i = 0; i < 14; i++) await env.broker.produce(`other.topic.${i}`, [{ value: { i } }]);
    await page.goto(dash.url);
    await page.waitForFunction(
      () =>
        /the 8 busiest of \d+ topics/.test(document.querySelector('.overview .panel.wide .summary')?.textContent ?? ''),
      undefined,
      { timeout: 15_000 },
    );
    const panel = (await page.locator('.overview .panel.wide').boundingBox())!;
    const legend = (await page.locator('.overview .panel.wide .u-legend').boundingBox())!;
    assert.ok(
      legend.y + legend.height <= panel.y + panel.height,
      `legend ends at ${legend.y + legend.height}, panel at ${panel.y + panel.height}`,
    );
    assert.ok(await page.locator('.overview .panel.wide .u-legend').getByText('buzz', { exact: true }).isVisible());
  });

  test('buzz: every panel draws, then changes as records arrive', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.goto(`${dash.url}#/apps/buzz`);
    for (const p of buzzApp.panels) {
      await page.waitForSelector(`[data-panel="${p.id}"][data-empty="false"] canvas`, { timeout: 15_000 });
      const info = await canvasInfo(page, p.id);
      assert.ok(info.painted > 5000, `${p.id} painted ${info.painted} pixels`);
    }
    const flowText = await page.locator('[data-panel="flow"] .summary').textContent();
    assert.match(flowText ?? '', /Total \d/);
    const before = Object.fromEntries(
      await Promise.all(['flow', 'authors', 'length'].map(async (id) => [id, (await canvasInfo(page, id)).hash])),
    );
    for (const id of ['flow', 'authors', 'length']) await waitForChange(page, id, before[id]!);
    assert.notEqual(await page.locator('[data-panel="flow"] .summary').textContent(), flowText);
    await page.waitForTimeout(1000);
    await shot('buzz');
  });

  test('smoker: the temperature line draws and a stall raises the banner, which clears when it ends', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    running.smokerControl.stall = true;
    await page.goto(`${dash.url}#/apps/smoker`);
    await page.waitForSelector('[data-panel="temperature"][data-empty="false"] canvas', { timeout: 15_000 });
    await page.waitForSelector('[data-panel="stall"][data-active="true"]', { timeout: 30_000 });
    assert.match((await page.locator('[data-panel="stall"] .alert-headline').textContent()) ?? '', /Stall detected/);
    assert.match(
      (await page.locator('[data-panel="temperature"] .summary').textContent()) ?? '',
      /1 event \(1 ongoing\)/,
    );
    await page.waitForTimeout(1500);
    await shot('smoker-stall');
    const during = (await canvasInfo(page, 'temperature')).hash;
    running.smokerControl.stall = false;
    await page.waitForSelector('[data-panel="stall"][data-active="false"]', { timeout: 30_000 });
    await waitForChange(page, 'temperature', during);
    await page.waitForTimeout(2500);
    await shot('smoker');
  });

  test('topic browser: a dead-letter record with its reason and raw payload; filtering a live topic', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.goto(`${dash.url}#/topics/smoker.dlq`);
    const row = page.locator('.records-table tbody tr').first();
    await row.waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? '', /RUNNEL_INPUT_MALFORMED: column "temperature" is not a number/);
    await row.click();
    await page.waitForSelector('.record-detail pre.raw');
    assert.match((await page.locator('.record-detail pre.raw').textContent()) ?? '', /,n\/a$/);
    await shot('topics-dlq');

    await page.goto(`${dash.url}#/topics/buzz`);
    await page.locator('.records-table tbody tr').first().waitFor();
    await page.fill('input.filter', 'author=Alice');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.records-table tbody tr')];
      return rows.length > 3 && rows.every((r) => r.textContent?.includes('"author":"Alice"'));
    });
    await page.locator('.records-table tbody tr').first().click();
    await page.waitForSelector('.record-detail pre');
    await shot('topics');
  });

  test('narrow screens get one column and no sideways scrolling', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const route of ['#/', '#/apps/buzz', '#/apps/smoker', '#/topics/buzz']) {
        await page.goto(`${dash.url}${route}`);
        await page.waitForSelector('.page[data-loaded="true"]');
        await page.waitForTimeout(600);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${route} overflows by ${overflow}px`);
      }
      // Consumer groups' names wrap whole and tell the groups apart (cut to the column, each read `buzz.si…`).
      await page.goto(dash.url);
      await page.waitForSelector('table.grid.groups tbody tr');
      // The throughput legend (eight topics: four lines at this width) stays inside its panel.
      await page.waitForSelector('.overview .panel.wide .u-legend');
      const panel = (await page.locator('.overview .panel.wide').boundingBox())!;
      const legend = (await page.locator('.overview .panel.wide .u-legend').boundingBox())!;
      assert.ok(legend.height > 40, `a legend of several lines (${legend.height}px)`);
      assert.ok(
        legend.y + legend.height <= panel.y + panel.height,
        `legend ends at ${legend.y + legend.height}, panel at ${panel.y + panel.height}`,
      );
      const names = await page.locator('table.grid.groups tbody tr td:first-child').evaluateAll((tds) =>
        tds.map((td) => ({
          text: td.textContent ?? '',
          title: td.getAttribute('title') ?? '',
          whole: td.scrollWidth <= td.clientWidth + 1,
          right: td.getBoundingClientRect().right,
        })),
      );
      assert.ok(names.length >= 3, `groups: ${names.map((n) => n.text).join(', ')}`);
      for (const n of names) assert.ok(n.whole && n.right <= 390, JSON.stringify(n));
      // Each title (the whole group) once, so distinct texts are distinct groups told apart.
      assert.equal(new Set(names.map((n) => `${n.text}\u0000${n.title}`)).size, names.length);
      assert.equal(
        new Set(names.map((n) => n.text)).size,
        new Set(names.map((n) => n.title.replace(/\.[0-9a-f]{8}$/, ''))).size,
        'the names shown are as many as the groups but for their place ids',
      );
      await shot('overview-narrow');
      await page.goto(`${dash.url}#/apps/buzz`);
      await page.waitForSelector('[data-panel="length"][data-empty="false"] canvas');
      await page.waitForTimeout(800);
      await shot('buzz-narrow');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('no console errors on any page', (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    assert.deepEqual(errors, []);
  });

  test('the page reconnects by itself after the server restarts', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.goto(`${dash.url}#/apps/buzz`);
    await page.waitForSelector('#conn[data-state="live"]');
    const port = Number(new URL(dash.url).port);
    await dash.close();
    await page.waitForSelector('#conn[data-state="reconnecting"]', { timeout: 10_000 });
    dash = await startDashboard({ broker: env.broker, apps, port, webRoot });
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    const before = (await canvasInfo(page, 'flow')).hash;
    await waitForChange(page, 'flow', before);
  });

  test('a token-protected dashboard: the URL token opens it and leaves the address bar', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    const guarded = await startDashboard({ broker: env.broker, apps, port: 0, webRoot, token: 'browser-token-123' });
    const p = await browser!.newPage();
    try {
      const bare = guarded.url.replace(/\?token=.*$/, '');
      await p.goto(bare);
      await p.waitForSelector('.notice');
      assert.match((await p.locator('.notice').textContent()) ?? '', /access token/);
      await p.goto(guarded.url);
      await p.waitForSelector('.app-card[data-app="buzz"]');
      assert.doesNotMatch(p.url(), /token/);
      await p.reload();
      await p.waitForSelector('.app-card[data-app="buzz"]');
    } finally {
      await p.close();
      await guarded.close();
    }
  });
});
