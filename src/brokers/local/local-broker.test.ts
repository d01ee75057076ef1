import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { partitionForKey } from '../../core/partitioner.ts';
import { LocalBroker, MAX_BATCH_RECORDS } from './local-broker.ts';

const tempUrl = () => `local:${join(mkdtempSync(join(tmpdir(), 'runnel-local-')), 'broker.db')}`;

async function open(url = tempUrl()): Promise<LocalBroker> {
  const b = new LocalBroker(url);
  await b.connect();
  return b;
}

test('records come back in order per partition, same key same partition', async () => {
  const b = await open();
  await b.createTopic('t', { partitions: 3 });
  const keys = ['Alice', 'Bob', 'Charlie', 'Eve'];
  const positions = await b.produce(
    't',
    Array.from({ length: 400 }, (_, i) => ({ key: keys[i % 4]!, value: { i, key: keys[i % 4] } })),
  );
  const partitionOf = new Map<string, number>();
  for (const [i, p] of positions.entries()) {
    const k = keys[i % 4]!;
    if (partitionOf.has(k)) assert.equal(partitionOf.get(k), p.partition, `key ${k} moved partition`);
    partitionOf.set(k, p.partition);
  }
  const c = b.consumer({ group: 'g', topics: ['t'] });
  const seen: Array<{ partition: number; offset: number; i: number }> = [];
  for (let tries = 0; seen.length < 400 && tries < 50; tries++) {
    for (const r of await c.poll({ maxRecords: 64, maxWaitMs: 50 })) {
      seen.push({ partition: r.partition, offset: r.offset, i: (r.value as { i: number }).i });
    }
  }
  assert.equal(seen.length, 400);
  for (let p = 0; p < 3; p++) {
    const mine = seen.filter((s) => s.partition === p);
    for (let j = 1; j < mine.length; j++) {
      assert.equal(mine[j]!.offset, mine[j - 1]!.offset + 1, 'offsets contiguous');
      assert.ok(mine[j]!.i > mine[j - 1]!.i, 'production order kept within a partition');
    }
  }
  await c.close();
  await b.close();
});

test('committed offsets survive a restart; seek moves the position', async () => {
  const url = tempUrl();
  let b = await open(url);
  await b.produce(
    't',
    Array.from({ length: 10 }, (_, i) => ({ value: i })),
  );
  let c = b.consumer({ group: 'g', topics: ['t'] });
  const first = await c.poll({ maxRecords: 4 });
  assert.deepEqual(
    first.map((r) => r.value),
    [0, 1, 2, 3],
  );
  await c.commit([{ topic: 't', partition: 0, offset: 4 }]);
  await c.close();
  await b.close();
  b = await open(url);
  c = b.consumer({ group: 'g', topics: ['t'] });
  assert.deepEqual(
    (await c.poll({ maxRecords: 2 })).map((r) => r.value),
    [4, 5],
  );
  c.seek('t', 0, 8);
  assert.deepEqual(
    (await c.poll()).map((r) => r.value),
    [8, 9],
  );
  c.seek('t', 0, 'beginning');
  assert.equal((await c.poll()).length, 10);
  const [lag] = await b.listGroups('g');
  assert.deepEqual(
    { committed: lag!.committed, end: lag!.endOffset, lag: lag!.lag },
    { committed: 4, end: 10, lag: 6 },
  );
  await c.close();
  await b.close();
});

test('two members of one group split the partitions; when one leaves the other takes all', async () => {
  const b = await open();
  await b.createTopic('t', { partitions: 4 });
  const c1 = b.consumer({ group: 'g', topics: ['t'] });
  const c2 = b.consumer({ group: 'g', topics: ['t'] });
  c1.assignment();
  const a2 = c2.assignment();
  const a1 = c1.assignment();
  assert.equal(a1.length + a2.length, 4);
  assert.equal(a1.length, 2);
  const overlap = a1.filter((x) => a2.some((y) => y.partition === x.partition));
  assert.deepEqual(overlap, []);
  await c2.close();
  assert.equal(c1.assignment().length, 4);
  await c1.close();
  await b.close();
});

