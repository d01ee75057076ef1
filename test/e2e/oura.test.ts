import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ouraSample } from '../../src/apps/oura/sample.ts';
import { jsonlValues, runCli, sqliteRows, workspace } from '../helpers/cli.ts';

interface DeadLetter {
  value: { error: { message: string }; source: { position: string } };
}

/** Rows as plain objects (node:sqlite gives null-prototype ones). */
const rowsOf = <T>(path: string, sql: string): T[] => sqliteRows<T>(path, sql).map((r) => ({ ...r }));

const tail = async (ws: ReturnType<typeof workspace>, topic: string) => {
  const r = await runCli(['tail', topic, '--no-follow', '-n', '1000', '--broker', ws.broker]);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DeadLetter);
};

test('runnel run oura --csv: bad lines are dead letters with file:line; tables keep one row per day; a second run goes on after the file, --from-start replays it', async () => {
  const ws = workspace('runnel-oura-');
  const csv = join(ws.dir, 'export.csv');
  writeFileSync(
    csv,
    [
      'day,total_calories,steps,high_activity_time,medium_activity_time,low_activity_time,score',
      '2025-01-06,3000,9000,600,1200,12000,80',
      '2025-01-07,oops',
      '2025-01-07,2500,5000,60,600,9000,',
      '2025-01-07,2700,5400,60,600,9600,71',
      '2025-01-08,lots,100,60,60,60,70',
      '2025-01-13,3100,11000,1800,2400,15000,90',
      '',
    ].join('\n'),
  );
  const args = ['run', 'oura', '--csv', csv, '--rate', '0', '--sinks', 'sqlite,jsonl', ...ws.flags];
  // A second run finds the whole file on the topic and adds nothing; a third replays it on purpose.
  for (const extra of [[], [], ['--from-start']]) {
    const r = await runCli([...args, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const days = rowsOf<{
      day: string;
      total_calories: number;
      steps: number;
      band: string;
      score: number | null;
      high_activity_minutes: number;
    }>(
      join(ws.dir, 'data', 'oura.sqlite'),
      'SELECT day, total_calories, steps, band, score, high_activity_minutes FROM oura_days ORDER BY day',
    );
    // One row per day, the later copy of 2025-01-07 in it, seconds shown as minutes.
    assert.deepEqual(days, [
      { day: '2025-01-06', total_calories: 3000, steps: 9000, band: 'green', score: 80, high_activity_minutes: 10 },
      { day: '2025-01-07', total_calories: 2700, steps: 5400, band: 'red', score: 71, high_activity_minutes: 1 },
      { day: '2025-01-13', total_calories: 3100, steps: 11000, band: 'green', score: 90, high_activity_minutes: 30 },
    ]);
    const weeks = rowsOf<{ week: string; days: number; calories_mean: number }>(
      join(ws.dir, 'data', 'oura.sqlite'),
      'SELECT week, days, calories_mean FROM oura_weekly ORDER BY week',
    );
    assert.deepEqual(weeks, [
      { week: '2025-01-06', days: 2, calories_mean: 2850 },
      { week: '2025-01-13', days: 1, calories_mean: 3100 },
    ]);
  }
  const dead = await tail(ws, 'oura.dlq');
  // Each replay of the file dead-letters the same two lines, with their place in the file.
  assert.deepEqual(
    dead.map((d) => d.value.source.position),
    [`${csv}:3`, `${csv}:6`, `${csv}:3`, `${csv}:6`],
  );
  assert.match(dead[1]!.value.error.message, /total_calories/);
  // The JSONL file is a log: both replays' days are in it, each replay's once.
  assert.equal(jsonlValues(join(ws.dir, 'data', 'oura.days.jsonl')).length, 8);
});

test('runnel run oura refuses, exit 1, a CSV without total_calories and JSON lines none of which has it, as it does a CSV without day', async () => {
  const ws = workspace('runnel-oura-');
  const docs = ouraSample({ seed: 4, days: 30 })
    .text.trim()
    .split('\n')
    .map((l) => {
      const { total_calories, contributors, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
  const fields = Object.keys(docs[0]!);
  const csv = join(ws.dir, 'oura_nocal.csv');
  writeFileSync(csv, `${[fields.join(','), ...docs.map((d) => fields.map((f) => d[f] ?? '').join(','))].join('\n')}\n`);
  const jsonl = join(ws.dir, 'oura_nocal.jsonl');
  writeFileSync(jsonl, `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
  for (const [file, why] of [
    [csv, 'its CSV header has no "total_calories" column'],
    [jsonl, 'none of its 30 documents has a "total_calories" field'],
  ] as const) {
    const r = await runCli(['run', 'oura', '--csv', file, '--rate', '0', '--sinks', 'sqlite', ...ws.flags]);
    assert.equal(r.code, 1, `${file}: ${r.stdout}${r.stderr}`);
    assert.ok(
      r.stderr.includes(`runnel: RUNNEL_INPUT_MALFORMED: ${file}: not Oura daily activity: ${why} (a day needs day, `),
      r.stderr,
    );
    // Refused before the replay: no source ran to dead-letter the days one by one.
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /source oura-file|dead-lettered/);
  }
});

test('oura replayed in pieces (--limit, run after run) gives the days, weekly means and alerts of one whole run', async () => {
  const sample = ouraSample({ seed: 5, days: 60 });
  const tables = (ws: ReturnType<typeof workspace>) => {
    const db = join(ws.dir, 'data', 'oura.sqlite');
    // Every column but the ones that say when and from where a row was written.
    const strip = (rows: Array<Record<string, unknown>>) =>
      rows.map(({ _topic, _partition, _offset, _timestamp, ...rest }) => rest);
    return {
      days: strip(rowsOf(db, 'SELECT * FROM oura_days ORDER BY day')),
      weekly: strip(rowsOf(db, 'SELECT * FROM oura_weekly ORDER BY week')),
      alerts: strip(rowsOf(db, 'SELECT * FROM oura_alerts ORDER BY id')),
    };
  };
  const run = async (ws: ReturnType<typeof workspace>, extra: string[] = []) => {
    const file = join(ws.dir, 'days.jsonl');
    writeFileSync(file, sample.text);
    const r = await runCli(['run', 'oura', '--csv', file, '--rate', '0', '--sinks', 'sqlite', ...extra, ...ws.flags]);
    assert.equal(r.code, 0, r.stderr);
  };
  const whole = workspace('runnel-oura-');
  await run(whole);
  const reference = tables(whole);
  assert.ok(reference.weekly.length >= 8, 'the sample spans weeks');
  const pieces = workspace('runnel-oura-');
  // 60 days in pieces of 13: a week's window is open across the cut each time, and must stay open for the next run.
  for (let i = 0; i < 5; i++) await run(pieces, ['--limit', '13']);
  assert.deepEqual(tables(pieces), reference);
});

test('OURA_TOKEN: the http source pages through a local Oura API through 429, a 5xx and a malformed body, losing and repeating nothing', async () => {
  const sample = ouraSample({ seed: 9, days: 100 });
  const docs = sample.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { day: string });
  const perPage = 20;
  const seen: Array<{ url: string; auth: string | undefined; status: number }> = [];
  let tooMany = true;
  let failed = false;
  let broken = false;
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url!, 'http://x');
    const from = Number(url.searchParams.get('next_token') ?? 0);
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      seen.push({ url: req.url!, auth: req.headers.authorization, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (url.pathname !== '/v2/usercollection/daily_activity') return reply(404, '{}');
    if (req.headers.authorization !== 'Bearer s3cret') return reply(401, '{"detail":"unauthorized"}');
    // As the API documents its errors: a rate limit with Retry-After, a server error, and (not documented,
    // but seen behind proxies) a body cut short.
    if (from === 20 && tooMany) {
      tooMany = false;
      return reply(429, '{"detail":"Too many requests"}', { 'retry-after': '1' });
    }
    if (from === 40 && !failed) {
      failed = true;
      return reply(502, '<html>bad gateway</html>');
    }
    if (from === 60 && !broken) {
      broken = true;
      return reply(200, '{"data": [{"day": "2025-0');
    }
    const page = docs.slice(from, from + perPage);
    const next = from + perPage < docs.length ? String(from + perPage) : null;
    reply(200, JSON.stringify({ data: page, next_token: next }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const ws = workspace('runnel-oura-http-');
    const r = await runCli(['run', 'oura', '--sinks', 'sqlite,jsonl', ...ws.flags], {
      env: {
        OURA_TOKEN: 's3cret',
        OURA_API_URL: `http://127.0.0.1:${port}/v2/usercollection/daily_activity`,
        OURA_START_DATE: '2025-01-01',
        OURA_END_DATE: '2025-04-10',
        OURA_POLL_MS: '0',
      },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('s3cret'), 'the token is never printed');
    assert.ok(seen.every((s) => s.auth === 'Bearer s3cret'));
    assert.ok(seen.every((s) => s.url.includes('start_date=2025-01-01') && s.url.includes('end_date=2025-04-10')));
    assert.deepEqual(
      seen.map((s) => s.status),
      [200, 429, 200, 502, 200, 200, 200, 200, 200].slice(0, seen.length),
    );
    // Every document once on the topic's log, in order, and one row per day in the table.
    const written = jsonlValues<{ day: string }>(join(ws.dir, 'data', 'oura.days.jsonl')).map((d) => d.day);
    assert.deepEqual(
      written,
      docs.map((d) => d.day),
    );
    const rows = rowsOf<{ n: number; days: number }>(
      join(ws.dir, 'data', 'oura.sqlite'),
      'SELECT count(*) AS n, count(DISTINCT day) AS days FROM oura_days',
    );
    assert.deepEqual(rows, [{ n: new Set(written).size, days: new Set(written).size }]);
    const dead = await tail(ws, 'oura.dlq');
    assert.equal(dead.length, 1, 'the malformed body, once');
    assert.match(dead[0]!.value.error.message, /JSON|json/);
  } finally {
    server.close();
  }
});
