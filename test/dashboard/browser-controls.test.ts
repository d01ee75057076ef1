/**
 * Replay controls in a real browser (issue 11): the smoker app runs in its own process (`runnel run
 * smoker`, replaying its CSV by event time); the dashboard, in this one, shows Pause on its source. A click
 * pauses it (nothing is produced while paused), Resume starts it again, the speed selector changes its pace.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { startDashboard } from '../../src/server/index.ts';
import { startCli, type Workspace, workspace } from '../helpers/cli.ts';
import { needService } from '../helpers/services.ts';
import { buildWeb, CHROMIUM, captureConsole, captureForeignRequests, launchChromium, SHOTS } from './chromium.ts';
import { buzzApp, smokerApp } from './fixtures.ts';

const SOURCE = '.app-card[data-app="smoker"] tr[data-component="source/csv"]';
/** The controls row under the source's row. */
const CONTROLS = '.app-card[data-app="smoker"] tr[data-controls="source/csv"]';

describe('replay controls in a real browser', { timeout: 180_000 }, () => {
  let ws: Workspace;
  let broker: LocalBroker;
  let cli: ReturnType<typeof startCli> | undefined;
  let cliErr = '';
  let dash: Awaited<ReturnType<typeof startDashboard>>;
  let browser: Browser | undefined;
  let page: Page;
  const errors: string[] = [];
  const foreign: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    mkdirSync(SHOTS, { recursive: true });
    const webRoot = buildWeb();
    ws = workspace('runnel-controls-');
    // The pipeline in another process, as a user runs it: only the broker file is shared.
    cli = startCli(['run', 'smoker', '--speed', '600', ...ws.flags], { cwd: ws.dir });
    cli.stderr!.on('data', (d: Buffer) => (cliErr += d));
    broker = new LocalBroker(ws.broker);
    await broker.connect();
    dash = await startDashboard({ broker, apps: [buzzApp, smokerApp], port: 0, webRoot });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    captureConsole(page, errors);
    captureForeignRequests(page, new URL(dash.url).origin, foreign);
  });
  after(async () => {
    await browser?.close();
    await dash?.close();
    if (cli && cli.exitCode === null) {
      const exited = new Promise((r) => cli!.once('exit', r));
      cli.kill('SIGINT');
      await exited;
    }
    await broker?.close();
  });

  const produced = async () =>
    ((await broker.describeTopic('smoker'))?.partitions ?? []).reduce((n, p) => n + p.endOffset, 0);

  test('Pause stops production, Resume starts it again, the speed selector applies', async (t) => {
    if (!needService(t, 'chromium', existsSync(CHROMIUM), 'apt-get install chromium')) return;
    await page.goto(dash.url);
    const controls = page.locator(`${CONTROLS} .replay-controls`);
    await controls.waitFor({ timeout: 30_000 });
    assert.equal(await controls.getAttribute('data-paused'), 'false');
    assert.equal(await controls.getAttribute('data-speed'), '600', 'shows the speed the run started with');
    assert.match(
      (await controls.locator('.replay-note').textContent()) ?? '',
      /×600 event time: 10 min of data a second/,
    );

    const beforePause = await produced();
    assert.ok(beforePause > 0, `the replay is producing (${cliErr})`);
    await page.locator(`${CONTROLS} button.replay-toggle`).click();
    await page.locator(`${CONTROLS} .replay-controls[data-paused="true"]`).waitFor({ timeout: 5000 });
    assert.equal(await page.locator(`${SOURCE} .pill`).first().textContent(), 'paused');
    await page.waitForTimeout(300);
    const held = await produced();
    for (let i = 0; i < 15; i++) {
      await page.waitForTimeout(100);
      assert.equal(await produced(), held, `a record was produced ${(i + 1) * 100} ms into the pause`);
    }
    // Paused reads as paused: no rate beside the source (its ×600 pace read as if it still ran), and its
    // topic's rate says paused, not the last seconds' rate.
    const pausedNote = (await controls.locator('.replay-note').textContent()) ?? '';
    assert.match(pausedNote, /paused/);
    assert.doesNotMatch(pausedNote, /[1-9][\d.,]*\/s|of data a second/, 'a rate on a paused source');
    const topicRate = page.locator('tr[data-topic="smoker"] td:nth-child(4)');
    await page.waitForFunction(
      () => document.querySelector('tr[data-topic="smoker"] td:nth-child(4)')?.textContent === 'paused',
      undefined,
      { timeout: 5000 },
    );
    await page.screenshot({ path: join(SHOTS, 'replay-paused.png'), fullPage: true });
    assert.equal(await page.locator(`${CONTROLS} button.replay-toggle`).textContent(), 'Resume');
    // The app's page says so too.
    await page.goto(`${dash.url}#/apps/smoker`);
    const appNote = page.locator('[data-replay="smoker"] [data-controls="source/csv"] .replay-note');
    await appNote.waitFor({ timeout: 10_000 });
    assert.match((await appNote.textContent()) ?? '', /paused/);
    assert.doesNotMatch((await appNote.textContent()) ?? '', /[1-9][\d.,]*\/s|of data a second/);
    await page.goto(dash.url);
    await controls.waitFor({ timeout: 10_000 });

    await page.locator(`${CONTROLS} button.replay-toggle`).click();
    await page.locator(`${CONTROLS} .replay-controls[data-paused="false"]`).waitFor({ timeout: 5000 });
    const deadline = Date.now() + 5000;
    while ((await produced()) === held && Date.now() < deadline) await page.waitForTimeout(100);
    assert.ok((await produced()) > held, 'nothing produced after Resume');
    // Running again: its pace beside it, a rate for its topic.
    assert.match((await controls.locator('.replay-note').textContent()) ?? '', /×600 event time/);
    await page.waitForFunction(
      () => /\/s$/.test(document.querySelector('tr[data-topic="smoker"] td:nth-child(4)')?.textContent ?? ''),
      undefined,
      { timeout: 5000 },
    );
    assert.notEqual(await topicRate.textContent(), 'paused');

    await page.locator(`${CONTROLS} select.replay-speed`).selectOption('60');
    await page.locator(`${CONTROLS} .replay-controls[data-speed="60"]`).waitFor({ timeout: 5000 });
    // Custom: the field appears, Enter sends it.
    await page.locator(`${CONTROLS} select.replay-speed`).selectOption('custom');
    await page.locator(`${CONTROLS} input.replay-custom`).fill('1200');
    await page.locator(`${CONTROLS} input.replay-custom`).press('Enter');
    await page.locator(`${CONTROLS} .replay-controls[data-speed="1200"]`).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(SHOTS, 'replay-controls.png'), fullPage: true });

    assert.deepEqual(errors, [], 'console errors');
    assert.deepEqual(foreign, [], 'requests to other origins');
    assert.match(cliErr, /csv: paused/);
  });
});
