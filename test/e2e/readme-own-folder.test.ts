/**
 * The README's "Your own pipeline in TypeScript", followed as a newcomer follows it: a folder of their own,
 * its set-up commands, its tsconfig.json, and its pipeline and test files copied from the README as they
 * stand. A trial found `npx tsc --noEmit` printing its help in such a folder (no tsconfig), then TS5097 on the
 * test file's `./my-pipeline.ts` import and "Cannot find name 'node:sqlite'" in runnel's own declarations;
 * and the Time example's window app, run in the same folder, counted the guide's records with its own.
 *
 * No network: the set-up's `npm install` lines are linked from what this clone has installed (`npm install
 * <folder>` links the folder too); the README's other set-up commands run as written.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { jsonlValues, runCli } from '../helpers/cli.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The README's fenced blocks of one language, each as its text. */
const blocks = (lang: string) =>
  [...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);

/** The README's files: every `ts` block whose first line names it (`// my-pipeline.ts — …`). */
function readmeFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const text of blocks('ts')) {
    const name = /^\/\/ ([\w.-]+\.ts)\b/.exec(text)?.[1];
    if (name) files.set(name, text);
  }
  return files;
}

/**
 * A folder set up by the README's commands: the `npm install` lines become links to this clone's own
 * packages, every other command runs in the folder (the `mkdir … && cd …` line is the folder itself).
 */
function ownFolder(): string {
  const setup = blocks('sh').find((b) => b.includes('npm pkg set type=module'));
  assert.ok(setup, 'the README shows how to set up a folder of your own');
  const dir = mkdtempSync(join(tmpdir(), 'runnel-own-folder-'));
  const link = (name: string, target: string) => {
    assert.ok(existsSync(target), `${name} is installed in this clone`);
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(target, join(dir, 'node_modules', name));
  };
  for (const line of setup.split('\n')) {
    const command = line.replace(/\s+#.*$/, '').trim();
    if (command === '' || command.startsWith('mkdir ')) continue;
    const install = /^npm install (-D )?(.+)$/.exec(command);
    if (install?.[2] === '<path to this clone>') link('runnel', ROOT);
    else if (install?.[1]) for (const name of install[2]!.split(/\s+/)) link(name, join(ROOT, 'node_modules', name));
    else {
      assert.equal(install, null, `a set-up line this test does not know: ${command}`);
      // Offline: `npm init` and `npm pkg` need no registry, and must not look one up.
      execFileSync('sh', ['-c', command], {
        cwd: dir,
        stdio: 'pipe',
        env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
      });
    }
  }
  const config = blocks('json').find((b) => b.includes('"compilerOptions"'));
  assert.ok(config, 'the README shows the tsconfig.json');
  writeFileSync(join(dir, 'tsconfig.json'), config);
  return dir;
}

/** `npx tsc` in the folder: its own TypeScript, as the README installs it. */
function tsc(dir: string) {
  const r = spawnSync(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc')], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

test("the README's own-folder set-up: npx tsc passes its pipeline and test files, fails on a misspelt field, and node --test passes", {
  timeout: 120_000,
}, (t) => {
  const dir = ownFolder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type, 'module');
  const files = readmeFiles();
  for (const name of ['my-pipeline.ts', 'my-pipeline.test.ts']) assert.ok(files.has(name), `the README shows ${name}`);
  for (const [name, text] of files) writeFileSync(join(dir, name), text);

  const clean = tsc(dir);
  assert.equal(clean.code, 0, clean.out);
  assert.equal(clean.out, '', 'a clean check says nothing');
  assert.deepEqual(
    ['my-pipeline.js', 'my-pipeline.test.js'].filter((f) => existsSync(join(dir, f))),
    [],
    'nothing is compiled: Node runs the .ts files',
  );

  const pipeline = files.get('my-pipeline.ts')!;
  assert.ok(pipeline.includes('m.message.length'));
  writeFileSync(join(dir, 'my-pipeline.ts'), pipeline.replace('m.message.length', 'm.mesage.length'));
  const misspelt = tsc(dir);
  assert.notEqual(misspelt.code, 0, misspelt.out);
  assert.match(misspelt.out, /^my-pipeline\.ts\(\d+,\d+\): error TS2551: Property 'mesage' does not exist/m);
  assert.equal(misspelt.out.trim().split('\n').length, 1, `only the slip is an error:\n${misspelt.out}`);
  writeFileSync(join(dir, 'my-pipeline.ts'), pipeline);

  // The test file's assertions hold: `node --test` in the folder finds it and passes.
  // Without this runner's NODE_TEST_CONTEXT, or the child reports to it instead of printing its results.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec'], { cwd: dir, encoding: 'utf8', env });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^ℹ pass 1$/m);
});

test("the README's pipelines run side by side in one folder, each on its own topics", {
  timeout: 120_000,
}, async (t) => {
  const dir = ownFolder();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = readmeFiles();
  for (const name of ['my-pipeline.ts', 'my-windows.ts']) assert.ok(files.has(name), `the README shows ${name}`);
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  // As a newcomer runs them: in the folder, on its default broker (.runnel/broker.db), one after the other.
  const run = (file: string, limit: number) =>
    runCli(['run', `./${file}`, '--limit', String(limit), '--rate', '0', '--sinks', 'jsonl'], { cwd: dir });
  const guide = await run('my-pipeline.ts', 500);
  assert.equal(guide.code, 0, guide.stderr);
  const windows = await run('my-windows.ts', 300);
  assert.equal(windows.code, 0, windows.stderr);
  // When both read wl.messages, the window app counted the guide's records too (a trial's 2500 for 500).
  const counted = jsonlValues<{ n: number; final: boolean }>(join(dir, 'data', 'mw.per-10s.jsonl'));
  assert.ok(counted.length > 0 && counted.every((w) => w.final), windows.stderr);
  assert.equal(
    counted.reduce((k, w) => k + w.n, 0),
    300,
  );
  const perAuthor = new Map<string, number>();
  for (const v of jsonlValues<{ author: string; messages: number }>(join(dir, 'data', 'word-lengths.by-author.jsonl')))
    perAuthor.set(v.author, v.messages);
  assert.equal(
    [...perAuthor.values()].reduce((a, b) => a + b, 0),
    500,
  );
});
