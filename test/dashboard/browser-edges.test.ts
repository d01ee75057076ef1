import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AppDefinition, PanelSpec } from '../../src/core/app.ts';
import { type ComponentStatus, STATUS_TOPIC } from '../../src/core/status.ts';
import { startDashboard } from '../../src/server/index.ts';
import { needService } from '../helpers/services.ts';
import { colourColumns, drawnTexts, installCanvasProbe, overlap } from './canvas-probe.ts';
import { buildWeb, CHROMIUM, captureConsole, launchChromium, SHOTS, shoot } from './chromium.ts';
import { buzzApp, tempBroker } from './fixtures.ts';

/**
 * The dashboard at its edges (issue 9): one record, none, a silence in the data, one value, a phone
 * screen, no matches, an unknown app, an app that ran a while ago. Hand-written records on a fresh
 * broker, so every chart is known exactly.
 */
const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1, 12);
const CATEGORIES = [
  'entertainment',
  'food',
  'literature',
  'gaming',
  'music',
  'travel',
  'technology',
  'sports and outdoor life',
  'science',
  'politics',
  'fashion',
  'health and fitness',
];
const LONG_TARGET = 'duckdb:/home/someone/projects/runnel-demo/data/warehouse/buzz_messages_archive_2025.duckdb';
/** A sink's file target as the sinks name it: the page shows the file first, the whole path on hover. */
const FILE_TARGET = '/home/someone/projects/runnel-demo/data/buzz.duckdb (table streamed_messages)';

const edgePanels: PanelSpec[] = [
  { id: 'one', title: 'One reading', type: 'line', topic: 'edge.one', fields: { y: 'temperature' } },
  { id: 'none', title: 'No readings', type: 'line', topic: 'edge.none', fields: { y: 'temperature' } },
  { id: 'gap', title: 'A silence', type: 'line', topic: 'edge.gap', fields: { y: 'v' }, options: { smooth: 0 } },
  {
    id: 'hist',
    title: 'One length',
    type: 'histogram',
    topic: 'edge.stats',
    fields: { y: 'length.histogram' },
    options: { marks: ['length.mean', 'length.median'], unit: 'chars' },
  },
  { id: 'cats', title: 'Categories', type: 'bar', topic: 'edge.stats', fields: { y: 'byCategory' } },
  { id: 'many', title: 'Countries', type: 'bar', topic: 'edge.stats', fields: { y: 'byCountry' } },
];
/** Twenty bars of four-digit counts: on a phone their counts ran into each other ("3535", "3333"). */
const COUNTRIES = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`country ${i}`, 3535 - 7 * i]));
const edgeApp: AppDefinition = {
  name: 'edge',
  title: 'Edge cases',
  description: 'hand-written records',
  build: () => {
    throw new Error('not run');
  },
  panels: edgePanels,
};
/** Declared, never run on the test's broker: named in one line under the cards, no card of its own. */
const idleApp: AppDefinition = { ...edgeApp, name: 'idle', title: 'Never run', panels: [] };
const apps = [buzzApp, edgeApp, idleApp];

const status = (o: Partial<ComponentStatus> & Pick<ComponentStatus, 'app' | 'name' | 'ts'>): ComponentStatus => ({
  pipeline: `${o.app}-p1`,
  pid: 4242,
  component: 'sink',
  topics: [o.app],
  state: 'ok',
  records: 10,
  dlq: 0,
  ...o,
});

