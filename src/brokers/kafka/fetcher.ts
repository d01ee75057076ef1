/**
 * One Fetch round trip for a set of partitions at given offsets, decoded straight into StreamRecords.
 * Consumers and `read()` share it. Using Fetch directly (rather than @platformatic/kafka's MessagesStream)
 * keeps positions in our hands: a seek is exact, a stale in-flight response is recognised and dropped, and
 * records are decoded once, without an intermediate message object per record.
 */
import type { ClusterMetadata, ConnectionPool, Consumer as KConsumer, RecordsBatch } from '@platformatic/kafka';
import { ListOffsetTimestamps } from '@platformatic/kafka';
import { apiIds } from './errors.ts';

export interface FetchTarget {
  topic: string;
  partition: number;
  offset: number;
}

export interface FetchedPartition extends FetchTarget {
  /** Undecoded: consumers decode lazily in poll, overlapping the next fetch's round trip. */
  batches: RecordsBatch[];
  /** Records in the batches (an upper bound: compressed batches may start before `offset`). */
  count: number;
  /** Where the next fetch for this partition starts. */
  next: number;
}

export interface FetchResult {
  partitions: FetchedPartition[];
  /** Targets whose offset is outside the log (retention, or a seek past the end): clamp and retry. */
  outOfRange: FetchTarget[];
}

export interface FetchLimits {
  maxWaitMs: number;
  maxBytes: number;
  partitionMaxBytes: number;
}

export type KafkaClient = KConsumer<Buffer, Buffer, Buffer, Buffer>;

/** Topics must be tracked for the client's metadata to carry their ids, which Fetch v13+ speaks. */
export function track(client: KafkaClient, topics: Iterable<string>): void {
  for (const t of topics) if (!client.topics.has(t)) client.topics.track(t);
}

export async function fetchOnce(
  client: KafkaClient,
  pool: ConnectionPool,
  targets: FetchTarget[],
  limits: FetchLimits,
): Promise<FetchResult> {
  const topics = [...new Set(targets.map((t) => t.topic))];
  track(client, topics);
  const md: ClusterMetadata = await client.metadata({ topics });
  const byNode = new Map<number, FetchTarget[]>();
  const names = new Map<string, string>();
  for (const t of targets) {
    const tm = md.topics.get(t.topic);
    const leader = tm?.partitions[t.partition]?.leader;
    if (!tm || leader === undefined || leader < 0) continue; // leaderless now: try again next round
    names.set(tm.id, t.topic);
    const list = byNode.get(leader) ?? [];
    list.push(t);
    byNode.set(leader, list);
  }
  const result: FetchResult = { partitions: [], outOfRange: [] };
  await Promise.all(
    [...byNode].map(async ([node, list]) => {
      const topicsReq = new Map<string, { topicId: string; partitions: Array<Record<string, unknown>> }>();
      const asked = new Map<string, FetchTarget>();
      for (const t of list) {
        const id = md.topics.get(t.topic)!.id;
        const entry = topicsReq.get(id) ?? { topicId: id, partitions: [] };
        entry.partitions.push({
          partition: t.partition,
          fetchOffset: BigInt(t.offset),
          partitionMaxBytes: limits.partitionMaxBytes,
          // -1 skips leader-epoch fencing; a leader change surfaces as an error and a metadata refresh.
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        });
        topicsReq.set(id, entry);
        asked.set(`${t.topic}:${t.partition}`, t);
      }
      let response: Awaited<ReturnType<KafkaClient['fetch']>>;
      try {
        response = await client.fetch({
          node,
          topics: [...topicsReq.values()] as never,
          maxWaitTime: limits.maxWaitMs,
          minBytes: 1,
          maxBytes: limits.maxBytes,
          connectionPool: pool,
        });
      } catch (err) {
        if (apiIds(err).has('OFFSET_OUT_OF_RANGE')) {
          result.outOfRange.push(...list);
          return;
        }
        throw err;
      }
      for (const topicResp of response.responses) {
        const topic = names.get(topicResp.topicId);
        if (!topic) continue;
        for (const p of topicResp.partitions) {
          const t = asked.get(`${topic}:${p.partitionIndex}`);
          // A fetch session may answer for partitions this request did not ask about: stale, skip them.
          if (!t) continue;
          const batches = (p.records ?? []) as RecordsBatch[];
          let next = t.offset;
          let count = 0;
          for (const b of batches) {
            next = Math.max(next, Number(b.firstOffset) + b.lastOffsetDelta + 1);
            count += b.records.length;
          }
          result.partitions.push({ ...t, batches, count, next });
        }
      }
    }),
  );
  return result;
}

/** First and next offsets of partitions, for clamping out-of-range positions and resolving seeks. */
export async function partitionBounds(
  client: KafkaClient,
  targets: Array<{ topic: string; partition: number }>,
): Promise<Map<string, { start: number; end: number }>> {
  const topics = [...new Set(targets.map((t) => t.topic))];
  const partitions: Record<string, number[]> = {};
  for (const t of targets) {
    partitions[t.topic] = [...(partitions[t.topic] ?? []), t.partition];
  }
  track(client, topics);
  const [earliest, latest] = await Promise.all([
    client.listOffsets({ topics, partitions, timestamp: ListOffsetTimestamps.EARLIEST }),
    client.listOffsets({ topics, partitions, timestamp: ListOffsetTimestamps.LATEST }),
  ]);
  const out = new Map<string, { start: number; end: number }>();
  for (const t of targets) {
    const start = Number(earliest.get(t.topic)?.[t.partition] ?? 0n);
    const end = Number(latest.get(t.topic)?.[t.partition] ?? 0n);
    out.set(`${t.topic}:${t.partition}`, { start: Math.max(0, start), end: Math.max(0, end) });
  }
  return out;
}

/** Where a position outside [start, end] goes: retention moved the start, or a seek went past the end. */
export function clamp(offset: number, b: { start: number; end: number }): number {
  return Math.max(b.start, Math.min(b.end, offset));
}
