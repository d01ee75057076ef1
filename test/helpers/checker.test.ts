import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, makeEvents } from './checker.ts';

// The checker must be able to fail, or the crash tests prove nothing (R2: harness self-test).
test('checker flags a seeded gap, a duplicate and a reordering exactly', () => {
  const events = makeEvents(100);
  assert.deepEqual(check(events, 100), { count: 100, unique: 100, lost: [], duplicates: 0, nonmonotonic: [] });
  const withGap = events.filter((e) => e.id !== 42);
  assert.deepEqual(check(withGap, 100).lost, [42]);
  const withDup = [...events.slice(0, 50), events[49]!, ...events.slice(50)];
  const v = check(withDup, 100);
  assert.equal(v.duplicates, 1);
  assert.deepEqual(v.lost, []);
  assert.deepEqual(v.nonmonotonic, [events[49]!.key]);
  const swapped = [...events];
  [swapped[10], swapped[20]] = [swapped[20]!, swapped[10]!];
  assert.deepEqual(check(swapped, 100).nonmonotonic, ['k0']);
});
