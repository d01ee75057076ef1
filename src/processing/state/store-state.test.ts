import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StoreState } from './store-state.ts';

type Op =
  | { kind: 'set'; key: string; dt: number }
  | { kind: 'load'; key: string; expiresAt: number }
  | { kind: 'delete'; key: string }
  | { kind: 'expire'; dt: number };

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const op: fc.Arbitrary<Op> = fc.oneof(
  // dt may be negative: a clock that steps back must not make an entry outlive its TTL or die early.
  fc.record({ kind: fc.constant('set' as const), key, dt: fc.integer({ min: -50, max: 200 }) }),
  fc.record({ kind: fc.constant('load' as const), key, expiresAt: fc.integer({ min: 0, max: 5000 }) }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.record({ kind: fc.constant('expire' as const), dt: fc.integer({ min: -50, max: 400 }) }),
);

test('TTL: expire drops exactly the entries whose time passed, whatever the order of writes and loads', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const ttl = 300;
      const s = new StoreState('s', 0, ttl);
      // Reference: key -> expiry, scanned whole at every expire.
      const ref = new Map<string, number>();
      let now = 1000;
      for (const o of ops) {
        if (o.kind === 'set') {
          now += o.dt;
          s.set(o.key, 1, now);
          ref.set(o.key, now + ttl);
        } else if (o.kind === 'load') {
          s.load(o.key, 1, o.expiresAt);
          ref.set(o.key, o.expiresAt);
        } else if (o.kind === 'delete') {
          s.delete(o.key);
          ref.delete(o.key);
        } else {
          now += o.dt;
          let want = 0;
          for (const [k, at] of ref)
            if (at <= now) {
              ref.delete(k);
              want++;
            }
          assert.equal(s.expire(now), want);
        }
        assert.deepEqual([...s.keys()].sort(), [...ref.keys()].sort());
      }
    }),
    { numRuns: 500 },
  );
});

test('TTL: an expired key is committed as a deletion; a rewritten key lives on', () => {
  const s = new StoreState('s', 0, 100);
  s.set('old', 1, 0);
  s.set('kept', 1, 0);
  s.takeChanges();
  s.set('kept', 2, 80); // rewritten: expires at 180 now
  assert.equal(s.expire(150), 1);
  assert.deepEqual(
    s.takeChanges().sort((a, b) => (a.key < b.key ? -1 : 1)),
    [
      { key: 'kept', value: 2, expiresAt: 180 },
      { key: 'old', value: undefined },
    ],
  );
  assert.equal(s.get('kept'), 2);
});

test('a checkpoint carries only the keys changed since the last one, however many are held', () => {
  const s = new StoreState('s', 0);
  for (let i = 0; i < 10_000; i++) s.set(`k${i}`, i);
  assert.equal(s.takeChanges().length, 10_000);
  s.set('k5', 'x');
  s.set('k5', 'y');
  s.delete('k7');
  s.delete('never-there');
  const changes = s.takeChanges();
  assert.deepEqual(changes, [
    { key: 'k5', value: 'y' },
    { key: 'k7', value: undefined },
  ]);
  assert.equal(s.takeChanges().length, 0);
  assert.equal(s.size, 9_999);
});

test('entries live for the TTL after their last write, by processing time', () => {
  const s = new StoreState('s', 0, 1000);
  s.set('a', 1, 0);
  s.set('b', 2, 500);
  s.takeChanges();
  assert.equal(s.expire(999), 0);
  assert.equal(s.expire(1000), 1);
  assert.equal(s.has('a'), false);
  assert.equal(s.get('b'), 2);
  assert.deepEqual(s.takeChanges(), [{ key: 'a', value: undefined }], 'an expiry is a change (a delete)');
  s.set('b', 3, 1400);
  assert.equal(s.expire(1600), 0, 'writing again restarts the TTL');
  assert.equal(s.expire(2400), 1);
});

test('a commit holds what the store holds, and no deletion of a key the last commit did not hold', () => {
  type Step = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'commit' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('delete' as const), key }),
    fc.constant({ kind: 'commit' as const }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
      const s = new StoreState('s', 0);
      const committed = new Map<string, unknown>();
      const commit = () => {
        for (const c of s.takeChanges()) {
          if (c.value === undefined) {
            assert.ok(committed.has(c.key), `a deletion of ${c.key}, which no commit held`);
            committed.delete(c.key);
          } else committed.set(c.key, c.value);
        }
        assert.deepEqual(new Map(s.entries()), committed);
      };
      for (const x of [...steps, { kind: 'commit' as const }]) {
        if (x.kind === 'set') s.set(x.key, x.value);
        else if (x.kind === 'delete') s.delete(x.key);
        else commit();
      }
    }),
    { numRuns: 500 },
  );
});

test("a map store's entries, by key and sub-key, match a map of maps through sets, deletes, TTL and commits", () => {
  type Step =
    | { kind: 'set'; key: string; sub: string; value: number }
    | { kind: 'delete'; key: string; sub: string }
    | { kind: 'clear'; key: string }
    | { kind: 'commit' };
  const sub = fc.constantFrom('1', '2', 'x', '');
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key, sub, value: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ kind: fc.constant('delete' as const), key, sub }),
    fc.record({ kind: fc.constant('clear' as const), key }),
    fc.constant({ kind: 'commit' as const }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 100 }), (steps) => {
      const s = new StoreState('m', 0);
      const ref = new Map<string, Map<string, number>>();
      const committed = new Map<string, unknown>();
      let atCommit = new Map<string, Map<string, number>>();
      for (const x of steps) {
        if (x.kind === 'set') {
          s.setEntry(x.key, x.sub, x.value);
          if (!ref.has(x.key)) ref.set(x.key, new Map());
          ref.get(x.key)!.set(x.sub, x.value);
        } else if (x.kind === 'delete') {
          s.deleteEntry(x.key, x.sub);
          ref.get(x.key)?.delete(x.sub);
          if (ref.get(x.key)?.size === 0) ref.delete(x.key);
        } else if (x.kind === 'clear') {
          for (const k of s.subKeys(x.key)) s.deleteEntry(x.key, k);
          ref.delete(x.key);
        } else {
          for (const c of s.takeChanges()) {
            if (c.value === undefined) committed.delete(c.key);
            else committed.set(c.key, c.value);
          }
          atCommit = new Map([...ref].map(([k, subs]) => [k, new Map(subs)]));
        }
        assert.deepEqual(new Set(s.groupKeys()), new Set(ref.keys()));
        for (const [k, subs] of ref) {
          assert.deepEqual(new Map(s.entriesOf(k)), subs);
          for (const [sb, v] of subs) assert.equal(s.getEntry(k, sb), v);
        }
      }
      // What was committed, restored into a fresh store, reads back as the reference at the last commit.
      const restored = new StoreState('m', 0);
      for (const [k, v] of committed) restored.load(k, v, undefined);
      restored.asMap();
      assert.deepEqual(new Set(restored.groupKeys()), new Set(atCommit.keys()));
      for (const [k, subs] of atCommit) assert.deepEqual(new Map(restored.entriesOf(k)), subs);
    }),
    { numRuns: 300 },
  );
});
