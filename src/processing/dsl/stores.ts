import type { StoreState } from '../state/store-state.ts';

/** Declares a per-key value store for `KeyedStream.process`. */
export interface ValueStoreSpec<T> {
  readonly kind: 'value';
  readonly ttlMs?: number;
  /** Phantom: the stored type. */
  readonly __type?: T;
}

/**
 * Declares a per-key map store: sub-keys per key, each stored (and checkpointed, and given its TTL) as an
 * entry of its own, so a commit's cost follows the entries changed, however many a key holds.
 */
export interface MapStoreSpec<T> {
  readonly kind: 'map';
  readonly ttlMs?: number;
  readonly __type?: T;
}

export type AnyStoreSpec = ValueStoreSpec<unknown> | MapStoreSpec<unknown>;

/** A store of one value per key (a model, a status, a running total). */
export function valueStore<T>(options: { ttlMs?: number } = {}): ValueStoreSpec<T> {
  return { kind: 'value', ...options };
}

/** A store of a map per key (counts by category for each author). */
export function mapStore<T>(options: { ttlMs?: number } = {}): MapStoreSpec<T> {
  return { kind: 'map', ...options };
}

/** The current key's value. */
export interface ValueStore<T> {
  get(): T | undefined;
  set(value: T): void;
  delete(): void;
  /** Another key's value in this partition (keys of other partitions live in other tasks). */
  getFor(key: string): T | undefined;
}

/** The current key's map. */
export interface MapStore<T> {
  get(sub: string): T | undefined;
  set(sub: string, value: T): void;
  delete(sub: string): void;
  /** The key's entries (in no promised order). */
  entries(): Array<[string, T]>;
  /** Deletes every entry of the key. */
  clear(): void;
}

export type StoreOf<S> =
  S extends ValueStoreSpec<infer T> ? ValueStore<T> : S extends MapStoreSpec<infer T> ? MapStore<T> : never;

/** The clock a store's TTL counts from, read only for a store that has one (a write per record otherwise). */
const clockFor = (s: StoreState, now: () => number): number | undefined => (s.ttlMs === undefined ? undefined : now());

export function bindValueStore<T>(s: StoreState, key: () => string, now: () => number): ValueStore<T> {
  return {
    get: () => s.get<T>(key()),
    set: (v) => s.set(key(), v, clockFor(s, now)),
    delete: () => s.delete(key()),
    getFor: (k) => s.get<T>(k),
  };
}

export function bindMapStore<T>(s: StoreState, key: () => string, now: () => number): MapStore<T> {
  s.asMap();
  return {
    get: (sub) => s.getEntry<T>(key(), sub),
    set: (sub, v) => s.setEntry(key(), sub, v, clockFor(s, now)),
    delete: (sub) => s.deleteEntry(key(), sub),
    entries: () => s.entriesOf<T>(key()),
    clear: () => {
      const k = key();
      for (const sub of s.subKeys(k)) s.deleteEntry(k, sub);
    },
  };
}
