/**
 * `node bench/kafka.ts [--records N] [--python-records N] [--partitions 1,4]`: produce and consume
 * records/s on a real Kafka (RUNNEL_TEST_KAFKA or 127.0.0.1:9092) for runnel's kafka broker, beside a plain
 * KafkaJS loop and the seeds' own stack, a kafka-python loop, in the same run, on the same broker, with the
 * same records (small buzz-like JSON, keyed by author, 1000 per batch). Figures, not assertions.
 * Consume rates run from each consumer's first records to its last (every value parsed and read), so a
 * group join does not swamp a sub-second read; the join-to-first-records time has its own column.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBroker } from '../src/brokers/kafka/kafka-broker.ts';
import { kafkaAnswers } from '../src/brokers/kafka/server.ts';
import { buzzRecords } from './buzz-records.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '500000' },
    'python-records': { type: 'string', default: '50000' },
    partitions: { type: 'string', default: '1,4' },
    batch: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(args.records);
const PY_N = Number(args['python-records']);
const BATCH = Number(args.batch);
const ADDRESS = process.env.RUNNEL_TEST_KAFKA ?? '127.0.0.1:9092';
const run = Date.now().toString(36);

const records = buzzRecords(N);

interface Row {
  client: string;
  partitions: number;
  produce: number;
  consume: number;
  /** From the consumer's start (group join included) to its first records: reported, not in the rate. */
  firstMs: number;
}
const rows: Row[] = [];
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);

async function runnel(partitions: number): Promise<Row> {
  const b = new KafkaBroker(`kafka://${ADDRESS}`);
  await b.connect();
  const topic = `bench-runnel-${partitions}-${run}`;
  await b.createTopic(topic, { partitions });
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) await b.produce(topic, records.slice(i, i + BATCH));
  const produce = rate(N, performance.now() - t);
  const c = b.consumer({ group: `${topic}-g`, topics: [topic] });
  const joined = performance.now();
  let got = 0;
  let first = 0;
  let sum = 0;
  while (got < N) {
    const batch = await c.poll({ maxRecords: BATCH * 5 });
    if (batch.length > 0 && first === 0) {
      first = batch.length;
      t = performance.now();
    }
    got += batch.length;
    // Touch every value, as the other loops' JSON.parse does: a record nobody reads is not consumed.
    for (const r of batch) sum += (r.value as { message_length: number }).message_length;
  }
  const consume = rate(N - first, performance.now() - t);
  const firstMs = Math.round(t - joined);
  if (sum === 0) throw new Error('no values read');
  await c.close();
  await b.deleteTopic(topic);
  await b.close();
  return { client: 'runnel', partitions, produce, consume, firstMs };
}

async function kafkajs(partitions: number): Promise<Row> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [ADDRESS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-kafkajs-${partitions}-${run}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    await producer.send({
      topic,
      acks: -1,
      messages: records.slice(i, i + BATCH).map((r) => ({ key: r.key, value: JSON.stringify(r.value) })),
    });
  }
  const produce = rate(N, performance.now() - t);
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-g` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  let first = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value) JSON.parse(m.value.toString());
        got += batch.messages.length;
        if (first === 0) {
          first = got;
          t = performance.now();
        }
        if (got >= N) resolve();
      },
    });
  });
  const consume = rate(N - first, performance.now() - t);
  const firstMs = Math.round(t - started);
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return { client: 'kafkajs', partitions, produce, consume, firstMs };
}

/**
 * The seeds' producer/consumer shape: KafkaProducer.send per message + flush, then `for message in consumer`
 * with a JSON value_deserializer; and, for a fair ceiling, kafka-python's batched poll on the same records.
 */
const PYTHON = `
import json, sys, time
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
addr, topic, partitions, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(path)]
admin = KafkaAdminClient(bootstrap_servers=addr)
admin.create_topics([NewTopic(topic, partitions, 1)])
p = KafkaProducer(bootstrap_servers=addr, acks='all', key_serializer=str.encode,
                  value_serializer=lambda v: json.dumps(v).encode())
t = time.perf_counter()
for r in rows: p.send(topic, key=r['key'], value=r['value'])
p.flush()
produce = len(rows) / (time.perf_counter() - t)
def consumer(group):
    return KafkaConsumer(topic, bootstrap_servers=addr, group_id=group, auto_offset_reset='earliest',
                         enable_auto_commit=False, consumer_timeout_ms=10000,
                         value_deserializer=lambda b: json.loads(b.decode()))
