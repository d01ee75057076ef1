import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerDashboardCommand } from '../../src/cli/commands/dashboard.ts';
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
