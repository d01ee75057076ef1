/**
 * `runnel kafka stop|status` find the broker runnel started on a port without being told its --data-dir,
 * and CI drives the broker through the npm scripts. A stand-in process (node, with `kafka.Kafka <config>`
 * on its command line, as the real java has) plays the broker, so no Java or real broker is touched.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../../../test/helpers/net.ts';
import { layout, recordDataDir } from '../../brokers/kafka/provision.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CTL = join(ROOT, 'scripts/kafka/ctl.ts');
const cacheDir = mkdtempSync(join(tmpdir(), 'runnel-kafka-cache-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** A live "broker" with a pid file and a server.properties listening on the port, in its own data dir. */
async function fakeBroker(port: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-kafka-data-'));
  const l = layout({ port, dataDir, cacheDir });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(l.configFile, `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}\n`);
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'kafka.Kafka', l.configFile], {
    stdio: 'ignore',
  });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  writeFileSync(l.pidFile, `${child.pid}\n`);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  return { l, pid: child.pid!, exited };
}

function ctl(...args: string[]) {
  return spawnSync(process.execPath, [CTL, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RUNNEL_KAFKA_CACHE: cacheDir },
    timeout: 60_000,
  });
}

test('npm run kafka:start|stop|status call scripts/kafka/ctl.ts, and CI starts and stops Kafka through them', async () => {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
  for (const verb of ['start', 'stop', 'status']) {
    assert.equal(scripts[`kafka:${verb}`], `node scripts/kafka/ctl.ts ${verb}`);
  }
  const port = await freePort();
  const r = spawnSync('npm', ['run', '--silent', 'kafka:status', '--', '--port', String(port)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, RUNNEL_KAFKA_CACHE: cacheDir },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`^kafka not running on 127\\.0\\.0\\.1:${port}; ready: no`));
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
  assert.match(ci, /^npm run kafka:start$/m);
  assert.match(ci, /^trap 'npm run kafka:stop \|\| true' EXIT$/m);
  assert.doesNotMatch(ci, /scripts\/kafka\/ctl\.ts/);
});

test('stop --port without --data-dir stops the broker started with another data dir (recorded at start)', async () => {
  const port = await freePort();
  const broker = await fakeBroker(port);
  recordDataDir(broker.l, cacheDir);
  const status = ctl('status', '--port', String(port));
  assert.match(status.stdout, new RegExp(`^kafka running \\(pid ${broker.pid}\\) on 127\\.0\\.0\\.1:${port};`));
  assert.ok(status.stdout.includes(`data ${broker.l.dataDir};`), status.stdout);
  const stop = ctl('stop', '--port', String(port));
  assert.equal(stop.status, 0, stop.stderr);
  assert.match(stop.stdout, new RegExp(`^kafka stopped \\(pid ${broker.pid}, `));
  assert.equal(await broker.exited, 'SIGTERM');
  // Stopped, the port still belongs to that folder: status names it (it used to name the default one).
  const after = ctl('status', '--port', String(port));
  assert.ok(after.stdout.includes(`data ${broker.l.dataDir};`), after.stdout);
});

test('stop --port finds an unrecorded broker runnel started by its config (Linux /proc)', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs /proc');
  const port = await freePort();
  const broker = await fakeBroker(port);
  const stop = ctl('stop', '--port', String(port));
  assert.equal(stop.status, 0, stop.stderr);
  assert.match(stop.stdout, new RegExp(`^kafka stopped \\(pid ${broker.pid}, `));
  assert.equal(await broker.exited, 'SIGTERM');
  assert.equal(ctl('stop', '--port', String(port)).stdout, 'kafka was not running\n');
});
