import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Papa from 'papaparse';
import type { SourceItem } from '../../../core/connector.ts';
import { isRunnelError } from '../../../core/errors.ts';
import { silentLogger } from '../../../core/log.ts';
import { CsvSource } from './csv.ts';
import { csvRecordTexts } from './records.ts';
import type { CsvConfig } from './spec.ts';

/** mulberry32: a seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['smoke', 'brisket', 'a,b', 'said "hi"', 'line\nbreak', '\n\n', 'ok', '5" tall', 'end'];

/** A note: words joined by spaces, newlines, or nothing; always a letter so it never reads as a number. */
function note(r: () => number): string {
  const parts = Array.from({ length: 1 + Math.floor(r() * 4) }, () => WORDS[Math.floor(r() * WORDS.length)]!);
  return `n${parts.join(r() < 0.3 ? '\n' : ' ')}`;
}

/** RFC 4180: quoted when it must be (comma, newline, a leading quote), sometimes when it need not be. */
function field(v: string, r: () => number): string {
  const must = /[,\n\r]/.test(v) || v.startsWith('"') || (v.includes('"') && r() < 0.5);
  return must || r() < 0.2 ? `"${v.replace(/"/g, '""')}"` : v;
}

interface Expected {
  line: number;
  value?: Record<string, unknown>;
  bad?: RegExp;
}

/** A file of `n` rows, some bad, and what each row must become with the line it starts on. */
function generate(seed: number, n: number): { text: string; expected: Expected[] } {
  const r = rng(seed);
  let text = 'timestamp,note,n\n';
  let line = 2;
  const expected: Expected[] = [];
  for (let i = 0; i < n; i++) {
    const ts = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
    const v = note(r);
    const k = Math.round(r() * 1000) / 10;
    const roll = r();
    let row: string;
    if (roll < 0.08) {
      row = `${ts},${field(v, r)},not-a-number`;
      expected.push({ line, bad: /column "n" must be a number/ });
    } else if (roll < 0.14) {
      row = `${ts},${field(v, r)}`;
      expected.push({ line, bad: /expected 3 fields, found 2/ });
    } else {
      row = `${ts},${field(v, r)},${k}`;
      // Lines inside a quoted field end in \n; the source trims each cell's ends.
      expected.push({ line, value: { timestamp: ts, note: v.trim(), n: k } });
    }
    if (r() < 0.1) row += '\n'; // a blank line between records is skipped, and still counted
    text += `${row}\n`;
    line += (row.match(/\n/g)?.length ?? 0) + 1;
  }
  return { text, expected };
}

async function readAll(path: string, skip = 0): Promise<SourceItem[]> {
  const source = new CsvSource({
    path,
    timestampColumn: 'timestamp',
    columns: { note: 'string', n: 'number' },
    loop: false,
  });
  const items: SourceItem[] = [];
  for await (const batch of source.read({ signal: new AbortController().signal, log: silentLogger, skip }))
    items.push(...batch);
  return items;
}

test('quoted fields holding newlines are one record; dead letters name the line the record starts on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  for (const seed of [1, 2, 3, 4]) {
    const { text, expected } = generate(seed, 300);
    assert.ok(text.split('\n').length > 330, 'the file has records spanning lines');
    const path = join(dir, `notes-${seed}.csv`);
    writeFileSync(path, text);
    const items = await readAll(path);
    assert.equal(items.length, expected.length, `seed ${seed}: one item per record`);
    items.forEach((item, i) => {
      const want = expected[i]!;
      assert.equal(item.position, `${path}:${want.line}`, `seed ${seed} record ${i}: its first line`);
      if (want.value) {
        assert.equal(item.kind, 'record', `seed ${seed} record ${i}`);
        if (item.kind === 'record') assert.deepEqual(item.record.value, want.value);
      } else {
        assert.equal(item.kind, 'invalid', `seed ${seed} record ${i}`);
        if (item.kind === 'invalid') assert.match(item.error.message, want.bad!);
      }
    });
  }
});