test("a member counted dead while it stalled commits nothing: its late commit moved the new owner's offsets back", async () => {
  const b = await open();
  await b.createTopic('t', { partitions: 2 });
  await b.produce(
    't',
    Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: i })),
  );
  const stalled = b.consumer({ group: 'g', topics: ['t'] });
  assert.equal(stalled.assignment().length, 2);
  const early = await stalled.poll({ maxRecords: 10 });
  // It stalls past its session: its heartbeat is old when the next member looks.
  b.db.prepare('UPDATE group_members SET heartbeat = 0 WHERE grp = ?').run('g');
  const owner = b.consumer({ group: 'g', topics: ['t'] });
  const owned = owner.assignment();
  assert.equal(owned.length, 2, 'the new member took every partition');
  const ends = (await b.describeTopic('t'))!.partitions.map((p) => ({
    topic: 't',
    partition: p.partition,
    offset: p.endOffset,
  }));
  await owner.commit(ends);
  // The stalled member wakes and commits what it had read.
  const late = [0, 1].map((p) => ({
    topic: 't',
    partition: p,
    offset: Math.max(0, ...early.filter((r) => r.partition === p).map((r) => r.offset + 1)),
  }));
  await stalled.commit(late);
  const committed = (await b.listGroups('g')).map((g) => ({
    topic: g.topic,
    partition: g.partition,
    offset: g.committed,
  }));
  assert.deepEqual(committed, ends);
  await stalled.close();
  await owner.close();
  await b.close();
});

test("a process's first batch after another process grew the topic goes where the new count puts each key", async () => {
  const url = tempUrl();
  const a = await open(url);
  const other = await open(url);
  await a.createTopic('grown', { partitions: 1 });
  await a.produce('grown', [{ key: 'first', value: 0 }]);
  await other.createTopic('grown', { partitions: 4 });
  const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
  await a.produce(
    'grown',
    keys.map((key, i) => ({ key, value: i })),
  );
  for (let p = 0; p < 4; p++) {
    const got = (await other.read('grown', p, 0, 100)).filter((r) => r.key !== 'first').map((r) => r.key);
    assert.deepEqual(
      got,
      keys.filter((k) => partitionForKey(k, 4) === p),
      `partition ${p}`,
    );
  }
  await a.close();
  await other.close();
});

test('retention by size drops whole old batches and consumers skip ahead', async () => {
  const b = await open();
  await b.createTopic('r', { retentionBytes: 2000 });
  for (let i = 0; i < 20; i++) await b.produce('r', [{ value: { i, pad: 'x'.repeat(200) } }]);
  const removed = b.enforceRetention();
  assert.ok(removed > 0);
  const info = (await b.describeTopic('r'))!;
  assert.ok(info.partitions[0]!.startOffset > 0);
  assert.equal(info.partitions[0]!.endOffset, 20);
  const c = b.consumer({ group: 'g', topics: ['r'] });
  const got = await c.poll();
  assert.equal(got[0]!.offset, info.partitions[0]!.startOffset);
  assert.equal(got[got.length - 1]!.offset, 19);
  await c.close();
  await b.close();
});

test('retention by age uses append time, not event time, and keeps the newest batch of each partition', async () => {
  const b = await open();
  await b.createTopic('old', { retentionMs: 60_000 });
  // Event time from 2025: must survive, it was appended just now.
  await b.produce('old', [{ value: 1, timestamp: Date.UTC(2025, 0, 1) }]);
  await b.produce('old', [{ value: 2 }, { value: 3 }]);
  await b.produce('old', [{ value: 4 }]);
  assert.equal(b.enforceRetention(), 0);
  // All of them past the age: every batch but the newest goes (Kafka keeps its active segment), so what
  // resumes after the newest record written still finds it.
  assert.equal(b.enforceRetention(Date.now() + 120_000), 3);
  const p = (await b.describeTopic('old'))!.partitions[0]!;
  assert.deepEqual([p.startOffset, p.endOffset], [3, 4]);
  assert.deepEqual(
    (await b.read('old', 0, 0, 10)).map((r) => r.value),
    [4],
  );
  assert.equal(b.enforceRetention(Date.now() + 240_000), 0);
  await b.close();
});

