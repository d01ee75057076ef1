/**
 * The stopcovid app through the real CLI on the local broker: a bounded run (`STOPCOVID_TICKS`) exits 0
 * with the people table and the notifications equal to a brute-force synchronous simulation of the same
 * seed; and `produce` then 3 consume workers on the app's 6 partitions, one killed with kill -9 mid-run and restarted, notify each
 * person who became suspicious exactly once, with the same results.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { duckdbRows, exited, runCli, sqliteRows, startCli, workspace } from '../helpers/cli.ts';
import { rows, testDatabase } from '../helpers/postgres.ts';
import { reference } from '../helpers/stopcovid-reference.ts';
import { assertOneRun, drawnSeed, held, refusalLine, stderrOf } from '../helpers/stopcovid-restart.ts';
import { localTopicValues, topicValues } from '../helpers/topic-values.ts';

const SIM = { people: 300, width: 40, height: 40, seed: 7, radius: 0 };
const TICKS = 10;
/** SIM as the app's own flags. */
const SIM_FLAGS = ['--people', String(SIM.people), '--grid', `${SIM.width}x${SIM.height}`, '--seed', String(SIM.seed)];
const env = (extra: Record<string, string> = {}) => ({
  STOPCOVID_PEOPLE: String(SIM.people),
  STOPCOVID_GRID: `${SIM.width}x${SIM.height}`,
  STOPCOVID_SEED: String(SIM.seed),
  STOPCOVID_TICKS: String(TICKS),
  STOPCOVID_TICK_RATE: '0',
  ...extra,
});

interface Note {
  id: number;
  tick: number;
  contacts: number[];
  message: string;
}

const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
const want = reference(SIM, TICKS);

function notesOf(path: string): Note[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Note & { value?: Note })
    .map((r) => r.value ?? r);
}

function assertNotes(notes: Note[]): void {
  assertNotesOf(notes, want.notifications);
}

function assertNotesOf(notes: Note[], expected: typeof want.notifications): void {
  const ids = notes.map((n) => n.id);
  assert.equal(new Set(ids).size, ids.length, 'one notification per person who became suspicious');
  assert.deepEqual(
    notes.map(({ id, tick, contacts }) => ({ id, tick, contacts })).sort(byId),
    [...expected].sort(byId),
  );
}

/** The people table after a whole run of TICKS: everyone once, as of the last tick, in the reference's state. */
function assertPeople(db: string): void {
  const people = sqliteRows<{ people_id: number; health_status: number; tick: number }>(
    db,
    'SELECT people_id, health_status, tick FROM people ORDER BY people_id',
  );
  assert.equal(people.length, SIM.people);
  for (const p of people) {
    assert.equal(p.tick, TICKS - 1);
    assert.equal(p.health_status, want.status.get(p.people_id), `status of ${p.people_id}`);
  }
}

/** A workspace whose broker holds a run of `ticks` ticks produced by `runnel produce`, and that run's env. */
async function produced(sim: typeof SIM, ticks: number, prefix: string) {
  const big = env({
    STOPCOVID_PEOPLE: String(sim.people),
    STOPCOVID_GRID: `${sim.width}x${sim.height}`,
    STOPCOVID_SEED: String(sim.seed),
    STOPCOVID_TICKS: String(ticks),
    STOPCOVID_TILE: '16',
    STOPCOVID_INTERACTIONS: 'off',
  });
  const ws = workspace(prefix);
  const r = await runCli(['produce', 'stopcovid', ...ws.flags], { env: big });
  assert.equal(r.code, 0, r.stderr);
  return { ws, big, expected: reference(sim, ticks) };
}