test('a replay told to skip the items an earlier run made durable starts at the next record, good or bad', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  const { text } = generate(7, 120);
  const path = join(dir, 'notes.csv');
  writeFileSync(path, text);
  const whole = await readAll(path);
  const source = new CsvSource({ path, timestampColumn: 'timestamp', loop: false });
  assert.deepEqual(source.replay(), { input: path, bytes: Buffer.byteLength(text) });
  assert.equal(
    new CsvSource({ path, timestampColumn: 'timestamp', loop: true }).replay(),
    undefined,
    'a loop is a feed',
  );
  const shown = (items: SourceItem[]) =>
    items.map((i) => (i.kind === 'record' ? [i.position, i.record.value] : [i.position, i.error.message]));
  for (const skip of [0, 1, 37, 119, 120, 500])
    assert.deepEqual(shown(await readAll(path, skip)), shown(whole.slice(skip)), `skip ${skip}`);
  // Undeclared columns take their type from the file's first rows, whichever run reads them: a resumed run
  // must not guess anew from the first row it yields (here a text cell, after numbers).
  const mixed = join(dir, 'mixed.csv');
  writeFileSync(
    mixed,
    'timestamp,v\n2025-01-01T00:00:00Z,1\n2025-01-01T00:01:00Z,2\n2025-01-01T00:02:00Z,n/a\n2025-01-01T00:03:00Z,4\n',
  );
  const read = async (skip: number) => {
    const items: SourceItem[] = [];
    const source = new CsvSource({ path: mixed, timestampColumn: 'timestamp', loop: false });
    for await (const batch of source.read({ signal: new AbortController().signal, log: silentLogger, skip }))
      items.push(...batch);
    return shown(items);
  };
  const all = await read(0);
  assert.equal(all[2]![1], `${mixed}:4: column "v" must be a number (got "n/a")`);
  for (const skip of [1, 2, 3]) assert.deepEqual(await read(skip), all.slice(skip), `mixed, skip ${skip}`);
});

test('the splitter agrees on CRLF files; a quote never closed costs its own line, not the lines after it', () => {
  const { text, expected } = generate(7, 100);
  const crlf = text.replace(/\n/g, '\r\n');
  const starts = csvRecordTexts(crlf).map((rec) => rec.line);
  assert.deepEqual(starts, [1, ...expected.map((e) => e.line)]);
  const open = csvRecordTexts('a,b\n1,"never\nclosed\n2,3\n');
  assert.deepEqual(open, [
    { text: 'a,b', line: 1 },
    { text: '1,"never', line: 2 },
    { text: 'closed', line: 3 },
    { text: '2,3', line: 4 },
  ]);
  // A stray opening quote near the end of a valid file loses only the record it is in (and, where a
  // later quote closes it, what lies between); every record after the last quote is still read.
  const stray = csvRecordTexts(`${text.split('\n').slice(0, 3).join('\n')}\n"oops,5\n${'7,8\n'.repeat(5)}`);
  assert.deepEqual(
    stray.slice(-5),
    Array.from({ length: 5 }, (_, i) => ({ text: '7,8', line: 5 + i })),
  );
});

test('a quote never closed, or stray after a closing one, makes its record a dead letter, not a guess', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  const path = join(dir, 'quotes.csv');
  // The unclosed quote is on the last line, so it cannot swallow the lines after it (see the splitter).
  // A quoted field with semicolons stays one field (the header's delimiter holds for every row); blanks
  // after a closing quote at the end of a line are no error.
  writeFileSync(
    path,
    'timestamp,note,n\n2025-01-01 12:00:00,ok,1\n2025-01-01 12:01:00,"a"b,2\n' +
      '2025-01-01 12:01:30,"x; y; z",4\n2025-01-01 12:01:40,5,"6" \n2025-01-01 12:02:00,"x,3\n',
  );
  const items = await readAll(path);
  assert.deepEqual(
    items.map((i) => [i.kind, i.position]),
    [
      ['record', `${path}:2`],
      ['invalid', `${path}:3`],
      ['record', `${path}:4`],
      ['record', `${path}:5`],
      ['invalid', `${path}:6`],
    ],
  );
  assert.deepEqual(items.flatMap((i) => (i.kind === 'record' ? [i.record.value] : [])).slice(1), [
    { timestamp: '2025-01-01 12:01:30', note: 'x; y; z', n: 4 },
    { timestamp: '2025-01-01 12:01:40', note: '5', n: 6 },
  ]);
  const [, stray, , , open] = items;
  assert.ok(stray?.kind === 'invalid' && /quote stands where/.test(stray.error.message));
  assert.ok(open?.kind === 'invalid' && /never closed/.test(open.error.message));
});

