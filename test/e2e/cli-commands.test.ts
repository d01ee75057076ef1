/**
 * The CLI as a user meets it: every command the README shows exists in the real entry point, and the
 * long-running ones (`dashboard`, `kafka status`) work through it, not only through their modules.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBroker } from '../../src/core/broker-registry.ts';
import { runCli, startCli, workspace } from '../helpers/cli.ts';
import '../../src/brokers/index.ts';

const README = new URL('../../README.md', import.meta.url).pathname;

/** `npx runnel <command> [<subcommand>]` from every shell line of the README. */
function readmeCommands(): string[] {
  const found = new Set<string>();
  for (const m of readFileSync(README, 'utf8').matchAll(/npx runnel ([a-z]+)(?: (start|stop|status))?/g)) {
    found.add(m[2] ? `${m[1]} ${m[2]}` : m[1]!);
  }
  return [...found].sort();
}

test('every command the README shows exists in the CLI (its --help works)', async () => {
  const commands = readmeCommands();
  for (const must of ['demo', 'run', 'produce', 'consume', 'topics', 'tail', 'groups', 'verify', 'dashboard']) {
    assert.ok(commands.includes(must), `the README shows runnel ${must}`);
  }
  assert.ok(commands.includes('kafka start'), 'the README shows runnel kafka start');
  for (const c of commands) {
    const r = await runCli([...c.split(' '), '--help'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `runnel ${c} --help: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: runnel /m, `runnel ${c} --help prints its usage`);
  }
});

test('a mistyped command, option or missing argument is one runnel line with the suggestion, not the whole help', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['rnu', 'buzz'], /^runnel: RUNNEL_USAGE: unknown command 'rnu' \(did you mean run\?\); see: runnel --help$/],
    [
      ['run', 'buzz', '--limt', '5'],
      /^runnel: RUNNEL_USAGE: unknown option '--limt' \(did you mean --limit\?\); see: runnel run --help$/,
    ],
    [['tail'], /^runnel: RUNNEL_USAGE: missing required argument 'topic'; see: runnel tail --help$/],
    // Another command's flag: where it belongs (the commands whose --help lists it).
    [
      ['topics', '--speed', '2'],
      /^runnel: RUNNEL_USAGE: unknown option '--speed' \(--speed is a flag of `runnel run`, `runnel produce`\); see: runnel topics --help$/,
    ],
    [
      ['kafka', 'strat'],
      /^runnel: RUNNEL_USAGE: unknown command 'strat' \(did you mean start\?\); see: runnel kafka --help$/,
    ],
  ];
  for (const [args, line] of cases) {
    const r = await runCli(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 1, `runnel ${args.join(' ')}`);
    assert.match(r.stderr.trim(), line);
    assert.equal(r.stdout, '', 'no help text dumped');
  }
});

test('inputs that cannot work fail in one line before anything starts (no banner, no progress)', async () => {
  const ws = workspace();
  const cases: Array<[string[], string]> = [
    [['run', 'smoker', '--csv', 'missing.csv'], 'RUNNEL_FILE_NOT_FOUND: CSV file not found: '],
    [['run', 'buzz', '--from', 'missing.jsonl'], 'RUNNEL_FILE_NOT_FOUND: JSON file not found: '],
    [['run', 'buzz', '--follow'], 'RUNNEL_CONFIG_INVALID: --follow needs --from'],
    [['run', 'smoker', '--csv', 'a.csv', '--from', 'b.jsonl'], 'RUNNEL_CONFIG_INVALID: --csv and --from both name'],
    [['run', 'buzz', '--limit', '0'], 'RUNNEL_CONFIG_INVALID: --limit must be an integer >= 1 (got "0")'],
  ];
  for (const [args, start] of cases) {
    const r = await runCli([...args, ...ws.flags], { cwd: ws.dir, timeoutMs: 30_000 });
    assert.equal(r.code, 1, `runnel ${args.join(' ')}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`runnel: ${start}`), r.stderr);
  }
});

test('runnel tail of a missing topic: one line with the closest ten topics and how many more', async () => {
  const ws = workspace();
  const broker = await createBroker(ws.broker);
  await broker.connect();
  for (let i = 0; i < 30; i++) await broker.createTopic(`load-${String(i).padStart(2, '0')}`);
  await broker.createTopic('smoker.alerts');
  await broker.close();
  const r = await runCli(['tail', 'smoker.alert', '--no-follow', '--broker', ws.broker], { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(
    r.stderr.trim(),
    /^runnel: RUNNEL_TOPIC_NOT_FOUND: topic "smoker\.alert" does not exist on local:.* \(closest topics: smoker\.alerts, (load-\d\d, ){8}load-\d\d and 21 more\)$/,
  );
});

test('runnel tail -n N prints the N latest records of the whole topic by timestamp, not N per partition', async () => {
  const ws = workspace();
  const broker = await createBroker(ws.broker);
  await broker.connect();
  await broker.createTopic('spread', { partitions: 6 });
  // Keys spread the records over the partitions unevenly; time goes on as they are produced, in batches
  // whose records share a second (ties across partitions).
  const base = Date.UTC(2026, 0, 1);
  for (let batch = 0; batch < 12; batch++)
    await broker.produce(
      'spread',
      Array.from({ length: 5 }, (_, i) => ({
        key: `k${batch * 5 + i}`,
        value: { batch, i },
        timestamp: base + batch * 1000 + (i % 2) * 500,
      })),
    );
  const held: Array<{ partition: number; offset: number; timestamp: number }> = [];
  for (const p of (await broker.describeTopic('spread'))!.partitions)
    held.push(...(await broker.read('spread', p.partition, p.startOffset, p.endOffset - p.startOffset)));
  await broker.close();
  assert.equal(held.length, 60);
  assert.ok(new Set(held.map((r) => r.partition)).size > 1, 'records on several partitions');
  const latest = (n: number) =>
    held
      .map(({ partition, offset, timestamp }) => ({ partition, offset, timestamp }))
      .sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset)
      .slice(held.length - Math.min(n, held.length));
  for (const n of [0, 1, 7, 60, 100]) {
    const r = await runCli(['tail', 'spread', '-n', String(n), '--no-follow', '--broker', ws.broker], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const printed = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { partition: number; offset: number; timestamp: number })
      .map(({ partition, offset, timestamp }) => ({ partition, offset, timestamp }));
    assert.deepEqual(printed, latest(n), `-n ${n}`);
  }
});

/** `runnel dashboard …` started: its first line with the URL, within 20 s, and what it wrote to stderr so far. */
function dashboard(args: string[], cwd?: string) {
  const child = startCli(args, cwd === undefined ? {} : { cwd });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 20 s: ${stdout} ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      const m = /^runnel dashboard on .*http:\/\/.*$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
  });
  return { child, line, stderr: () => stderr };
}

