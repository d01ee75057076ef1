import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { registerDashboardCommand } from '../../src/cli/commands/dashboard.ts';
import { runCli, startCli, stopped, workspace } from '../helpers/cli.ts';
import { buzzApp, smokerApp, tempBroker } from './fixtures.ts';

function program(stop: AbortController, lines: string[], closed: { value: boolean }) {
  const p = new Command('runnel').exitOverride();
  registerDashboardCommand(p, {
    resolveBroker: async () => {
      const { broker } = await tempBroker();
      const close = broker.close.bind(broker);
      broker.close = async () => {
        closed.value = true;
        await close();
      };
      return broker;
    },
    apps: () => [buzzApp, smokerApp],
    signal: stop.signal,
    print: (l) => lines.push(l),
  });
  return p;
}

test('runnel dashboard prints its URL, serves until stopped, then closes the broker', async () => {
  const stop = new AbortController();
  const lines: string[] = [];
  const closed = { value: false };
  const run = program(stop, lines, closed).parseAsync(['dashboard', '--port', '0'], { from: 'user' });
  while (!lines.some((l) => l.includes('http://'))) await new Promise((r) => setTimeout(r, 20));
  const url = /http:\/\/\S+/.exec(lines.join('\n'))![0];
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'loopback by default, no token');
  const info = await fetch(new URL('/api/info', url));
  assert.equal(info.status, 200);
  assert.deepEqual(
    ((await info.json()) as { apps: Array<{ name: string }> }).apps.map((a) => a.name),
    ['buzz', 'smoker'],
  );
  stop.abort();
  await run;
  assert.ok(closed.value, 'broker closed');
  await assert.rejects(fetch(new URL('/api/info', url)), 'no longer listening');
});

test('a bad --port is a one-line config error naming the flag', async () => {
  const closed = { value: false };
  await assert.rejects(
    program(new AbortController(), [], closed).parseAsync(['dashboard', '--port', '99999'], { from: 'user' }),
    (err: Error & { code?: string }) => err.code === 'RUNNEL_CONFIG_INVALID' && /--port/.test(err.message),
  );
});

test('runnel dashboard --app with a misspelt panel option or field refuses to start, in one line naming app and panel', async () => {
  const ws = workspace();
  const index = JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname);
  /** `runnel dashboard` on a sensors app with this one panel: it must refuse to start. */
  const dashboardWith = (panel: string) => {
    const file = join(ws.dir, `app-${Math.random().toString(36).slice(2)}.ts`);
    writeFileSync(
      file,
      [
        `import { defineApp } from ${index};`,
        'export default defineApp({',
        "  name: 'sensors',",
        "  pipeline(t) { t.stream('sensors.in').to('sensors.out'); },",
        `  panels: [${panel}],`,
        '});',
      ].join('\n'),
    );
    return runCli(['dashboard', '--port', '0', '--broker', ws.broker, '--app', file], {
      cwd: ws.dir,
      timeoutMs: 30_000,
    });
  };
  const option = await dashboardWith(
    "{ id: 'mean', title: 'Mean', type: 'line', topic: 'sensors.out', fields: { y: 'mean' }, options: { unt: 'C' } }",
  );
  assert.equal(option.code, 1, option.stderr);
  assert.equal(
    option.stderr.trim(),
    'runnel: RUNNEL_CONFIG_INVALID: app "sensors", panel "mean" (line): options: Unrecognized key: "unt" (did you mean "unit"?)',
  );
  const field = await dashboardWith(
    "{ id: 'mean', title: 'Mean', type: 'stat', topic: 'sensors.out', fields: { y: 'mean', grup: 'key' } }",
  );
  assert.equal(field.code, 1, field.stderr);
  assert.match(
    field.stderr.trim(),
    /^runnel: RUNNEL_CONFIG_INVALID: app "sensors", panel "mean" \(stat\): fields\.grup: no such field \(did you mean group\?\); a stat panel reads /,
  );
  assert.equal(field.stderr.trim().split('\n').length, 1);
});

test("runnel dashboard --app names a panel's topic that is a slip of one on the broker, and not one merely not made yet", async () => {
  const ws = workspace();
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  await broker.createTopic('clicks.per-user', { partitions: 1 });
  await broker.close();
  const file = join(ws.dir, 'clicks.ts');
  writeFileSync(
    file,
    [
      `import { defineApp } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname)};`,
      'export default defineApp({',
      "  name: 'clicks',",
      "  pipeline(t) { t.stream('clicks').to('clicks.per-user'); },",
      '  panels: [',
      "    { id: 'typo', title: 'Per user', type: 'stat', topic: 'clicks.peruser', fields: { y: 'n' } },",
      "    { id: 'later', title: 'Later', type: 'stat', topic: 'clicks.totals', fields: { y: 'n' } },",
      '  ],',
      '});',
    ].join('\n'),
  );
  const child = startCli(['dashboard', '--port', '0', '--broker', ws.broker, '--app', file], { cwd: ws.dir });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d) => {
    err += String(d);
  });
  child.stdout!.on('data', (d) => {
    out += String(d);
  });
  const deadline = Date.now() + 30_000;
  while (!err.includes('did you mean') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await stopped(child);
  assert.match(out, /Ctrl-C to stop/);
  const warnings = err.split('\n').filter((l) => l.includes('warn:'));
  assert.deepEqual(
    warnings.map((l) => l.replace(/^.*warn: /, '')),
    ['app "clicks", panel "typo" reads clicks.peruser, which is not on this broker: did you mean clicks.per-user?'],
  );
});
