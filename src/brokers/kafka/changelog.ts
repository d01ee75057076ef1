/**
 * A state store's changelog on Kafka: one compacted topic per store, one partition per input partition,
 * one record per changed key (key = the store key, value = JSON, a null value = deleted). Compaction keeps
 * the latest record per key, so restoring reads the live keys, not the history of every batch.
 */
import type { ConnectionPool } from '@platformatic/kafka';
import { backoffMs, sleep } from '../../core/backoff.ts';
import type { StateChange } from '../../core/broker.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { CHANGELOG_SUFFIX } from '../../core/internal-topics.ts';
import type { StreamRecord } from '../../core/record.ts';
import { clamp, fetchOnce, type KafkaClient, partitionBounds, stableBounds } from './fetcher.ts';
import { decodeRecordBatches } from './record-batch.ts';

/** An entry's TTL deadline (wall-clock ms) travels in this header, so a restored entry still expires. */
export const EXPIRES_AT_HEADER = 'runnel.expires-at';
const EXPIRES_AT_KEY = Buffer.from(EXPIRES_AT_HEADER);
/** What a tombstone decodes to while restoring: unlike `null`, no JSON value can be it. */
const TOMBSTONE = Symbol('tombstone');

export function changelogTopic(app: string, store: string): string {
  return `${app}-${store}${CHANGELOG_SUFFIX}`;
}

/** The topic settings of a changelog: compacted, so it holds each key's latest value and forgets deletes. */
export const CHANGELOG_CONFIGS = [{ name: 'cleanup.policy', value: 'compact' }];

export interface ChangelogMessage {
  topic: string;
  partition: number;
  key: Buffer;
  /** null: a tombstone (the key was deleted). */
  value: Buffer | null;
  timestamp: bigint;
  headers?: Map<Buffer, Buffer>;
}

export function encodeChange(topic: string, partition: number, change: StateChange, now: bigint): ChangelogMessage {
  const msg: ChangelogMessage = {
    topic,
    partition,
    key: Buffer.from(change.key),
    value: change.value === undefined ? null : Buffer.from(JSON.stringify(change.value)),
    timestamp: now,
  };
  if (change.value !== undefined && change.expiresAt !== undefined) {
    msg.headers = new Map([[EXPIRES_AT_KEY, Buffer.from(String(Math.trunc(change.expiresAt)))]]);
  }
  return msg;
}

/**
 * The partition's bounds once no transaction is open on it (last stable offset = high watermark). Only the
 * partition's owner writes its changelog, so an open transaction there is the previous owner's: committed
 * with its markers still on the way (Kafka answers EndTxn before it writes them), or dying (aborted when
 * its process is gone and its timeout passes). Reading up to the stable offset before it settles would
 * miss changes whose input offsets are already the group's.
 */
async function settledBounds(
  client: KafkaClient,
  topic: string,
  partition: number,
  waitMs: number,
): Promise<{ start: number; end: number }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { start, end, unsettled } = (await stableBounds(client, [{ topic, partition }])).get(
      `${topic}:${partition}`,
    )!;
    if (!unsettled) return { start, end };
    if (Date.now() > deadline) {
      throw new RunnelError(
        ErrorCodes.BROKER_UNAVAILABLE,
        `restore ${topic}[${partition}]: a transaction is still open on it after ${Math.round(waitMs / 1000)} s`,
        { retriable: true, value: `${topic}[${partition}]` },
      );
    }
    await sleep(50);
  }
}

/**
 * Reads one changelog partition from its first to its last stable offset (read-committed: aborted and
 * still-open transactions are not state) and hands each live key's latest value to `each`. Entries past
 * their TTL are handed on too, with their deadline: the store expires them and writes their tombstones.
 */
export async function readChangelog(
  reader: { client: KafkaClient; pool: ConnectionPool },
  topic: string,
  partition: number,
  each: (key: string, value: unknown, expiresAt: number | undefined) => void,
  waitMs: number,
): Promise<number> {
  const { client, pool } = reader;
  const bounds = await settledBounds(client, topic, partition, waitMs);
  const latest = new Map<string, StreamRecord>();
  let offset = bounds.start;
  const batch: StreamRecord[] = [];
  // A partition without a leader answers nothing: asked again, with a pause, for as long as a settling
  // transaction is waited for, then a retriable error (it used to be asked again at once, for ever).
  let leaderless = 0;
  const deadline = Date.now() + waitMs;
  while (offset < bounds.end) {
    const r = await fetchOnce(client, pool, [{ topic, partition, offset }], {
      maxWaitMs: 0,
      maxBytes: 16 << 20,
      partitionMaxBytes: 16 << 20,
    });
    if (r.outOfRange.length > 0) {
      // Compaction or retention moved the start while we read: go on from the new start.
      const b = (await partitionBounds(client, [{ topic, partition }])).get(`${topic}:${partition}`)!;
      offset = clamp(offset, { start: b.start, end: bounds.end });
      continue;
    }
    const p = r.partitions[0];
    if (!p) {
      if (Date.now() > deadline) {
        throw new RunnelError(
          ErrorCodes.BROKER_UNAVAILABLE,
          `restore ${topic}[${partition}]: the partition has had no leader for ${Math.round(waitMs / 1000)} s`,
          { retriable: true, value: `${topic}[${partition}]` },
        );
      }
      await sleep(backoffMs(leaderless++, 20, 1000)); // between leaders: look again
      continue;
    }
    leaderless = 0;
    // The end is the last stable offset: a batch past it is not fetched (read-committed stops there), and
    // a fetch that makes no progress means only control records or nothing is left below it.
    if (p.next <= offset) break;
    batch.length = 0;
    decodeRecordBatches(p.records, topic, partition, offset, batch, p.aborted, TOMBSTONE);
    for (const rec of batch) {
      if (rec.offset >= bounds.end || rec.key === null) continue;
      // Re-inserted so the map's order is the order keys were last written (handed out in that order).
      latest.delete(rec.key);
      if (rec.value !== TOMBSTONE) latest.set(rec.key, rec);
    }
    offset = p.next;
  }
  for (const [key, rec] of latest) {
    const at = rec.headers[EXPIRES_AT_HEADER];
    each(key, rec.value, at === undefined ? undefined : Number(at));
  }
  return latest.size;
}
