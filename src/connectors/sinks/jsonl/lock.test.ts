import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { releaseLock, takeLock } from './lock.ts';

const LOCK = new URL('./lock.ts', import.meta.url).pathname;
const script = (path: string) =>
  `import { takeLock } from ${JSON.stringify(LOCK)}; console.log(takeLock(${JSON.stringify(path)}) ?? 'free');`;
/** takeLock on `path` in another process: what it returned (the holder's pid, or "free"). */
const elsewhere = (path: string) =>
  spawnSync(process.execPath, ['--input-type=module', '-e', script(path)], { encoding: 'utf8' }).stdout.trim();
const holderPid = (path: string) => readFileSync(`${path}.lock`, 'utf8').split('@')[0];

test("a JSONL file has one writer process at a time; a dead writer's lock is taken over", () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-lock-')), 'out.jsonl');
  assert.equal(takeLock(path), undefined);
  assert.equal(readFileSync(`${path}.lock`, 'utf8'), `${process.pid}@${hostname()}`);
  assert.equal(elsewhere(path), String(process.pid), 'another process is told who holds it');
  releaseLock(path);
  assert.equal(elsewhere(path), 'free', 'given up: another process takes it (and exits without giving it up)');
  // That process is gone, its lock left behind as after a kill -9: taken over.
  assert.notEqual(holderPid(path), String(process.pid));
  assert.equal(takeLock(path), undefined);
  assert.equal(holderPid(path), String(process.pid));
  // Another live process's lock is not released by this one.
  writeFileSync(`${path}.lock`, `${process.ppid}@${hostname()}`);
  releaseLock(path);
  assert.equal(holderPid(path), String(process.ppid));
});

test("a dead writer's lock, taken over by six processes at once: exactly one of them gets it", async () => {
  for (let round = 0; round < 8; round++) {
    const path = join(mkdtempSync(join(tmpdir(), 'runnel-lock-race-')), 'out.jsonl');
    writeFileSync(`${path}.lock`, `999999999@${hostname()}`); // a pid no process has
    // Each stays alive until all have answered: a winner that exited would be a dead writer in turn.
    const children: ReturnType<typeof spawn>[] = [];
    const answers = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          new Promise<string>((resolve) => {
            const c = spawn(process.execPath, [
              '--input-type=module',
              '-e',
              `${script(path)} setTimeout(() => {}, 30_000);`,
            ]);
            children.push(c);
            let out = '';
            c.stdout!.on('data', (d: Buffer) => {
              out += d;
              if (out.includes('\n')) resolve(out.trim());
            });
          }),
      ),
    );
    for (const c of children) c.kill('SIGKILL');
    assert.equal(answers.filter((a) => a === 'free').length, 1, `round ${round}: ${answers.join(' ')}`);
  }
});

test("another host's lock is never taken over; an empty lock is taken over only once it is old", () => {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-lock-host-')), 'out.jsonl');
  // A worker in another container sharing the volume: its pid says nothing about processes here.
  writeFileSync(`${path}.lock`, '999999999@some-other-host');
  assert.equal(takeLock(path), -1);
  assert.equal(readFileSync(`${path}.lock`, 'utf8'), '999999999@some-other-host');
  // Empty: being made right now (held), or left by a process killed before writing its pid.
  writeFileSync(`${path}.lock`, '');
  assert.equal(takeLock(path), -1);
  const old = (Date.now() - 60_000) / 1000;
  utimesSync(`${path}.lock`, old, old);
  assert.equal(takeLock(path), undefined);
  assert.equal(holderPid(path), String(process.pid));
});
