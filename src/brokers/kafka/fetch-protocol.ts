/**
 * Kafka's Fetch API (v13–v17, the topic-id versions) with our own response parser. @platformatic/kafka
 * writes the request and owns the connection; its parser, though, builds every record as an object (and
 * throws the whole response away on one partition's error), which was most of the consume path's CPU.
 * Ours keeps each partition's records as the raw bytes the broker sent, for record-batch.ts to decode
 * once, later, while the next fetch is already on the wire; and reports errors per partition.
 */
import {
  type Connection,
  createAPI,
  fetchV13,
  fetchV14,
  fetchV15,
  fetchV16,
  fetchV17,
  type Reader,
} from '@platformatic/kafka';

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  topics: Array<{ topicId: string; partitions: FetchPartitionRequest[] }>;
}

export interface FetchPartitionResponse {
  topicId: string;
  partition: number;
  errorCode: number;
  /** The partition's record batches as sent (possibly ending in a partial batch); empty when none. */
  records: Buffer;
  /** Transactions in this range that were aborted: their records must not be delivered. */
  aborted: AbortedTransaction[];
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchResponse {
  errorCode: number;
  partitions: FetchPartitionResponse[];
}

const EMPTY: Buffer = Buffer.alloc(0);
export const FETCH_KEY = 1;
/**
 * Only committed transactional records, up to the last stable offset, as Kafka's own consumers default
 * to: a topic written by Kafka Streams, Flink or any transactional producer must not hand runnel the
 * records of aborted or still-open transactions. Aborted ones still come in the bytes (record-batch.ts
 * drops them, from `aborted`).
 */
const READ_COMMITTED = 1;
/** Session id 0 with epoch -1: a full fetch that opens no fetch session (KIP-227), as a consumer of a few partitions wants. */
const NO_SESSION_ID = 0;
const NO_SESSION_EPOCH = -1;

const REQUEST_WRITERS = { 13: fetchV13, 14: fetchV14, 15: fetchV15, 16: fetchV16, 17: fetchV17 } as const;
export const FETCH_VERSIONS = { min: 13, max: 17 } as const;

function skipTaggedFields(r: Reader): void {
  const n = r.readUnsignedVarInt();
  for (let i = 0; i < n; i++) {
    r.readUnsignedVarInt(); // tag
    r.skip(r.readUnsignedVarInt());
  }
}

/** Compact arrays carry length + 1 (0 for null). */
function compactLength(r: Reader): number {
  return r.readUnsignedVarInt() - 1;
}

/*
 * Fetch Response (v13–v17) => throttle_time_ms error_code session_id [responses] TAG_BUFFER
 *   responses => topic_id [partitions] TAG_BUFFER
 *     partitions => partition_index error_code high_watermark last_stable_offset log_start_offset
 *                   [aborted_transactions] preferred_read_replica records TAG_BUFFER
 * (v16 adds node_endpoints as a tagged field at the top; diverging_epoch & co. are tagged fields too.)
 */
export function parseFetchResponse(
  _correlationId: number,
  _apiKey: number,
  _version: number,
  r: Reader,
): FetchResponse {
  r.readInt32(); // throttle_time_ms
  const errorCode = r.readInt16();
  r.readInt32(); // session_id
  const partitions: FetchPartitionResponse[] = [];
  const topics = compactLength(r);
  for (let t = 0; t < topics; t++) {
    const topicId = r.readUUID();
    const count = compactLength(r);
    for (let p = 0; p < count; p++) {
      const partition = r.readInt32();
      const partitionError = r.readInt16();
      r.skip(24); // high_watermark, last_stable_offset, log_start_offset
      const abortedCount = compactLength(r);
      const aborted: AbortedTransaction[] = [];
      for (let a = 0; a < abortedCount; a++) {
        aborted.push({ producerId: Number(r.readInt64()), firstOffset: Number(r.readInt64()) });
        skipTaggedFields(r);
      }
      r.readInt32(); // preferred_read_replica
      const size = compactLength(r);
      let records: Buffer = EMPTY;
      if (size > 0) {
        // One contiguous Buffer: a view when the bytes sit in one socket chunk, one copy when they span several.
        records = r.buffer.slice(r.position, r.position + size);
        r.skip(size);
      }
      skipTaggedFields(r);
      partitions.push({ topicId, partition, errorCode: partitionError, records, aborted });
    }
    skipTaggedFields(r);
  }
  skipTaggedFields(r);
  return { errorCode, partitions };
}

type FetchApi = (connection: Connection, ...args: unknown[]) => void;
const apis = new Map<number, FetchApi>();

function apiFor(version: number): FetchApi {
  let api = apis.get(version);
  if (!api) {
    const writer = REQUEST_WRITERS[version as keyof typeof REQUEST_WRITERS];
    if (!writer) throw new Error(`Fetch v${version} is not one runnel speaks (v13–v17)`);
    api = createAPI(FETCH_KEY, version, writer.createRequest, parseFetchResponse) as unknown as FetchApi;
    apis.set(version, api);
  }
  return api;
}

/** Sends one Fetch on `connection` at `version` (negotiated by the client) and parses it our way. */
export function sendFetch(connection: Connection, version: number, req: FetchRequest): Promise<FetchResponse> {
  const api = apiFor(version);
  const topics = req.topics.map((t) => ({
    topicId: t.topicId,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      fetchOffset: BigInt(p.fetchOffset),
      partitionMaxBytes: p.partitionMaxBytes,
      // -1 skips leader-epoch fencing; a leader change surfaces as a partition error and a metadata refresh.
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
    })),
  }));
  return new Promise((resolve, reject) => {
    api(
      connection,
      req.maxWaitMs,
      req.minBytes,
      req.maxBytes,
      READ_COMMITTED,
      NO_SESSION_ID,
      NO_SESSION_EPOCH,
      topics,
      [],
      '',
      (err: Error | null, res?: FetchResponse) => (err ? reject(err) : resolve(res!)),
    );
  });
}