test('kill -9 during appends: acknowledged records all present, no torn or reused offsets', async () => {
  const url = tempUrl();
  const path = url.slice('local:'.length);
  const writer = `
    import { LocalBroker } from ${JSON.stringify(new URL('./local-broker.ts', import.meta.url).pathname)};
    const b = new LocalBroker(${JSON.stringify(url)});
    await b.connect();
    for (let batch = 0; ; batch++) {
      const size = 1 + (batch % 50);
      const recs = Array.from({ length: size }, (_, i) => ({ key: 'k' + (i % 3), value: { batch, i, pad: 'x'.repeat((batch * 37 + i * 101) % 20000) } }));
      const pos = await b.produce('crash', recs);
      process.stdout.write(pos[pos.length - 1].offset + '\\n');
    }`;
  let acked = -1;
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lines = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (!line) continue;
          acked = Math.max(acked, Number(line));
          // Kill after a varying amount of progress, so the kill lands mid-append at different points.
          if (++lines === 20 + round * 13) {
            child.kill('SIGKILL');
            resolve();
          }
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.once('exit', r).once('close', r));
  }
  const db = new DatabaseSync(path);
  assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
  db.close();
  const b = await open(url);
  const info = (await b.describeTopic('crash'))!;
  const end = info.partitions[0]!.endOffset;
  assert.ok(end > acked, `every acknowledged offset (${acked}) is present (end ${end})`);
  const all = await b.read('crash', 0, 0, end + 10);
  assert.equal(all.length, end);
  for (const [i, r] of all.entries()) assert.equal(r.offset, i, 'offsets contiguous from 0, none reused');
  for (const r of all) assert.equal(typeof (r.value as { batch: number }).batch, 'number');
  await b.close();
});

test('a big produce is stored as bounded batches; reads cut anywhere inside them, nothing shared', async () => {
  const b = await open();
  await b.createTopic('big', { partitions: 1 });
  const n = 2 * MAX_BATCH_RECORDS + 500;
  const positions = await b.produce(
    'big',
    Array.from({ length: n }, (_, i) => ({
      key: `k${i}`,
      value: { i },
      headers: (i % 2 ? { odd: 'yes' } : {}) as Record<string, string>,
    })),
  );
  assert.deepEqual(
    positions.map((p) => p.offset),
    Array.from({ length: n }, (_, i) => i),
  );
  const stored = b.db.prepare('SELECT base_offset, last_offset FROM batches ORDER BY last_offset').all();
  assert.deepEqual(
    stored.map((r) => [r.base_offset, r.last_offset]),
    [
      [0, MAX_BATCH_RECORDS - 1],
      [MAX_BATCH_RECORDS, 2 * MAX_BATCH_RECORDS - 1],
      [2 * MAX_BATCH_RECORDS, n - 1],
    ],
  );
  // Polls of an odd size cross batch boundaries: every offset once, in order, with its key and headers.
  const c = b.consumer({ group: 'g', topics: ['big'] });
  const seen: number[] = [];
  for (let tries = 0; seen.length < n && tries < 100; tries++) {
    for (const r of await c.poll({ maxRecords: 333, maxWaitMs: 20 })) {
      assert.equal(r.key, `k${r.offset}`);
      assert.deepEqual(r.headers, r.offset % 2 ? { odd: 'yes' } : {});
      seen.push((r.value as { i: number }).i);
      (r.value as { i: number }).i = -1; // a consumer that mutates what it got must not change later reads
    }
  }
  assert.deepEqual(
    seen,
    Array.from({ length: n }, (_, i) => i),
  );
  // Seeking back into a batch this consumer already stopped inside reads it afresh.
  c.seek('big', 0, 1500);
  const again = await c.poll({ maxRecords: 3, maxWaitMs: 20 });
  assert.deepEqual(
    again.map((r) => [r.offset, (r.value as { i: number }).i]),
    [
      [1500, 1500],
      [1501, 1501],
      [1502, 1502],
    ],
  );
  const middle = await b.read('big', 0, 999, 3);
  assert.deepEqual(
    middle.map((r) => r.offset),
    [999, 1000, 1001],
  );
  await c.close();
  await b.close();
});

