import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRunnelError } from '../../core/errors.ts';
import { TestDriver, type TestDriverOptions } from '../../testing/index.ts';
import type { BuzzStats } from './buzz-stats.ts';
import { buzzApp } from './index.ts';

/** The buzz app's real processors, in-process: each `pipe` is one batch, committed as the runtime does. */
function driver(options: TestDriverOptions = {}): TestDriver {
  const spec = buzzApp.build({ dataDir: mkdtempSync(join(tmpdir(), 'runnel-buzz-')), sinks: [], env: {} });
  if (spec instanceof Promise) throw new Error('buzz builds synchronously');
  return new TestDriver(spec.processors, options);
}

const pipe = (d: TestDriver, values: unknown[], from = 0) =>
  d.pipe(
    'buzz',
    values.map((value, i) => ({ value, timestamp: from + i })),
  );

/** Every value through a fresh app in one batch, and the one stats record it emits. */
function statsOf(values: unknown[]): BuzzStats {
  const stats = pipe(driver(), values).values<BuzzStats>('buzz.stats');
  assert.equal(stats.length, 1);
  return stats[0]!;
}

test('counts, sentiment and exact length median over the whole stream, one stats record per batch', () => {
  const d = driver();
  const msgs = [
    { author: 'Alice', category: 'tech', sentiment: 0.2, message: 'a'.repeat(30) },
    { author: 'Bob', category: 'tech', sentiment: 0.4, message: 'b'.repeat(31) },
    { author: 'Alice', category: 'food', sentiment: 0.9, message: 'c'.repeat(40) },
    { author: 'Eve', category: 'other', sentiment: 0.5, message: 'd'.repeat(33) },
  ];
  pipe(d, msgs, 1000);
  d.advanceTime(1000); // a batch with nothing new: no second record
  const out = d.outputs<BuzzStats>('buzz.stats');
  assert.equal(out.length, 1);
  assert.equal(out[0]!.key, 'stats');
  const s = out[0]!.value;
  assert.equal(out[0]!.timestamp, 1003);
  assert.equal(s.total, 4);
  assert.deepEqual(s.byAuthor, { Alice: 2, Bob: 1, Eve: 1 });
  assert.deepEqual(s.byCategory, { tech: 2, food: 1, other: 1 });
  assert.deepEqual(s.sentiment, { count: 4, mean: 0.5, rolling: 0.5, window: 50 });
  assert.equal(s.length.median, (31 + 33) / 2);
  assert.equal(s.length.min, 30);
  assert.equal(s.length.max, 40);
  assert.equal(s.length.mean, (30 + 31 + 40 + 33) / 4);
  assert.deepEqual(s.length.histogram, { 30: 1, 31: 1, 33: 1, 40: 1 });
  assert.equal(s.at, 1003);
  // The next batch: one more record, with the totals of both.
  pipe(d, [{ author: 'Bob', message: 'e' }], 2000);
  const next = d.values<BuzzStats>('buzz.stats');
  assert.equal(next.length, 2);
  assert.equal(next[1]!.total, 5);
  assert.deepEqual(next[1]!.byAuthor, { Alice: 2, Bob: 2, Eve: 1 });
});

test('a value that is not a buzz message goes to the dead-letter topic, and is not counted', () => {
  const d = pipe(driver(), ['hello', { message: 'hi', author: 'Ann' }]);
  const dead = d.values<{ error: { message: string } }>('buzz.dlq');
  assert.equal(dead.length, 1);
  assert.match(JSON.stringify(dead[0]), /message|expected object/);
  assert.deepEqual(
    d.values<BuzzStats>('buzz.stats').map((s) => [s.total, s.byAuthor]),
    [[1, { Ann: 1 }]],
  );
});

const SEED_BUZZ = new URL('../../../test/fixtures/seed-data/buzz.json', import.meta.url);

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
  ]);
  assert.deepEqual(s.byCategory, { tech: 1, other: 1 });
  assert.deepEqual(s.sentiment, { count: 2, mean: 0.6, rolling: 0.6, window: 50 });
  assert.deepEqual(s.byAuthor, { unknown: 3 }, 'a missing author counts as "unknown", as the seeds chart it');
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

/** Seeded, so a failure names a run that can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('stats are exact against a reference computed from the records, across batches and restarts', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = rng(seed);
    const d = driver();
    const all: Array<{ author?: string; category?: string; sentiment?: number; message: string }> = [];
    let t = 0;
    for (let batch = 0; batch < 12; batch++) {
      const values = Array.from({ length: 1 + Math.floor(r() * 40) }, () => ({
        ...(r() < 0.9 ? { author: ['Alice', 'Bob', 'Eve'][Math.floor(r() * 3)]! } : {}),
        ...(r() < 0.7 ? { category: ['tech', 'food', 'other'][Math.floor(r() * 3)]! } : {}),
        ...(r() < 0.8 ? { sentiment: Math.round(r() * 100) / 100 } : {}),
        message: 'x'.repeat(1 + Math.floor(r() * 60)),
      }));
      all.push(...values);
      pipe(d, values, t);
      t += values.length;
      // A crash between batches: the totals come back from the committed store alone.
      if (r() < 0.3) d.restart();
    }
    const s = d.values<BuzzStats>('buzz.stats').at(-1)!;
    const count = (f: (m: (typeof all)[number]) => string | undefined) => {
      const out: Record<string, number> = {};
      for (const m of all) {
        const k = f(m);
        if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    };
    const scores = all.flatMap((m) => (m.sentiment === undefined ? [] : [m.sentiment]));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const lengths = all.map((m) => m.message.length).sort((a, b) => a - b);
    const mid = lengths.length / 2;
    const median = lengths.length % 2 ? lengths[Math.floor(mid)]! : (lengths[mid - 1]! + lengths[mid]!) / 2;
    assert.equal(s.total, all.length, `seed ${seed}`);
    assert.deepEqual(
      s.byAuthor,
      count((m) => m.author ?? 'unknown'),
      `seed ${seed}`,
    );
    assert.deepEqual(
      s.byCategory,
      count((m) => m.category),
      `seed ${seed}`,
    );
    assert.equal(s.sentiment.count, scores.length);
    assert.ok(Math.abs(s.sentiment.mean! - mean(scores)) < 5e-5, `seed ${seed}: mean`);
    assert.ok(Math.abs(s.sentiment.rolling! - mean(scores.slice(-50))) < 5e-5, `seed ${seed}: rolling`);
    assert.deepEqual(
      s.length.histogram,
      count((m) => String(m.message.length)),
      `seed ${seed}`,
    );
    assert.equal(s.length.median, median, `seed ${seed}`);
    assert.deepEqual([s.length.min, s.length.max], [lengths[0], lengths.at(-1)]);
    assert.ok(Math.abs(s.length.mean - mean(lengths)) < 5e-5, `seed ${seed}: length mean`);
    assert.equal(s.at, t - 1);
  }
});

test('the one-key stats step refuses a topic of more than one partition instead of splitting its totals', () => {
  assert.throws(
    () => driver({ partitions: 2 }),
    (e: unknown) => isRunnelError(e) && /buzz\.buzz-stats: .*all-messages.*buzz has 2 partitions/.test(e.message),
  );
});