test('runnel dashboard (the real CLI) prints its URL, serves the API, and stops cleanly on Ctrl-C', async () => {
  const ws = workspace();
  const { child, line, stderr } = dashboard(['dashboard', '--port', '0', '--broker', ws.broker]);
  const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(await line)![0];
  const info = await fetch(new URL('/api/info', url));
  assert.equal(info.status, 200);
  const body = (await info.json()) as { apps: Array<{ name: string }> };
  assert.deepEqual(
    body.apps.map((a) => a.name),
    ['buzz', 'smoker', 'oura', 'stopcovid', 'users'],
  );
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exit, 0, stderr());
});

test('runnel kafka status (the real CLI) answers for a port with no broker: not running, exit 1', async () => {
  const r = await runCli(['kafka', 'status', '--port', '9555'], { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^kafka not running on 127\.0\.0\.1:9555; ready: no/);
});

test('run and consume say at start how to watch them live: a dashboard command that opens on their broker', async () => {
  const ws = workspace();
  // Not ./data where the commands run: the dashboard would not find it by itself.
  const dataDir = join(ws.dir, 'out');
  const flags = ['--broker', ws.broker, '--data-dir', dataDir];
  const brokerFile = ws.broker.slice('local:'.length);
  const hints = (stderr: string) => stderr.split('\n').filter((l) => l.includes('see it live'));
  // `npx runnel` means this install only where it runs (elsewhere npx looks for `runnel` on the registry).
  const at = `[buzz] see it live (in another terminal): cd ${ws.dir} && npx runnel dashboard`;
  const args = ['--limit', '5', '--rate', '0', '--sinks', 'jsonl'];
  // The command as the user would type it, from what this run was given: the broker and the data folder.
  const expected = `${at} --broker local:${brokerFile} --data-dir ${dataDir}`;
  const run = await runCli(['run', 'buzz', ...args, ...flags], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(hints(run.stderr), [expected]);
  // The default data folder (./data where it runs) is what the dashboard takes there too: not repeated.
  const relative = await runCli(['run', 'buzz', ...args, '--broker', 'local:broker.db'], { cwd: ws.dir });
  assert.equal(relative.code, 0, relative.stderr);
  assert.deepEqual(hints(relative.stderr), [`${at} --broker local:${join(ws.dir, 'broker.db')}`]);
  const consume = await runCli(['consume', 'buzz', '--drain', '--sinks', 'jsonl', ...flags], { cwd: ws.dir });
  assert.equal(consume.code, 0, consume.stderr);
  assert.deepEqual(hints(consume.stderr), [expected]);
  // A producer has nothing of its own to watch; --quiet says nothing.
  const produce = await runCli(['produce', 'buzz', ...args.slice(0, 4), ...flags], { cwd: ws.dir });
  assert.equal(produce.code, 0, produce.stderr);
  assert.deepEqual(hints(produce.stderr), []);
  const quiet = await runCli(['run', 'buzz', ...args, '--quiet', ...flags], { cwd: ws.dir });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.deepEqual(hints(quiet.stderr), []);
  // An app that is a pipeline file: the dashboard is told the file, for the app's pages and panels.
  const file = fileURLToPath(new URL('../fixtures/six-partitions-pipeline.ts', import.meta.url));
  const own = await runCli(['run', file, '--limit', '5', '--rate', '0', ...flags], { cwd: ws.dir });
  assert.equal(own.code, 0, own.stderr);
  assert.deepEqual(hints(own.stderr), [
    `${at.replace('[buzz]', '[six-partitions]')} --broker local:${brokerFile} --data-dir ${dataDir} --app ${file}`,
  ]);
  // The printed command is one the dashboard takes: run from elsewhere, it serves this broker.
  const words = expected.split(' && npx runnel ')[1]!.split(' ');
  const { child, line, stderr } = dashboard([...words, '--port', '0'], tmpdir());
  assert.match(await line, new RegExp(`^runnel dashboard on local:${brokerFile.replaceAll('.', '\\.')}: http://`));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exit, 0, stderr());
});

test('runnel tail stops on Ctrl-C quietly, exit 0: it is a reader, with no sources or sinks to speak of', async () => {
  const ws = workspace();
  const broker = await createBroker(ws.broker);
  await broker.connect();
  await broker.createTopic('t');
  await broker.produce('t', [{ value: { n: 1 } }]);
  await broker.close();
  const child = startCli(['tail', 't', '--broker', ws.broker]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  // Following, once the record is printed.
  while (!out.includes('"n":1')) await new Promise((r) => setTimeout(r, 50));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exit, 0, err);
  assert.equal(err.trim(), '', 'nothing said on stderr');
});
