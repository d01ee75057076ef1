/**
 * The sinks that write to a database server (postgres, cassandra), end to end: kill -9 mid-run, a server
 * unreachable then cut off, the CLI with jsonl beside it, and a server that hangs at stop. One skeleton for
 * every such kind; a per-kind target says how to reach the server and read its tables back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import '../../src/connectors/sinks/index.ts';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { createSink } from '../../src/core/connector-registry.ts';
import { CASSANDRA, cql, testKeyspace } from '../helpers/cassandra.ts';
import { check, type Event } from '../helpers/checker.ts';
import { jsonlValues, runCli, workspace } from '../helpers/cli.ts';
import { brokerWithEvents, drainInto } from '../helpers/events-broker.ts';
import { freePort } from '../helpers/net.ts';
import { rows, testDatabase } from '../helpers/postgres.ts';

const FIXTURE = new URL('./fixtures/crash-consumer.ts', import.meta.url).pathname;
const COLUMNS = [
  { name: 'id', type: 'integer' },
  { name: 'key', type: 'text' },
  { name: 'seq', type: 'integer' },
];

/** One database of one test: how the fixture, a pipeline and the CLI reach it, and its tables read back. */
interface Database {
  /** crash-consumer.ts flags for a sink into table `events`. */
  fixtureFlags: string[];
  /** The sink config for table `events` through another port on 127.0.0.1 (a proxy). */
  configVia(port: number): unknown;
  /** The `sinkStatus().lastError` while nothing listens on `port`. */
  unavailable(port: number): RegExp;
  /** `events` rows in the order they are checked for per-key order. */
  events(): Promise<Event[]>;
  /** (partition, offset) of each row of `events`. */
  sources(): Promise<Array<{ partition: number; offset: number }>>;
  /** The next offsets stored for `table` by partition; empty before the sink made the table. */
  stored(table: string): Promise<Map<number, number>>;
  /** Env for `runnel run` / `runnel verify` to write here. */
  env: Record<string, string>;
  /** The buzz app's `streamed_messages` rows, and its name as `runnel verify` prints it. */
  messages(): Promise<Array<{ message: string; author: string }>>;
  messagesTable: string;
}

