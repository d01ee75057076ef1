import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRecordsBatch } from '@platformatic/kafka';
import type { StreamRecord } from '../../core/record.ts';
import { decodeRecordBatches, scanBatches } from './record-batch.ts';

/** Record batches as Kafka's wire format has them, written by the client's own (independent) encoder. */
interface Msg {
  key?: string;
  value?: string | null;
  timestamp: number;
  headers?: Record<string, string>;
}
function batch(
  baseOffset: number,
  msgs: Msg[],
  options: { compression?: 'gzip'; producerId?: bigint; transactionalId?: string } = {},
): Buffer {
  const encoded = msgs.map((m) => ({
    topic: 't',
    partition: 0,
    key: m.key === undefined ? undefined : Buffer.from(m.key),
    value: m.value === null || m.value === undefined ? undefined : Buffer.from(m.value),
    timestamp: BigInt(m.timestamp),
    headers: m.headers
      ? new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
      : undefined,
  }));
  const buf = Buffer.from(createRecordsBatch(encoded as never, options as never).buffer);
  buf.writeBigInt64BE(BigInt(baseOffset), 0); // the broker assigns offsets; the encoder writes 0
  return buf;
}

function decode(buf: Buffer, from: number): StreamRecord[] {
  const out: StreamRecord[] = [];
  decodeRecordBatches(buf, 'orders', 3, from, out);
  return out;
}

const T = 1_767_225_600_000; // 2026-01-01, well past 2^32: timestamps need all 64 bits

