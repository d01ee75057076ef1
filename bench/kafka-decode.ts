/**
 * `node bench/kafka-decode.ts`: records/s turning Fetch-response bytes into records with parsed JSON values,
 * no broker involved. runnel's decoder (src/brokers/kafka/record-batch.ts) beside, in the same run on the
 * same bytes, what the consume path did before it: @platformatic/kafka's record reader, then a StreamRecord
 * with a JSON.parse'd value per record. The floor is JSON.parse alone. Figures, not assertions.
 */
import { createRecordsBatch, Reader, readRecordsBatches } from '@platformatic/kafka';
import { decodeRecordBatches } from '../src/brokers/kafka/record-batch.ts';
import type { StreamRecord } from '../src/core/record.ts';
import { buzzRecords } from './buzz-records.ts';

const BATCHES = 100;
const PER_BATCH = 1000;
const ROUNDS = 9;

function bytes(): { fetches: Buffer[]; values: Buffer[] } {
  const records = buzzRecords(BATCHES * PER_BATCH);
  const parts: Buffer[] = [];
  const values = records.map((r) => Buffer.from(JSON.stringify(r.value)));
  for (let b = 0; b < BATCHES; b++) {
    const msgs = records.slice(b * PER_BATCH, (b + 1) * PER_BATCH).map((r, j) => ({
      topic: 't',
      partition: 0,
      key: Buffer.from(r.key),
      value: values[b * PER_BATCH + j]!,
      timestamp: BigInt(Date.now()),
    }));
    const buf = Buffer.from(createRecordsBatch(msgs as never).buffer);
    buf.writeBigInt64BE(BigInt(b * PER_BATCH), 0);
    parts.push(buf);
  }
  return { fetches: parts, values };
}

/** Median records/s of ROUNDS runs of `fn` (each decodes every record once and reads one field of each). */
function measure(n: number, fn: () => number): number {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    if (fn() === 0) throw new Error('nothing decoded');
    rates.push(Math.round((n * 1000) / (performance.now() - t)));
  }
  return rates.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

export function benchKafkaDecode(): Array<[string, number, string]> {
  // One 1000-record batch (~200 KiB) per fetch response, decoded and used before the next, as a consumer does.
  const { fetches, values } = bytes();
  const n = values.length;
  const runnel = measure(n, () => {
    let sum = 0;
    for (const fetched of fetches) {
      const out: StreamRecord[] = [];
      decodeRecordBatches(fetched, 't', 0, 0, out);
      for (const r of out) sum += (r.value as { message_length: number }).message_length;
    }
    return sum;
  });
  // The path before: the client's reader, then a StreamRecord per record. Flattering to it: here the
  // reader gets one contiguous Buffer, where a socket hands it 64 KiB chunks it must search per field.
  const client = measure(n, () => {
    let sum = 0;
    for (const fetched of fetches) {
      const out: StreamRecord[] = [];
      for (const batch of readRecordsBatches(Reader.from(fetched))) {
        const base = Number(batch.firstOffset);
        for (const rec of batch.records) {
          const headers: Record<string, string> = {};
          for (const [k, v] of rec.headers) if (k) headers[k.toString('utf8')] = v ? v.toString('utf8') : '';
          out.push({
            topic: 't',
            partition: 0,
            offset: base + rec.offsetDelta,
            key: rec.key ? rec.key.toString('utf8') : null,
            value: rec.value ? JSON.parse(rec.value.toString('utf8')) : null,
            timestamp: Number(batch.firstTimestamp + rec.timestampDelta),
            headers,
          });
        }
      }
      for (const r of out) sum += (r.value as { message_length: number }).message_length;
    }
    return sum;
  });
  const floor = measure(n, () => {
    let sum = 0;
    for (const v of values) sum += JSON.parse(v.toString('utf8')).message_length;
    return sum;
  });
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  return [
    ['kafka decode: runnel record-batch', runnel, `${x(runnel, client)} the client's reader + JSON.parse`],
    ['kafka decode: client reader + JSON.parse', client, 'baseline: the consume path before'],
    ['kafka decode: JSON.parse alone', floor, `floor; runnel is at ${x(runnel, floor)} of it`],
  ];
}

if (import.meta.main) {
  for (const [name, rate, note] of benchKafkaDecode()) {
    console.log(`${name.padEnd(42)} ${String(rate).padStart(9)} rec/s   ${note}`);
  }
}
