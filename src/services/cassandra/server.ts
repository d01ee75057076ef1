/**
 * `runnel cassandra start|stop|status`: a detached single-node Cassandra with its log in a file and a pid
 * file, so a later command (or CI's trap) can stop exactly the process it started.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { sleep } from '../../core/backoff.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { portOpen as isOpen, lastErrorLine } from '../jvm/jvm.ts';
import {
  type CassandraServerOptions,
  DATA_CENTER,
  ensureJars,
  HOST,
  isOurCassandra,
  javaArgs,
  layout,
  livePid,
  requireJava,
  writeConfig,
} from './provision.ts';

export interface CassandraStatus {
  running: boolean;
  /** A node answers CQL on the port (ours or someone else's). */
  ready: boolean;
  pid?: number;
  address: string;
  /** The version the node reports, else the pinned one. */
  version: string;
  dataDir: string;
  logFile: string;
}

export interface StartResult extends CassandraStatus {
  alreadyRunning: boolean;
  timings: { jarsMs: number; jarsFetched: boolean; readyMs: number };
}

/** Start-up takes 15–25 s on two busy cores; a first start of a fresh data dir is the slowest. */
const READY_TIMEOUT_MS = 120_000;
/** Cassandra's shutdown hook drains and flushes, about 5 s; SIGKILL only if it hangs. */
const STOP_TIMEOUT_MS = 45_000;

const portOpen = (port: number, timeoutMs?: number) => isOpen(HOST, port, timeoutMs);

/**
 * A CQL round trip, not just an open port: the version the node reports, or undefined. The driver is
 * imported here, lazily: commands that never touch Cassandra never load it.
 */
export async function cassandraAnswers(address: string, timeoutMs = 3000): Promise<string | undefined> {
  const { default: cassandra } = await import('cassandra-driver');
  const client = new cassandra.Client({
    contactPoints: [address],
    localDataCenter: DATA_CENTER,
    socketOptions: { connectTimeout: timeoutMs, readTimeout: timeoutMs },
    pooling: { warmup: false },
  });
  try {
    await client.connect();
  } catch {
    // Not awaited: a client that never connected may never settle its shutdown.
    void client.shutdown().catch(() => {});
    return undefined;
  }
  try {
    const rs = await client.execute('SELECT release_version FROM system.local');
    return String(rs.first()?.get('release_version') ?? '');
  } catch {
    return undefined;
  } finally {
    await client.shutdown().catch(() => {});
  }
}

export async function cassandraStatus(o: CassandraServerOptions = {}): Promise<CassandraStatus> {
  const l = layout(o);
  const pid = livePid(l);
  const running = pid !== undefined;
  const address = `${HOST}:${l.port}`;
  const version = (await portOpen(l.port)) ? await cassandraAnswers(address) : undefined;
  return {
    running,
    ready: version !== undefined,
    ...(running ? { pid } : {}),
    address,
    version: version || l.version,
    dataDir: l.dataDir,
    logFile: l.logFile,
  };
}

export async function startCassandra(o: CassandraServerOptions = {}): Promise<StartResult> {
  const l = layout(o);
  const before = await cassandraStatus(o);
  const noTimings = { jarsMs: 0, jarsFetched: false, readyMs: 0 };
  if (before.running && before.ready) return { ...before, alreadyRunning: true, timings: noTimings };
  if (!before.running) {
    for (const port of [l.port, l.storagePort]) {
      if (!(await portOpen(port))) continue;
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `port ${port} on ${HOST} is already in use by another process${before.ready ? ' (a Cassandra node answers there: use it, or pick --port)' : ' (pick another --port; the storage port is port+1)'}`,
        { value: port },
      );
    }
  }
  requireJava();
  const jars = ensureJars(l);
  writeConfig(l);

  const started = Date.now();
  let pid = before.pid;
  if (!before.running) {
    const out = openSync(l.logFile, 'a');
    const child = spawn('java', javaArgs(l), { detached: true, stdio: ['ignore', out, out], cwd: l.dataDir });
    closeSync(out);
    pid = child.pid;
    if (pid === undefined) throw new RunnelError(ErrorCodes.INTERNAL, 'could not start java for Cassandra');
    writeFileSync(l.pidFile, `${pid}\n`);
    // Detached and unref'd: the node outlives this command, as `runnel cassandra start` promises.
    child.unref();
  }
  const address = `${HOST}:${l.port}`;
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (!isOurCassandra(pid!)) {
      rmSync(l.pidFile, { force: true });
      throw new RunnelError(
        ErrorCodes.SINK_UNAVAILABLE,
        `Cassandra exited while starting (log ${l.logFile}): ${lastErrorLine(l.logFile)}`,
        { value: l.logFile },
      );
    }
    // The CQL port opens last in start-up ("Starting listening for CQL clients"): poll it cheaply first.
    if ((await portOpen(l.port)) && (await cassandraAnswers(address, 2000)) !== undefined) {
      const status = await cassandraStatus(o);
      return {
        ...status,
        alreadyRunning: false,
        timings: { jarsMs: jars.ms, jarsFetched: jars.fetched, readyMs: Date.now() - started },
      };
    }
    await sleep(250);
  }
  throw new RunnelError(
    ErrorCodes.SINK_UNAVAILABLE,
    `Cassandra did not answer on ${address} within ${READY_TIMEOUT_MS / 1000}s (log ${l.logFile})`,
    { retriable: true, value: address },
  );
}

/** SIGTERM runs Cassandra's shutdown hook (drain, flush); SIGKILL only if it hangs. */
export async function stopCassandra(
  o: CassandraServerOptions = {},
): Promise<{ stopped: boolean; pid?: number; ms: number }> {
  const l = layout(o);
  const started = Date.now();
  const pid = livePid(l);
  if (pid === undefined) {
    rmSync(l.pidFile, { force: true });
    return { stopped: false, ms: 0 };
  }
  process.kill(pid, 'SIGTERM');
  while (Date.now() - started < STOP_TIMEOUT_MS && isOurCassandra(pid)) await sleep(100);
  if (isOurCassandra(pid)) process.kill(pid, 'SIGKILL');
  while (isOurCassandra(pid)) await sleep(50);
  rmSync(l.pidFile, { force: true });
  return { stopped: true, pid, ms: Date.now() - started };
}
