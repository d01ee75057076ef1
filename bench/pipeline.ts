// `runnel run buzz` end to end (generator → broker → stats processor → jsonl, sqlite, duckdb sinks)
// beside a baseline in the same run: the same number of rows written straight into one SQLite table
// with node:sqlite, no broker, no other sinks. The ratio says what the whole pipeline costs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const N = Number(process.env.BENCH_PIPELINE_RECORDS ?? 100_000);
const ROOT = new URL('..', import.meta.url).pathname;
// What `npx runnel` runs: the built CLI, built first from this tree (the sources, run directly, spend a
// fifth of a second more on starting: Node strips every module's types as it loads it).
const CLI = join(ROOT, 'dist/cli/bin.js');

function build(): void {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed: ${r.stdout}${r.stderr}`);
}

export function benchPipeline(): Array<[string, number, string]> {
  build();
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-e2e-'));
  const raw = new DatabaseSync(join(dir, 'raw.sqlite'));
  raw.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;');
  raw.exec(
    'CREATE TABLE streamed_messages(id INTEGER PRIMARY KEY, message TEXT, author TEXT, timestamp TEXT, category TEXT, sentiment REAL, keyword_mentioned TEXT, message_length INTEGER)',
  );
  const ins = raw.prepare(
    'INSERT INTO streamed_messages(message, author, timestamp, category, sentiment, keyword_mentioned, message_length) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const t = performance.now();
  for (let i = 0; i < N; i += 1000) {
    raw.exec('BEGIN');
    for (let j = i; j < i + 1000 && j < N; j++)
      ins.run('I just shared a meme! It was amazing.', 'Alice', '2025-01-29 14:35:20', 'humor', 0.5, 'meme', 37);
    raw.exec('COMMIT');
  }
  const baseline = Math.round((N / (performance.now() - t)) * 1000);
  raw.close();

  const results: Array<[string, number, string]> = [];
  // Each sink set with all in the main thread (the default) and with its sinks in two worker threads
  // (--sink-threads 2), one after the other, so the two see the same machine.
  for (const sinks of ['sqlite', 'jsonl,sqlite,duckdb']) {
    const rate = (threads: string[]) => {
      const ws = mkdtempSync(join(dir, 'ws-'));
      const started = performance.now();
      const r = spawnSync(
        process.execPath,
        [
          CLI,
          'run',
          'buzz',
          '--limit',
          String(N),
          '--rate',
          '0',
          '--seed',
          '1',
          '--sinks',
          sinks,
          ...threads,
          '--quiet',
          '--broker',
          `local:${join(ws, 'broker.db')}`,
          '--data-dir',
          join(ws, 'data'),
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`runnel run buzz failed: ${r.stderr}`);
      const perSecond = Math.round((N / (performance.now() - started)) * 1000);
      rmSync(ws, { recursive: true, force: true });
      return perSecond;
    };
    const one = rate([]);
    const threaded = rate(['--sink-threads', '2']);
    results.push([
      `runnel run buzz → ${sinks}`,
      one,
      `raw node:sqlite insert ${baseline}/s → ${(one / baseline).toFixed(2)}× (includes process start); ` +
        `--sink-threads 2: ${threaded}/s (${(threaded / one).toFixed(2)}×)`,
    ]);
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, r, note] of benchPipeline())
    console.log(`${name.padEnd(36)} ${String(r).padStart(9)} rec/s   ${note}`);
}
