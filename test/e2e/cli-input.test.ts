/**
 * Input a new user gets wrong on purpose or by accident (issue 9): each is refused or explained in one
 * runnel line, through the real CLI, instead of being silently accepted or answered in someone else's words.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { apps } from '../../src/apps/index.ts';
import { LocalBroker } from '../../src/brokers/local/local-broker.ts';
import { runCli, workspace } from '../helpers/cli.ts';

const README = new URL('../../README.md', import.meta.url).pathname;

/** One line on stderr, exit 1: the shape of every refusal. */
function oneLineFailure(r: { code: number | null; stderr: string }, what: string): string {
  assert.equal(r.code, 1, `${what}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
  return lines[0]!;
}

test("--dotenv names runnel's settings file: a missing one is runnel's own one-line error, an existing one is read", async () => {
  const ws = workspace();
  const missing = join(ws.dir, 'nonexistent.env');
  const r = await runCli(['--dotenv', missing, 'topics'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(oneLineFailure(r, '--dotenv missing'), `runnel: RUNNEL_FILE_NOT_FOUND: env file not found: ${missing}`);

  // The file's RUNNEL_BROKER is the broker `topics` opens: the file was read, not only checked.
  const envFile = join(ws.dir, 'settings.env');
  const brokerFile = join(ws.dir, 'from-env.db');
  writeFileSync(envFile, `RUNNEL_BROKER=local:${brokerFile}\n`);
  const ok = await runCli(['--dotenv', envFile, 'topics'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(existsSync(brokerFile), 'the broker named in the --dotenv file was opened');

  // The old spelling keeps working for a file that exists (Node stops a missing one before runnel runs).
  const oldBroker = join(ws.dir, 'old-spelling.db');
  writeFileSync(envFile, `RUNNEL_BROKER=local:${oldBroker}\n`);
  const old = await runCli(['--env-file', envFile, 'topics'], { cwd: ws.dir, timeoutMs: 30_000 });
  assert.equal(old.code, 0, old.stderr);
  assert.ok(existsSync(oldBroker), 'the broker named in the --env-file file was opened');

  const help = await runCli(['--help'], { timeoutMs: 30_000 });
  assert.match(help.stdout, /--dotenv <file>/);
  assert.doesNotMatch(help.stdout, /--env-file/, 'the help shows no option Node itself intercepts');
});

test("the README's --csv example names a file a user has: run smoker once, then replay it", async () => {
  const ws = workspace();
  const readme = readFileSync(README, 'utf8');
  const examples = [...readme.matchAll(/npx runnel run smoker --csv (\S+)/g)].map((m) => m[1]!);
  assert.ok(examples.length > 0, 'the README shows a --csv example');
  // What the README says creates the sample: a run of smoker without --csv, from the clone's folder.
  const first = await runCli(['run', 'smoker', '--limit', '1', '--rate', '0', '--sinks', 'jsonl', ...ws.flags], {
    cwd: ws.dir,
  });
  assert.equal(first.code, 0, first.stderr);
  for (const csv of examples) {
    assert.ok(existsSync(join(ws.dir, csv)), `${csv} exists after a first run of smoker`);
    const r = await runCli(
      ['run', 'smoker', '--csv', csv, '--limit', '3', '--rate', '0', '--sinks', 'jsonl', ...ws.flags],
      {
        cwd: ws.dir,
      },
    );
    assert.equal(r.code, 0, r.stderr);
  }
});

test('a --csv that is missing, a folder or not text: one line saying which, with a short escaped excerpt', async () => {
  const ws = workspace();
  const run = (csv: string) => runCli(['run', 'smoker', '--csv', csv, '--rate', '0', ...ws.flags], { cwd: ws.dir });

  const missing = join(ws.dir, 'missing.csv');
  const m = oneLineFailure(await run(missing), 'missing CSV');
  assert.ok(m.startsWith(`runnel: RUNNEL_FILE_NOT_FOUND: CSV file not found: ${missing}`), m);
  assert.match(m, /leave out --csv to replay the built-in sample/);

  const folder = join(ws.dir, 'readings');
  mkdirSync(folder);
  const f = oneLineFailure(await run(folder), 'folder as CSV');
  assert.match(f, /^runnel: RUNNEL_\w+: /);
  assert.match(f, /is a folder, not a file/);
  assert.doesNotMatch(f, /not found/);

  // An executable's first bytes: NUL, DEL and bytes that are not UTF-8, then ~300 bytes with no newline.
  const bytes = Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x89]),
    Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256).filter((b) => b !== 0x0a && b !== 0x0d)),
  ]);
  const binary = join(ws.dir, 'program.csv');
  writeFileSync(binary, bytes);
  const b = oneLineFailure(await run(binary), 'binary CSV');
  assert.ok(b.startsWith(`runnel: RUNNEL_INPUT_MALFORMED: CSV file ${binary} `), b);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control characters may reach the line
  assert.doesNotMatch(b, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/, 'no raw control or replacement characters');
  assert.match(b, /"\\u007fELF\\u0002\\u0001\\u0001\\u0000/, 'the file start, escaped');
  assert.ok(b.length < 200 + binary.length, `a short excerpt, not the whole first line (${b.length} chars)`);
});

test('run buzz --csv (or --speed) is refused: buzz has no CSV input', async () => {
  const ws = workspace();
  const csv = join(ws.dir, 'x.csv');
  writeFileSync(csv, 'timestamp,temperature\n2025-01-01 15:00:00,70\n');
  const r = await runCli(['run', 'buzz', '--csv', csv, '--limit', '1', '--rate', '0', ...ws.flags], { cwd: ws.dir });
  assert.match(oneLineFailure(r, 'buzz --csv'), /^runnel: RUNNEL_USAGE: --csv: buzz has no CSV input/);
  // --speed paces a CSV replay by event time: on buzz it would be as silently ignored.
  const speed = await runCli(['run', 'buzz', '--speed', '10', '--limit', '1', '--rate', '0', ...ws.flags], {
    cwd: ws.dir,
  });
  assert.match(oneLineFailure(speed, 'buzz --speed'), /^runnel: RUNNEL_USAGE: --speed: buzz has no CSV input/);
  assert.ok(!existsSync(join(ws.dir, 'broker.db')), 'refused before the broker was opened');
  // The CSV through --from, as that line says to give a file: no pointing back to --csv (a dead end, both
  // lines naming the other), but what the file must be. smoker, which replays a CSV, names its flag.
  const from = await runCli(['run', 'buzz', '--from', csv, '--limit', '1', ...ws.flags], { cwd: ws.dir });
  const line = oneLineFailure(from, 'buzz --from x.csv');
  assert.match(line, /--from must be .*; a CSV file goes in as JSONL: one JSON object per line$/);
  assert.doesNotMatch(line, /--csv/);
  const smoker = await runCli(['run', 'smoker', '--from', csv, '--limit', '1', ...ws.flags], { cwd: ws.dir });
  assert.match(oneLineFailure(smoker, 'smoker --from x.csv'), /--from must be .*; a CSV replay is --csv <file>$/);
});

test('a source flag the app never reads is refused when it names the input, said when it paces or seeds it', async () => {
  const ws = workspace();
  const input = join(ws.dir, 'other.jsonl');
  writeFileSync(input, `${JSON.stringify({ message: 'hi', author: 'Ann' })}\n`);
  // A pipeline that replays its own generator and never calls sourceFrom(options): --from did nothing.
  const own = join(ws.dir, 'own.ts');
  writeFileSync(
    own,
    [
      `import { defineApp, source, z } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname)};`,
      'export default defineApp({',
      "  name: 'own',",
      "  sources: (o) => [{ topic: 'own.in', source: source('generator', { rate: o.rate ?? 0 }) }],",
      "  pipeline(t) { t.stream('own.in', { schema: z.object({ message: z.string() }) }).to('own.out'); },",
      "  sinks: [{ topic: 'own.out', kinds: ['jsonl'] }],",
      '});',
    ].join('\n'),
  );
  const from = await runCli(['run', own, '--from', input, '--limit', '1', ...ws.flags], { cwd: ws.dir });
  assert.match(
    oneLineFailure(from, 'own --from'),
    /^runnel: RUNNEL_USAGE: --from: own never reads options\.from, so it would change nothing \(a pipeline takes them in sources\(options\): --from through sourceFrom\(options\)/,
  );
  // --from names the input: refused before anything runs. --seed only seeds it: said, and the run goes on.
  assert.ok(!existsSync(join(ws.dir, 'broker.db')), 'refused before the broker was opened');
  const seed = await runCli(['run', own, '--rate', '0', '--seed', '3', '--limit', '1', ...ws.flags], { cwd: ws.dir });
  assert.equal(seed.code, 0, seed.stderr);
  assert.match(
    seed.stderr,
    /warn: --seed: own never reads options\.seed, so it would change nothing \(a pipeline takes them in sources/,
  );
  // A built-in app that sets its own pace: said in its own words.
  const smoker = await runCli(['run', 'smoker', '--seed', '5', '--limit', '1', '--rate', '0', ...ws.flags], {
    cwd: ws.dir,
  });
  assert.equal(smoker.code, 0, smoker.stderr);
  assert.match(smoker.stderr, /warn: --seed: smoker does not read it with this input: it would change nothing\n/);
  const ok = await runCli(['run', own, '--rate', '0', '--limit', '3', ...ws.flags], { cwd: ws.dir, timeoutMs: 60_000 });
  assert.equal(ok.code, 0, ok.stderr);
  // A pipeline that paces a JSON replay by options.speed takes --speed, with no csvInput declared.
  const speedy = join(ws.dir, 'speedy.ts');
  writeFileSync(
    speedy,
    [
      `import { defineApp, source } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname)};`,
      'export default defineApp({',
      "  name: 'speedy',",
      `  sources: (o) => [{ topic: 'speedy.in', source: source('json', { path: ${JSON.stringify(input)}, timestampField: 'at', ...(o.speed ? { speed: o.speed } : {}) }) }],`,
      '  pipeline() {},',
      '});',
    ].join('\n'),
  );
  const paced = await runCli(['produce', speedy, '--speed', '60', ...ws.flags], { cwd: ws.dir, timeoutMs: 60_000 });
  assert.equal(paced.code, 0, paced.stderr);
  assert.doesNotMatch(paced.stderr, /--speed/);
});

test('a sink or step reading a topic nothing writes: a slip from a written one said at start, an empty unknown one at the end', async () => {
  const ws = workspace();
  const own = join(ws.dir, 'typos.ts');
  const index = JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname);
  writeFileSync(
    own,
    [
      `import { defineApp, source, valueStore, z } from ${index};`,
      'const M = z.object({ message: z.string() });',
      'export default defineApp({',
      "  name: 'typos',",
      "  sources: (o) => [{ topic: 'typos.in', source: source('generator', { rate: o.rate ?? 0 }) }],",
      '  pipeline(t) {',
      "    t.stream('typos.in', { schema: M }).to('typos.out');",
      "    t.stream('typos.inn', { schema: M }).to('typos.other');",
      // A declared side output that got nothing in this run: a process step's emitTo topic, not a typo.
      "    t.stream('typos.in', { schema: M }).keyBy(() => 'all').process({ name: 'side', stores: { n: valueStore<number>() }, outputs: ['typos.rare'] }, () => {});",
      '  },',
      "  sinks: [{ topic: 'typos.outt', kinds: ['jsonl'] }, { topic: 'typos.out', kinds: ['jsonl'] }, { topic: 'typos.rare', kinds: ['jsonl'] }, { topic: 'elsewhere.feed', kinds: ['jsonl'] }],",
      '});',
    ].join('\n'),
  );
  const r = await runCli(['run', own, '--limit', '5', '--rate', '0', ...ws.flags], { cwd: ws.dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('warn:'));
  const said = warnings.map((l) => l.replace(/^.*warn: /, ''));
  // A slip from a written topic: said at start (a run may last for hours), once.
  assert.deepEqual(said.slice(0, 2).toSorted(), [
    'processor typos.sub-1 reads typos.inn, which no source or step of typos writes: did you mean typos.in?',
    'sink jsonl-typos.outt reads typos.outt, which no source or step of typos writes: did you mean typos.out?',
  ]);
  // An empty topic like no written one: said once the run found nothing on it.
  assert.deepEqual(said.slice(2), [
    'sink jsonl-elsewhere.feed read nothing: elsewhere.feed holds no records, and no source or step of typos writes it by name (a process step names its emitTo topics in outputs)',
  ]);
  assert.ok(
    r.stderr.indexOf('reads typos.outt') < r.stderr.indexOf('source generator: 5 records'),
    'the slips before the run',
  );
});

test('--from-start is refused where no file is replayed (buzz from its generator), taken where one is', async () => {
  const ws = workspace();
  const r = await runCli(['run', 'buzz', '--from-start', '--limit', '1', '--rate', '0', ...ws.flags], { cwd: ws.dir });
  assert.match(
    oneLineFailure(r, 'buzz --from-start'),
    /^runnel: RUNNEL_USAGE: --from-start: buzz replays no file here \(its input: generator\); it restarts a file replay/,
  );
  assert.ok(!existsSync(join(ws.dir, 'broker.db')), 'refused before the broker was opened');
  const json = join(ws.dir, 'm.jsonl');
  writeFileSync(json, `${JSON.stringify({ message: 'hi', author: 'Ann' })}\n`);
  const ok = await runCli(['run', 'buzz', '--from', json, '--from-start', '--sinks', 'jsonl', ...ws.flags], {
    cwd: ws.dir,
  });
  assert.equal(ok.code, 0, ok.stderr);
});

test('a local: broker URL with an unknown parameter or a bad fsync value is refused; fsync=true works', async () => {
  const ws = workspace();
  const file = join(ws.dir, 'b.db');
  const foo = await runCli(['topics', '--broker', `local:${file}?foo=1`], { timeoutMs: 30_000 });
  assert.equal(
    oneLineFailure(foo, '?foo=1'),
    `runnel: RUNNEL_BROKER_URL_INVALID: local broker URL "local:${file}?foo=1": unknown parameter "foo" (known: fsync)`,
  );
  const yes = await runCli(['topics', '--broker', `local:${file}?fsync=yes`], { timeoutMs: 30_000 });
  assert.equal(
    oneLineFailure(yes, '?fsync=yes'),
    `runnel: RUNNEL_BROKER_URL_INVALID: local broker URL "local:${file}?fsync=yes": fsync must be true or false (got "yes")`,
  );
  assert.ok(!existsSync(file), 'no broker file created for a refused URL');
  const ok = await runCli(['topics', '--broker', `local:${file}?fsync=true`], { timeoutMs: 30_000 });
  assert.equal(ok.code, 0, ok.stderr);
});

test('groups --group with a name no group has: one line naming the groups that exist, exit 1', async () => {
  const ws = workspace();
  const broker = new LocalBroker(ws.broker);
  await broker.connect();
  await broker.createTopic('orders');
  await broker.produce('orders', [{ key: 'a', value: 1 }]);
  for (const group of ['orders-sink', 'orders-audit']) {
    const c = broker.consumer({ group, topics: ['orders'] });
    await c.commit([{ topic: 'orders', partition: 0, offset: 1 }]);
    await c.close();
  }
  await broker.close();

  const r = await runCli(['groups', '--group', 'orders-snk', '--broker', ws.broker], { timeoutMs: 30_000 });
  assert.equal(
    oneLineFailure(r, 'groups --group orders-snk'),
    `runnel: RUNNEL_GROUP_NOT_FOUND: no group "orders-snk" on ${ws.broker} (groups: orders-sink, orders-audit)`,
  );
  assert.equal(r.stdout, '', 'no empty table');
  const found = await runCli(['groups', '--group', 'orders-sink', '--broker', ws.broker], { timeoutMs: 30_000 });
  assert.equal(found.code, 0, found.stderr);
  assert.deepEqual(found.stdout.trim().split('\n').slice(1), ['orders-sink  orders  0          1          1    0']);
});

/** The long option names a command's --help lists as its own (above the global ones, which it lists too). */
async function helpOptions(command: string): Promise<string[]> {
  const r = await runCli([command, '--help'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const [own, global = ''] = r.stdout.split(/^Global Options:$/m);
  // Where the broker and the data folder are set, in every command's help (a trial looked for them there).
  assert.match(global, /^\s+--broker <url>/m, `${command} --help lists --broker`);
  assert.match(global, /^\s+--data-dir <dir>/m, `${command} --help lists --data-dir`);
  return [...own!.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
}

test('run, produce and consume --help each list only the options that command takes', async () => {
  const source = ['--limit', '--rate', '--speed', '--csv', '--from', '--follow', '--from-start', '--seed', '--api'];
  // The apps' own flags (stopcovid's --people, …) are offered by all three: they set the app's settings.
  const own = [...new Set(apps.flatMap((a) => a.flags ?? []).map((f) => `--${f.name}`))].filter((f) => f !== '--seed');
  const sink = ['--sinks', '--sink-threads'];
  assert.deepEqual((await helpOptions('run')).sort(), [...source, ...sink, ...own].sort());
  assert.deepEqual((await helpOptions('produce')).sort(), [...source, ...own].sort());
  assert.deepEqual((await helpOptions('consume')).sort(), [...sink, '--drain', '--final', ...own].sort());
});