test('a broker file from another schema version is refused with one line saying what to do', async () => {
  const url = tempUrl();
  const b = await open(url);
  b.db.prepare("UPDATE meta SET v = '1' WHERE k = 'schema_version'").run();
  await b.close();
  await assert.rejects(open(url), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'RUNNEL_BROKER_UNAVAILABLE');
    assert.match(
      e.message,
      /cannot open local broker file .*: it holds broker schema 1 and this runnel reads 2: remove/,
    );
    return true;
  });
});

test('read-only consumers of one process share decoded batches; other consumers get their own copies', async () => {
  const b = await open();
  await b.createTopic('shared', { partitions: 1 });
  await b.produce(
    'shared',
    Array.from({ length: 50 }, (_, i) => ({ value: { i } })),
  );
  const poll = async (group: string, readOnly: boolean) =>
    b
      .consumer({ group, topics: ['shared'], ...(readOnly ? { readOnly } : {}) })
      .poll({ maxRecords: 50, maxWaitMs: 50 });
  const [a, c] = [await poll('ro-1', true), await poll('ro-2', true)];
  assert.equal(a[7]!.value, c[7]!.value, 'two read-only consumers see the same decoded value');
  // The very records, made once for every read-only reader, each with its own place.
  assert.equal(a.length, 50);
  assert.ok(
    a.every((r, i) => r === c[i]),
    'two read-only consumers get the same record objects',
  );
  assert.deepEqual(
    a.map((r) => r.offset),
    Array.from({ length: 50 }, (_, i) => i),
  );
  // A reader that starts inside the batch gets the same objects from there on.
  const later = b.consumer({ group: 'ro-3', topics: ['shared'], readOnly: true });
  later.seek('shared', 0, 20);
  const tail = await later.poll({ maxRecords: 50, maxWaitMs: 50 });
  assert.equal(tail[0]!.offset, 20);
  assert.ok(tail.every((r, i) => r === a[20 + i]));
  const [mine, other] = [await poll('rw-1', false), await poll('rw-2', false)];
  assert.notEqual(mine[7]!.value, other[7]!.value, 'a consumer that may change what it reads gets its own');
  assert.notEqual(mine[7]!.value, a[7]!.value);
  assert.notEqual(mine[7], other[7]);
  assert.deepEqual(mine[7]!.value, a[7]!.value);
});

test("a process's read-only readers get what it appended without reading it back: equal to another connection's reading, untouched by later changes, none from a rolled-back transaction", async () => {
  const url = tempUrl();
  const b = await open(url);
  await b.createTopic('kept', { partitions: 2 });
  const reader = b.consumer({ group: 'ro', topics: ['kept'], readOnly: true });
  await reader.poll({ maxRecords: 1, maxWaitMs: 10 }); // reads the topic once: appends to it are kept decoded
  const values = Array.from({ length: 30 }, (_, i) => ({ i, tags: [`t${i}`], nested: { ok: i % 2 === 0 } }));
  await b.produce(
    'kept',
    values.map((value, i) => ({ key: `k${i % 5}`, value })),
  );
  // A value that JSON would change (undefined dropped): read back and parsed, not kept as it was given.
  await b.produce('kept', [{ key: 'k0', value: { i: 99, gone: undefined } }]);
  // Appended inside a caller's transaction that rolls back: nothing of it may be served later.
  assert.throws(() =>
    b.transaction(() => {
      b.append('kept', [{ key: 'k1', value: { i: -1 } }]);
      throw new Error('rolled back');
    }),
  );
  await b.produce('kept', [{ key: 'k1', value: { i: 100 } }]);
  // The producer changes its objects afterwards: what was appended stays as it was.
  for (const v of values) v.tags.push('changed');
  const got = await reader.poll({ maxRecords: 1000, maxWaitMs: 50 });
  const other = await open(url);
  const fresh = await other.consumer({ group: 'other', topics: ['kept'] }).poll({ maxRecords: 1000, maxWaitMs: 50 });
  const view = (rs: typeof got) =>
    rs.map((r) => ({ p: r.partition, o: r.offset, key: r.key, value: r.value })).sort((x, y) => x.p - y.p || x.o - y.o);
  assert.equal(fresh.length, 32);
  assert.deepEqual(view(got), view(fresh));
  assert.ok(view(got).every(({ value }) => !JSON.stringify(value).includes('changed')));
  await other.close();
  await b.close();
});

