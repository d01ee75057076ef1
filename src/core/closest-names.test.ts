import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { closestNames, slipDistance, slipOf } from './closest-names.ts';

const many = Array.from({ length: 100 }, (_, i) => `load-${String(i).padStart(3, '0')}`);

test('closest names first: containment, then edit distance, then shared prefix; internal names left out', () => {
  const names = [
    ...many,
    'smoker.alerts',
    'smoker.readings',
    'buzz',
    'buzz.stats',
    '__consumer_offsets',
    '_runnel.status',
  ];
  assert.deepEqual(closestNames('smoker', names, 2), { shown: ['smoker.alerts', 'smoker.readings'], more: 102 });
  assert.deepEqual(closestNames('buz', names, 2).shown, ['buzz', 'buzz.stats']);
  assert.deepEqual(closestNames('smokre.alerts', names, 1).shown, ['smoker.alerts']);
  assert.deepEqual(closestNames('Buzz', names, 1).shown, ['buzz']);
  assert.ok(!closestNames('x', names, 200).shown.some((n) => n.startsWith('_')));
  assert.deepEqual(closestNames('_runnel.statu', names, 1).shown, ['_runnel.status']);
});

test('slipOf: one rule for every "did you mean": a letter or two by length, then (if asked) a part', () => {
  // Panel fields and types, flags, apps: one slip in a short name, two in a longer one, in any case.
  assert.equal(slipOf('grop', ['y', 'x', 'group']), 'group');
  assert.equal(slipOf('Y', ['y', 'x']), 'y');
  assert.equal(slipOf('key', ['y', 'x', 'group']), undefined, 'not `y` for `key`');
  assert.equal(slipOf('z', ['y', 'x']), undefined, 'a one-letter name is a slip only in another case');
  assert.equal(slipOf('pie', ['line', 'bar']), undefined);
  assert.equal(slipOf('unti', ['unit', 'label']), 'unit', 'a swap is one slip');
  assert.equal(slipOf('tss', ['ts', 'v']), 'ts', 'a letter too many');
  assert.equal(slipOf('lable', ['label', 'active']), 'label');
  assert.equal(slipOf('sqllite', ['jsonl', 'sqlite', 'duckdb']), 'sqlite');
  assert.equal(slipOf('foo', ['jsonl', 'sqlite', 'duckdb']), undefined, 'no suggestion for what is like nothing');
  // Topics: a part of a name, when nothing is a slip, and not for a name of one or two letters.
  assert.equal(slipOf('clicks', ['clicks.per-usr', 'views']), undefined);
  assert.equal(slipOf('clicks', ['clicks.per-usr', 'views'], { contained: true }), 'clicks.per-usr');
  assert.equal(slipOf('ab', ['abc.x'], { contained: true }), undefined);
  assert.equal(slipOf('per-usr', ['clicks.per-user', 'per-user'], { contained: true }), 'per-user', 'a slip first');
  // Headers: spacing and separators do not count; among parts, the nearest in length.
  assert.equal(slipOf('first_name_of_user', ['first name of user', 'note']), undefined);
  assert.equal(slipOf('first_name_of_user', ['first name of user', 'note'], { loose: true }), 'first name of user');
  assert.equal(slipOf('temp', ['temperature_reading', 'temp_f'], { contained: true }), 'temp_f');
  assert.equal(slipOf('timestamp', ['Time', 'temp'], { loose: true, contained: true }), 'Time');
  assert.equal(slipOf('buzz', ['buzz']), undefined, 'never the name itself');
});

test('slipOf suggests only names within the rule, whatever the names and the case', () => {
  const word = fc.stringMatching(/^[a-z][a-z._-]{0,11}$/);
  fc.assert(
    fc.property(word, fc.array(word, { maxLength: 8 }), fc.boolean(), (wanted, names, upper) => {
      const asked = upper ? wanted.toUpperCase() : wanted;
      const got = slipOf(asked, names);
      if (got === undefined) {
        // Nothing within the rule was passed over.
        for (const n of names) {
          if (n === asked) continue;
          const limit = Math.max(n.length, wanted.length) <= 2 ? 0 : Math.max(n.length, wanted.length) <= 4 ? 1 : 2;
          assert.ok(slipDistance(wanted, n) > limit, `${n} was a slip of ${asked}`);
        }
        return;
      }
      assert.ok(names.includes(got) && got !== asked);
      const d = slipDistance(wanted, got);
      assert.ok(d <= (Math.max(got.length, wanted.length) <= 4 ? 1 : 2));
      // And the best: no other name is fewer slips away.
      for (const n of names) if (n !== asked) assert.ok(slipDistance(wanted, n) >= d);
    }),
    { numRuns: 500 },
  );
});
