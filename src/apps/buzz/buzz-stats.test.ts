import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
  assert.deepEqual(s.sentiment, { count: 4, mean: 0.5, rolling: 0.5, window: 50 });
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

/** Every value through a fresh processor, and the one stats record its flush emits. */
function statsOf(values: unknown[]): BuzzStats {
  const p = new BuzzStatsProcessor('buzz', 'buzz.stats');
  const out: OutgoingRecord[] = [];
  values.forEach((value, i) => {
    p.process({ topic: 'buzz', partition: 0, offset: i, key: null, value, timestamp: i, headers: {} });
  });
  p.flush({ emit: (_t, r) => out.push(r), log: silentLogger });
  return out[0]!.value as BuzzStats;
}

const SEED_BUZZ = new URL('../../../../shared/data/buzz.json', import.meta.url);

test("the seeds' buzz.json (message and author only): no made-up category or sentiment", () => {
  const messages = JSON.parse(readFileSync(SEED_BUZZ, 'utf8')) as Array<Record<string, unknown>>;
  const s = statsOf(messages);
  assert.equal(s.total, 100);
  assert.deepEqual(s.byCategory, {}, 'a missing category is not "other"');
  assert.deepEqual(s.sentiment, { count: 0, mean: null, rolling: null, window: 50 }, 'no sentiment, no 0.5');
  assert.equal(
    Object.values(s.byAuthor).reduce((a, b) => a + b, 0),
    100,
  );
});

test('sentiment over the messages that carry one; category counted where present', () => {
  const s = statsOf([
    { message: 'a', category: 'tech', sentiment: 0.9 },
    { message: 'b' },
    { message: 'c', category: 'other', sentiment: 0.3 },
    { message: 'd', sentiment: 'high' },
  ]);
  assert.deepEqual(s.byCategory, { tech: 1, other: 1 });
  assert.deepEqual(s.sentiment, { count: 2, mean: 0.6, rolling: 0.6, window: 50 });
});

test('emitted figures are rounded to 4 decimals; the records themselves are left as they came', () => {
  // 0.1 + 0.2 + 0.33 sums to 0.6300000000000001 in binary floating point.
  const values = [
    { message: 'ab', sentiment: 0.1 },
    { message: 'abc', sentiment: 0.2 },
    { message: 'abcd', sentiment: 0.33 },
  ];
  const copy = structuredClone(values);
  const s = statsOf(values);
  assert.equal(s.sentiment.mean, 0.21);
  assert.equal(s.length.mean, 3);
  const thirds = statsOf([{ message: 'a' }, { message: 'a' }, { message: 'ab' }]);
  assert.equal(thirds.length.mean, 1.3333);
  assert.deepEqual(values, copy);
});

test('state saved before sentiment had a count restores with one score per message', () => {
  const p = new BuzzStatsProcessor('buzz', 'buzz.stats');
  const old = { total: 2, byAuthor: {}, byCategory: {}, sentimentSum: 1.2, recentSentiment: [0.5, 0.7] };
  p.restore({ ...old, lengths: { 1: 2 }, lengthSum: 2, at: 0 } as unknown as ReturnType<typeof p.snapshot>);
  assert.deepEqual(p.stats().sentiment, { count: 2, mean: 0.6, rolling: 0.6, window: 50 });
});
