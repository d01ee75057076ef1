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
    const other = ['--data-dir', join(ws.dir, 'data-b'), '--state-dir', join(ws.dir, 'state-b')];
    const b = await runCli(['consume', 'buzz', '--sinks', 'sqlite', '--drain', '--broker', ws.broker, ...other], {
      timeoutMs: 40_000,
    });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(rowsIn(join(ws.dir, 'data-b')), 50);
    assert.equal(rowsIn(join(ws.dir, 'data')), 50);
    // B's stats processor starts with new state over stats A already wrote to the shared broker: it says
    // so once, and what avoids writing them again.
    const warned = b.stderr.split('\n').filter((l) => l.includes('is new, but buzz.stats'));
    assert.equal(warned.length, 1, b.stderr);
    assert.match(
      warned[0]!,
      /buzz-stats: its state \(.*state-b.*\) is new, but buzz\.stats on local:.* already holds \d+ record\(s\) computed from buzz with other state: they will be written again \(use the --state-dir that made them to avoid it\)$/,
    );
  } finally {
    a.kill('SIGINT');
    await aDone;
  }
});
