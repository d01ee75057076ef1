import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProcessorContext } from '../../core/connector.ts';
import { silentLogger } from '../../core/log.ts';
import type { OutgoingRecord } from '../../core/record.ts';
import { type BuzzStats, BuzzStatsProcessor } from './buzz-stats.ts';

test('counts, sentiment and exact length median over the whole stream, one stats record per batch', () => {
  const p = new BuzzStatsProcessor('buzz', 'buzz.stats');
  const out: OutgoingRecord[] = [];
  const ctx: ProcessorContext = { emit: (_t, r) => out.push(r), log: silentLogger };
  const msgs = [
    { author: 'Alice', category: 'tech', sentiment: 0.2, message: 'a'.repeat(30) },
    { author: 'Bob', category: 'tech', sentiment: 0.4, message: 'b'.repeat(31) },
    { author: 'Alice', category: 'food', sentiment: 0.9, message: 'c'.repeat(40) },
    { author: 'Eve', category: 'other', sentiment: 0.5, message: 'd'.repeat(33) },
  ];
  msgs.forEach((m, i) => {
    p.process({ topic: 'buzz', partition: 0, offset: i, key: m.author, value: m, timestamp: 1000 + i, headers: {} });
  });
  p.flush(ctx);
  p.flush(ctx); // nothing new: no second record
  assert.equal(out.length, 1);
  const s = out[0]!.value as BuzzStats;
  assert.equal(s.total, 4);
  assert.deepEqual(s.byAuthor, { Alice: 2, Bob: 1, Eve: 1 });
  assert.deepEqual(s.byCategory, { tech: 2, food: 1, other: 1 });
  assert.ok(Math.abs(s.sentiment.mean - 0.5) < 1e-12);
  assert.equal(s.length.median, (31 + 33) / 2);
  assert.equal(s.length.min, 30);
  assert.equal(s.length.max, 40);
  assert.equal(s.length.mean, (30 + 31 + 40 + 33) / 4);
  assert.equal(s.at, 1003);
});

test('a value that is not a buzz message is refused (it goes to the dead-letter topic)', () => {
  const p = new BuzzStatsProcessor('buzz', 'buzz.stats');
  assert.throws(
    () => p.process({ topic: 'buzz', partition: 0, offset: 0, key: null, value: 'hello', timestamp: 0, headers: {} }),
    /message/,
  );
});
