import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AppSnapshot } from '../../src/server/protocol.ts';
import { runCli, startCli, type Workspace, workspace } from '../helpers/cli.ts';
import type { KnownPanelData } from './fixtures.ts';

const SHARED = new URL('../fixtures/seed-data/', import.meta.url).pathname;

/** The URL `runnel dashboard` prints, once it listens. */
function dashboardUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const url = /http:\/\/\S+/.exec(out)?.[0];
      if (url) resolve(url);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.on('exit', (code) => reject(new Error(`dashboard exited (${code}): ${err}`)));
  });
}

async function snapshot(url: string, app: string): Promise<AppSnapshot> {
  const res = await fetch(new URL(`/api/apps/${app}`, url));
  assert.equal(res.status, 200);
  return (await res.json()) as AppSnapshot;
}

function panel<K extends KnownPanelData['kind']>(
  snap: AppSnapshot,
  id: string,
  kind: K,
): Extract<KnownPanelData, { kind: K }> {
  const data = snap.data[id];
  assert.equal(data?.kind, kind, `panel ${id}`);
  return data as Extract<KnownPanelData, { kind: K }>;
}

/**
 * A seed user's setup: SMOKER_TOPIC and the stall rule in `.env` (read from the working directory),
 * BUZZ_TOPIC in the shell. The pipelines run and finish first; the dashboard, started later in its own
 * process with the same settings, must show what they wrote.
 */
describe('the dashboard follows the topics and settings the apps ran with', { timeout: 120_000 }, () => {
  let ws: Workspace;
  let dashboard: ChildProcess | undefined;
  let url: string;
  const env = { BUZZ_TOPIC: 'my_buzz' };

  before(async () => {
    ws = workspace('runnel-env-topics-');
    writeFileSync(
      join(ws.dir, '.env'),
      'SMOKER_TOPIC=smoker_csv\nSMOKER_ROLLING_WINDOW_SIZE=5\nSMOKER_STALL_THRESHOLD_F=0.25\n',
    );
    const csv = ['--csv', join(SHARED, 'smoker_temps.csv')];
    const from = ['--from', join(SHARED, 'buzz.json')];
    for (const args of [
      ['run', 'smoker', ...csv],
      ['run', 'buzz', ...from],
    ]) {
      const r = await runCli([...args, '--rate', '0', '--sinks', 'jsonl', ...ws.flags], { cwd: ws.dir, env });
      assert.equal(r.code, 0, r.stderr);
    }
    dashboard = startCli(['dashboard', '--port', '0', '--broker', ws.broker], { cwd: ws.dir, env });
    url = await dashboardUrl(dashboard);
  });
  after(async () => {
    if (!dashboard || dashboard.exitCode !== null) return;
    const exited = new Promise((resolve) => dashboard!.once('exit', resolve));
    dashboard.kill('SIGTERM');
    await exited;
  });

  test('smoker: the readings and the open stall from SMOKER_TOPIC in .env, with its rule on the banner', async () => {
    const snap = await snapshot(url, 'smoker');
    const [temperature, stall] = snap.app.panels;
    assert.ok(temperature && stall);
    assert.equal(temperature.topic, 'smoker_csv');
    assert.deepEqual(temperature.options?.marks, {
      topic: 'smoker_csv.alerts',
      start: 'stall_started',
      end: 'stall_ended',
      at: 'at',
      reading: 'reading',
    });
    assert.equal(stall.topic, 'smoker_csv.alerts');
    assert.match(String(stall.options?.message), /flat within 0\.25 °F over the last 5 readings/);
    assert.equal(panel(snap, 'temperature', 'series').total, 240, 'every reading of the CSV');
    const alert = panel(snap, 'stall', 'alert');
    assert.equal(alert.active, true, 'the CSV ends in its stall');
    assert.equal(alert.detail?.window, 5);
    assert.equal(alert.detail?.threshold, 0.25);
  });

  test('buzz: the messages and stats from BUZZ_TOPIC in the environment', async () => {
    const snap = await snapshot(url, 'buzz');
    assert.deepEqual([...new Set(snap.app.panels.map((p) => p.topic))].sort(), ['my_buzz', 'my_buzz.stats']);
    assert.equal(panel(snap, 'flow', 'series').total, 100);
    const authors = panel(snap, 'authors', 'counts');
    assert.equal(
      authors.entries.reduce((n, [, c]) => n + c, 0),
      100,
      'every message of buzz.json counted by author',
    );
  });
});
