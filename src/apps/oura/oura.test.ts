import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestDriver } from '../../testing/index.ts';
import type { OuraAlert } from './anomaly.ts';
import type { DayFigures } from './day.ts';
import { ouraApp, type WeekRow } from './index.ts';
import { readOuraFile } from './input.ts';
import { ouraSample } from './sample.ts';

const dir = mkdtempSync(join(tmpdir(), 'runnel-oura-'));
const DAY = 86_400_000;

/** The app's processors on a file, in-process: what reaches its three output topics. */
async function runOn(path: string, env: Record<string, string> = {}, restartAt?: number) {
  const spec = await ouraApp.build({ dataDir: dir, sinks: [], env, input: path });
  // The app's processors are all engine ones (its pipeline is written with the DSL).
  const driver = new TestDriver(spec.processors as ConstructorParameters<typeof TestDriver>[0]);
  const records = readOuraFile(path).flatMap((i) => (i.kind === 'record' ? [i.record] : []));
  const inputs = records.map((r) => ({ key: r.key ?? null, value: r.value, timestamp: r.timestamp ?? 0 }));
  // Optionally in two parts with a restart between: every task rebuilt from its committed state only.
  const cut = restartAt ?? inputs.length;
  driver.pipe(env.OURA_TOPIC ?? 'oura', inputs.slice(0, cut));
  if (restartAt !== undefined) driver.restart();
  driver.pipe(env.OURA_TOPIC ?? 'oura', inputs.slice(cut));
  driver.end();
  const topic = env.OURA_TOPIC ?? 'oura';
  return {
    days: driver.values<DayFigures>(`${topic}.days`),
    weekly: driver.values<WeekRow>(`${topic}.weekly`),
    alerts: driver.values<OuraAlert>(`${topic}.alerts`),
  };
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The latest of each key, as a table keyed by it holds them. */
const latest = <T>(rows: T[], key: (r: T) => string): Map<string, T> => new Map(rows.map((r) => [key(r), r]));

test("a day's figures: band, minutes and weekly means equal a reference computed from the same file", async () => {
  const sample = ouraSample({ seed: 11 });
  const path = write('figures.jsonl', sample.text);
  // Thresholds from .env, not the defaults: the keys are honoured.
  const env = { OURA_CALORIE_LOW: '2800', OURA_CALORIE_OK: '3100', OURA_TOPIC: 'oura_csv' };
  const out = await runOn(path, env);

  // The reference: the file's lines parsed here, the latest copy of each day kept.
  const docs = new Map<string, Record<string, number | null>>();
  for (const line of sample.text.trim().split('\n')) {
    const d = JSON.parse(line) as Record<string, number | null> & { day: string };
    docs.set(d.day, d);
  }
  const days = latest(out.days, (d) => d.day);
  assert.equal(days.size, docs.size);
  assert.ok(out.days.length === docs.size + 1, 'the duplicated day is written twice, the later copy last');
  for (const [day, doc] of docs) {
    const f = days.get(day)!;
    const kcal = doc.total_calories!;
    assert.equal(f.band, kcal < 2800 ? 'red' : kcal < 3100 ? 'orange' : 'green', day);
    assert.equal(f.total_calories, kcal);
    for (const k of ['high', 'medium', 'low'] as const) {
      assert.ok(Math.abs(f[`${k}_activity_minutes`] - doc[`${k}_activity_time`]! / 60) <= 0.05, `${day} ${k}`);
    }
    assert.equal(f.non_wear, doc.non_wear_time! / 60 > 720);
  }
  assert.equal(days.get(sample.duplicate)!.steps, docs.get(sample.duplicate)!.steps, 'the later copy wins');
  const bands = new Set(out.days.map((d) => d.band));
  assert.deepEqual([...bands].sort(), ['green', 'orange', 'red']);

  // Weekly means, Monday to Sunday, each day once, days not worn left out.
  const weeks = new Map<string, Array<Record<string, number | null>>>();
  for (const [day, doc] of docs) {
    const t = Date.parse(`${day}T00:00:00Z`);
    const monday = new Date(t - ((new Date(t).getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
    weeks.set(monday, [...(weeks.get(monday) ?? []), doc]);
  }
  const finals = out.weekly.filter((w) => w.final);
  assert.equal(finals.length, weeks.size);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const w of finals) {
    const ds = weeks.get(w.week)!;
    assert.ok(ds, w.week);
    const worn = ds.filter((d) => d.non_wear_time! / 60 <= 720);
    assert.equal(w.days, ds.length);
    assert.equal(w.non_wear_days, ds.length - worn.length);
    assert.ok(Math.abs(w.calories_mean! - mean(worn.map((d) => d.total_calories!))) <= 0.051, w.week);
    assert.ok(Math.abs(w.steps_mean! - mean(worn.map((d) => d.steps!))) <= 0.051, w.week);
    const minutes = mean(
      worn.map((d) => (d.high_activity_time! + d.medium_activity_time! + d.low_activity_time!) / 60),
    );
    assert.ok(
      Math.abs(w.activity_minutes_mean! - minutes) <= 0.1,
      `${w.week}: ${w.activity_minutes_mean} vs ${minutes}`,
    );
  }
});

test('the anomaly rule flags exactly the injected anomalies, non-wear days separately, and nothing without them', async () => {
  for (const seed of [1, 7, 19, 32, 44671]) {
    const sample = ouraSample({ seed });
    const out = await runOn(write(`anomalies-${seed}.jsonl`, sample.text));
    const started = out.alerts.filter((a) => a.type === 'anomaly_started');
    assert.deepEqual(
      started.map((a) => a.day),
      sample.anomalies,
      `seed ${seed}`,
    );
    for (const a of started) {
      assert.ok(a.z! < -4 && a.residual! < 0, `${a.day}: z ${a.z}`);
      assert.match(
        a.reason,
        /^high activity with low calories: \d+ kcal for [\d.]+ activity minutes is \d+ kcal below/,
      );
      assert.equal(a.expected_calories! - a.total_calories, -a.residual!);
    }
    // Every episode ends the next worn day, which matches its activity again.
    assert.equal(out.alerts.filter((a) => a.type === 'anomaly_ended').length, sample.anomalies.length);
    assert.deepEqual(
      out.alerts.filter((a) => a.type === 'non_wear').map((a) => a.day),
      sample.nonWear,
    );
    const clean = ouraSample({ seed, anomalies: false });
    const none = await runOn(write(`clean-${seed}.jsonl`, clean.text));
    assert.deepEqual(none.alerts, [], `seed ${seed}: no alert in a file without anomalies`);
  }
});

test('the fit and the weeks live in state stores: a restart mid-year changes no result', async () => {
  const path = write('restart.jsonl', ouraSample({ seed: 21 }).text);
  const once = await runOn(path);
  for (const at of [40, 171, 300]) {
    const twice = await runOn(path, {}, at);
    assert.deepEqual(twice.alerts, once.alerts, `restart at ${at}`);
    assert.deepEqual(
      twice.weekly.filter((w) => w.final),
      once.weekly.filter((w) => w.final),
    );
  }
});

/** The same days as the API's export: a `{data, next_token}` page per line, or one pretty-printed file. */
function asExport(text: string, perPage: number, whole: boolean): string {
  const docs = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  if (whole) return JSON.stringify({ data: docs, next_token: null }, null, 2);
  const pages: string[] = [];
  for (let i = 0; i < docs.length; i += perPage) {
    const next = i + perPage < docs.length ? `token-${i + perPage}` : null;
    pages.push(JSON.stringify({ data: docs.slice(i, i + perPage), next_token: next }));
  }
  return `${pages.join('\n')}\n`;
}

/** The same days as a CSV export: a column per field, `contributors.<name>` for the nested scores. */
function asCsv(text: string): string {
  const docs = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const names = [
    'meet_daily_targets',
    'move_every_hour',
    'recovery_time',
    'stay_active',
    'training_frequency',
    'training_volume',
  ];
  const fields = Object.keys(docs[0]!).filter((k) => k !== 'contributors');
  const header = [...fields, ...names.map((n) => `contributors.${n}`)];
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : /[",]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
  const rows = docs.map((d) => {
    const c = (d.contributors ?? {}) as Record<string, unknown>;
    return [...fields.map((f) => cell(d[f])), ...names.map((n) => cell(c[n]))].join(',');
  });
  return `${header.join(',')}\r\n${rows.join('\r\n')}\r\n`;
}

test('JSONL, the API export (per line and whole) and CSV of the same days give identical outputs', async () => {
  const sample = ouraSample({ seed: 3 });
  const jsonl = await runOn(write('shape.jsonl', sample.text));
  // The file names say nothing: the shape is read from the content.
  const shapes = {
    exportLines: asExport(sample.text, 50, false),
    exportWhole: asExport(sample.text, 0, true),
    csv: asCsv(sample.text),
    // A header written by hand, with a space after each comma.
    csvSpaced: asCsv(sample.text).replace(/^[^\n]*/, (header) => header.split(',').join(', ')),
  };
  for (const [name, text] of Object.entries(shapes)) {
    const out = await runOn(write(`shape-${name}.data`, text));
    assert.deepEqual(out.days, jsonl.days, name);
    assert.deepEqual(out.weekly, jsonl.weekly, name);
    assert.deepEqual(out.alerts, jsonl.alerts, name);
  }
  // Null contributors and null scores survive the CSV round trip as nulls.
  const csvDocs = readOuraFile(write('nulls.csv', shapes.csv)).flatMap((i) =>
    i.kind === 'record' ? [i.record.value] : [],
  );
  const jsonDocs = sample.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(csvDocs, jsonDocs);
});

test('bad lines in each shape are dead letters with file:line; the rest is read', () => {
  const sample = ouraSample({ seed: 5, days: 20 });
  const lines = sample.text.trim().split('\n');
  const jsonl = write('bad.jsonl', [lines[0], '{"day": "2025-01-02", broken', lines[1], ''].join('\n'));
  const items = readOuraFile(jsonl);
  assert.deepEqual(
    items.map((i) => (i.kind === 'invalid' ? i.position : 'ok')),
    ['ok', `${jsonl}:2`, 'ok'],
  );
  const exp = write('bad-export.jsonl', `${asExport(lines.slice(0, 4).join('\n'), 2, false)}{"data": [\n`);
  assert.deepEqual(
    readOuraFile(exp).map((i) => (i.kind === 'invalid' ? i.position : i.position)),
    [`${exp}:1 data[0]`, `${exp}:1 data[1]`, `${exp}:2 data[0]`, `${exp}:2 data[1]`, `${exp}:3`],
  );
  const csvText = asCsv(lines.slice(0, 3).join('\n')).split('\r\n');
  csvText.splice(2, 0, '2025-01-09,not,enough');
  const csv = write('bad.csv', csvText.join('\n'));
  const csvItems = readOuraFile(csv);
  assert.deepEqual(
    csvItems.map((i) => (i.kind === 'invalid' ? i.position : 'ok')),
    ['ok', `${csv}:3`, 'ok', 'ok'],
  );
  const bad = csvItems[1]!;
  assert.ok(bad.kind === 'invalid' && /3 fields, the header has \d+/.test(bad.error.message));
});

test('a CSV whose contributors column holds pretty-printed JSON (quoted, over several lines) reads the same', () => {
  const sample = ouraSample({ seed: 8, days: 30 });
  const docs = sample.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const fields = Object.keys(docs[0]!);
  const cell = (k: string, v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = k === 'contributors' ? JSON.stringify(v, null, 2) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = docs.map((d) => fields.map((f) => cell(f, d[f])).join(','));
  rows.splice(5, 0, '2025-01-09,not,enough');
  const path = write('multiline.csv', `${fields.join(',')}\n${rows.join('\n')}\n`);
  const items = readOuraFile(path);
  assert.deepEqual(
    items.flatMap((i) => (i.kind === 'record' ? [i.record.value] : [])),
    docs,
  );
  // The bad row's line: the header, then five rows of as many lines as each holds.
  const line = 2 + rows.slice(0, 5).reduce((n, r) => n + r.split('\n').length, 0);
  assert.ok(line > 7, 'the rows before it span several lines');
  assert.deepEqual(
    items.flatMap((i) => (i.kind === 'invalid' ? [i.position] : [])),
    [`${path}:${line}`],
  );
});

/** JSONL with `field` taken out of the documents `drop(i)` picks (all of them by default). */
function without(text: string, field: string, drop: (i: number) => boolean = () => true): string {
  const docs = text
    .trim()
    .split('\n')
    .map((l, i) => {
      const doc = JSON.parse(l) as Record<string, unknown>;
      if (drop(i)) delete doc[field];
      return JSON.stringify(doc);
    });
  return `${docs.join('\n')}\n`;
}

// Written out here, not read from the schema, so that a field the app stops checking fails this test.
const NEEDED = ['day', 'total_calories', 'steps', 'high_activity_time', 'medium_activity_time', 'low_activity_time'];

test('a file without a field every day needs is refused when the app is built (a CSV column, a field no JSON document has); some days without one are dead letters', async () => {
  const sample = ouraSample({ seed: 6, days: 30 });
  for (const field of NEEDED) {
    const csv = write(`no-${field}.csv`, asCsv(without(sample.text, field)));
    const message =
      field === 'day'
        ? `${csv}: not Oura daily activity: neither JSON lines nor a CSV with a "day" column`
        : `${csv}: not Oura daily activity: its CSV header has no "${field}" column (a day needs ${NEEDED.join(', ')})`;
    assert.throws(() => readOuraFile(csv), { code: 'RUNNEL_INPUT_MALFORMED', message }, field);
    // Refused before anything starts, as a mistyped path is: building the app reads the file.
    await assert.rejects(
      async () => ouraApp.build({ dataDir: dir, sinks: [], env: {}, input: csv }),
      { message },
      field,
    );
    const jsonl = write(`no-${field}.jsonl`, without(sample.text, field));
    assert.throws(
      () => readOuraFile(jsonl),
      {
        code: 'RUNNEL_INPUT_MALFORMED',
        message: `${jsonl}: not Oura daily activity: none of its 30 documents has a "${field}" field (a day needs ${NEEDED.join(', ')})`,
      },
      field,
    );
  }
  // Several missing columns are named together; the API's export shape is checked as JSON lines are.
  const two = write('no-two.csv', asCsv(without(without(sample.text, 'steps'), 'low_activity_time')));
  assert.throws(() => readOuraFile(two), /its CSV header has no "steps" or "low_activity_time" column/);
  const exported = write('no-cal-export.json', asExport(without(sample.text, 'total_calories'), 0, true));
  assert.throws(() => readOuraFile(exported), /none of its 30 documents has a "total_calories" field/);
  // A needed field missing from some days only: those days are dead letters (the schema's), not the file.
  const some = write(
    'first-without.jsonl',
    without(sample.text, 'total_calories', (i) => i < 5),
  );
  assert.equal(readOuraFile(some).filter((i) => i.kind === 'record').length, 30);
  assert.equal((await runOn(some)).days.length, 25, 'the five without calories fail the schema; the rest go on');
});
