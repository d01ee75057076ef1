/** Running the users app through the CLI for the crash tests (local and Kafka), and checking its rows. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, type Workspace } from './cli.ts';
import { killAtLines } from './kill-at.ts';
import type { ReferenceUser } from './users-replay.ts';

export interface Predicted {
  id: string;
  predicted_gender: string;
  p_female: number;
  seen: number;
}

/** Every user once, with the reference's prediction, made after exactly the users before it. */
export function assertPredictions(got: Predicted[], want: ReferenceUser[], where: string): void {
  assert.equal(got.length, want.length, `${where}: one row per user`);
  const byId = new Map(got.map((g) => [g.id, g]));
  assert.equal(byId.size, want.length, `${where}: no user twice`);
  for (const w of want) {
    const g = byId.get(w.id);
    assert.ok(g, `${where}: user ${w.id} missing`);
    assert.deepEqual(
      { predicted: g.predicted_gender, p: g.p_female, seen: Number(g.seen) },
      { predicted: w.predicted_gender, p: w.p_female, seen: w.seen },
      `${where}: user ${w.id}`,
    );
  }
}

/** `count` kill points spread over 5–95% of `n`, different per seed, ascending. */
export function killPoints(seed: number, count: number, n: number): number[] {
  let x = seed;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return Array.from({ length: count }, () => Math.floor(n * (0.05 + 0.9 * rand()))).sort((a, b) => a - b);
}

/**
 * `runnel run users --seed 5` (USERS_COUNT in `env` bounds it) until its source ends, or SIGKILLed once
 * `killAt` users have predictions in the JSONL sink (progress, not clock).
 */
export function runUsersUntil(
  ws: Pick<Workspace, 'dir' | 'flags'>,
  env: Record<string, string>,
  killAt?: number,
  sinks = 'jsonl,sqlite,duckdb',
  /** Users a second (0: flat out); a pace lets the progress points fall mid-run where commits are large. */
  rate = 0,
): Promise<'killed' | 'exited'> {
  const args = [CLI, 'run', 'users', '--rate', String(rate), '--seed', '5', '--sinks', sinks, '--quiet', ...ws.flags];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const topic = env.USERS_TOPIC || 'users_created';
  return killAtLines(child, join(ws.dir, 'data', `${topic}.predicted.jsonl`), killAt, () => stderr);
}