interface DatabaseKind {
  kind: 'postgres' | 'cassandra';
  /** Where the real server listens, for the proxy. */
  upstream: { host: string; port: number };
  /** Events and kill points of the kill -9 test, events of the outage and hang tests (Cassandra writes slower). */
  crash: { events: number; kills: number };
  outageEvents: number;
  /** Rows and positions in one transaction: no row beyond the stored positions, ever (else rows go first). */
  transactional: boolean;
  open(t: TestContext): Promise<Database | undefined>;
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

const pgUrl = new URL(process.env.RUNNEL_TEST_POSTGRES_URL ?? 'postgres://h:5432');
const [CASSANDRA_HOST, CASSANDRA_PORT] = CASSANDRA.split(':') as [string, string];

const kinds: DatabaseKind[] = [
  {
    kind: 'postgres',
    upstream: { host: '127.0.0.1', port: Number(pgUrl.port || 5432) },
    crash: { events: 30_000, kills: 5 },
    outageEvents: 20_000,
    transactional: true,
    async open(t) {
      const pg = await testDatabase(t);
      if (!pg) return undefined;
      const stored = async (table: string, schema = 'public') =>
        new Map(
          (
            await rows<{ partition: number; n: string }>(
              pg,
              `SELECT partition, next_offset AS n FROM ${schema}.runnel_offsets WHERE sink_table = $1`,
              [table],
            ).catch(() => [])
          ).map((r) => [Number(r.partition), Number(r.n)]),
        );
      return {
        fixtureFlags: ['--postgres', pg],
        configVia(port) {
          const via = new URL(pg);
          via.port = String(port);
          return { url: via.toString(), table: 'events', columns: COLUMNS };
        },
        unavailable: () => /RUNNEL_SINK_UNAVAILABLE: postgres:\/\/postgres@127\.0\.0\.1:\d+\/.*refused/,
        events: async () =>
          (await rows<Event>(pg, 'SELECT id::int, key, seq::int FROM events ORDER BY _id')).map((e) => ({ ...e })),
        sources: () => rows(pg, 'SELECT _partition AS partition, _offset::int AS offset FROM events'),
        stored: (table) => (table === 'streamed_messages' ? stored(table, 'buzz') : stored(table)),
        env: { RUNNEL_POSTGRES_URL: pg },
        messages: () => rows(pg, 'SELECT message, author FROM buzz.streamed_messages'),
        messagesTable: 'buzz\\.streamed_messages',
      };
    },
  },
  {
    kind: 'cassandra',
    upstream: { host: CASSANDRA_HOST, port: Number(CASSANDRA_PORT) },
    crash: { events: 15_000, kills: 4 },
    outageEvents: 15_000,
    transactional: false,
    async open(t) {
      const keyspace = await testKeyspace(t);
      if (!keyspace) return undefined;
      const events = async () =>
        (await cql(`SELECT id, key, seq, "_partition", "_offset" FROM ${keyspace}.events`)).map((r) => ({
          partition: Number(r.get('_partition')),
          offset: Number(r.get('_offset')),
          event: { id: Number(r.get('id')), key: String(r.get('key')), seq: Number(r.get('seq')) },
        }));
      return {
        fixtureFlags: ['--cassandra', CASSANDRA, '--keyspace', keyspace],
        configVia: (port) => ({ contactPoints: `127.0.0.1:${port}`, keyspace, table: 'events', columns: COLUMNS }),
        unavailable: (port) =>
          new RegExp(
            `RUNNEL_SINK_UNAVAILABLE: cassandra://127\\.0\\.0\\.1:${port} \\(table ${keyspace}\\.events\\): no node answers`,
          ),
        // Cassandra returns partitions in token order: sorted by partition and offset, as they were written.
        events: async () =>
          (await events()).sort((a, b) => a.partition - b.partition || a.offset - b.offset).map((r) => r.event),
        sources: async () => (await events()).map(({ partition, offset }) => ({ partition, offset })),
        stored: async (table) =>
          new Map(
            (
              await cql(`SELECT partition, next_offset FROM ${keyspace}.runnel_offsets WHERE sink_table = ?`, [
                table,
              ]).catch(() => [])
            ).map((r) => [Number(r.get('partition')), Number(r.get('next_offset'))]),
          ),
        env: { RUNNEL_CASSANDRA: CASSANDRA, RUNNEL_CASSANDRA_KEYSPACE: keyspace },
        messages: async () =>
          (await cql(`SELECT message, author FROM ${keyspace}.streamed_messages`)).map((r) => ({
            message: r.get('message'),
            author: r.get('author'),
          })),
        messagesTable: `${keyspace}\\.streamed_messages`,
      };
    },
  },
];

/** A TCP proxy to the real server, that can be taken down (its connections cut) and brought back, or frozen. */
function proxy(port: number, upstream: { host: string; port: number }) {
  let server: Server | undefined;
  let frozen = false;
  const sockets = new Set<Socket>();
  return {
    up: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((client) => {
          const up = tcpConnect(upstream.port, upstream.host);
          for (const s of [client, up]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => {
              client.destroy();
              up.destroy();
            });
          }
          client.on('data', (d) => frozen || up.write(d));
          up.on('data', (d) => frozen || client.write(d));
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    /** Connections stay open and nothing passes, as with a server that hangs. */
    freeze: () => {
      frozen = true;
    },
    down: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server?.close(r));
    },
    connections: () => sockets.size,
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A drain of topic `events` into `config`'s sink, in this process, stopped after the test whatever happens. */
async function pipelineInto(t: TestContext, kind: string, brokerUrl: string, config: unknown) {
  const broker = new LocalBroker(brokerUrl);
  await broker.connect();
  t.after(() => broker.close());
  const pipeline = drainInto(broker, 'outage', 'events', [createSink(kind, config)]);

  // A failed assertion must not leave the pipeline running (the test file would never end).
  t.after(async () => {
    pipeline.stop();
    await pipeline.done.catch(() => {});
  });
  return pipeline;
}

for (const k of kinds) {
  describe(`${k.kind} sink end to end`, { timeout: 300_000 }, () => {
    /** Runs the crash consumer; SIGKILLs it once `killAt` records are committed (progress, not clock). */
    function runUntil(db: Database, broker: string, dir: string, killAt?: number): Promise<'killed' | 'exited'> {
      const child = spawn(process.execPath, [FIXTURE, '--broker', broker, '--dir', dir, ...db.fixtureFlags], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      return new Promise((resolve, reject) => {
        let killed = false;
        let exited = false;
        const watch = async () => {
          while (!exited && !killed && killAt !== undefined) {
            if (sum(await db.stored('events')) >= killAt) {
              killed = true;
              child.kill('SIGKILL');
              return;
            }
            await new Promise((r) => setTimeout(r, 10));
          }
        };
        void watch();
        child.on('exit', (code, signal) => {
          exited = true;
          if (killed || signal === 'SIGKILL') resolve('killed');
          else if (code === 0) resolve('exited');
          else reject(new Error(`consumer exited with ${code}`));
        });
      });
    }

    test(`${k.kind}: kill -9 at ${k.crash.kills} progress points, rerun to completion: rows == records, none twice, in order per key`, async (t) => {
      const db = await k.open(t);
      if (!db) return;
      const N = k.crash.events;
      const dir = mkdtempSync(join(tmpdir(), `runnel-crash-${k.kind}-`));
      const broker = await brokerWithEvents(dir, N);
      let x = 4242;
      const rand = () => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x / 2 ** 31;
      };
      const points = Array.from({ length: k.crash.kills }, () => Math.floor(N * (0.05 + 0.9 * rand()))).sort(
        (a, b) => a - b,
      );
      let kills = 0;
      for (const at of points) if ((await runUntil(db, broker, dir, at)) === 'killed') kills++;
      assert.equal(await runUntil(db, broker, dir), 'exited');
      assert.ok(kills >= 3, `most kill points should land before the end (got ${kills})`);
      const v = check(await db.events(), N);
      assert.deepEqual(
        { count: v.count, lost: v.lost.length, duplicates: v.duplicates, nonmonotonic: v.nonmonotonic },
        { count: N, lost: 0, duplicates: 0, nonmonotonic: [] },
        `after ${kills} kills`,
      );
      // The positions kept with the rows say every partition was read to its end.
      assert.equal(sum(await db.stored('events')), N);
    });

    test(`${k.kind}: a server that is unreachable, then cut off mid-run, is reported as retrying and the sink recovers, exactly-once`, async (t) => {
      const db = await k.open(t);
      if (!db) return;
      const N = k.outageEvents;
      const dir = mkdtempSync(join(tmpdir(), `runnel-${k.kind}-outage-`));
      const brokerUrl = await brokerWithEvents(dir, N);
      const port = await freePort();
      const pipeline = await pipelineInto(t, k.kind, brokerUrl, db.configVia(port));
      const p = proxy(port, k.upstream);
      t.after(() => p.down());
      const sinkStatus = () => pipeline.statuses().find((s) => s.component === 'sink')!;
      // 1. Nothing listens on the port: retrying, with a line that names the server and not a password.
      await until('retrying on a closed port', () => sinkStatus()?.state === 'retrying');
      assert.match(sinkStatus().lastError ?? '', db.unavailable(port));
      // 2. The server comes back: rows flow, through the proxy (the driver must not go around it).
      await p.up();
      await until('rows after the server came back', async () => sum(await db.stored('events')) > N / 4);
      assert.ok(p.connections() > 0, 'the sink writes through the proxy');
      // 3. Cut off mid-run, as a server restart would: retrying again, then recovering.
      await p.down();
      await until('retrying after the cut', () => sinkStatus().state === 'retrying');
      const during = sum(await db.stored('events'));
      await new Promise((r) => setTimeout(r, 300));
      await p.up();
      await pipeline.done;
      assert.ok(during < N, 'the cut happened mid-run');
      const v = check(await db.events(), N);
      assert.deepEqual(
        { count: v.count, lost: v.lost.length, duplicates: v.duplicates, nonmonotonic: v.nonmonotonic },
        { count: N, lost: 0, duplicates: 0, nonmonotonic: [] },
      );
    });

    test(`runnel run buzz --sinks jsonl,${k.kind}: the same messages in the jsonl file and the table; verify agrees`, async (t) => {
      const db = await k.open(t);
      if (!db) return;
      const ws = workspace();
      const sinks = `jsonl,${k.kind}`;
      const r = await runCli(
        ['run', 'buzz', '--limit', '3000', '--rate', '0', '--seed', '9', '--sinks', sinks, ...ws.flags],
        { env: db.env },
      );
      assert.equal(r.code, 0, r.stderr);
      const lines = jsonlValues<{ message: string; author: string }>(join(ws.dir, 'data', 'buzz.jsonl'));
      assert.equal(lines.length, 3000);
      assert.deepEqual(
        (await db.messages()).map((x) => `${x.author}\u0001${x.message}`).sort(),
        lines.map((x) => `${x.author}\u0001${x.message}`).sort(),
      );
      assert.equal(sum(await db.stored('streamed_messages')), 3000);
      // `runnel verify` checks the same table and reports it up to date.
      const v = await runCli(['verify', '--sinks', sinks, ...ws.flags], { env: db.env });
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, new RegExp(`${db.messagesTable}.*up to date with buzz \\(3000 records\\)`));
    });

    test(`${k.kind}: a server that hangs mid-write does not hold a stop: the connection is cut after a grace`, async (t) => {
      const db = await k.open(t);
      if (!db) return;
      const N = k.outageEvents;
      const dir = mkdtempSync(join(tmpdir(), `runnel-${k.kind}-hang-`));
      const brokerUrl = await brokerWithEvents(dir, N);
      const port = await freePort();
      const p = proxy(port, k.upstream);
      await p.up();
      t.after(() => p.down());
      const pipeline = await pipelineInto(t, k.kind, brokerUrl, db.configVia(port));
      await until('rows', async () => sum(await db.stored('events')) > 0);
      p.freeze();
      await new Promise((r) => setTimeout(r, 300));
      const stopped = Date.now();
      pipeline.stop();
      const outcome = await Promise.race([
        pipeline.done.then(
          () => 'stopped',
          (e: unknown) => `failed: ${e}`,
        ),
        new Promise((r) => setTimeout(() => r('still waiting after 15 s'), 15_000)),
      ]);
      assert.equal(outcome, 'stopped');
      assert.ok(Date.now() - stopped < 10_000);
      // What was committed is whole: below each stored position every offset has its row, once; a
      // transactional sink has no row beyond them either.
      const stored = await db.stored('events');
      const rowsOf = await db.sources();
      const have = new Map<string, number>();
      for (const r of rowsOf) have.set(`${r.partition}:${r.offset}`, (have.get(`${r.partition}:${r.offset}`) ?? 0) + 1);
      assert.ok(
        [...have.values()].every((n) => n === 1),
        'no row twice',
      );
      let covered = 0;
      for (const [partition, next] of stored) {
        for (let o = 0; o < next; o++) {
          assert.ok(have.has(`${partition}:${o}`), `row ${partition}:${o} below the stored position`);
          covered++;
        }
      }
      if (k.transactional) assert.equal(rowsOf.length, covered, 'no row beyond the stored positions');
      assert.ok(covered > 0 && covered < N, `stopped mid-run with positions stored (${covered})`);
    });
  });
}