def timed(read):
    # Steady state, as for the Node clients: from the first records to the last.
    got, first, t, started = 0, 0, 0, time.perf_counter()
    for n in read():
        got += n
        if not first: first, t = got, time.perf_counter()
        if got >= len(rows): break
    if got < len(rows): sys.exit(f'consumed {got} of {len(rows)}')
    return (len(rows) - first) / (time.perf_counter() - t), (t - started) * 1000
# The seeds' consumers iterate the consumer one message at a time (utils_consumer.py, *_consumer_case.py).
c = consumer(topic + '-iter')
iterate = timed(lambda: (1 for _ in c))
c.close()
# kafka-python's fastest loop: poll whole batches (what a tuned consumer would do), on its own group.
c = consumer(topic + '-poll')
def polls():
    while True:
        for recs in c.poll(timeout_ms=500, max_records=5000).values(): yield len(recs)
batched = timed(polls)
c.close(); p.close(); admin.delete_topics([topic]); admin.close()
print(json.dumps({'produce': round(produce), 'iterate': [round(x) for x in iterate], 'poll': [round(x) for x in batched]}))
`;

function findPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import kafka'], { stdio: 'ignore' }).status === 0) return py;
  }
  return undefined;
}

function python(py: string, partitions: number): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-py-'));
  const data = join(dir, 'records.jsonl');
  writeFileSync(
    data,
    `${records
      .slice(0, PY_N)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );
  const script = join(dir, 'bench.py');
  writeFileSync(script, PYTHON);
  const topic = `bench-python-${partitions}-${run}`;
  const r = spawnSync(py, [script, ADDRESS, topic, String(partitions), data], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kafka-python loop failed: ${r.stderr.trim().split('\n').pop()}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    produce: number;
    iterate: [number, number];
    poll: [number, number];
  };
  const row = (client: string, [consume, firstMs]: [number, number]) => ({
    client,
    partitions,
    produce: out.produce,
    consume,
    firstMs,
  });
  return [row('kafka-python (seeds)', out.iterate), row('kafka-python poll(5000)', out.poll)];
}

if (!(await kafkaAnswers(ADDRESS))) {
  console.error(`no Kafka at ${ADDRESS}: start one with: node scripts/kafka/ctl.ts start`);
  process.exit(1);
}
const py = findPython();
console.log(
  `Kafka at ${ADDRESS}; ${N} records of ~${JSON.stringify(records[0]!.value).length} B (kafka-python: the first ${PY_N}), ${BATCH} per batch, acks=all`,
);
// An untimed round first: a freshly started broker's JVM is cold, and whichever client ran first paid
// for its warm-up (runnel's 1-partition consume measured 0.26 M rec/s cold, 0.55 M warm).
await runnel(1);
await kafkajs(1);
// Two cores shared with the broker's JVM make single runs swing by ±40%: each figure is the median of
// ROUNDS runs, the clients interleaved so drift hits them alike.
const ROUNDS = Number(args.rounds);
console.log(`(after one untimed warm-up round of each Node client; medians of ${ROUNDS} interleaved runs)`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const partitions of args.partitions.split(',').map(Number)) {
  const runs: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    runs.push(await runnel(partitions));
    runs.push(await kafkajs(partitions));
    if (py) runs.push(...python(py, partitions));
  }
  if (!py) console.log('kafka-python not installed (apt-get install -y python3-kafka): skipped');
  for (const client of [...new Set(runs.map((r) => r.client))]) {
    const mine = runs.filter((r) => r.client === client);
    rows.push({
      client,
      partitions,
      produce: median(mine.map((r) => r.produce)),
      consume: median(mine.map((r) => r.consume)),
      firstMs: median(mine.map((r) => r.firstMs)),
    });
  }
}
const fmt = (n: number) => n.toLocaleString('en-US').padStart(10);
console.log(
  `\n${'client'.padEnd(24)} ${'parts'.padStart(5)} ${'produce/s'.padStart(10)} ${'consume/s'.padStart(10)} ${'1st rec'.padStart(8)}  runnel ×`,
);
for (const r of rows) {
  const base = rows.find((x) => x.client === 'runnel' && x.partitions === r.partitions)!;
  const ratio =
    r.client === 'runnel'
      ? ''
      : `produce ${(base.produce / r.produce).toFixed(1)}×, consume ${(base.consume / r.consume).toFixed(1)}×`;
  console.log(
    `${r.client.padEnd(24)} ${String(r.partitions).padStart(5)} ${fmt(r.produce)} ${fmt(r.consume)} ${`${r.firstMs} ms`.padStart(8)}  ${ratio}`,
  );
}