const MONTH_TICK = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}$/;
const TIME_TICK = /^\d\d:\d\d(:\d\d)?$/;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('dashboard edge cases in a real browser', { timeout: 180_000 }, () => {
  let browser: Browser | undefined;
  let env: Awaited<ReturnType<typeof tempBroker>>;
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  let page: Page;
  let feeding: NodeJS.Timeout | undefined;
  const errors: string[] = [];
  const shot = (name: string) => shoot(page, name);

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    mkdirSync(SHOTS, { recursive: true });
    const webRoot = buildWeb();
    env = await tempBroker();
    const { broker } = env;
    await broker.produce('edge.one', [{ value: { temperature: 70 }, timestamp: T0 }]);
    await broker.createTopic('edge.none', {});
    // Once a minute, silent from minute 20 to 44, then once a minute again.
    const minutes = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 44 + i)];
    await broker.produce(
      'edge.gap',
      minutes.map((m) => ({ value: { v: 0.5 }, timestamp: T0 + m * MIN })),
    );
    await broker.produce('edge.stats', [
      {
        value: {
          length: { histogram: { 36: 1 }, mean: 36, median: 36 },
          byCategory: Object.fromEntries(CATEGORIES.map((c, i) => [c, 40 - i])),
          byCountry: COUNTRIES,
        },
      },
    ]);
    const now = Date.now();
    await broker.produce(STATUS_TOPIC, [
      // `edge` ran twenty minutes ago and stopped.
      { value: status({ app: 'edge', name: 'sqlite', ts: now - 20 * MIN, state: 'done' }), timestamp: now - 20 * MIN },
      { value: status({ app: 'buzz', name: 'archive', ts: now, target: LONG_TARGET }), timestamp: now },
      { value: status({ app: 'buzz', name: 'duckdb-buzz', ts: now, target: FILE_TARGET }), timestamp: now },
      // A bounded run's processor: its watermark went past any time when the input ended.
      {
        value: status({
          app: 'buzz',
          name: 'buzz.windows',
          component: 'processor',
          ts: now,
          watermark: Number.MAX_SAFE_INTEGER,
          late: 3,
        }),
        timestamp: now,
      },
      // A simulation's processor: event time counted in ticks from 0 (stopcovid), 123.4 s in.
      {
        value: status({ app: 'buzz', name: 'sim.ticks', component: 'processor', ts: now, watermark: 123_400 }),
        timestamp: now,
      },
    ]);
    // buzz and buzz.stats grow at the same rate, as a stats processor writing once per message does.
    feeding = setInterval(() => {
      void broker
        .produce('buzz', [{ value: { message: 'hi' } }, { value: { message: 'hi' } }])
        .then(() => broker.produce('buzz.stats', [{ value: {} }, { value: {} }]))
        .catch(() => {});
    }, 100);
    dash = await startDashboard({ broker, apps, port: 0, webRoot });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await installCanvasProbe(page);
    captureConsole(page, errors);
  });
  after(async () => {
    clearInterval(feeding);
    await browser?.close();
    await dash?.close();
    await env?.broker.close();
  });

  const skip = (t: Parameters<typeof needService>[0]) =>
    !needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium');

  test('one reading: a visible point on a time axis of minutes, not of years', async (t) => {
    if (skip(t)) return;
    await page.goto(`${dash.url}#/apps/edge`);
    await page.waitForSelector('[data-panel="one"][data-empty="false"] canvas');
    await page.waitForTimeout(500);
    const texts = (await drawnTexts(page, '[data-panel="one"]')).map((d) => d.text);
    const months = texts.filter((s) => MONTH_TICK.test(s));
    assert.ok(months.length <= 1, `month ticks: ${months.join(', ')}`);
    assert.ok(texts.filter((s) => TIME_TICK.test(s)).length >= 2, `ticks: ${texts.join(' | ')}`);
    const teal = await colourColumns(page, '[data-panel="one"]', [0x4e, 0xcd, 0xc4]);
    assert.ok(sum(teal.columns) >= 20, `the point: ${sum(teal.columns)} pixels`);
    // No record: the waiting message, and no axis of years behind it.
    assert.ok(await page.locator('[data-panel="none"] .empty').isVisible());
    const none = (await drawnTexts(page, '[data-panel="none"]')).map((d) => d.text);
    assert.equal(none.filter((s) => MONTH_TICK.test(s)).length <= 1, true, none.join(' | '));
    await shot('edge-wide');
  });

  test('a 25-minute silence breaks the line', async (t) => {
    if (skip(t)) return;
    await page.goto(`${dash.url}#/apps/edge`);
    await page.waitForSelector('[data-panel="gap"][data-empty="false"] canvas');
    await page.waitForTimeout(500);
    const { width, columns } = await colourColumns(page, '[data-panel="gap"]', [0x4e, 0xcd, 0xc4]);
    // The silence spans minutes 19 to 44 of 63: the middle tenth of the canvas lies inside it.
    const middle = columns.slice(Math.round(width * 0.45), Math.round(width * 0.55));
    assert.ok(sum(columns) > 200, `the line is drawn (${sum(columns)} pixels)`);
    assert.equal(sum(middle), 0, 'nothing drawn across the silence');
  });

  test('a histogram of one value: a bar among empty bins, its mean and median labels apart', async (t) => {
    if (skip(t)) return;
    await page.goto(`${dash.url}#/apps/edge`);
    await page.waitForSelector('[data-panel="hist"][data-empty="false"] canvas');
    await page.waitForTimeout(500);
    const bar = await colourColumns(page, '[data-panel="hist"]', [0xa3, 0x71, 0xf7], 150);
    const barWidth = bar.columns.filter((n) => n > 0).length;
    assert.ok(barWidth > 5 && barWidth < bar.width * 0.35, `bar ${barWidth} px of ${bar.width}`);
    const labels = (await drawnTexts(page, '[data-panel="hist"]')).filter((d) => /mean|median/.test(d.text));
    assert.ok(labels.length >= 1, 'labelled');
    assert.ok(labels.some((l) => /mean/.test(l.text)) && labels.some((l) => /median/.test(l.text)));
    for (const [i, a] of labels.entries())
      for (const b of labels.slice(i + 1)) assert.ok(!overlap(a, b), `"${a.text}" overlaps "${b.text}"`);
    await shot('edge-histogram');
  });

  test('overview: a line under an equal line still shows; a stopped app says when it last ran', async (t) => {
    if (skip(t)) return;
    await page.goto(dash.url);
    await page.waitForTimeout(6000); // a few seconds of rates for the chart
    const red = await colourColumns(page, '.overview .panel.wide', [0xff, 0x6b, 0x6b]);
    const teal = await colourColumns(page, '.overview .panel.wide', [0x4e, 0xcd, 0xc4]);
    assert.ok(sum(teal.columns) > 50, `buzz.stats drawn: ${sum(teal.columns)} px`);
    assert.ok(
      sum(red.columns) > sum(teal.columns) * 0.3,
      `buzz ${sum(red.columns)} px, buzz.stats ${sum(teal.columns)} px`,
    );
    await page.waitForSelector('.app-card[data-app="edge"]');
    assert.match((await page.locator('.app-card[data-app="edge"]').textContent()) ?? '', /Last ran 20m ago/);
    // An app that never ran here, beside apps that did: a line, not a card saying "not running".
    assert.equal(await page.locator('.app-card[data-app="idle"]').count(), 0);
    assert.equal(
      await page.locator('.overview .unrun').textContent(),
      'Not run on this broker yet: idle. Start one: runnel run <name>',
    );
    // An ended input's watermark reads as such (a Date of it threw, and the page drew no card after it).
    const ended = page.locator('.app-card[data-app="buzz"] tr[data-component="processor/buzz.windows"]');
    assert.match((await ended.textContent()) ?? '', /watermark at the end \(its input ended\) · 3 late/);
    // Event time from 0 is not a date in 1970.
    const sim = page.locator('.app-card[data-app="buzz"] tr[data-component="processor/sim.ticks"]');
    assert.match((await sim.textContent()) ?? '', /watermark at 123 s of event time/);
    await shot('edge-overview');
  });

  test('on a 390 px screen: category labels apart, long targets end in an ellipsis with a tooltip', async (t) => {
    if (skip(t)) return;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${dash.url}#/apps/edge`);
      await page.waitForSelector('[data-panel="cats"][data-empty="false"] canvas');
      await page.waitForTimeout(600);
      const labels = (await drawnTexts(page, '[data-panel="cats"]')).filter((d) => /[a-z]{2}/.test(d.text));
      assert.ok(labels.length >= 4, `labels: ${labels.map((l) => l.text).join(', ')}`);
      for (const [i, a] of labels.entries())
        for (const b of labels.slice(i + 1)) assert.ok(!overlap(a, b), `"${a.text}" overlaps "${b.text}"`);
      // Counts over bars are drawn only where they fit: whatever numbers are drawn stand apart.
      const counts = (await drawnTexts(page, '[data-panel="many"]')).filter((d) => /^[\d,]+$/.test(d.text));
      for (const [i, a] of counts.entries())
        for (const b of counts.slice(i + 1)) assert.ok(!overlap(a, b), `"${a.text}" overlaps "${b.text}"`);
      // Every page's link in sight, none behind a sideways scroll of the nav.
      const links = await page.locator('#nav a').evaluateAll((as) => as.map((a) => a.getBoundingClientRect().right));
      assert.ok(links.length >= 4 && links.every((r) => r <= 390), `nav links end at ${links.join(', ')}`);
      await shot('edge-narrow');

      await page.goto(dash.url);
      const cell = page.locator('.app-card[data-app="buzz"] tr[data-component="sink/archive"] td').last();
      await cell.waitFor();
      assert.equal(await cell.getAttribute('title'), LONG_TARGET);
      // Looked up and measured in one task of the page: the cards are drawn anew every second, and a cell
      // found first and measured after (a locator's evaluate) could be a detached one, measuring 0 (seen in CI).
      const fit = await page.evaluate(() => {
        const tds = document.querySelectorAll('.app-card[data-app="buzz"] tr[data-component="sink/archive"] td');
        const td = tds[tds.length - 1]!;
        const card = td.closest('.app-card')!.getBoundingClientRect();
        return {
          right: td.getBoundingClientRect().right,
          cardRight: card.right,
          clipped: td.scrollWidth > td.clientWidth,
          overflow: getComputedStyle(td).textOverflow,
        };
      });
      assert.ok(fit.right <= fit.cardRight, `target cell ends at ${fit.right}, its card at ${fit.cardRight}`);
      assert.ok(fit.clipped && fit.overflow === 'ellipsis', JSON.stringify(fit));
      const file = page.locator('.app-card[data-app="buzz"] tr[data-component="sink/duckdb-buzz"] td').last();
      assert.equal(await file.getAttribute('title'), FILE_TARGET);
      assert.equal(await file.textContent(), FILE_TARGET.slice(FILE_TARGET.lastIndexOf('/') + 1));
      await shot('edge-overview-narrow');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  test('where they fit, every bar has its count over it', async (t) => {
    if (skip(t)) return;
    await page.goto(`${dash.url}#/apps/edge`);
    await page.waitForSelector('[data-panel="cats"][data-empty="false"] canvas');
    await page.waitForTimeout(600);
    const drawn = new Set((await drawnTexts(page, '[data-panel="cats"]')).map((d) => d.text));
    assert.deepEqual(
      CATEGORIES.map((_, i) => String(40 - i)).filter((n) => !drawn.has(n)),
      [],
    );
  });

  test('a filter that matches nothing says so; Escape closes the record', async (t) => {
    if (skip(t)) return;
    await page.goto(`${dash.url}#/topics/edge.gap`);
    const row = page.locator('.records-table tbody tr').first();
    await row.waitFor();
    await row.click();
    await page.waitForSelector('.record-detail:not([hidden])');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.record-detail[hidden]', { state: 'attached', timeout: 2000 });
    await page.fill('input.filter', 'nosuchthing');
    await page.waitForSelector('.no-match:not([hidden])', { timeout: 5000 });
    assert.match((await page.locator('.no-match').textContent()) ?? '', /No records match “nosuchthing”/);
    await page.fill('input.filter', 'v=0.5');
    await page.waitForSelector('.records-table tbody tr');
    assert.equal(await page.locator('.no-match').isVisible(), false);
  });

  test('an unknown app is named, with links to the apps there are', async (t) => {
    if (skip(t)) return;
    await page.goto(`${dash.url}#/apps/nosuch`);
    await page.waitForSelector('.page[data-loaded="true"]');
    assert.match((await page.locator('main').textContent()) ?? '', /No app named “nosuch”/);
    for (const name of ['buzz', 'edge'])
      assert.equal(await page.locator(`main a[href="#/apps/${name}"]`).count(), 1, `link to ${name}`);
    assert.equal(await page.locator('.overview').count(), 0, 'not the overview');
  });

  test('no console errors', (t) => {
    if (skip(t)) return;
    assert.deepEqual(errors, []);
  });
});
