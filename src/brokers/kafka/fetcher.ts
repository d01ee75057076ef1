/**
 * One Fetch round trip for a set of partitions at given offsets. Consumers and `read()` share it. Using
 * Fetch directly (rather than @platformatic/kafka's MessagesStream) keeps positions in our hands: a seek is
 * exact and a stale in-flight response is recognised and dropped. The records come back as the broker's
 * bytes (fetch-protocol.ts), decoded by record-batch.ts when the consumer hands them out.
 */
import { channel } from 'node:diagnostics_channel';
import {
  type ClusterMetadata,
  type ConnectionPool,
  FetchIsolationLevels,
  type Consumer as KConsumer,
  kGetApi,
  ListOffsetTimestamps,
  ResponseError,
} from '@platformatic/kafka';
import { backoffMs, sleep } from '../../core/backoff.ts';
import { isRetriable, isUnknownTopic } from './errors.ts';
import {
  type AbortedTransaction,
  FETCH_KEY,
  FETCH_VERSIONS,
  type FetchPartitionRequest,
  sendFetch,
} from './fetch-protocol.ts';
import { scanBatches } from './record-batch.ts';

export interface FetchTarget {
  topic: string;
  partition: number;
  offset: number;
}

export interface FetchedPartition extends FetchTarget {
  /** Undecoded record batches: consumers decode them in poll, while the next fetch is out. */
  records: Buffer;
  /** Aborted transactions in the range, for the decoder to drop (read-committed). */
  aborted: AbortedTransaction[];
  /** Records in the batches (an upper bound: compressed batches may start before `offset`). */
  count: number;
  /** Where the next fetch for this partition starts. */
  next: number;
}

export interface FetchResult {
  partitions: FetchedPartition[];
  /** Targets whose offset is outside the log (retention, or a seek past the end): clamp and retry. */
  outOfRange: FetchTarget[];
  /** The topic id each topic was fetched by: a new one means the topic was deleted and created again. */
  topicIds: Map<string, string>;
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

const OFFSET_OUT_OF_RANGE = 1;
/** Partition errors that mean the leader moved: refresh metadata and fetch again, quietly. */
const LEADER_MOVED = new Set([
  5, // LEADER_NOT_AVAILABLE
  6, // NOT_LEADER_OR_FOLLOWER
  9, // REPLICA_NOT_AVAILABLE
  74, // FENCED_LEADER_EPOCH
  75, // UNKNOWN_LEADER_EPOCH
  78, // OFFSET_NOT_AVAILABLE (a new leader catching up)
]);

interface ClientState {
  version: number;
  staleMetadata: boolean;
}
const states = new WeakMap<KafkaClient, ClientState>();

/** The Fetch version the client negotiated with the cluster, capped to the ones our parser reads. */
function fetchVersion(client: KafkaClient): Promise<number> {
  return new Promise((resolve, reject) => {
    client[kGetApi]('Fetch', (err, api) => {
      if (err || !api) return reject(err ?? new Error('no Fetch API'));
      if (api.version < FETCH_VERSIONS.min) {
        return reject(new Error(`the broker speaks Fetch v${api.version}; runnel needs v13+ (Kafka 3.1 or later)`));
      }
      resolve(Math.min(api.version, FETCH_VERSIONS.max));
    });
  });
}

async function stateOf(client: KafkaClient): Promise<ClientState> {
  let state = states.get(client);
  if (!state) {
    state = { version: await fetchVersion(client), staleMetadata: false };
    states.set(client, state);
  }
  return state;
}

/**
 * Every Fetch this module sends, as `{ targets }` (topic, partition, offset): tests assert on what was read
 * (a restore reads its changelog, never the input), and tools may watch it. Free when nobody subscribes.
 */
export const fetchChannel = channel('runnel:kafka:fetch');

export async function fetchOnce(
  client: KafkaClient,
  pool: ConnectionPool,
  targets: FetchTarget[],
  limits: FetchLimits,
): Promise<FetchResult> {
  const topics = [...new Set(targets.map((t) => t.topic))];
  if (fetchChannel.hasSubscribers) fetchChannel.publish({ targets });
  track(client, topics);
  const state = await stateOf(client);
  const md: ClusterMetadata = await client.metadata({ topics, forceUpdate: state.staleMetadata });
  state.staleMetadata = false;
  const byNode = new Map<number, FetchTarget[]>();
  for (const t of targets) {
    const leader = md.topics.get(t.topic)?.partitions[t.partition]?.leader;
    if (leader === undefined || leader < 0) {
      state.staleMetadata = true; // leaderless now: look again next round
      continue;
    }
    const list = byNode.get(leader) ?? [];
    list.push(t);
    byNode.set(leader, list);
  }
  const result: FetchResult = { partitions: [], outOfRange: [], topicIds: new Map() };
  for (const topic of topics) {
    const id = md.topics.get(topic)?.id;
    if (id !== undefined) result.topicIds.set(topic, id);
  }
  await Promise.all(
    [...byNode].map(async ([node, list]) => {
      const broker = md.brokers.get(node);
      if (!broker) {
        state.staleMetadata = true;
        return;
      }
      const requestTopics = new Map<string, { topicId: string; partitions: FetchPartitionRequest[] }>();
      const asked = new Map<string, FetchTarget>();
      for (const t of list) {
        const id = md.topics.get(t.topic)!.id;
        const entry = requestTopics.get(id) ?? { topicId: id, partitions: [] };
        entry.partitions.push({
          partition: t.partition,
          fetchOffset: t.offset,
          partitionMaxBytes: limits.partitionMaxBytes,
        });
        requestTopics.set(id, entry);
        asked.set(`${id}:${t.partition}`, t);
      }
      const connection = await pool.get(broker);
      const response = await sendFetch(connection, state.version, {
        maxWaitMs: limits.maxWaitMs,
        minBytes: 1,
        maxBytes: limits.maxBytes,
        topics: [...requestTopics.values()],
      });
      if (response.errorCode !== 0) {
        throw new ResponseError(FETCH_KEY, state.version, { '': [response.errorCode, null] }, response);
      }
      for (const p of response.partitions) {
        const t = asked.get(`${p.topicId}:${p.partition}`);
        if (!t) continue; // not ours to read (never expected without a fetch session)
        if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          result.outOfRange.push(t);
        } else if (LEADER_MOVED.has(p.errorCode)) {
          state.staleMetadata = true;
        } else if (p.errorCode !== 0) {
          state.staleMetadata = true; // the retry (the consumer loop backs off) looks the topic up afresh
          // Anything else (a deleted topic, no authorisation…) is the caller's to report; the client's
          // error classes keep Kafka's own name and words for it.
          throw new ResponseError(
            FETCH_KEY,
            state.version,
            { [`/${t.topic}/${t.partition}`]: [p.errorCode, null] },
            response,
          );
        } else {
          const { count, next } = scanBatches(p.records, t.offset);
          result.partitions.push({ ...t, records: p.records, aborted: p.aborted, count, next });
        }
      }
    }),
  );
  if (state.staleMetadata && result.partitions.length === 0 && result.outOfRange.length === 0) {
    // Every partition is between leaders: give the cluster a moment instead of spinning on metadata.
    await new Promise((r) => setTimeout(r, 100));
  }
  return result;
}