test('records handed over reach read-only readers as the very objects, unless JSON would change them; others still get copies', async () => {
  const url = tempUrl();
  const b = await open(url);
  await b.createTopic('given', { partitions: 1 });
  const reader = b.consumer({ group: 'ro', topics: ['given'], readOnly: true });
  await reader.poll({ maxRecords: 1, maxWaitMs: 10 }); // reads the topic once: appends to it are kept decoded
  const given = Array.from({ length: 20 }, (_, i) => ({ i, tags: [`t${i}`], nested: { ok: i % 2 === 0 } }));
  await b.produce(
    'given',
    given.map((value) => ({ key: null, value })),
    { handOver: true },
  );
  // Handed over but not plain (-0 comes back from JSON as 0): read back and parsed, so readers see 0.
  const odd = { i: -0 };
  await b.produce('given', [{ key: null, value: odd }], { handOver: true });
  const copied = { i: 21 };
  await b.produce('given', [{ key: null, value: copied }]);
  const got = await reader.poll({ maxRecords: 100, maxWaitMs: 50 });
  assert.equal(got.length, 22);
  for (let i = 0; i < given.length; i++) assert.equal(got[i]!.value, given[i], `record ${i} is the object given`);
  assert.notEqual(got[20]!.value, odd);
  assert.ok(Object.is((got[20]!.value as { i: number }).i, 0));
  assert.notEqual(got[21]!.value, copied, 'not handed over: a copy');
  assert.deepEqual(got[21]!.value, copied);
  // What another connection reads (parsed from the file) is the same records.
  const other = await open(url);
  const fresh = await other.consumer({ group: 'other', topics: ['given'] }).poll({ maxRecords: 100, maxWaitMs: 50 });
  assert.deepEqual(
    fresh.map((r) => r.value),
    got.map((r) => r.value),
  );
  await other.close();
  await b.close();
});

test('deleteRecordsBefore drops the whole batches before an offset, never one holding it or after', async () => {
  const sizes = [3, 5, 2, 4];
  const total = sizes.reduce((a, x) => a + x, 0);
  for (let cut = 0; cut <= total + 1; cut++) {
    // A copy of the log at each cut: the batches wholly before `cut` go, the rest stay readable in order.
    const copy = await open();
    await copy.createTopic('r', { partitions: 1 });
    for (const [i, n] of sizes.entries())
      await copy.produce(
        'r',
        Array.from({ length: n }, (_, j) => ({ value: { i, j } })),
      );
    await copy.deleteRecordsBefore('r', 0, cut);
    let end = 0;
    let start = 0;
    for (const n of sizes) {
      if (end + n <= cut) start = end + n;
      end += n;
    }
    const info = await copy.describeTopic('r');
    assert.equal(info!.partitions[0]!.startOffset, start, `cut ${cut}`);
    const left = await copy.read('r', 0, 0, 100);
    assert.deepEqual(
      left.map((r) => r.offset),
      Array.from({ length: total - start }, (_, k) => start + k),
    );
    await copy.close();
  }
});
