/**
 * `runnel verify`, the seeds' verify_emitters: the broker round-trips a record, every sink opens, and the
 * sinks that keep their positions with their output say how much of their topic they hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, workspace } from '../helpers/cli.ts';

const line = (out: string, what: string) => out.split('\n').find((l) => l.includes(` ${what}: `)) ?? '';

test('runnel verify says whether each sink is up to date, behind (and how to catch up), or from another broker', async () => {
  const ws = workspace();
  const run = await runCli(['run', 'buzz', '--limit', '50', '--rate', '0', '--sinks', 'jsonl,sqlite', ...ws.flags]);
  assert.equal(run.code, 0, run.stderr);

  let v = await runCli(['verify', '--sinks', 'jsonl,sqlite', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(line(v.stdout, 'buzz sqlite-buzz'), /^ok {4}.*buzz\.sqlite.*: up to date with buzz \(50 records\)$/);
  assert.match(line(v.stdout, 'buzz jsonl-buzz'), /^ok {4}.*buzz\.jsonl: up to date with buzz \(50 records\)$/);
  // The processor's saved state answers the same question from its own positions.
  assert.match(
    line(v.stdout, 'buzz buzz-stats'),
    /^ok {4}buzz buzz-stats: state in .*buzz\.state\.db: up to date with buzz \(50 records\)$/,
  );
  assert.match(v.stdout, /all checks passed\n$/);

  // Records produced but not yet consumed: the sinks are behind, and the line says how to catch up.
  const produced = await runCli(['produce', 'buzz', '--limit', '20', '--rate', '0', ...ws.flags]);
  assert.equal(produced.code, 0, produced.stderr);
  v = await runCli(['verify', '--sinks', 'sqlite', ...ws.flags]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(
    line(v.stdout, 'buzz sqlite-buzz'),
    /: 20 of 70 records of buzz not written yet; catch up with: runnel consume buzz --drain --broker local:\S+ --data-dir \S+ --state-dir \S+$/,
  );

  // The same output against a fresh broker: it cannot have come from there.
  const other = ws.flags.map((f) => (f === ws.broker ? `local:${ws.dir}/other.db` : f));
  v = await runCli(['verify', '--sinks', 'sqlite', ...other]);
  assert.equal(v.code, 1, v.stdout);
  assert.match(
    line(v.stdout, 'buzz sqlite-buzz'),
    /^FAIL {2}buzz sqlite-buzz: RUNNEL_OUTPUT_FROM_OTHER_BROKER: \S+buzz\.sqlite \(table streamed_messages\) holds records of buzz, which local:.*other\.db does not have: .*; start fresh with another --data-dir/,
  );
  assert.match(
    line(v.stdout, 'buzz buzz-stats'),
    /^FAIL {2}buzz buzz-stats: RUNNEL_OUTPUT_FROM_OTHER_BROKER: state in .*buzz\.state\.db holds records of buzz/,
  );
  assert.match(v.stdout, /\d+ check\(s\) failed\n$/);
});
