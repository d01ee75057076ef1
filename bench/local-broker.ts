// Local broker produce/consume throughput beside a raw node:sqlite baseline on the same rows, same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LocalBroker } from '../src/brokers/local/local-broker.ts';

const N = Number(process.env.BENCH_RECORDS ?? 300_000);
const BATCH = 1000;
const AUTHORS = ['Alice', 'Bob', 'Charlie', 'Eve'];
const value = (i: number) => ({
  message: 'I just shared a meme! It was amazing.',
  author: AUTHORS[i % 4],
  timestamp: '2025-01-29 14:35:20',
  category: 'humor',
  sentiment: (i % 100) / 100,
  keyword_mentioned: 'meme',
  message_length: 37,
});

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

export async function benchLocalBroker(): Promise<Array<[string, number, string]>> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-'));
  const records = Array.from({ length: N }, (_, i) => ({ key: AUTHORS[i % 4]!, value: value(i) }));

  // Baseline: the same rows straight into a table with node:sqlite, 1000 per transaction.
  const raw = new DatabaseSync(join(dir, 'raw.db'));
  raw.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;');
  raw.exec('CREATE TABLE r(p INTEGER, o INTEGER, key TEXT, value TEXT, ts INTEGER, PRIMARY KEY(p, o)) WITHOUT ROWID');
  const ins = raw.prepare('INSERT INTO r VALUES (?, ?, ?, ?, ?)');
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    raw.exec('BEGIN');
    for (let j = i; j < i + BATCH && j < N; j++)
      ins.run(0, j, records[j]!.key, JSON.stringify(records[j]!.value), Date.now());
    raw.exec('COMMIT');
  }
  const rawInsert = rate(N, performance.now() - t);
  t = performance.now();
  let parsed = 0;
  const sel = raw.prepare('SELECT key, value FROM r WHERE p = 0 AND o >= ? ORDER BY o LIMIT ?');
  for (let o = 0; o < N; o += 5000)
    for (const row of sel.all(o, 5000) as Array<{ value: string }>) parsed += JSON.parse(row.value) ? 1 : 0;
  const rawSelect = rate(parsed, performance.now() - t);
  raw.close();

  const broker = new LocalBroker(`local:${join(dir, 'broker.db')}`);
  await broker.connect();
  await broker.createTopic('buzz', { partitions: 1 });
  t = performance.now();
  for (let i = 0; i < N; i += BATCH) await broker.produce('buzz', records.slice(i, i + BATCH));
  const produce = rate(N, performance.now() - t);
  const consumer = broker.consumer({ group: 'bench', topics: ['buzz'] });
  t = performance.now();
  let n = 0;
  while (n < N) {
    const got = await consumer.poll({ maxRecords: 5000, maxWaitMs: 100 });
    if (got.length === 0) break;
    n += got.length;
  }
  const consume = rate(n, performance.now() - t);
  await consumer.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    [
      'local produce (batches of 1000)',
      produce,
      `baseline raw node:sqlite insert ${rawInsert}/s → ${(produce / rawInsert).toFixed(2)}×`,
    ],
    [
      'local consume (polls of 5000)',
      consume,
      `baseline raw select+JSON.parse ${rawSelect}/s → ${(consume / rawSelect).toFixed(2)}×`,
    ],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, r, note] of await benchLocalBroker())
    console.log(`${name.padEnd(36)} ${String(r).padStart(9)} rec/s   ${note}`);
}