test('runnel run stopcovid --ticks N: a bounded run exits 0 and equals the synchronous reference, in SQLite and JSONL', {
  timeout: 120_000,
}, async () => {
  assert.ok(want.notifications.length > 20);
  const ws = workspace('runnel-stopcovid-');
  // The app's own flags, over contrary environment keys: the flags win.
  const flags = [...SIM_FLAGS];
  flags.push('--ticks', String(TICKS), '--tick-rate', '0', '--radius', '0');
  const r = await runCli(['run', 'stopcovid', ...flags, '--sinks', 'sqlite,jsonl', ...ws.flags], {
    env: env({ STOPCOVID_PEOPLE: '77', STOPCOVID_TICKS: '3', STOPCOVID_RADIUS: '2' }),
    timeoutMs: 100_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const db = join(ws.dir, 'data', 'stopcovid.sqlite');
  const people = sqliteRows<{ people_id: number; health_status: number; tick: number }>(
    db,
    'SELECT people_id, health_status, tick FROM people ORDER BY people_id',
  );
  assert.equal(people.length, SIM.people, 'one row per person (table mode)');
  for (const p of people) {
    assert.equal(p.tick, TICKS - 1);
    assert.equal(p.health_status, want.status.get(p.people_id), `status of ${p.people_id}`);
  }
  assertNotes(notesOf(join(ws.dir, 'data', 'stopcovid.jsonl')));
  // The status topic carries watermark markers; its sink writes the changes only.
  const changes = readFileSync(join(ws.dir, 'data', 'stopcovid.status.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  assert.deepEqual(
    changes.map((l) => (JSON.parse(l) as { id: number }).id).sort((a, b) => a - b),
    want.notifications.map((n) => n.id).sort((a, b) => a - b),
  );
  const pairs = sqliteRows<{ n: number }>(db, 'SELECT count(*) AS n FROM interactions')[0]!.n;
  assert.equal(pairs, want.interactions.size);
});

test('runnel run stopcovid --test-delay 2 --test-positive 0.4: the test rule, as the reference has it', {
  timeout: 120_000,
}, async () => {
  const sim = { ...SIM, test: { delay: 2, positive: 0.4 } };
  const ticks = 16;
  const expected = reference(sim, ticks);
  const ws = workspace('runnel-stopcovid-test-');
  const flags = ['--test-delay', '2', '--test-positive', '0.4', '--ticks', String(ticks)];
  const r = await runCli(['run', 'stopcovid', ...flags, '--sinks', 'sqlite,jsonl', ...ws.flags], {
    env: env({ STOPCOVID_INTERACTIONS: 'off' }),
    timeoutMs: 100_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const people = sqliteRows<{ people_id: number; health_status: number }>(
    join(ws.dir, 'data', 'stopcovid.sqlite'),
    'SELECT people_id, health_status FROM people ORDER BY people_id',
  );
  assert.ok(people.some((p) => p.health_status === 2));
  for (const p of people) assert.equal(p.health_status, expected.status.get(p.people_id), `status of ${p.people_id}`);
  const order = (a: { id: number; tick: number }, b: { id: number; tick: number }) => a.id - b.id || a.tick - b.tick;
  assert.deepEqual(
    notesOf(join(ws.dir, 'data', 'stopcovid.jsonl'))
      .map(({ id, tick, contacts }) => ({ id, tick, contacts }))
      .sort(order),
    [...expected.notifications].sort(order),
  );
});

test('stopcovid: 3 consume workers on 6 partitions, one killed with kill -9 mid-run and restarted: statuses and notifications of one worker, each once', {
  timeout: 240_000,
}, async () => {
  // Big enough to be mid-run at the kill; tiles small enough to spread over the partitions.
  const sim = { people: 1000, width: 70, height: 70, seed: 11, radius: 0 };
  const ticks = 40;
  const { ws, big, expected } = await produced(sim, ticks, 'runnel-stopcovid-crash-');
  // Each process its own data folder: the sinks' files are per process, the topics are shared.
  let n = 0;
  const args = () => [
    'consume',
    'stopcovid',
    '--sinks',
    'jsonl',
    '--broker',
    ws.broker,
    '--data-dir',
    join(ws.dir, `data-${n++}`),
    '--state-dir',
    join(ws.dir, `state-${n}`),
  ];
  // What each worker prints (the notifications' sentences), read as it comes.
  const printed: string[] = [];
  const start = () => {
    const w = startCli(args(), { env: big });
    let out = '';
    w.stdout!.on('data', (d: Buffer) => {
      out += d;
      const lines = out.split('\n');
      out = lines.pop()!;
      printed.push(...lines);
    });
    return w;
  };
  const b = new LocalBroker(ws.broker);
  await b.connect();
  const all = sim.people * ticks;
  try {
    const workers = [start(), start(), start()];
    // Killed mid-run: once the people topic has some of the run's rows, long before all of them.
    for (let i = 0; i < 2400 && (await held(b, 'stopcovid.people')) < all / 10; i++) await sleep(25);
    workers[1]!.kill('SIGKILL');
    const atKill = await held(b, 'stopcovid.people');
    await exited(workers[1]!);
    assert.ok(atKill >= all / 10 && atKill < all, `killed mid-run (${atKill} of ${all} people rows)`);
    workers[1] = start();
    // The three finish the run (exactly-once topics: the count is exact), then stop.
    for (let i = 0; i < 6000 && (await held(b, 'stopcovid.people')) < all; i++) await sleep(25);
    assert.equal(await held(b, 'stopcovid.people'), all, 'every person at every tick, once');
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map(exited));
    for (const w of workers) assert.equal(w.exitCode, 0, 'a stopped worker exits 0');
  } finally {
    await b.close();
  }
  const notes = (await localTopicValues(ws.broker, 'stopcovid')) as Note[];
  const ids = notes.map((x) => x.id);
  assert.equal(new Set(ids).size, ids.length, 'one notification per person who became suspicious: none twice');
  assert.deepEqual(
    notes.map(({ id, tick, contacts }) => ({ id, tick, contacts })).sort(byId),
    [...expected.notifications].sort(byId),
  );
  // The consoles printed each sentence (at least once: a kill between a print and its commit repeats it).
  assert.deepEqual(new Set(printed), new Set(notes.map((x) => x.message)));
  const changes = (await localTopicValues(ws.broker, 'stopcovid.status')).filter((v) => v !== null) as Array<{
    id: number;
  }>;
  assert.deepEqual(
    changes.map((c) => c.id).sort((a, b) => a - b),
    expected.notifications.map((x) => x.id).sort((a, b) => a - b),
    'one status change per notification, for the same people',
  );
  // The people topic: each person once a tick, the last tick's status the reference's (one worker's).
  const rows = (await localTopicValues(ws.broker, 'stopcovid.people')) as Array<{
    people_id: number;
    tick: number;
    health_status: number;
  }>;
  assert.equal(new Set(rows.map((r) => `${r.people_id}@${r.tick}`)).size, all);
  const last = rows.filter((r) => r.tick === ticks - 1);
  assert.equal(last.length, sim.people);
  for (const r of last) assert.equal(r.health_status, expected.status.get(r.people_id), `status of ${r.people_id}`);
  const check = new LocalBroker(ws.broker);
  await check.connect();
  for (const topic of ['stopcovid.positions', 'stopcovid', 'stopcovid.status'])
    assert.equal((await check.describeTopic(topic))?.partitions.length, 6, topic);
  await check.close();
});

test('runnel consume stopcovid prints the sentence of each notification, once for the group', {
  timeout: 120_000,
}, async () => {
  const { ws, big } = await produced({ ...SIM, seed: 9 }, TICKS, 'runnel-stopcovid-print-');
  const args = ['consume', 'stopcovid', '--drain', '--sinks', 'jsonl', ...ws.flags];
  const first = await runCli(args, { env: big });
  assert.equal(first.code, 0, first.stderr);
  const notes = notesOf(join(ws.dir, 'data', 'stopcovid.jsonl'));
  assert.ok(notes.length > 5);
  assert.deepEqual(first.stdout.split('\n').filter(Boolean).sort(), notes.map((x) => x.message).sort());
  for (const line of first.stdout.split('\n').filter(Boolean))
    assert.match(
      line,
      /^Notification sent to id #\d+ on phone number 33[67]\d{8} about a suspicious contagion by Covid-19\.$/,
    );
  // Printed already for this group: a second consume prints none of them again.
  const again = await runCli(args, { env: big });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  // With the sinks in a thread the printer stays in the main one, and still prints; `run` prints nothing.
  const other = await produced({ ...SIM, seed: 9 }, TICKS, 'runnel-stopcovid-print-threads-');
  const threaded = await runCli(['consume', 'stopcovid', '--drain', '--sink-threads', '1', ...other.ws.flags], {
    env: other.big,
  });
  assert.equal(threaded.code, 0, threaded.stderr);
  assert.deepEqual(threaded.stdout.split('\n').filter(Boolean).sort(), notes.map((x) => x.message).sort());
  const run = await runCli(
    ['run', 'stopcovid', '--sinks', 'jsonl', ...workspace('runnel-stopcovid-print-run-').flags],
    {
      env: env({ STOPCOVID_SEED: '9' }),
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '');
});

test('stopcovid: consume workers sharing one data folder, one killed with kill -9: the JSONL files hold every record once', {
  timeout: 240_000,
}, async () => {
  const sim = { people: 600, width: 55, height: 55, seed: 5, radius: 0 };
  const ticks = 30;
  const { ws, big, expected } = await produced(sim, ticks, 'runnel-stopcovid-shared-');
  // One data folder for all: one process writes each file at a time, the others wait for it.
  const args = ['consume', 'stopcovid', '--sinks', 'jsonl', '--broker', ws.broker, '--data-dir', join(ws.dir, 'data')];
  const workers = [startCli(args, { env: big }), startCli(args, { env: big })];
  const lock = join(ws.dir, 'data', 'stopcovid.people.jsonl.lock');
  const file = join(ws.dir, 'data', 'stopcovid.people.jsonl');
  const holder = async (not?: number) => {
    for (let i = 0; i < 600; i++) {
      // The lock holds `pid@host`.
      const pid = existsSync(lock) ? Number(readFileSync(lock, 'utf8').split('@')[0]) : 0;
      if (pid > 0 && pid !== not) return pid;
      await sleep(50);
    }
    throw new Error('no worker took the file');
  };
  // The writer is killed mid-run (some rows written, not all); the other worker takes the file over.
  const first = await holder();
  while (!existsSync(file) || readFileSync(file, 'utf8').split('\n').length < 2000) await sleep(50);
  const killed = workers.find((w) => w.pid === first)!;
  killed.kill('SIGKILL');
  await exited(killed);
  const rowsAtKill = readFileSync(file, 'utf8').split('\n').length - 1;
  assert.ok(rowsAtKill < sim.people * ticks, 'killed mid-run');
  const other = workers.find((w) => w !== killed)!;
  assert.equal(await holder(first), other.pid, 'the other worker took the file over');
  other.kill('SIGTERM');
  await exited(other);
  const done = await runCli([...args, '--drain'], { env: big, timeoutMs: 150_000 });
  assert.equal(done.code, 0, done.stderr);
  assertNotesOf(notesOf(join(ws.dir, 'data', 'stopcovid.jsonl')), expected.notifications);
  const people = readFileSync(join(ws.dir, 'data', 'stopcovid.people.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const rows = people.map((l) => JSON.parse(l) as { people_id: number; tick: number });
  assert.equal(new Set(rows.map((r) => `${r.people_id}@${r.tick}`)).size, rows.length, 'no row twice');
  assert.equal(rows.length, sim.people * ticks, 'every person at every tick');
});

test('stopcovid stopped mid-run and run again goes on from the next tick: one uninterrupted run, every tick once', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-stopcovid-resume-');
  const flags = [...SIM_FLAGS];
  flags.push('--ticks', String(TICKS), '--radius', '0', '--sinks', 'sqlite,jsonl', ...ws.flags);
  const first = startCli(['run', 'stopcovid', ...flags, '--tick-rate', '10']);
  let firstErr = '';
  first.stderr!.on('data', (d: Buffer) => {
    firstErr += d.toString();
  });
  // Stopped once a few ticks are on the topic, well before the last.
  const b = new LocalBroker(ws.broker);
  await b.connect();
  for (let i = 0; i < 400 && (await held(b, 'stopcovid.positions')) < 3 * SIM.people; i++) await sleep(25);
  first.kill('SIGINT');
  await exited(first);
  assert.equal(first.exitCode, 0, firstErr);
  const before = await held(b, 'stopcovid.positions');
  assert.ok(before >= 3 * SIM.people && before < TICKS * SIM.people, `stopped mid-run (${before} positions)`);

  const second = await runCli(['run', 'stopcovid', ...flags, '--tick-rate', '0'], { timeoutMs: 100_000 });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /ticks 0 to \d+ are on the topic already: going on from tick \d+/);
  // Every tick once, then the end markers (one per person): none sent again.
  assert.equal(await held(b, 'stopcovid.positions'), TICKS * SIM.people + SIM.people);
  assertPeople(join(ws.dir, 'data', 'stopcovid.sqlite'));
  assertNotes(notesOf(join(ws.dir, 'data', 'stopcovid.jsonl')));

  // The tile stage's repartition topic was purged as the stage committed past it: all of it, at the end.
  const internal = (await b.listTopics()).filter((t) => t.name.includes('-repartition-'));
  assert.ok(internal.length > 0);
  for (const t of internal) {
    const held = t.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
    const ever = t.partitions.reduce((n, p) => n + p.endOffset, 0);
    assert.ok(ever > 0 && held === 0, `${t.name}: ${held} of ${ever} records still held`);
  }
  // A finished run cannot be added to: said in one line, nothing produced, exit 0.
  const third = await runCli(['run', 'stopcovid', ...flags, '--tick-rate', '0'], { timeoutMs: 100_000 });
  assert.equal(third.code, 0, third.stderr);
  assert.match(
    third.stderr,
    new RegExp(`this broker holds a finished run \\(ticks 0 to ${TICKS - 1}, then its end\\)`),
  );
  assert.equal(await held(b, 'stopcovid.positions'), TICKS * SIM.people + SIM.people);
  await b.close();
});

test('stopcovid run again after a --limit run goes on where the limit cut it, mid-tick too: the pieces are one run', {
  timeout: 180_000,
}, async () => {
  // As buzz: a second `run --limit` adds the next records. The first run used to end the input, and the
  // second's ticks all went to .late with exit 0 and no notification.
  const ws = workspace('runnel-stopcovid-limit-');
  const flags = [...SIM_FLAGS, '--ticks', String(TICKS), '--radius', '0', '--tick-rate', '0'];
  flags.push('--sinks', 'sqlite,jsonl', ...ws.flags);
  // Not a whole number of ticks: each piece ends inside one.
  const limit = 3 * SIM.people + 100;
  const b = new LocalBroker(ws.broker);
  await b.connect();
  try {
    const first = await runCli(['run', 'stopcovid', ...flags, '--limit', String(limit)], { timeoutMs: 100_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /stopped at --limit with more of its input left; the next run goes on from there/);
    const second = await runCli(['run', 'stopcovid', ...flags, '--limit', String(limit)], { timeoutMs: 100_000 });
    assert.equal(second.code, 0, second.stderr);
    const tick = Math.floor(limit / SIM.people);
    const sent = limit % SIM.people;
    // The cut tick is named, and why its results are not out yet.
    assert.match(
      first.stderr,
      new RegExp(`; tick ${tick} is cut after ${sent} of its ${SIM.people} people, and a tick's notifications`),
    );
    // The second run started inside that tick: it ends inside a later one, counted from there.
    const through = sent + limit;
    assert.match(
      second.stderr,
      new RegExp(`; tick ${tick + Math.floor(through / SIM.people)} is cut after ${through % SIM.people} of its`),
    );
    assert.match(
      second.stderr,
      new RegExp(
        `ticks 0 to ${tick} are on the topic already, tick ${tick} up to person ${sent}: going on with person ${sent + 1}`,
      ),
    );
    assert.doesNotMatch(second.stderr, /ended this input for good/);
    assert.equal(await held(b, 'stopcovid.positions'), 2 * limit);
    // The rest, to the end of --ticks: the three runs are the uninterrupted run, in every output.
    const rest = await runCli(['run', 'stopcovid', ...flags], { timeoutMs: 100_000 });
    assert.equal(rest.code, 0, rest.stderr);
    assertOneRun(await topicValues(b, 'stopcovid.positions'), SIM, TICKS, () => SIM.seed);
    const db = join(ws.dir, 'data', 'stopcovid.sqlite');
    assertPeople(db);
    assertNotes(notesOf(join(ws.dir, 'data', 'stopcovid.jsonl')));
    assert.equal(sqliteRows<{ n: number }>(db, 'SELECT count(*) AS n FROM interactions')[0]!.n, want.interactions.size);
  } finally {
    await b.close();
  }
});

test("stopcovid's people table (people_id primary key, latest state) and interactions log in SQLite, DuckDB and Postgres; none with --interactions off", {
  timeout: 180_000,
}, async (t) => {
  const pg = await testDatabase(t);
  if (!pg) return;
  const ws = workspace('runnel-stopcovid-tables-');
  const flags = [...SIM_FLAGS];
  flags.push('--ticks', String(TICKS), '--tick-rate', '0');
  const r = await runCli(['run', 'stopcovid', ...flags, '--sinks', 'sqlite,duckdb,postgres', ...ws.flags], {
    env: { RUNNEL_POSTGRES_URL: pg },
    timeoutMs: 150_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const want5 = ['people_id', 'phone_nb', 'pos_x', 'pos_y', 'health_status'];
  type Person = { people_id: number; phone_nb: number; pos_x: number; pos_y: number; health_status: number };
  const ref = reference(SIM, TICKS);
  const check = (where: string, people: Person[], pairs: number, key: string[]) => {
    assert.deepEqual(key, ['people_id'], `${where}: people_id is the primary key`);
    assert.equal(people.length, SIM.people, `${where}: one row per person`);
    for (const p of people) {
      const at = ref.last.get(Number(p.people_id))!;
      const id = Number(p.people_id);
      assert.deepEqual(
        want5.map((c) => Number(p[c as keyof Person])),
        [id, at.phone, at.x, at.y, ref.status.get(id)],
        `${where}: person ${id}`,
      );
    }
    assert.equal(pairs, ref.interactions.size, `${where}: the interactions log`);
  };
  const select = `SELECT ${want5.join(', ')} FROM people ORDER BY people_id`;
  const sqlite = join(ws.dir, 'data', 'stopcovid.sqlite');
  check(
    'sqlite',
    sqliteRows<Person>(sqlite, select),
    sqliteRows<{ n: number }>(sqlite, 'SELECT count(*) AS n FROM interactions')[0]!.n,
    sqliteRows<{ name: string }>(sqlite, "SELECT name FROM pragma_table_info('people') WHERE pk > 0").map(
      (x) => x.name,
    ),
  );
  const duck = join(ws.dir, 'data', 'stopcovid.duckdb');
  check(
    'duckdb',
    await duckdbRows<Person>(duck, select),
    Number((await duckdbRows<{ n: bigint }>(duck, 'SELECT count(*) AS n FROM interactions'))[0]!.n),
    (
      await duckdbRows<{ c: string[] }>(
        duck,
        "SELECT constraint_column_names AS c FROM duckdb_constraints() WHERE table_name = 'people' AND constraint_type = 'PRIMARY KEY'",
      )
    )[0]?.c ?? [],
  );
  check(
    'postgres',
    await rows<Person>(pg, select.replace('FROM people', 'FROM stopcovid.people')),
    Number((await rows<{ n: string }>(pg, 'SELECT count(*) AS n FROM stopcovid.interactions'))[0]!.n),
    (
      await rows<{ a: string }>(
        pg,
        `SELECT a.attname AS a FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = 'stopcovid.people'::regclass AND i.indisprimary`,
      )
    ).map((x) => x.a),
  );

  // --interactions off: no log anywhere, neither topic nor table.
  const off = workspace('runnel-stopcovid-off-');
  const o = await runCli([
    'run',
    'stopcovid',
    ...flags,
    '--interactions',
    'off',
    '--sinks',
    'sqlite,jsonl',
    ...off.flags,
  ]);
  assert.equal(o.code, 0, o.stderr);
  const tables = sqliteRows<{ name: string }>(
    join(off.dir, 'data', 'stopcovid.sqlite'),
    "SELECT name FROM sqlite_master WHERE type = 'table'",
  ).map((x) => x.name);
  assert.ok(tables.includes('people') && !tables.includes('interactions'), tables.join(', '));
  assert.ok(!existsSync(join(off.dir, 'data', 'stopcovid.interactions.jsonl')));
  const b = new LocalBroker(off.broker);
  await b.connect();
  assert.equal(await b.describeTopic('stopcovid.interactions'), undefined);
  await b.close();
});

/** SIM without its seed: a run that draws one. */
const UNSEEDED = ['--people', String(SIM.people), '--grid', `${SIM.width}x${SIM.height}`, '--ticks', String(TICKS)];

/** Starts a paced run of UNSEEDED and waits until a few of its ticks are on the topic, well before the last. */
async function firstTicks(ws: ReturnType<typeof workspace>, b: LocalBroker) {
  const first = startCli([
    'run',
    'stopcovid',
    ...UNSEEDED,
    '--tick-rate',
    '10',
    '--sinks',
    'sqlite,jsonl',
    ...ws.flags,
  ]);
  const err = stderrOf(first);
  for (let i = 0; i < 400 && (await held(b, 'stopcovid.positions')) < 3 * SIM.people; i++) await sleep(25);
  return { first, err };
}

test('stopcovid stopped without --seed and run again goes on with the seed it drew: nobody jumps, one uninterrupted run', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-stopcovid-drawn-');
  const b = new LocalBroker(ws.broker);
  await b.connect();
  try {
    const { first, err } = await firstTicks(ws, b);
    first.kill('SIGINT');
    await exited(first);
    assert.equal(first.exitCode, 0, err.text);
    const before = await held(b, 'stopcovid.positions');
    assert.ok(before < TICKS * SIM.people, `stopped mid-run (${before} positions)`);

    const second = await runCli(
      ['run', 'stopcovid', ...UNSEEDED, '--tick-rate', '0', '--sinks', 'sqlite,jsonl', ...ws.flags],
      { timeoutMs: 100_000 },
    );
    assert.equal(second.code, 0, second.stderr);
    const seed = () => drawnSeed(err.text);
    assertOneRun(await topicValues(b, 'stopcovid.positions'), SIM, TICKS, seed);
    assert.match(
      second.stderr,
      new RegExp(
        `ticks 0 to \\d+ are on the topic already: going on from tick \\d+ with the run's saved seed ${seed()}`,
      ),
    );
    // The pipeline saw one simulation: its final statuses are the uninterrupted run's.
    const expected = reference({ ...SIM, seed: seed() }, TICKS);
    const people = sqliteRows<{ people_id: number; health_status: number }>(
      join(ws.dir, 'data', 'stopcovid.sqlite'),
      'SELECT people_id, health_status FROM people ORDER BY people_id',
    );
    assert.equal(people.length, SIM.people);
    for (const p of people) assert.equal(p.health_status, expected.status.get(p.people_id), `status of ${p.people_id}`);
  } finally {
    await b.close();
  }
});

test('stopcovid killed with kill -9: a restart with other settings is refused in one line before anything runs, one with none goes on with the drawn seed', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-stopcovid-kill-');
  const b = new LocalBroker(ws.broker);
  await b.connect();
  try {
    const { first, err } = await firstTicks(ws, b);
    first.kill('SIGKILL');
    await exited(first);
    const positions = await held(b, 'stopcovid.positions');
    const people = await held(b, 'stopcovid.people');
    assert.ok(positions < TICKS * SIM.people, `killed mid-run (${positions} positions)`);

    const other = ['--people', String(SIM.people + 1), '--grid', `${SIM.width}x${SIM.height}`, '--radius', '1'];
    const refused = await runCli(
      ['run', 'stopcovid', ...other, '--seed', '5', '--ticks', String(TICKS), '--tick-rate', '0', ...ws.flags],
      { timeoutMs: 100_000 },
    );
    assert.match(
      refusalLine(refused),
      new RegExp(
        '^runnel: RUNNEL_RUN_SETTINGS_CHANGED: stopcovid: stopcovid\\.positions holds ticks 0 to \\d+ of a simulation ' +
          `with other settings: --people ${SIM.people} \\(this run: --people ${SIM.people + 1}\\), ` +
          `--seed ${drawnSeed(err.text)} \\(this run: --seed 5\\), --radius 0 \\(this run: --radius 1\\)\\. ` +
          'To go on with it, give its settings \\(--seed may be left out\\); to start afresh, use another --broker and --data-dir',
      ),
    );
    // Refused before its processors and sinks started: the first run's pending ticks were left alone.
    assert.equal(await held(b, 'stopcovid.positions'), positions, 'nothing simulated');
    assert.equal(await held(b, 'stopcovid.people'), people, 'nothing processed with the refused settings');

    const resumed = await runCli(
      ['run', 'stopcovid', ...UNSEEDED, '--tick-rate', '0', '--sinks', 'sqlite,jsonl', ...ws.flags],
      { timeoutMs: 100_000 },
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /going on from tick \d+ with the run's saved seed \d+/);
    assertOneRun(await topicValues(b, 'stopcovid.positions'), SIM, TICKS, () => drawnSeed(err.text));
  } finally {
    await b.close();
  }
});
