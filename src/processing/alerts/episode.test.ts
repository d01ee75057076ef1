import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../../test/helpers/alert-reference.ts';
import { formatDuration } from './duration.ts';
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

test('every rule tells durations exactly to what it shows: a 90 s episode ends "after 1m 30s", not "after 2m"', () => {
  const hot = run(
    threshold({ label: 'temperature', unit: '°C', above: 36 }),
    [36.4, 36.2, 36.3, 36.1, 35.8].map((value, i) => ({ at: i * 22_500, value })),
  );
  const ended = hot.find((e) => e.type === 'ended');
  assert.equal(ended?.durationMs, 90_000);
  assert.equal(
    ended?.reason,
    `temperature back to 35.8 °C (at or below 36.0 °C) after ${formatDuration(90_000)}; peak 36.4 °C`,
  );
  // Every rule's reasons, on readings 75 s apart (episodes of 1m 15s, 2m 30s, ...; rates over 1m 15s); the
  // stall's time window reads as given.
  const rules: AlertRule<unknown>[] = [
    threshold({ above: 100.5 }),
    rateOfChange({ per: '1m', above: 0.5 }),
    stall({ window: '90s', threshold: 0.5 }),
    zScore({ window: 3, threshold: 1, minStd: 0.1 }),
  ] as AlertRule<unknown>[];
  const rs = [100, 101, 100, 102, 100.2, 100.1, 100.2, 100.1, 100.2, 105, 100].map((value, i) => ({
    at: i * 75_000,
    value,
  }));
  const endings = rules.flatMap((rule) => run(rule, rs).filter((e) => e.type === 'ended'));
  assert.ok(
    endings.some((e) => e.durationMs! % 60_000 !== 0),
    'some episode lasts a part of a minute',
  );
  for (const e of endings) assert.ok(e.reason.includes(` after ${formatDuration(e.durationMs!)}`), e.reason);
  const rises = run(rules[1]!, rs).filter((e) => e.type === 'started');
  assert.ok(rises.length > 0);
  for (const e of rises) assert.ok(e.reason.endsWith(` in ${formatDuration(e.figures.dtMs!)})`), e.reason);
  const stalls = run(rules[2]!, rs);
  assert.ok(stalls.length > 0);
  for (const e of stalls) assert.ok(e.reason.includes(`over the last ${formatDuration(90_000)} `), e.reason);
});
