/**
 * What a restarted worker says it restored: the state entries of each step's own stores, counted from the
 * broker's state log here; a step that keeps no state (the keyBy before a window) says nothing, though its
 * tasks restore their watermarks (a trial read "restored 2 key(s)" for a step with no stores).
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { runCli, workspace } from '../helpers/cli.ts';

const WINDOWED = new URL('../fixtures/windowed-pipeline.ts', import.meta.url).pathname;

test('a restarted consume says how many state entries each stateful step restored, and nothing for a stateless one', async () => {
  const ws = workspace();
  const produced = await runCli(['produce', WINDOWED, '--limit', '200', '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  const first = await runCli(['consume', WINDOWED, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(first.code, 0, first.stderr);

  // The latest value per store, partition and key from the log (an entry of one element deletes its key),
  // the watermark's own store (`<step>.clock`) apart.
  const db = new DatabaseSync(ws.broker.slice('local:'.length), { readOnly: true });
  const live = new Map<string, Set<string>>();
  for (const row of db.prepare('SELECT store, partition, changes FROM state_log ORDER BY rowid').all() as Array<{
    store: string;
    partition: number;
    changes: string;
  }>) {
    if (row.store.endsWith('.clock')) continue;
    const keys = live.get(`${row.store}/${row.partition}`) ?? new Set<string>();
    for (const e of JSON.parse(row.changes) as unknown[][]) {
      if (e.length === 1) keys.delete(String(e[0]));
      else keys.add(String(e[0]));
    }
    live.set(`${row.store}/${row.partition}`, keys);
  }
  db.close();
  const held = [...live.values()].reduce((n, keys) => n + keys.size, 0);
  assert.ok(held > 0, 'the drain leaves windows open, kept in the window store');

  const second = await runCli(['consume', WINDOWED, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(second.code, 0, second.stderr);
  const lines = second.stderr.split('\n').filter((l) => l.includes(' restored '));
  assert.equal(lines.length, 1, `one step keeps state: ${lines.join(' | ')}`);
  assert.match(lines[0]!, new RegExp(`: restored ${held} state entr(y|ies) of partitions? `));
});
