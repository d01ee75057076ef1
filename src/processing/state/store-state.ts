import type { StateChange } from '../../core/broker.ts';

/**
 * One store's partition of keyed state: a flat map from string keys to JSON values, held in memory and
 * made durable by the state backend. It remembers which keys changed since the last commit, so a commit
 * writes those and nothing else: its cost grows with the keys changed, never with the keys held.
 *
 * Typed views (value, map, window stores) are built over it with composite keys, so every backend only
 * ever persists `(store, partition, key) -> value`.
 *
 * A value handed to `set` belongs to the store: it is serialised at commit time, so mutating it after
 * `set` and before the commit is seen. Mutating it without calling `set` again is not logged, yet a
 * compaction (which writes the store's content as it is) may keep it: call `set` after every change.
 */
export class StoreState {
  readonly name: string;
  readonly partition: number;
  /** Entries older than this many ms (wall clock) since their last write are dropped; undefined = never. */
  readonly ttlMs: number | undefined;
  readonly #data = new Map<string, unknown>();
  /**
   * Expiry time per key, kept in expiry order (a write moves its key to the end, and with one TTL and a
   * clock that goes forward that is the latest expiry), so a commit's `expire` stops at the first entry
   * still alive: its cost follows the entries expired, not the keys held. Entries loaded by a restore, or
   * a clock that stepped back, break the order; the next `expire` sorts once.
   */
  readonly #expiresAt = new Map<string, number>();
  #ordered = true;
  #lastExpiry = Number.NEGATIVE_INFINITY;
  #dirty = new Map<string, StateChange>();
  /**
   * Dirty keys the last commit did not hold: deleting one again before the next commit writes nothing, so
   * a key that lives between two commits (a record held until the watermark passes) costs no log entry.
   */
  #fresh = new Set<string>();
  /**
   * Map stores' entries by their key (sub-key → the entry's stored key): built on first use from the keys
   * held (a restore loads plain keys), then kept up to date by set, delete and load, so a key's entries are
   * found without a scan, and by the stored key already made (and hashed), not one built again each time.
   */
  #groups: Map<string, Map<string, string>> | undefined;

  constructor(name: string, partition: number, ttlMs?: number) {
    this.name = name;
    this.partition = partition;
    this.ttlMs = ttlMs;
  }

  get size(): number {
    return this.#data.size;
  }

  get<V = unknown>(key: string): V | undefined {
    return this.#data.get(key) as V | undefined;
  }

  has(key: string): boolean {
    return this.#data.has(key);
  }

  /** `now`: the clock a TTL counts from (default the wall clock; read only when the store has a TTL). */
  set(key: string, value: unknown, now?: number): void {
    if (value === undefined) {
      this.delete(key);
      return;
    }
    const had = this.#data.has(key);
    if (this.#groups && !had) this.#group(key, true);
    this.#write(key, value, had, now);
  }

  #write(key: string, value: unknown, had: boolean, now: number | undefined): void {
    this.#data.set(key, value);
    // A key written again before the commit (every record of a window) updates its pending change.
    let change = this.#dirty.get(key);
    if (change) change.value = value;
    else {
      if (!had) this.#fresh.add(key);
      change = { key, value };
      this.#dirty.set(key, change);
    }
    if (this.ttlMs !== undefined) {
      const at = (now ?? Date.now()) + this.ttlMs;
      this.#setExpiry(key, at);
      change.expiresAt = at;
    }
  }