describe('Kafka record batches', () => {
  it('decodes keys, JSON and text values, headers and timestamps exactly', () => {
    const buf = batch(40, [
      { key: 'alice', value: JSON.stringify({ n: 1, s: 'é🙂' }), timestamp: T },
      { value: 'not json, from kcat', timestamp: T + 5, headers: { 'runnel.source': 'csv:7', trace: '' } },
      { key: 'bob', value: null, timestamp: T - 3 },
      { key: 'k', value: '42', timestamp: T + 1_000_000 },
    ]);
    const got = decode(buf, 0);
    // Spread the headers: records without any share one frozen object, which deepEqual tells apart.
    assert.deepEqual(
      got.map((r) => ({ ...r, headers: { ...r.headers } })),
      [
        {
          topic: 'orders',
          partition: 3,
          offset: 40,
          key: 'alice',
          value: { n: 1, s: 'é🙂' },
          timestamp: T,
          headers: {},
        },
        {
          topic: 'orders',
          partition: 3,
          offset: 41,
          key: null,
          value: 'not json, from kcat',
          timestamp: T + 5,
          headers: { 'runnel.source': 'csv:7', trace: '' },
        },
        { topic: 'orders', partition: 3, offset: 42, key: 'bob', value: null, timestamp: T - 3, headers: {} },
        { topic: 'orders', partition: 3, offset: 43, key: 'k', value: 42, timestamp: T + 1_000_000, headers: {} },
      ],
    );
    assert.deepEqual(scanBatches(buf, 0), { count: 4, next: 44 });
  });

  it('gives every key its own text, repeated or not (the decoder reuses recent keys by their bytes)', () => {
    // More distinct keys than the cache has slots, keys that differ in one byte or only in length,
    // multi-byte UTF-8, an empty key, keys past the cached length, and each of them again later.
    const keys = [
      ...Array.from({ length: 600 }, (_, i) => `sensor-${i}`),
      'ab',
      'ba',
      'a',
      'aa',
      '',
      'é',
      'e\u0301',
      '🙂',
      'x'.repeat(32),
      'x'.repeat(33),
      `${'y'.repeat(40)}1`,
      `${'y'.repeat(40)}2`,
    ];
    const order = [...keys, ...keys.toReversed(), ...keys];
    const msgs = order.map((key, i) => ({ key, value: String(i), timestamp: T }));
    const got = decode(batch(0, msgs), 0);
    assert.deepEqual(
      got.map((r) => r.key),
      order,
    );
  });

  it('reads several batches, skips records before the fetch position, and inflates compressed ones', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, value: `{"i":${i}}`, timestamp: T + i }));
    const buf = Buffer.concat([
      batch(0, many.slice(0, 100)),
      batch(100, many.slice(100, 200), { compression: 'gzip' }),
      batch(200, many.slice(200)),
    ]);
    // A compressed batch comes back whole even when the fetch asked for an offset inside it.
    const got = decode(buf, 150);
    assert.deepEqual(
      got.map((r) => r.offset),
      Array.from({ length: 150 }, (_, i) => 150 + i),
    );
    assert.deepEqual(
      got.map((r) => (r.value as { i: number }).i),
      Array.from({ length: 150 }, (_, i) => 150 + i),
    );
    assert.equal(got[0]!.key, `k${150 % 7}`);
    assert.deepEqual(scanBatches(buf, 150), { count: 300, next: 300 });
  });

  it('leaves a batch cut short by the fetch size for the next fetch', () => {
    const whole = batch(0, [{ key: 'a', value: '1', timestamp: T }]);
    const cut = batch(1, [{ key: 'b', value: '2', timestamp: T }]);
    for (const keep of [5, 20, cut.length - 1]) {
      const buf = Buffer.concat([whole, cut.subarray(0, keep)]);
      assert.deepEqual(
        decode(buf, 0).map((r) => r.offset),
        [0],
      );
      assert.deepEqual(scanBatches(buf, 0), { count: 1, next: 1 });
    }
  });

  it('skips control batches (transaction markers) but moves past them', () => {
    const marker = batch(5, [{ key: 'x', value: 'commit', timestamp: T }]);
    marker.writeInt16BE(marker.readInt16BE(21) | 0x20, 21); // attributes: control
    const buf = Buffer.concat([
      batch(0, [{ value: '1', timestamp: T }]),
      marker,
      batch(6, [{ value: '2', timestamp: T }]),
    ]);
    assert.deepEqual(
      decode(buf, 0).map((r) => [r.offset, r.value]),
      [
        [0, 1],
        [6, 2],
      ],
    );
    assert.deepEqual(scanBatches(buf, 0), { count: 2, next: 7 });
  });

  it('takes event time from runnel.event-time (kept out of the headers) over the Kafka timestamp', () => {
    const buf = batch(0, [
      { value: '1', timestamp: T, headers: { 'runnel.event-time': '1735732800000', source: 'x' } },
      { value: '2', timestamp: T, headers: { 'runnel.event-time': 'garbage' } },
    ]);
    const [a, b] = decode(buf, 0);
    assert.deepEqual([a!.timestamp, { ...a!.headers }], [1735732800000, { source: 'x' }]);
    assert.deepEqual([b!.timestamp, { ...b!.headers }], [T, {}], 'an unreadable one leaves the Kafka timestamp');
  });

  it('drops the records of aborted transactions (read-committed), keeping committed and plain ones', () => {
    const tx = { producerId: 7n, transactionalId: 'tx' };
    const marker = (offset: number) => {
      const m = batch(offset, [{ value: 'marker', timestamp: T }], tx);
      m.writeInt16BE(m.readInt16BE(21) | 0x20, 21); // a control batch: the transaction's end marker
      return m;
    };
    const buf = Buffer.concat([
      batch(
        0,
        [
          { value: '0', timestamp: T },
          { value: '1', timestamp: T },
        ],
        tx,
      ), // committed
      marker(2),
      batch(
        3,
        [
          { value: '3', timestamp: T },
          { value: '4', timestamp: T },
        ],
        tx,
      ), // aborted
      batch(5, [{ value: '5', timestamp: T }], { producerId: 9n }), // another producer, not transactional
      marker(6),
      batch(7, [{ value: '7', timestamp: T }], tx), // the producer's next transaction, committed
      marker(8),
    ]);
    const out: StreamRecord[] = [];
    decodeRecordBatches(buf, 't', 0, 0, out, [{ producerId: 7, firstOffset: 3 }]);
    assert.deepEqual(
      out.map((r) => r.value),
      [0, 1, 5, 7],
    );
    assert.deepEqual(
      decode(buf, 0).map((r) => r.value),
      [0, 1, 3, 4, 5, 7],
      'with no aborted transactions listed, everything but the markers',
    );
  });

  it('LogAppendTime batches: every record carries the broker time (the batch max timestamp)', () => {
    const buf = batch(0, [
      { value: '1', timestamp: T },
      { value: '2', timestamp: T + 10 },
    ]);
    buf.writeInt16BE(buf.readInt16BE(21) | 0x08, 21);
    buf.writeBigInt64BE(BigInt(T + 999), 35); // max timestamp, set by the broker
    assert.deepEqual(
      decode(buf, 0).map((r) => r.timestamp),
      [T + 999, T + 999],
    );
  });

  it('an empty runnel.event-time header leaves the Kafka timestamp; an old-format batch stops with a clear error', () => {
    assert.equal(
      decode(batch(0, [{ value: '1', timestamp: T, headers: { 'runnel.event-time': '' } }]), 0)[0]!.timestamp,
      T,
    );
    const old = batch(100, [{ value: '1', timestamp: T }]);
    old[16] = 1; // magic v1
    assert.throws(() => scanBatches(old, 100), /unsupported Kafka record batch version 1 at offset 100/);
    assert.throws(() => decode(old, 100), /unsupported Kafka record batch version 1/);
  });

  it('shares no header object a consumer could write through to other records', () => {
    const [a, b] = decode(
      batch(0, [
        { value: '1', timestamp: T },
        { value: '2', timestamp: T },
      ]),
      0,
    );
    assert.throws(() => {
      (a!.headers as Record<string, string>).x = 'y';
    }, TypeError);
    assert.deepEqual({ ...b!.headers }, {});
  });
});

describe('produce chunks', () => {
  it('count headers toward the size limit: records with heavy headers split below 1 MiB', async () => {
    const { chunk } = await import('./codec.ts');
    const headers = new Map<Buffer, Buffer>([
      [Buffer.from('runnel.upstream-watermark'), Buffer.from('1733150000000')],
      [Buffer.from('runnel.source-topic'), Buffer.from('x'.repeat(200))],
    ]);
    const messages = Array.from({ length: 10_000 }, () => ({
      key: Buffer.from('k'),
      value: Buffer.from('1'),
      headers,
    }));
    const parts = chunk(messages);
    for (const p of parts) {
      const bytes = p.messages.reduce(
        (n, m) => n + 2 + [...m.headers].reduce((h, [k, v]) => h + k.length + v.length, 0),
        0,
      );
      assert.ok(bytes < 1024 * 1024, `a chunk of ${bytes} bytes would pass Kafka's 1 MiB limit`);
    }
    assert.equal(
      parts.reduce((n, p) => n + p.messages.length, 0),
      10_000,
    );
  });
});
