/**
 * Records ↔ Kafka bytes. Values are JSON, as the seeds wrote them; keys and headers are UTF-8 strings.
 * Bytes that are not JSON (a kcat or console-producer line) come back as their UTF-8 text, so a topic
 * written by any other client can be consumed without a DLQ storm.
 */
import type { RecordsBatch } from '@platformatic/kafka';
import type { OutgoingRecord, RecordHeaders, StreamRecord } from '../../core/record.ts';

export interface EncodedMessage {
  topic: string;
  partition: number;
  key?: Buffer;
  value: Buffer;
  timestamp: bigint;
  headers?: Map<Buffer, Buffer>;
}

export function encodeRecord(topic: string, partition: number, r: OutgoingRecord, now: number): EncodedMessage {
  const msg: EncodedMessage = {
    topic,
    partition,
    value: Buffer.from(JSON.stringify(r.value === undefined ? null : r.value)),
    timestamp: BigInt(Math.trunc(r.timestamp ?? now)),
  };
  if (r.key !== undefined && r.key !== null) msg.key = Buffer.from(r.key);
  if (r.headers) {
    // Header keys must be Buffers: @platformatic/kafka's no-op serialiser silently drops a send with strings.
    const headers = new Map<Buffer, Buffer>();
    for (const [k, v] of Object.entries(r.headers)) headers.set(Buffer.from(k), Buffer.from(String(v)));
    if (headers.size > 0) msg.headers = headers;
  }
  return msg;
}

export function decodeValue(bytes: Buffer | null | undefined): unknown {
  if (bytes === null || bytes === undefined) return null;
  const text = bytes.toString('utf8');
  // Cheap pre-check: most non-JSON text starts with a letter, and throwing is the slow path.
  const c = text.charCodeAt(0);
  const maybeJson =
    c === 123 /* { */ ||
    c === 91 /* [ */ ||
    c === 34 /* " */ ||
    c === 45 /* - */ ||
    (c >= 48 && c <= 57) ||
    text === 'true' ||
    text === 'false' ||
    text === 'null';
  if (!maybeJson) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Kafka's control-batch bit: transaction markers, never user records. */
const IS_CONTROL = 0x20;

/** Appends the user records at or after `from` to `out`; returns the offset after the last batch seen. */
export function decodeBatches(
  topic: string,
  partition: number,
  batches: RecordsBatch[],
  from: number,
  out: StreamRecord[],
): number {
  let next = from;
  for (const batch of batches) {
    const base = Number(batch.firstOffset);
    next = Math.max(next, base + batch.lastOffsetDelta + 1);
    if (batch.attributes & IS_CONTROL) continue;
    const baseTs = batch.firstTimestamp;
    for (const rec of batch.records) {
      const offset = base + rec.offsetDelta;
      // A compressed batch is returned whole, including records before the fetch position.
      if (offset < from) continue;
      let headers: RecordHeaders = {};
      if (rec.headers.length > 0) {
        headers = {};
        for (const [k, v] of rec.headers) if (k) headers[k.toString('utf8')] = v ? v.toString('utf8') : '';
      }
      out.push({
        topic,
        partition,
        offset,
        key: rec.key ? rec.key.toString('utf8') : null,
        value: decodeValue(rec.value),
        timestamp: Number(baseTs + rec.timestampDelta),
        headers,
      });
    }
  }
  return next;
}
