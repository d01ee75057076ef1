/**
 * The SQL page in a real browser: the user types a query, presses Run and sees the rows, counted here from
 * the same JSONL file; a hostile query shows the refusal in one line and no table. No console errors, and
 * no request leaves the dashboard's origin.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDashboard } from '../../src/server/index.ts';
import { needService } from '../helpers/services.ts';
import { buildWeb, CHROMIUM, captureConsole, captureForeignRequests, launchChromium, SHOTS } from './chromium.ts';
import { buzzApp, smokerApp, tempBroker } from './fixtures.ts';

const AUTHORS = ['Alice', 'Bob', 'Charlie', 'Eve'];
const messages = Array.from({ length: 90 }, (_, i) => ({ author: AUTHORS[(i * i) % 4]!, length: 10 + (i % 17) }));

describe('the SQL page in a real browser', { timeout: 120_000 }, () => {
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  let browser: Browser | undefined;
  let page: Page;
  let close = async () => {};
  const errors: string[] = [];
  const foreign: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    mkdirSync(SHOTS, { recursive: true });
    const webRoot = buildWeb();
    const { broker, dir } = await tempBroker();
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'buzz.jsonl'), messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
    dash = await startDashboard({ broker, apps: [buzzApp, smokerApp], port: 0, webRoot, dataDir });
    close = async () => {
      await dash.close();
      await broker.close();
    };
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    captureConsole(page, errors);
    captureForeignRequests(page, new URL(dash.url).origin, foreign);
  });
  after(async () => {
    await browser?.close();
    await close();
  });

  test('type a query, see its rows; a hostile one is refused on the page', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.goto(dash.url);
    await page.locator('#nav a[href="#/sql"]').click();
    // No live stream on this page: the badge says the server answers, not "connecting…" for ever.
    await page.waitForSelector('#conn[data-state="idle"]');
    assert.equal(await page.locator('#conn').textContent(), 'connected');
    const input = page.locator('textarea.sql-input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill('SELECT author, count(*) AS n, max(length) AS longest\nFROM jsonl.buzz GROUP BY 1 ORDER BY 1');
    await page.locator('.sql-bar button', { hasText: 'Run' }).click();
    const rows = page.locator('table.sql-table tbody tr');
    await rows.first().waitFor({ timeout: 15_000 });
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    const expected = AUTHORS.map((a) => {
      const mine = messages.filter((m) => m.author === a);
      return [a, String(mine.length), String(Math.max(...mine.map((m) => m.length)))];
    }).filter((row) => row[1] !== '0');
    assert.deepEqual(cells, expected);
    assert.deepEqual(await page.locator('table.sql-table thead th').allTextContents(), ['author', 'n', 'longest']);
    assert.match((await page.locator('.sql-status').textContent()) ?? '', /^\d+ rows? · \d+ ms/);
    await page.screenshot({ path: join(SHOTS, 'sql-page.png'), fullPage: true });

    // Ctrl+Enter runs too; the refusal is one line, the old table goes away.
    await input.fill("SELECT 1; COPY (SELECT 1) TO '/tmp/runnel-sql-page-x.csv'");
    await input.press('Control+Enter');
    const status = page.locator('.sql-status.bad-text');
    await status.waitFor({ timeout: 15_000 });
    assert.match((await status.textContent()) ?? '', /one statement only/);
    assert.equal(await page.locator('.sql-result').isHidden(), true);
    assert.equal(existsSync('/tmp/runnel-sql-page-x.csv'), false);

    // The refused query's 400 is the one error the browser logs by itself ("Failed to load resource").
    assert.deepEqual(
      errors.filter((e) => !/the server responded with a status of 400/.test(e)),
      [],
      'console errors',
    );
    assert.deepEqual(foreign, [], 'requests to other origins');
  });
});