  /** A map store's entry `sub` of `key` (see entryKey). */
  getEntry<V = unknown>(key: string, sub: string): V | undefined {
    const stored = this.#groupsBuilt().get(key)?.get(sub);
    return stored === undefined ? undefined : (this.#data.get(stored) as V | undefined);
  }

  setEntry(key: string, sub: string, value: unknown, now?: number): void {
    if (value === undefined) {
      this.deleteEntry(key, sub);
      return;
    }
    let stored = this.#groupsBuilt().get(key)?.get(sub);
    if (stored === undefined) {
      stored = entryKey(key, sub);
      this.#index(key, sub, stored);
      this.#write(stored, value, this.#data.has(stored), now);
    } else this.#write(stored, value, true, now);
  }

  deleteEntry(key: string, sub: string): void {
    this.#groupsBuilt();
    const stored = this.#unindex(key, sub);
    if (stored !== undefined) this.#remove(stored);
  }

  /** A map store's entries under `key`, as [sub-key, value]. */
  entriesOf<V = unknown>(key: string): Array<[string, V]> {
    const subs = this.#groupsBuilt().get(key);
    if (!subs) return [];
    const out: Array<[string, V]> = [];
    for (const [sub, stored] of subs) out.push([sub, this.#data.get(stored) as V]);
    return out;
  }

  delete(key: string): void {
    if (!this.#data.has(key)) return;
    if (this.#groups) this.#group(key, false);
    this.#remove(key);
  }

  #remove(key: string): void {
    if (!this.#data.delete(key)) return;
    this.#expiresAt.delete(key);
    if (this.#fresh.delete(key)) this.#dirty.delete(key);
    else this.#dirty.set(key, { key, value: undefined });
  }

  keys(): IterableIterator<string> {
    return this.#data.keys();
  }

  entries(): IterableIterator<[string, unknown]> {
    return this.#data.entries();
  }

  /** Every entry with its expiry: what the last commit made durable, when no change is pending. */
  *latest(): Generator<[string, unknown, number | undefined]> {
    for (const [key, value] of this.#data) yield [key, value, this.#expiresAt.get(key)];
  }

  /** Drops entries whose TTL passed; returns how many. Called by the task at commit time. */
  expire(now: number): number {
    if (this.ttlMs === undefined) return 0;
    if (!this.#ordered) this.#sortExpiries();
    let n = 0;
    for (const [key, at] of this.#expiresAt) {
      if (at > now) break;
      this.delete(key);
      n++;
    }
    return n;
  }

  #setExpiry(key: string, at: number): void {
    this.#expiresAt.delete(key);
    this.#expiresAt.set(key, at);
    if (at < this.#lastExpiry) this.#ordered = false;
    else this.#lastExpiry = at;
  }

  #sortExpiries(): void {
    const sorted = [...this.#expiresAt].sort((a, b) => a[1] - b[1]);
    this.#expiresAt.clear();
    for (const [key, at] of sorted) this.#expiresAt.set(key, at);
    this.#lastExpiry = sorted.at(-1)?.[1] ?? Number.NEGATIVE_INFINITY;
    this.#ordered = true;
  }

  /** The changes since the last call, for the backend's commit. */
  takeChanges(): StateChange[] {
    if (this.#dirty.size === 0) return [];
    const out = [...this.#dirty.values()];
    this.#dirty = new Map();
    this.#fresh.clear();
    return out;
  }

  /** Changes not taken yet (a commit that failed puts its changes back with this before retrying). */
  get pendingChanges(): number {
    return this.#dirty.size;
  }

  /** Loads one committed entry during restore; not a change. */
  load(key: string, value: unknown, expiresAt: number | undefined): void {
    if (this.#groups && !this.#data.has(key)) this.#group(key, true);
    this.#data.set(key, value);
    if (expiresAt !== undefined) this.#setExpiry(key, expiresAt);
  }

  /** Marks this as a map store's state (see #groupsBuilt): bound map stores call it before their first read. */
  asMap(): void {
    this.#groupsBuilt();
  }

  /** The sub-keys a map store holds under `key` (in no promised order: a restore loads them as stored). */
  subKeys(key: string): string[] {
    return [...(this.#groupsBuilt().get(key)?.keys() ?? [])];
  }

  /** The keys under which a map store holds at least one entry. */
  groupKeys(): string[] {
    return [...this.#groupsBuilt().keys()];
  }

  /**
   * The index of a map store's entries, built on first use. State written before map entries were keys
   * of their own (one JSON object per key) is split into entries then, as changes, so the next commit
   * stores it the new way.
   */
  #groupsBuilt(): Map<string, Map<string, string>> {
    if (!this.#groups) {
      this.#groups = new Map();
      const whole: Array<[string, object]> = [];
      for (const [k, v] of this.#data) {
        if (splitEntryKey(k)) this.#group(k, true);
        else if (typeof v === 'object' && v !== null && !Array.isArray(v)) whole.push([k, v]);
      }
      for (const [key, map] of whole) {
        this.delete(key);
        for (const [sub, v] of Object.entries(map)) this.set(entryKey(key, sub), v);
      }
    }
    return this.#groups;
  }

  #group(composite: string, add: boolean): void {
    const parts = splitEntryKey(composite);
    if (!parts) return;
    const [key, sub] = parts;
    if (add) this.#index(key, sub, composite);
    else this.#unindex(key, sub);
  }

  /** Takes an entry out of the index of its key's entries; returns its stored key, if it was there. */
  #unindex(key: string, sub: string): string | undefined {
    const subs = this.#groups!.get(key);
    const stored = subs?.get(sub);
    if (stored === undefined) return undefined;
    subs!.delete(sub);
    if (subs!.size === 0) this.#groups!.delete(key);
    return stored;
  }

  /** Adds an entry's stored key to the index of its key's entries. */
  #index(key: string, sub: string, stored: string): void {
    const subs = this.#groups!.get(key);
    if (subs) subs.set(sub, stored);
    else this.#groups!.set(key, new Map([[sub, stored]]));
  }
}

/**
 * The stored key of one entry of a map store: each entry is its own key, so a commit writes the entries
 * changed, not the whole map. The key's length is spelled out, so keys and sub-keys may hold any character.
 */
export function entryKey(key: string, sub: string): string {
  return `\u0000${key.length}\u0000${key}${sub}`;
}

/** The key and sub-key of an entry key; undefined for a plain key (a value store's). */
export function splitEntryKey(stored: string): [string, string] | undefined {
  if (stored.charCodeAt(0) !== 0) return undefined;
  const end = stored.indexOf('\u0000', 1);
  const length = Number(stored.slice(1, end));
  if (end < 0 || !Number.isInteger(length)) return undefined;
  return [stored.slice(end + 1, end + 1 + length), stored.slice(end + 1 + length)];
}
