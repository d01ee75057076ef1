/**
 * Consumer groups belong to where a component keeps its output or state: two data folders consuming one
 * topic on one broker are two deployments that each get every record, not members splitting partitions.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';

test('two data folders consume the same topic at once: each gets every record', async () => {
  const ws = workspace();
  const produced = await runCli(['produce', 'buzz', '--limit', '50', '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  // Folder A keeps consuming (and holding its groups' partitions) while folder B drains.
  const a = startCli(['consume', 'buzz', '--sinks', 'sqlite', ...ws.flags]);
  const aDone = new Promise((resolve) => a.on('close', resolve));
  try {
    const rowsIn = (dir: string) =>
      sqliteRows<{ n: number }>(join(dir, 'buzz.sqlite'), 'SELECT count(*) AS n FROM streamed_messages')[0]!.n;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if (rowsIn(join(ws.dir, 'data')) === 50) break;
      } catch {} // the table appears with the first write
      await new Promise((r) => setTimeout(r, 200));
    }
    const other = ['--data-dir', join(ws.dir, 'data-b')];
    const b = await runCli(['consume', 'buzz', '--sinks', 'sqlite', '--drain', '--broker', ws.broker, ...other], {
      timeoutMs: 40_000,
    });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(rowsIn(join(ws.dir, 'data-b')), 50);
    assert.equal(rowsIn(join(ws.dir, 'data')), 50);
    // The stats processor keeps its state in the broker, one per app and broker whatever the folders: B
    // shares A's consumer group, so the 50 messages are counted once, not again from a new state.
    const stats = await runCli(['tail', 'buzz.stats', '--from-beginning', '--no-follow', '--broker', ws.broker]);
    const totals = stats.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { value: { total: number } }).value.total);
    assert.equal(totals.at(-1), 50, stats.stdout + stats.stderr);
    assert.ok(
      totals.every((t, i) => i === 0 || t > totals[i - 1]!),
      `stats never start over: ${totals.join(',')}`,
    );
  } finally {
    a.kill('SIGINT');
    await aDone;
  }
});
