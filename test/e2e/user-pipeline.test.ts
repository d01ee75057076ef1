/**
 * A user's own pipeline file runs like a built-in app: `run`, `produce`/`consume` and `demo` load it, and
 * a file that is missing or exports no app fails in one line. The example in the README is the file.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AppDefinition } from '../../src/core/app.ts';
import { defineApp, z } from '../../src/index.ts';
import { TestDriver } from '../../src/testing/index.ts';
import { runCli, workspace } from '../helpers/cli.ts';
import { localTopicValues } from '../helpers/topic-values.ts';

const EXAMPLE = new URL('../../examples/word-lengths.ts', import.meta.url).pathname;

/** The last `messages` count per author in the example's JSONL output. */
function lastCounts(file: string): Map<string, number> {
  const last = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const v = JSON.parse(line) as { author: string; messages: number };
    last.set(v.author, v.messages);
  }
  return last;
}

test('runnel run ./examples/word-lengths.ts: keyed counts per author add up to the records produced', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-user-');
  const r = await runCli(['run', EXAMPLE, '--limit', '700', '--rate', '0', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  const counts = lastCounts(join(ws.dir, 'data', 'word-lengths.by-author.jsonl'));
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    700,
  );
});

test('produce then consume a pipeline file in two processes gives the same counts', { timeout: 120_000 }, async () => {
  const ws = workspace('runnel-user-split-');
  const p = await runCli(['produce', EXAMPLE, '--limit', '400', '--rate', '0', ...ws.flags]);
  assert.equal(p.code, 0, p.stderr);
  const c = await runCli(['consume', EXAMPLE, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(c.code, 0, c.stderr);
  const counts = lastCounts(join(ws.dir, 'data', 'word-lengths.by-author.jsonl'));
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    400,
  );
  // Its repartition topic is emptied as it is read: verify says how many went, not just "0 records".
  const v = await runCli(['verify', EXAMPLE, ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  // (the upstream tasks' watermark markers travel through it too: a few more than the 400 records)
  const removed =
    /per-author: .*up to date with \S*repartition\S* \(\d+ records? now; (\d+) earlier ones removed\)/.exec(v.stdout);
  assert.ok(removed && Number(removed[1]) >= 400, v.stdout);
});

test('runnel demo runs a pipeline file beside the built-in apps', { timeout: 120_000 }, async () => {
  const ws = workspace('runnel-user-demo-');
  const r = await runCli(['demo', EXAMPLE, '--no-dashboard', '--limit', '5', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  const counts = lastCounts(join(ws.dir, 'data', 'word-lengths.by-author.jsonl'));
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    5,
  );
});

test("runnel demo says a slip in a pipeline file's sink topic at start, as run does; the built-in apps have none", {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-user-demo-typo-');
  const index = JSON.stringify(new URL('../../src/index.ts', import.meta.url).pathname);
  const typo = join(ws.dir, 'typo.ts');
  const example = readFileSync(EXAMPLE, 'utf8');
  const slip = example
    .replace("from 'runnel'", `from ${index}`)
    .replace("sinks: [{ topic: 'word-lengths.by-author'", "sinks: [{ topic: 'word-lengths.by-autor'");
  assert.notEqual(slip, example.replace("from 'runnel'", `from ${index}`), 'the sink topic misspelt');
  writeFileSync(typo, slip);
  const r = await runCli(['demo', typo, '--no-dashboard', '--limit', '5', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.stderr.split('\n').filter((l) => l.includes('did you mean')),
    [
      '[word-lengths] warn: sink jsonl-word-lengths.by-autor reads word-lengths.by-autor, which no source or step of word-lengths writes: did you mean word-lengths.by-author?',
    ],
  );
});

test('a missing pipeline file, or one that exports no app, fails in one line', { timeout: 60_000 }, async () => {
  const ws = workspace('runnel-user-bad-');
  const missing = await runCli(['run', join(ws.dir, 'nope.ts'), ...ws.flags]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr.trim(), /^runnel: RUNNEL_FILE_NOT_FOUND: pipeline file not found: .*nope\.ts$/);
  const notApp = join(ws.dir, 'not-an-app.ts');
  writeFileSync(notApp, 'export const x = 1;\n');
  const bad = await runCli(['run', notApp, ...ws.flags]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /RUNNEL_CONFIG_INVALID: .*not-an-app\.ts: its default export is not an app/);
  // Outside a folder where runnel is installed, and in a CommonJS package: each error says the way out.
  const outside = join(ws.dir, 'outside.ts');
  writeFileSync(outside, "import { defineApp } from 'runnel';\nexport default defineApp;\n");
  const noPackage = await runCli(['run', outside, ...ws.flags]);
  assert.equal(noPackage.code, 1);
  assert.match(
    noPackage.stderr,
    /RUNNEL_CONFIG_INVALID: .*Cannot find package 'runnel'.*\(install runnel where the file is/,
  );
  const cjs = join(ws.dir, 'cjs');
  mkdirSync(cjs);
  writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(cjs, 'p.ts'), "import { join } from 'node:path';\nexport default join;\n");
  const commonjs = await runCli(['run', join(cjs, 'p.ts'), ...ws.flags]);
  assert.equal(commonjs.code, 1);
  assert.match(commonjs.stderr, /RUNNEL_CONFIG_INVALID: .*set "type": "module" in the package\.json beside it/);
});

/** `line:col` (1-based) of the first `marker` in `text`: where an error about it must point. */
function placeOf(text: string, marker: string): string {
  const at = text.indexOf(marker);
  assert.ok(at >= 0, marker);
  const before = text.slice(0, at).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

test("a pipeline file that does not parse or throws, as it loads or in its own pipeline(), is named at the line in one line, not as runnel's fault", {
  timeout: 60_000,
}, async () => {
  const ws = workspace('runnel-user-throws-');
  const app = new URL('../../src/index.ts', import.meta.url).pathname;
  const cases: Array<{ file: string; text: string; marker: string; want: (place: string) => RegExp }> = [
    {
      file: 'syntax.ts',
      text: `import { defineApp } from '${app}';\nexport default defineApp({\n  name: 'syn',\n  pipeline(t) {\n    t.stream('a').to('b';\n  },\n});\n`,
      marker: ';\n  },',
      want: (place) => new RegExp(`syntax\\.ts:${place}: cannot load it: .* in \`t\\.stream\\('a'\\)\\.to\\('b';\`$`),
    },
    {
      // A .js file's syntax error: V8 keeps its place out of the error, so it is asked for again.
      file: 'syntax.js',
      text: "export default {\n  name: 'x',\n  a: 1 2,\n};\n",
      marker: '2,',
      want: (place) => new RegExp(`syntax\\.js:${place}: cannot load it: Unexpected number in \`a: 1 2,\`$`),
    },
    {
      file: 'top.ts',
      text: "export const x = 1;\nif (x) throw new Error('top-level oops');\n",
      marker: "new Error('top",
      want: (place) => new RegExp(`top\\.ts:${place}: cannot load it: top-level oops$`),
    },
    {
      file: 'inpipeline.ts',
      text: `import { defineApp } from '${app}';\nconst cfg: { deep?: { x: number } } = {};\nexport default defineApp({\n  name: 'inpipe',\n  pipeline(t) {\n    t.stream('a').to(String(cfg.deep!.x));\n  },\n});\n`,
      marker: 'x));',
      want: (place) =>
        new RegExp(
          `^runnel: RUNNEL_CONFIG_INVALID: inpipe: pipeline\\(t, options\\) threw: Cannot read properties of undefined \\(reading 'x'\\) \\(at .*inpipeline\\.ts:${place}\\)$`,
        ),
    },
  ];
  for (const c of cases) {
    const file = join(ws.dir, c.file);
    writeFileSync(file, c.text);
    const r = await runCli(['run', file, '--limit', '1', ...ws.flags]);
    assert.equal(r.code, 1, `${c.file}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${c.file}: ${r.stderr}`);
    assert.match(lines[0]!, c.want(placeOf(c.text, c.marker)), c.file);
  }
});

test("a user's step that throws dead-letters its record with the message and the user's line", async () => {
  const app = defineApp({
    name: 'throws',
    pipeline(t) {
      t.stream('in', { schema: z.object({ n: z.number() }) })
        .map((m) => {
          if (m.n % 3 === 0) throw new Error(`no multiples of three (${m.n})`);
          return m.n;
        })
        .to('out');
    },
  });
  const driver = await TestDriver.forApp(app);
  driver.pipe(
    'in',
    Array.from({ length: 7 }, (_, n) => ({ value: { n } })),
  );
  assert.deepEqual(driver.values('out'), [1, 2, 4, 5]);
  const me = new URL(import.meta.url).pathname;
  const place = placeOf(readFileSync(me, 'utf8'), 'new Error(`no multiples');
  const dead = driver.values<{ error: { code: string; message: string } }>('in.dlq');
  assert.deepEqual(
    dead.map((d) => d.error.code),
    ['RUNNEL_PROCESSING_FAILED', 'RUNNEL_PROCESSING_FAILED', 'RUNNEL_PROCESSING_FAILED'],
  );
  for (const [i, n] of [0, 3, 6].entries())
    assert.match(
      dead[i]!.error.message,
      new RegExp(`^no multiples of three \\(${n}\\) \\(at .*user-pipeline\\.test\\.ts:${place}\\)$`),
    );
});

test('a windowed pipeline run again after a bounded run says once that its input ended, and only when records come', {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-user-');
  const windows = new URL('./fixtures/keyed-windows.ts', import.meta.url).pathname;
  const run = (...extra: string[]) => runCli(['run', windows, '--sinks', 'jsonl', ...extra, ...ws.flags]);
  const said = /ended this input for good/g;
  const first = await run('--limit', '2000');
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr.match(said), null, 'the first run has nothing to say');
  // Nothing new read: nothing to be told (the demo started again in its folder).
  const idle = await runCli(['consume', windows, '--drain', '--sinks', 'jsonl', ...ws.flags]);
  assert.equal(idle.code, 0, idle.stderr);
  assert.equal(idle.stderr.match(said), null);
  const again = await run('--limit', '2000');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr.match(said)?.length, 1, again.stderr);
});

test("a run's summary counts its late records, as many as the input's .late topic holds", {
  timeout: 120_000,
}, async () => {
  const ws = workspace('runnel-user-late-');
  const windows = new URL('./fixtures/keyed-windows.ts', import.meta.url).pathname;
  const run = () => runCli(['run', windows, '--limit', '2000', '--sinks', 'jsonl', ...ws.flags]);
  const lateLine =
    /processor keyed-windows\.window-2: \d+ records?, (\d+) late \(their window had closed: on kw\.in\.late\)/;
  const first = await run();
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /processor keyed-windows\.window-2: \d+ records/);
  assert.doesNotMatch(first.stderr, / late /, 'nothing late in the first run: nothing said');
  // The first run was bounded: it closed every window for good, so what the second reads is late.
  const again = await run();
  assert.equal(again.code, 0, again.stderr);
  const said = lateLine.exec(again.stderr);
  assert.ok(said, again.stderr);
  const onLate = await localTopicValues(ws.broker, 'kw.in.late');
  assert.ok(onLate.length > 0);
  assert.equal(Number(said[1]), onLate.length);
});

test("the README's testing guide: TestDriver.forApp runs the example file's own steps, state and outputs exact", async () => {
  const app = (await import(EXAMPLE)).default as AppDefinition;
  const driver = await TestDriver.forApp(app);
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const messages = Array.from({ length: 300 }, () => ({
    author: ['ann', 'bo', 'cy', 'di'][Math.floor(next() * 4)]!,
    message: 'x'.repeat(1 + Math.floor(next() * 40)),
  }));
  // In batches, with a crash (restart from committed state) between two of them.
  driver.pipe(
    'wl.messages',
    messages.slice(0, 120).map((value) => ({ key: null, value })),
  );
  driver.restart();
  driver.pipe(
    'wl.messages',
    messages.slice(120).map((value) => ({ key: null, value })),
  );
  const brute = new Map<string, { n: number; chars: number }>();
  for (const m of messages) {
    const acc = brute.get(m.author) ?? { n: 0, chars: 0 };
    brute.set(m.author, { n: acc.n + 1, chars: acc.chars + m.message.length });
  }
  const last = new Map<string, { messages: number; meanLength: number }>();
  for (const v of driver.values<{ author: string; messages: number; meanLength: number }>('word-lengths.by-author'))
    last.set(v.author, v);
  assert.equal(driver.values('word-lengths.by-author').length, messages.length, 'one output per message');
  assert.deepEqual(
    new Map([...last].map(([a, v]) => [a, [v.messages, v.meanLength]])),
    new Map([...brute].map(([a, v]) => [a, [v.n, v.chars / v.n]])),
  );
  assert.deepEqual(driver.state('per-author.acc'), brute);
});