test('a header without a column the config needs is refused at start, naming it, the header and a likely stand-in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const refusal = (path: string, config: Partial<CsvConfig>) => {
    try {
      new CsvSource({ path, timestampColumn: 'timestamp', loop: false, ...config });
    } catch (err) {
      assert.ok(isRunnelError(err), String(err));
      assert.equal(err.code, 'RUNNEL_INPUT_MALFORMED');
      assert.deepEqual(
        err.value,
        (Papa.parse<string[]>(readFileSync(path, 'utf8')).data[0] ?? []).map((c) => c.trim()),
      );
      return err.message;
    }
    return undefined;
  };
  // The user's file: `temperature` renamed `temp`. It used to start and dead-letter every row.
  const renamed = file('renamed.csv', 'timestamp,temp\n2025-01-01 15:00:00,70.1\n2025-01-01 15:01:00,70.3\n');
  assert.equal(
    refusal(renamed, { columns: { temperature: 'number' } }),
    `CSV file ${renamed} has no "temperature" column (did you mean "temp"? columns: timestamp, temp)`,
  );
  // Several missing at once are named together: timestamp, key and typed columns alike; a header column is
  // offered for one of them only, and nothing is offered where nothing is alike.
  const several = file('several.csv', 'Time,temp,sensor id,note\n2025-01-01 15:00:00,70.1,a,x\n');
  assert.equal(
    refusal(several, { key: 'sensor_id', columns: { temperature: 'number', humidity: 'number', note: 'string' } }),
    `CSV file ${several} has no "timestamp", "sensor_id", "temperature" or "humidity" column ` +
      `(did you mean "Time" for "timestamp", "sensor id" for "sensor_id", "temp" for "temperature"? ` +
      'columns: Time, temp, sensor id, note)',
  );
  const unlike = file('unlike.csv', 'timestamp,a,b\n2025-01-01 15:00:00,1,2\n');
  assert.equal(
    refusal(unlike, { columns: { temperature: 'number' } }),
    `CSV file ${unlike} has no "temperature" column (columns: timestamp, a, b)`,
  );
  // A column listed in columns that the header has is no refusal; nor is one typed as optional.
  assert.equal(refusal(renamed, { columns: { temp: 'number' } }), undefined);
  assert.equal(refusal(renamed, { columns: { temp: 'number', humidity: 'number?' } }), undefined);
  assert.match(refusal(renamed, { key: 'humidity', columns: { humidity: 'number?' } }) ?? '', /no "humidity" column/);
});

test('an optional column is typed when the file has it, and left out when it has not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  const read = async (text: string) => {
    const path = join(dir, 'users.csv');
    writeFileSync(path, text);
    const source = new CsvSource({
      path,
      timestampColumn: 'timestamp',
      columns: { id: 'string', post_code: 'string?' },
      loop: false,
    });
    const items: SourceItem[] = [];
    for await (const batch of source.read({ signal: new AbortController().signal, log: silentLogger }))
      items.push(...batch);
    return items.map((i) => (i.kind === 'record' ? i.record.value : i.error.message));
  };
  assert.deepEqual(await read('timestamp,id,post_code\n2025-01-01 15:00:00,7,01234\n'), [
    { timestamp: '2025-01-01 15:00:00', id: '7', post_code: '01234' },
  ]);
  assert.deepEqual(await read('timestamp,id\n2025-01-01 15:00:00,7\n'), [
    { timestamp: '2025-01-01 15:00:00', id: '7' },
  ]);
});

test('an empty or blank file is refused at start, before anything runs; a header after blank lines is checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  for (const [name, text] of [
    ['empty.csv', ''],
    ['blank.csv', '\n  \r\n\n'],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, text);
    assert.throws(
      () => new CsvSource({ path, timestampColumn: 'timestamp', loop: false }),
      (err) => isRunnelError(err) && err.message === `CSV file ${path} is empty: it needs a header row`,
      name,
    );
  }
  // The replay reads past blank lines to the header: so does the start-up check.
  const late = join(dir, 'late-header.csv');
  writeFileSync(late, '\n\ntimestamp,temp\n2025-01-01 15:00:00,70.1\n');
  assert.throws(
    () => new CsvSource({ path: late, timestampColumn: 'timestamp', loop: false, columns: { temperature: 'number' } }),
    /has no "temperature" column \(did you mean "temp"\?/,
  );
});

test('a file whose header changed after the start is refused when it is read, in the same words', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-csv-'));
  const path = join(dir, 'readings.csv');
  writeFileSync(path, 'timestamp,temperature\n2025-01-01 15:00:00,70.1\n');
  const source = new CsvSource({ path, timestampColumn: 'timestamp', columns: { temperature: 'number' }, loop: false });
  writeFileSync(path, 'timestamp,temp\n2025-01-01 15:00:00,70.1\n');
  await assert.rejects(
    async () => {
      for await (const _ of source.read({ signal: new AbortController().signal, log: silentLogger }));
    },
    {
      code: 'RUNNEL_INPUT_MALFORMED',
      message: `CSV file ${path} has no "temperature" column (did you mean "temp"? columns: timestamp, temp)`,
    },
  );
});
