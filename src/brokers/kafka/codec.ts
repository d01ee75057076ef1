/**
 * Records ↔ Kafka bytes. Values are JSON, as the seeds wrote them; keys and headers are UTF-8 strings.
 * Bytes that are not JSON (a kcat or console-producer line) come back as their UTF-8 text, so a topic
 * written by any other client can be consumed without a DLQ storm.
 */
import type { OutgoingRecord } from '../../core/record.ts';

export interface EncodedMessage {
  topic: string;
  partition: number;
  key?: Buffer;
  value: Buffer;
  timestamp: bigint;
  headers?: Map<Buffer, Buffer>;
}

/**
 * Event time that is not close to now travels in this header, and the Kafka timestamp is the write time:
 * Kafka deletes records by their timestamp (7 days by default, checked every 5 minutes) and Kafka 4 refuses
 * records more than an hour ahead, so a replay of last year's CSV written with its own times vanished from
 * the topic minutes after the run. Consumers (ours) read the event time back from the header.
 */
export const EVENT_TIME_HEADER = 'runnel.event-time';
/**
 * Event times within this of now are the Kafka timestamp itself, as other clients expect for live data.
 * Under Kafka 4's one-hour limit for future timestamps, with room for a clock a little ahead of the broker's.
 */
const EVENT_TIME_SLACK_MS = 55 * 60 * 1000;
const EVENT_TIME_KEY = Buffer.from(EVENT_TIME_HEADER);

/** Kafka rejects a batch over max.message.bytes (1 MiB by default): produce in chunks below it. */
const CHUNK_BYTES = 768 * 1024;

/** Messages in runs of under CHUNK_BYTES, each with the index of its first message. */
export function chunk<M extends { key?: Buffer | null; value: Buffer | null; headers?: Map<Buffer, Buffer> }>(
  messages: M[],
): Array<{ start: number; messages: M[] }> {
  const out: Array<{ start: number; messages: M[] }> = [];
  let cur: M[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    // Headers count too: a repartitioned record's (source, upstream watermark, topic) can outweigh a small value.
    let size = (m.value?.length ?? 0) + (m.key?.length ?? 0) + 32;
    if (m.headers) for (const [k, v] of m.headers) size += k.length + v.length + 8;
    if (cur.length > 0 && bytes + size > CHUNK_BYTES) {
      out.push({ start, messages: cur });
      cur = [];
      start = i;
      bytes = 0;
    }
    cur.push(m);
    bytes += size;
  }
  if (cur.length > 0) out.push({ start, messages: cur });
  return out;
}

export function encodeRecord(topic: string, partition: number, r: OutgoingRecord, now: number): EncodedMessage {
  const eventTime = Math.trunc(r.timestamp ?? now);
  const far = Math.abs(eventTime - now) > EVENT_TIME_SLACK_MS;
  const msg: EncodedMessage = {
    topic,
    partition,
    value: Buffer.from(JSON.stringify(r.value === undefined ? null : r.value)),
    timestamp: BigInt(far ? now : eventTime),
  };
  if (r.key !== undefined && r.key !== null) msg.key = Buffer.from(r.key);
  if (r.headers || far) {
    // Header keys must be Buffers: @platformatic/kafka's no-op serialiser silently drops a send with strings.
    const headers = new Map<Buffer, Buffer>();
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      if (k !== EVENT_TIME_HEADER) headers.set(Buffer.from(k), Buffer.from(String(v)));
    }
    if (far) headers.set(EVENT_TIME_KEY, Buffer.from(String(eventTime)));
    if (headers.size > 0) msg.headers = headers;
  }
  return msg;
}

/**
 * Buffer#utf8Slice is what toString('utf8', start, end) ends up calling, minus an encoding lookup and
 * argument checks that cost 5% of decoding here; it has been on every Buffer since Node 0.x.
 */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Buffer, start: number, end: number): string })
  .utf8Slice;
export function utf8(buf: Buffer, start: number, end: number): string {
  return utf8Slice.call(buf, start, end);
}

/** A value's bytes (`buf[start, end)`) as JSON, or as UTF-8 text when they are not JSON. */
export function decodeValue(buf: Buffer, start = 0, end = buf.length): unknown {
  // Cheap pre-check on the first byte: most non-JSON text starts with a letter, and throwing is slow.
  if (start >= end) return '';
  const c = buf[start]!;
  const text = utf8(buf, start, end);
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
