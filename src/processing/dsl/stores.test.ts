import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { StoreState } from '../state/store-state.ts';
import { bindMapStore } from './stores.ts';

// Keys and sub-keys that could confuse a composite key: empty, digits, NULs, a key that is another's prefix.
const name = fc.constantFrom('', 'a', 'ab', '1', '12', '\u0000', 'a\u0000b', '\u00003\u0000');

type Op =
  | { kind: 'set'; key: string; sub: string; value: number }
  | { kind: 'delete'; key: string; sub: string }
  | { kind: 'clear'; key: string }
  | { kind: 'restore' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), key: name, sub: name, value: fc.integer() }) },
  fc.record({ kind: fc.constant('delete' as const), key: name, sub: name }),
  fc.record({ kind: fc.constant('clear' as const), key: name }),
  fc.record({ kind: fc.constant('restore' as const) }),
);

test('map store: entries, keys and a restore from committed changes agree with a plain map of maps', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      let s = new StoreState('m', 0);
      // The committed entries, as a backend holds them: what a restore loads.
      const committed = new Map<string, unknown>();
      const ref = new Map<string, Map<string, number>>();
      let current = '';
      const store = () =>
        bindMapStore<number>(
          s,
          () => current,
          () => 0,
        );
      for (const o of ops) {
        if (o.kind === 'restore') {
          for (const c of s.takeChanges()) {
            if (c.value === undefined) committed.delete(c.key);
            else committed.set(c.key, c.value);
          }
          s = new StoreState('m', 0);
          for (const [k, v] of committed) s.load(k, v, undefined);
          continue;
        }
        current = o.key;
        const m = ref.get(o.key) ?? new Map<string, number>();
        if (o.kind === 'set') {
          store().set(o.sub, o.value);
          m.set(o.sub, o.value);
        } else if (o.kind === 'delete') {
          store().delete(o.sub);
          m.delete(o.sub);
        } else {
          store().clear();
          m.clear();
        }
        if (m.size > 0) ref.set(o.key, m);
        else ref.delete(o.key);
        for (const [k, subs] of ref) {
          current = k;
          assert.deepEqual(new Map(store().entries()), subs);
          for (const [sub, v] of subs) assert.equal(store().get(sub), v);
        }
        assert.deepEqual(s.groupKeys().sort(), [...ref.keys()].sort());
      }
    }),
    { numRuns: 400 },
  );
});

test('map store: a commit writes the entries changed, not the map, however many the key holds', () => {
  for (const held of [10, 10_000]) {
    const s = new StoreState('m', 0);
    const m = bindMapStore<number>(
      s,
      () => 'tile',
      () => 0,
    );
    for (let i = 0; i < held; i++) m.set(String(i), i);
    assert.equal(s.takeChanges().length, held);
    m.set('7', -7);
    m.delete('8');
    const changes = s.takeChanges();
    assert.deepEqual(
      changes.map((c) => c.value),
      [-7, undefined],
    );
    assert.equal(m.entries().length, held - 1);
  }
});

test('map store with a TTL: each entry expires on its own, and the key goes once its last entry has', () => {
  const s = new StoreState('m', 0, 100);
  let now = 0;
  const m = bindMapStore<number>(
    s,
    () => 'k',
    () => now,
  );
  m.set('old', 1);
  now = 60;
  m.set('new', 2);
  assert.equal(s.expire(120), 1);
  assert.deepEqual(m.entries(), [['new', 2]]);
  assert.deepEqual(s.groupKeys(), ['k']);
  assert.equal(s.expire(200), 1);
  assert.deepEqual(s.groupKeys(), []);
});

test('map store: state kept the old way (the whole map as one value) is split into entries on first use', () => {
  for (const first of ['keys', 'bind'] as const) {
    const s = new StoreState('m', 0);
    s.load('k1', { a: 1, b: { deep: true } }, undefined);
    s.load('k2', { c: 3 }, undefined);
    if (first === 'keys') assert.deepEqual(s.groupKeys().sort(), ['k1', 'k2']);
    const m = bindMapStore<unknown>(
      s,
      () => 'k1',
      () => 0,
    );
    assert.deepEqual(
      new Map(m.entries()),
      new Map<string, unknown>([
        ['a', 1],
        ['b', { deep: true }],
      ]),
    );
    assert.deepEqual(s.groupKeys().sort(), ['k1', 'k2']);
    // Stored the new way at the next commit: the old keys deleted, an entry per sub-key written.
    const changes = s.takeChanges();
    assert.deepEqual(
      changes
        .filter((c) => c.value === undefined)
        .map((c) => c.key)
        .sort(),
      ['k1', 'k2'],
    );
    assert.equal(changes.filter((c) => c.value !== undefined).length, 3);
  }
});
