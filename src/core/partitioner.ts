import { ErrorCodes, RunnelError } from './errors.ts';
import type { OutgoingRecord } from './record.ts';

/**
 * Kafka's default partitioner: murmur2 of the key's UTF-8 bytes, made positive, modulo the partition
 * count. The local broker uses the same function so a key lands on the same partition number on both
 * brokers, and a record keyed by runnel lands where Java/Python Kafka clients would put it.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 tail bytes fall through by design
    case 3:
      h ^= data[tail + 2]! << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 tail bytes fall through by design
    case 2:
      h ^= data[tail + 1]! << 8;
    case 1:
      h ^= data[tail]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();
/** A key's UTF-8 bytes, written here instead of into a new array per key. */
let scratch = new Uint8Array(256);

/** murmur2 of `key`'s UTF-8 bytes; an ASCII key (ids, names) is copied byte by byte, not encoded natively. */
function hashKey(key: string): number {
  const n = key.length;
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (n * 3 > scratch.length) scratch = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return murmur2(scratch, encoder.encodeInto(key, scratch).written);
    scratch[i] = c;
  }
  return murmur2(scratch, n);
}

/**
 * Keys' murmur2 hashes recently asked for: a stream's keys repeat (authors), a lookup is cheaper than a
 * hash. Cleared when full, so more keys than this (stopcovid's people) are hashed each time; encoding them
 * with a TextEncoder then was a twentieth of that app's time.
 */
const hashes = new Map<string, number>();
const HASHES_KEPT = 65_536;

export function partitionForKey(key: string, partitions: number): number {
  let h = hashes.get(key);
  if (h === undefined) {
    h = hashKey(key) & 0x7fffffff;
    if (hashes.size >= HASHES_KEPT) hashes.clear();
    hashes.set(key, h);
  }
  return h % partitions;
}

/**
 * Where a record goes whatever went before it: the partition it names, else its key's; undefined for a
 * keyless one, which goes round-robin (see Partitioner).
 */
export function fixedPartition(
  record: Pick<OutgoingRecord, 'key' | 'partition'>,
  partitions: number,
): number | undefined {
  if (record.partition !== undefined) return record.partition;
  return record.key === undefined || record.key === null ? undefined : partitionForKey(record.key, partitions);
}

/**
 * Where a record goes, the one rule both brokers follow: the partition it names, else its key's murmur2
 * partition, else the next partition of its topic in turn (Kafka's round-robin for keyless records), so
 * keyless records spread over the partitions whether they come one per produce or many.
 */
export class Partitioner {
  readonly #next = new Map<string, number>();

  choose(topic: string, partitions: number, record: Pick<OutgoingRecord, 'key' | 'partition'>): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        throw new RunnelError(ErrorCodes.CONFIG_INVALID, `topic ${topic} has no partition ${record.partition}`, {
          value: record.partition,
        });
      }
      return record.partition;
    }
    // The common case (every built-in app's topics) skips hashing: one partition is the only answer.
    if (partitions === 1) return 0;
    const fixed = fixedPartition(record, partitions);
    if (fixed !== undefined) return fixed;
    const turn = this.#next.get(topic) ?? 0;
    this.#next.set(topic, (turn + 1) % partitions);
    return turn % partitions;
  }
}
