/**
 * A produce whose request may have reached the log although no answer came back (the broker stopped
 * between appending and answering). Sending it again blindly could write it twice, so before resending we
 * read the log where the chunk would be and send only the partitions where it is not. The producer makes
 * one attempt per send and no resend of its own (see KafkaBroker.producer): every resend passes through here.
 */
import type { ConnectionPool } from '@platformatic/kafka';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { OutgoingRecord, StreamRecord } from '../../core/record.ts';
import { type EncodedMessage, EVENT_TIME_HEADER } from './codec.ts';
import { fetchOnce, type KafkaClient } from './fetcher.ts';
import { decodeRecordBatches } from './record-batch.ts';

export interface InDoubt {
  topic: string;
  /** The first record of the chunk: the retry hands the same objects back (produceAll slices the array). */
  first: OutgoingRecord;
  messages: EncodedMessage[];
  /** Per partition of the chunk: the log end after our last acknowledged write, where the chunk would start. */
  before: Map<number, number>;
}

/** The chunk's messages per partition, in order. */
export function byPartition(messages: EncodedMessage[]): Map<number, EncodedMessage[]> {
  const out = new Map<number, EncodedMessage[]>();
  for (const m of messages) {
    const list = out.get(m.partition);
    if (list) list.push(m);
    else out.set(m.partition, [m]);
  }
  return out;
}

/**
 * The partitions where the chunk is in the log, whole, at the offset it would have had. Compared by key,
 * value and timestamp (set by us, to the ms): another producer's records there read as "not landed", and
 * ours are sent again: at-least-once, never lost.
 */
export async function landedPartitions(
  reader: { client: KafkaClient; pool: ConnectionPool },
  doubt: InDoubt,
): Promise<Set<number>> {
  const landed = new Set<number>();
  for (const [partition, sent] of byPartition(doubt.messages)) {
    const from = doubt.before.get(partition);
    if (from === undefined) continue;
    const found = await readRange(reader, doubt.topic, partition, from, sent.length);
    if (found.length === sent.length && sent.every((m, i) => same(m, found[i]!))) landed.add(partition);
  }
  return landed;
}

async function readRange(
  reader: { client: KafkaClient; pool: ConnectionPool },
  topic: string,
  partition: number,
  from: number,
  count: number,
): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  let offset = from;
  while (out.length < count) {
    const r = await fetchOnce(reader.client, reader.pool, [{ topic, partition, offset }], {
      maxWaitMs: 0,
      maxBytes: 16 << 20,
      partitionMaxBytes: 16 << 20,
    });
    // Past the log's end (the topic was made anew) or before its start: the chunk is not there.
    if (r.outOfRange.length > 0) break;
    const p = r.partitions[0];
    // No answer for the partition (its leader is moving, as right after a restart): cannot tell yet. The
    // doubt stays, and the caller's retry looks again, rather than resending what may be there.
    if (!p) {
      throw new RunnelError(
        ErrorCodes.BROKER_UNAVAILABLE,
        `produce to ${topic}: partition ${partition} does not answer yet; looking again before resending`,
        { retriable: true, value: `${topic}[${partition}]` },
      );
    }
    if (p.next <= offset) break; // the log ends here
    // Aborted transactions' records are not there for anyone who reads committed, nor for this check.
    decodeRecordBatches(p.records, topic, partition, offset, out, p.aborted);
    offset = p.next;
  }
  return out.slice(0, count);
}

function same(m: EncodedMessage, r: StreamRecord): boolean {
  // A far event time travels in a header and decodes as the record's timestamp (see encodeRecord).
  let ts = m.timestamp;
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers ?? []) {
    if (k.toString() === EVENT_TIME_HEADER) ts = BigInt(v.toString());
    else headers[k.toString()] = v.toString();
  }
  const theirs = Object.entries(r.headers);
  return (
    (m.key?.toString() ?? null) === r.key &&
    BigInt(r.timestamp) === ts &&
    m.value.toString() === JSON.stringify(r.value) &&
    theirs.length === Object.keys(headers).length &&
    theirs.every(([k, v]) => headers[k] === v)
  );
}
