import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { CASSANDRA, cql, testKeyspace } from '../helpers/cassandra.ts';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';

test('runnel cassandra status and stop (the real CLI) for a port with no node: not running, status exits 1', async () => {
  const port = await freePort();
  const s = await runCli(['cassandra', 'status', '--port', String(port)], { timeoutMs: 30_000 });
  assert.equal(s.code, 1, s.stderr);
  assert.match(
    s.stdout,
    new RegExp(
      `^cassandra not running on 127\\.0\\.0\\.1:${port}; ready: no; data .*cassandra-run-${port}; log .*server\\.log\\n$`,
    ),
  );
  const stop = await runCli(['cassandra', 'stop', '--port', String(port)], { timeoutMs: 30_000 });
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(stop.stdout, 'cassandra was not running\n');
});

test('runnel cassandra start on a port another program holds: one line, before fetching or starting anything', async (t) => {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise((r) => server.close(r)));
  const port = (server.address() as { port: number }).port;
  const r = await runCli(['cassandra', 'start', '--port', String(port), '--data-dir', '/nonexistent/never-made'], {
    timeoutMs: 30_000,
  });
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    new RegExp(`RUNNEL_CONFIG_INVALID: port ${port} on 127\\.0\\.0\\.1 is already in use by another process`),
  );
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});

/** Listening sockets on a port, from /proc/net/tcp and tcp6: the local address of each, as text. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [addr, p] = local!.split(':');
      if (p === hexPort && state === '0A') out.push(addr!);
    }
  }
  return out;
}

test('the node runnel cassandra start runs answers CQL and listens on loopback only (CQL and storage ports)', async (t) => {
  // testKeyspace: skipped without a node outside CI, required with CI=true (.ci/run starts it).
  if (!(await testKeyspace(t))) return;
  const port = Number(CASSANDRA.split(':')[1]);
  const s = await runCli(['cassandra', 'status', '--port', String(port)], { timeoutMs: 30_000 });
  assert.equal(s.code, 0, s.stdout + s.stderr);
  assert.match(
    s.stdout,
    new RegExp(
      `^cassandra (running \\(pid \\d+\\)|answering \\(not started by runnel\\)) on 127\\.0\\.0\\.1:${port}; ready: yes`,
    ),
  );
  const version = (await cql('SELECT release_version FROM system.local'))[0]!.get('release_version');
  assert.match(String(version), /^5\.0\./);
  if (process.platform !== 'linux') return;
  const loopback = new Set(['0100007F', '0000000000000000FFFF00000100007F']);
  for (const p of [port, port + 1]) {
    const addrs = listeners(p);
    assert.ok(addrs.length > 0, `something listens on ${p}`);
    assert.deepEqual(
      addrs.filter((a) => !loopback.has(a)),
      [],
      `port ${p} listens beyond 127.0.0.1`,
    );
  }
});
