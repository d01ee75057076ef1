/**
 * The two group-coordinator requests exactly-once needs and @platformatic/kafka does not expose as such:
 * OffsetFetch with require_stable (its listCommittedOffsets always asks without), and one TxnOffsetCommit
 * for all of a commit's partitions (its Transaction.addOffset sends one request per partition, and takes
 * its offsets from messages). Both are sent with the client's own connections and protocol encoders.
 */
import { type Base, kGetApi, kGetConnection, ResponseError } from '@platformatic/kafka';
import type { TopicPartitionOffset } from '../../core/record.ts';

/** Kafka's UNSTABLE_OFFSET_COMMIT: a transaction that committed offsets for the partition is still open. */
const UNSTABLE_OFFSET_COMMIT = 88;

// biome-ignore lint/suspicious/noExplicitAny: the client's API functions are typed per version; we pass what its own callers pass.
type Api = (...args: any[]) => void;
// biome-ignore lint/suspicious/noExplicitAny: any client (consumer, producer) has these symbols.
type AnyClient = Base<any>;

function getApi(client: AnyClient, name: string): Promise<Api & { version: number }> {
  return new Promise((resolve, reject) => {
    const get = (client as unknown as Record<symbol, (n: string, cb: (e: unknown, api: unknown) => void) => void>)[
      kGetApi
    ]!;
    get.call(client, name, (err, api) => (err ? reject(err) : resolve(api as Api & { version: number })));
  });
}

/** A connection to broker `nodeId` (e.g. the group coordinator) from the client's pool. */
async function connectionTo(client: AnyClient, nodeId: number): Promise<unknown> {
  const md = await client.metadata({ topics: [] });
  const broker = md.brokers.get(nodeId);
  if (!broker) throw new Error(`broker ${nodeId} is not in the cluster metadata`);
  return new Promise((resolve, reject) => {
    const get = (client as unknown as Record<symbol, (b: unknown, cb: (e: unknown, c: unknown) => void) => void>)[
      kGetConnection
    ]!;
    get.call(client, broker, (err, connection) => (err ? reject(err) : resolve(connection)));
  });
}

function call<T>(api: Api, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => api(...args, (err: unknown, res: T) => (err ? reject(err) : resolve(res))));
}

interface OffsetFetchResponse {
  groups: Array<{
    topics: Array<{
      name: string;
      partitions: Array<{ partitionIndex: number; committedOffset: bigint; errorCode: number }>;
    }>;
  }>;
}

export interface StableOffsets {
  /** `topic:partition` → committed offset (-1: none). Only partitions whose offset is stable. */
  committed: Map<string, number>;
  /** Partitions with an open transaction's offsets pending: ask again later (Kafka's requireStable). */
  unstable: Array<{ topic: string; partition: number }>;
}

/**
 * The group's committed offsets as a read-committed reader must see them: a partition whose offsets a
 * still-open transaction has committed is reported unstable, not as the offset before it (the new owner of a
 * partition would otherwise start from there while the old owner's transaction commits past it).
 * `topics` undefined asks for every partition the group has offsets for.
 */
export async function fetchStableOffsets(
  client: AnyClient,
  coordinatorId: number,
  groupId: string,
  topics: Array<{ topic: string; partitions: number[] }> | undefined,
): Promise<StableOffsets> {
  const api = await getApi(client, 'OffsetFetch');
  if (api.version < 8) throw new Error(`the broker speaks OffsetFetch v${api.version}; runnel needs v8+ (Kafka 3.0)`);
  const connection = await connectionTo(client, coordinatorId);
  const request = [
    {
      groupId,
      memberId: null,
      memberEpoch: -1,
      topics: topics?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
    },
  ];
  let response: OffsetFetchResponse;
  try {
    response = await call<OffsetFetchResponse>(api, connection, request, true);
  } catch (err) {
    // Partition errors arrive as a ResponseError that still carries the whole answer.
    const r = (err as { response?: OffsetFetchResponse }).response;
    if (!(err instanceof ResponseError) || !r?.groups) throw err;
    response = r;
  }
  const out: StableOffsets = { committed: new Map(), unstable: [] };
  for (const g of response.groups) {
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === UNSTABLE_OFFSET_COMMIT) out.unstable.push({ topic: t.name, partition: p.partitionIndex });
        else if (p.errorCode !== 0) throw new ResponseError(9, api.version, { '': [p.errorCode, null] }, response);
        else out.committed.set(`${t.name}:${p.partitionIndex}`, Number(p.committedOffset));
      }
    }
  }
  return out;
}

export interface GroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  coordinatorId: number;
}

/**
 * Commits `offsets` for the group inside the producer's open transaction (after AddOffsetsToTxn). The
 * coordinator checks the member and its generation: a consumer a rebalance has left behind gets
 * ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID, and its transaction must abort (Kafka's EOS v2 fencing).
 */
export async function txnOffsetCommit(
  producer: AnyClient,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  group: GroupMetadata,
  offsets: TopicPartitionOffset[],
  /** Stored with each offset: the commit's id, which tells after an unanswered EndTxn whether it landed. */
  metadata: string | null = null,
): Promise<void> {
  const api = await getApi(producer, 'TxnOffsetCommit');
  const connection = await connectionTo(producer, group.coordinatorId);
  const byTopic = new Map<
    string,
    Array<{
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      committedMetadata: string | null;
    }>
  >();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push({
      partitionIndex: o.partition,
      committedOffset: BigInt(o.offset),
      committedLeaderEpoch: -1,
      committedMetadata: metadata,
    });
    byTopic.set(o.topic, list);
  }
  await call(
    api,
    connection,
    transactionalId,
    group.groupId,
    producerId,
    producerEpoch,
    group.generationId,
    group.memberId,
    null,
    [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  );
}
