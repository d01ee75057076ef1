import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../../test/helpers/alert-reference.ts';
import { type AlertRule, moreExtreme, rateOfChange, stall, threshold, zScore } from './index.ts';

const minutes = (values: number[]) => values.map((value, i) => ({ at: i * 60_000, value }));

test('minDuration in event time: started once the condition has held 3m, dated from the run start', () => {
  const rule = threshold({ above: 100, minDuration: '3m' });
  const events = run(rule, minutes([90, 101, 102, 99, 101, 101, 101, 101, 90]));
  // 101, 102 (2m) then 99 resets; from minute 4 it holds, and at minute 7 it has held 3m.
  assert.deepEqual(
    events.map((e) => [e.type, e.at / 60_000, e.startedAt / 60_000, e.durationMs]),
    [
      ['started', 7, 4, undefined],
      ['ended', 8, 4, 240_000],
    ],
  );
});

test("updates every N readings after 'started', and 'none' sends only started and ended", () => {
  const values = [101, 101, 101, 101, 101, 101, 101, 90];
  const every2 = run(threshold({ above: 100, updates: 2 }), minutes(values));
  assert.deepEqual(
    every2.map((e) => [e.type, e.at / 60_000]),
    [
      ['started', 0],
      ['updated', 2],
      ['updated', 4],
      ['updated', 6],
      ['ended', 7],
    ],
  );
  assert.deepEqual(
    run(threshold({ above: 100 }), minutes(values)).map((e) => e.type),
    ['started', 'ended'],
  );
});

test('a peak moves by more than float noise or not at all', () => {
  assert.ok(!moreExtreme('down', 100.5 - 100.4, 100.4 - 100.3));
  assert.ok(moreExtreme('down', 0.1, 0.2));
  assert.ok(moreExtreme('abs', -3, 2.9));
  assert.ok(!moreExtreme('up', 5, 5));
});

test('every rule: step never changes the state it is given, and its state is plain JSON', () => {
  const rules: AlertRule<unknown>[] = [
    threshold({ above: 100.5, updates: 'peak' }),
    rateOfChange({ per: '1m', above: 0.5, window: 2 }),
    stall({ window: '3m', threshold: 0.5 }),
    zScore({ window: 3, threshold: 1, minStd: 0.1 }),
  ] as AlertRule<unknown>[];
  const rs = minutes([100, 101, 100, 102, 100.2, 100.1, 100.2, 105, 100]);
  for (const rule of rules) {
    let state = rule.initial();
    for (const r of rs) {
      const before = JSON.stringify(state);
      const a = rule.step(state, r.value, r.at);
      const b = rule.step(state, r.value, r.at);
      assert.equal(JSON.stringify(state), before, `${rule.name} changed its input state`);
      assert.deepEqual(a, b, `${rule.name}: the same state and reading gave different results`);
      assert.deepEqual(JSON.parse(JSON.stringify(a.state)), a.state, `${rule.name}: state is not plain JSON`);
      state = a.state;
    }
  }
});

test('an every-N update on a reading without a verdict says so and carries no figures', () => {
  const rule = rateOfChange({ perMs: 1000, above: 1, updates: 1 });
  const rs = [
    { at: 0, value: 0 },
    { at: 1000, value: 5 },
    { at: 1000, value: 9 }, // same timestamp as the reading before: no rate
  ];
  const events = run(rule, rs);
  assert.deepEqual(
    events.map((e) => [e.type, e.figures, e.reason]),
    [
      ['started', { rate: 5, from: 0, to: 5, dtMs: 1000, above: 1 }, events[0]?.reason],
      ['updated', {}, 'rateOfChange still ongoing (no verdict on this reading)'],
    ],
  );
});
