/**
 * The overview as a new user first sees it: `runnel demo` (every built-in app, every sink) in its own
 * process, the dashboard in this one on the same broker file, Chromium at a laptop's and a phone's width.
 * Stopcovid runs small (1,000 people) so the two cores keep up.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { apps } from '../../src/apps/index.ts';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { startDashboard } from '../../src/server/index.ts';
import { startCli, stopped, type Workspace, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { buildWeb, CHROMIUM, captureConsole, launchChromium, SHOTS, shoot } from './chromium.ts';
import { tempBroker } from './fixtures.ts';

/** Stopcovid's sinks: a JSONL file for three of its topics, a SQLite and a DuckDB table for three. */
const STOPCOVID_SINKS = 9;

describe('the demo on the overview, in a real browser', { timeout: 240_000 }, () => {
  let ws: Workspace;
  let broker: LocalBroker;
  let demo: ReturnType<typeof startCli> | undefined;
  let demoErr = '';
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  let browser: Browser | undefined;
  let page: Page;
  let webRoot: string;
  const errors: string[] = [];
  const shot = (name: string) => shoot(page, name);

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    mkdirSync(SHOTS, { recursive: true });
    webRoot = buildWeb();
    ws = workspace('runnel-demo-page-');
    demo = startCli(['demo', '--no-dashboard', ...ws.flags], {
      cwd: ws.dir,
      env: { STOPCOVID_PEOPLE: '1000', STOPCOVID_GRID: '60x40' },
    });
    demo.stderr!.on('data', (d: Buffer) => (demoErr += d));
    broker = new LocalBroker(ws.broker);
    await broker.connect();
    dash = await startDashboard({ broker, apps, port: 0, webRoot });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    captureConsole(page, errors);
  });
  after(async () => {
    await browser?.close();
    await dash?.close();
    if (demo) await stopped(demo);
    await broker?.close();
  });

  const skip = (t: Parameters<typeof needService>[0]) =>
    !needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium');

  /** The overview with every app's components on it (stopcovid's sinks the last to report). */
  const overviewOfAllApps = async () => {
    await page.goto(dash.url);
    await page.waitForFunction(
      (n) => document.querySelectorAll('.app-card[data-app="stopcovid"] tr[data-component^="sink/"]').length >= n,
      STOPCOVID_SINKS,
      { timeout: 90_000 },
    );
    for (const a of apps)
      await page.waitForSelector(`.app-card[data-app="${a.name}"][data-running="true"]`, { timeout: 30_000 });
  };

  test('at 1280 px every component target is whole on the page, the full text in its tooltip', async (t) => {
    if (skip(t)) return;
    await overviewOfAllApps();
    // The last column: a target (or a last error), whatever the cell's class.
    const cells = await page.locator('.app-card tr[data-component] td:last-child').evaluateAll((tds) =>
      tds.map((td) => {
        const scroller = td.closest('.scroll-x')!;
        return {
          row: td.closest('tr')!.getAttribute('data-component'),
          text: td.textContent ?? '',
          title: td.getAttribute('title') ?? '',
          cutSideways: td.scrollWidth > td.clientWidth,
          cutBelow: td.scrollHeight > td.clientHeight + 1,
          // Past the card's right edge is off the page too (its table scrolls sideways).
          offCard: td.getBoundingClientRect().right > scroller.getBoundingClientRect().right + 1,
        };
      }),
    );
    const stopcovid = cells.filter((c) => /stopcovid\./.test(c.title) && c.row?.startsWith('sink/'));
    assert.ok(stopcovid.length >= STOPCOVID_SINKS, `stopcovid's sinks: ${stopcovid.map((c) => c.text).join(', ')}`);
    for (const c of cells) {
      assert.ok(!c.cutSideways && !c.cutBelow && !c.offCard, `${c.row}: "${c.text}" is cut (${JSON.stringify(c)})`);
      // The tooltip has all of it: the page shows a file target's name, the tooltip its whole path.
      assert.ok(c.title.endsWith(c.text), `${c.row}: tooltip "${c.title}" for "${c.text}"`);
    }
    // Component names whole too: in two cards side by side, "smoker.stall-detector" and the oura and users
    // sinks' names ended in an ellipsis, the name only in a tooltip.
    const names = await page
      .locator('.app-card .component-name')
      .evaluateAll((els) => els.map((el) => ({ text: el.textContent ?? '', cut: el.scrollWidth > el.clientWidth })));
    assert.ok(names.length >= STOPCOVID_SINKS, `component names: ${names.length}`);
    const cut = names.filter((n) => n.cut).map((n) => n.text);
    assert.deepEqual(cut, [], `cut at 1280 px: ${cut.join(', ')}`);
    await shot('demo-overview');
    // The Topics and Consumer groups tables fit their half of the page: none of their columns (the
    // topics' dead letters last) is behind a sideways scroll at 1280 px.
    const halves = await page.locator('.two-col section').evaluateAll((sections) =>
      sections.map((sec) => {
        const box = sec.querySelector('.table-wrap') as HTMLElement;
        return { name: sec.querySelector('h2')?.textContent, table: box.scrollWidth, box: box.clientWidth };
      }),
    );
    assert.equal(halves.length, 2);
    for (const x of halves) assert.ok(x.table <= x.box, `${x.name}: a ${x.table} px table in a ${x.box} px box`);
  });

  test('at 390 px a table wider than its box fades out on the side that has more, until scrolled there', async (t) => {
    if (skip(t)) return;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await overviewOfAllApps();
      await page.waitForTimeout(600);
      /** Every box a table scrolls sideways in, with what the page draws on its edges. */
      const boxes = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('table')].flatMap((table) => {
            let box = table.parentElement;
            while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
            if (!box || box === document.body) return [];
            return [
              {
                where: `${box.className} in ${box.closest('[data-app]')?.getAttribute('data-app') ?? box.parentElement?.querySelector('h2')?.textContent}`,
                wider: box.scrollWidth > box.clientWidth + 1,
                more: box.getAttribute('data-more') ?? '',
                mask: getComputedStyle(box).maskImage,
              },
            ];
          }),
        );
      const all = await boxes();
      const wide = all.filter((b) => b.wider);
      // The Topics table (six columns, a sparkline among them) cannot fit a phone.
      assert.ok(
        wide.some((b) => b.where.includes('Topics')),
        `tables wider than their box: ${wide.map((b) => b.where)}`,
      );
      for (const b of all) {
        if (b.wider) assert.ok(b.more === 'right' && /gradient/.test(b.mask), `no cue on ${JSON.stringify(b)}`);
        else assert.ok(b.more === '' && b.mask === 'none', `a cue on a table that fits: ${JSON.stringify(b)}`);
      }
      await shot('demo-overview-narrow');

      // Scrolled to its end, the Topics table has more on the left only, and the redraws keep it so.
      const topics = page.locator('section', { has: page.locator('h2', { hasText: 'Topics' }) }).locator('.table-wrap');
      await topics.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
      await page.waitForTimeout(1500);
      const end = await topics.evaluate((el) => ({
        atEnd: el.scrollLeft >= el.scrollWidth - el.clientWidth - 1,
        more: el.getAttribute('data-more'),
        mask: getComputedStyle(el).maskImage,
      }));
      assert.ok(end.atEnd, 'still scrolled to the end after the overview redrew');
      assert.equal(end.more, 'left');
      const before = all.find((b) => b.where.includes('Topics'))!;
      assert.ok(/gradient/.test(end.mask) && end.mask !== before.mask, `the fade moved to the left: ${end.mask}`);
      await topics.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'demo-topics-scrolled-narrow.png') });

      // An app card's table too: the cards are drawn anew every second, and a scrolled one must stay put.
      // Picked when scrolled (a card's width changes as its components report), by 20 px, which it then has.
      const picked = await page.evaluate(() => {
        for (const box of document.querySelectorAll<HTMLElement>('.app-card[data-app] .scroll-x')) {
          if (box.scrollWidth <= box.clientWidth + 20) continue;
          box.scrollLeft = 20;
          // Marked, so a redraw shows: the card's table is then another element.
          (box.querySelector('table') as HTMLElement & { drawn?: boolean }).drawn = true;
          return { app: box.closest<HTMLElement>('.app-card')!.dataset.app!, left: box.scrollLeft };
        }
        return undefined;
      });
      assert.ok(picked, 'an app card wider than a phone');
      assert.equal(picked.left, 20);
      await page.waitForFunction(
        (a) => !(document.querySelector(`.app-card[data-app="${a}"] table`) as { drawn?: boolean } | null)?.drawn,
        picked.app,
        { timeout: 5000 },
      );
      const after = await page
        .locator(`.app-card[data-app="${picked.app}"] .scroll-x`)
        .evaluate((el) => ({ left: el.scrollLeft, room: el.scrollWidth - el.clientWidth }));
      assert.ok(after.room > 0, `the ${picked.app} card still scrolls sideways`);
      assert.equal(after.left, Math.min(20, after.room), `the ${picked.app} card kept its scroll across a redraw`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  test("a new broker's throughput chart says it waits for records, and draws once their rates come", async (t) => {
    if (skip(t)) return;
    const fresh = await tempBroker();
    const empty = await startDashboard({ broker: fresh.broker, apps, port: 0, webRoot });
    let feeding: NodeJS.Timeout | undefined;
    try {
      await page.goto(empty.url);
      await page.waitForSelector('.page[data-loaded="true"]');
      const note = page.locator('[data-panel="throughput"] .empty');
      // Some overview ticks with nothing on the broker: the note, and no bare axes.
      await page.waitForTimeout(2500);
      assert.ok(await note.isVisible(), 'a note in the chart’s place');
      assert.match((await note.textContent()) ?? '', /waiting for the first records/i);
      assert.equal(await page.locator('[data-panel="throughput"] canvas').isVisible(), false);
      await page.screenshot({ path: join(SHOTS, 'overview-waiting.png') });

      feeding = setInterval(
        () => void fresh.broker.produce('buzz', [{ value: { message: 'hi' } }]).catch(() => {}),
        100,
      );
      await note.waitFor({ state: 'hidden', timeout: 15_000 });
      assert.ok(await page.locator('[data-panel="throughput"] canvas').isVisible());
      assert.ok(await page.locator('[data-panel="throughput"] .u-legend').getByText('buzz').isVisible());
      await page.waitForTimeout(1500); // a few points of it, for the screenshot
      await page.screenshot({ path: join(SHOTS, 'overview-first-rates.png') });
    } finally {
      clearInterval(feeding);
      await empty.close();
      await fresh.broker.close();
    }
  });

  test('no console errors', (t) => {
    if (skip(t)) return;
    assert.deepEqual(errors, [], demoErr);
  });
});