/** First and next offsets of partitions, for clamping out-of-range positions and resolving seeks. */
export async function partitionBounds(
  client: KafkaClient,
  targets: Array<{ topic: string; partition: number }>,
): Promise<Map<string, { start: number; end: number }>> {
  const [earliest, latest] = await Promise.all([
    offsetsAt(client, targets, ListOffsetTimestamps.EARLIEST),
    offsetsAt(client, targets, ListOffsetTimestamps.LATEST),
  ]);
  const out = new Map<string, { start: number; end: number }>();
  for (const key of earliest.keys()) out.set(key, { start: earliest.get(key)!, end: latest.get(key)! });
  return out;
}

/**
 * partitionBounds, each with whether it is unsettled: its high watermark past its last stable offset (the
 * bounds' end) while a transaction is open on it, or committed but its commit marker not yet written there.
 */
export async function stableBounds(
  client: KafkaClient,
  targets: Array<{ topic: string; partition: number }>,
): Promise<Map<string, { start: number; end: number; unsettled: boolean }>> {
  const [bounds, high] = await Promise.all([
    partitionBounds(client, targets),
    offsetsAt(client, targets, ListOffsetTimestamps.LATEST, FetchIsolationLevels.READ_UNCOMMITTED),
  ]);
  const out = new Map<string, { start: number; end: number; unsettled: boolean }>();
  for (const [key, b] of bounds) out.set(key, { ...b, unsettled: (high.get(key) ?? 0) > b.end });
  return out;
}

/** One ListOffsets for the targets at `timestamp` (EARLIEST/LATEST), by `topic:partition`, never below 0. */
async function offsetsAt(
  client: KafkaClient,
  targets: Array<{ topic: string; partition: number }>,
  timestamp: bigint,
  isolationLevel?: number,
): Promise<Map<string, number>> {
  const topics = [...new Set(targets.map((t) => t.topic))];
  const partitions: Record<string, number[]> = {};
  for (const t of targets) partitions[t.topic] = [...(partitions[t.topic] ?? []), t.partition];
  track(client, topics);
  const answer = await listOffsets(client, {
    topics,
    partitions,
    timestamp,
    ...(isolationLevel === undefined ? {} : { isolationLevel }),
  } as ListOffsetsOptions);
  const out = new Map<string, number>();
  for (const t of targets) {
    out.set(`${t.topic}:${t.partition}`, Math.max(0, Number(answer.get(t.topic)?.[t.partition] ?? 0n)));
  }
  return out;
}

type ListOffsetsOptions = Parameters<KafkaClient['listOffsets']>[0];
/** How long ListOffsets keeps asking while the answers say the leader is moving (the client retries ~1 s). */
const LIST_OFFSETS_BUDGET_MS = 15_000;

/**
 * ListOffsets that outlasts a leader change: a broker that has not caught up with the epoch the client
 * knows answers UNKNOWN_LEADER_EPOCH (seen for seconds after topics are created on a busy machine), one
 * behind it FENCED_LEADER_EPOCH. Both clear once metadata agrees, so refresh it and ask again.
 */
async function listOffsets(
  client: KafkaClient,
  options: ListOffsetsOptions,
): Promise<Awaited<ReturnType<KafkaClient['listOffsets']>>> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.listOffsets(options);
    } catch (err) {
      if (!isRetriable(err) || isUnknownTopic(err) || Date.now() - started > LIST_OFFSETS_BUDGET_MS) throw err;
      await sleep(backoffMs(attempt, 100, 2000));
      await client.metadata({ topics: options.topics, forceUpdate: true }).catch(() => {});
    }
  }
}

/** Where a position outside [start, end] goes: retention moved the start, or a seek went past the end. */
export function clamp(offset: number, b: { start: number; end: number }): number {
  return Math.max(b.start, Math.min(b.end, offset));
}
