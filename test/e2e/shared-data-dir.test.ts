/**
 * Workers of one app sharing a data folder write one set of outputs (one consumer group per output). A
 * `consume --drain` of each must end once the group, not the process, has written everything: before,
 * each waited for ever for the partitions the others wrote, and a JSONL sink waiting for another worker's
 * file lock never started at all (a scale-out trial found all three alive minutes after the work was done).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonlValues, runCli, sqliteRows, startCli, stopped, workspace } from '../helpers/cli.ts';

const APP = new URL('../fixtures/six-partitions-pipeline.ts', import.meta.url).pathname;
const N = 6000;

/** Each author's counts must be exactly 1..k, once each, and all authors' k add up to the records produced. */
function assertCounts(rows: Array<{ author: string; n: number }>, what: string): void {
  const byAuthor = new Map<string, number[]>();
  for (const r of rows) byAuthor.set(r.author, [...(byAuthor.get(r.author) ?? []), Number(r.n)]);
  let total = 0;
  for (const [author, ns] of byAuthor) {
    const sorted = ns.toSorted((a, b) => a - b);
    assert.deepEqual(
      sorted,
      Array.from({ length: sorted.length }, (_, i) => i + 1),
      `${what}: ${author}'s counts`,
    );
    total += sorted.length;
  }
  assert.equal(total, N, `${what}: one output per record`);
}

test('three consume --drain workers on one data folder all finish, and the outputs hold every result once', {
  timeout: 240_000,
}, async () => {
  const ws = workspace('runnel-shared-dir-');
  const p = await runCli(['produce', APP, '--limit', String(N), '--rate', '0', ...ws.flags]);
  assert.equal(p.code, 0, p.stderr);
  const workers = [0, 1, 2].map(() => startCli(['consume', APP, '--drain', ...ws.flags]));
  const codes = await Promise.all(
    workers.map(
      (w) =>
        new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => resolve(-1), 120_000);
          w.once('exit', (code) => {
            clearTimeout(timer);
            resolve(code);
          });
        }),
    ),
  );
  for (const w of workers) if (w.exitCode === null) await stopped(w, 5000);
  assert.deepEqual(codes, [0, 0, 0], 'every worker ends once the group has written everything (-1: still running)');
  const data = join(ws.dir, 'data');
  assertCounts(jsonlValues<{ author: string; n: number }>(join(data, 'six.counts.jsonl')), 'jsonl');
  assertCounts(
    sqliteRows<{ author: string; n: number }>(join(data, 'six-partitions.sqlite'), 'SELECT author, n FROM six_counts'),
    'sqlite',
  );
});
