/**
 * `runnel kafka start|stop|status`: a detached single-node KRaft broker with its log in a file and a pid
 * file, so a later command (or CI's trap) can stop exactly the process it started.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { Admin } from '@platformatic/kafka';
import { sleep } from '../../core/backoff.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { portOpen as isOpen, lastErrorLine } from '../../services/jvm/jvm.ts';
import {
  ensureJars,
  formatStorage,
  HOST,
  isOurKafka,
  jvmArgs,
  type KafkaServerOptions,
  layout,
  livePid,
  requireJava,
  writeServerConfig,
} from './provision.ts';

export interface KafkaStatus {
  running: boolean;
  /** A broker answers metadata requests on the port (ours or someone else's). */
  ready: boolean;
  pid?: number;
  address: string;
  version: string;
  dataDir: string;
  logFile: string;
}

export interface StartResult extends KafkaStatus {
  alreadyRunning: boolean;
  timings: { jarsMs: number; jarsFetched: boolean; formatMs: number; readyMs: number };
}

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

const portOpen = (port: number, timeoutMs?: number) => isOpen(HOST, port, timeoutMs);

/** A metadata round trip, not just an open port: the socket accepts before the broker can serve. */
export async function kafkaAnswers(address: string, timeoutMs = 3000): Promise<boolean> {
  const admin = new Admin({
    clientId: 'runnel-probe',
    bootstrapBrokers: [address],
    retries: 0,
    connectTimeout: timeoutMs,
    timeout: timeoutMs,
  });
  admin.on('error', () => {});
  try {
    const md = await admin.metadata({ topics: [] });
    return md.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}

export async function kafkaStatus(o: KafkaServerOptions = {}): Promise<KafkaStatus> {
  const l = layout(o);
  const pid = livePid(l);
  const running = pid !== undefined;
  const address = `${HOST}:${l.port}`;
  const ready = (await portOpen(l.port)) && (await kafkaAnswers(address));
  return {
    running,
    ready,
    ...(running ? { pid } : {}),
    address,
    version: l.version,
    dataDir: l.dataDir,
    logFile: l.logFile,
  };
}

export async function startKafka(o: KafkaServerOptions = {}): Promise<StartResult> {
  const l = layout(o);
  const before = await kafkaStatus(o);
  const noTimings = { jarsMs: 0, jarsFetched: false, formatMs: 0, readyMs: 0 };
  if (before.running && before.ready) return { ...before, alreadyRunning: true, timings: noTimings };
  if (!before.running && (await portOpen(l.port))) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `port ${l.port} on ${HOST} is already in use by another process${before.ready ? ' (a Kafka broker answers there: use it, or pick --port)' : ''}`,
      { value: l.port },
    );
  }
  requireJava();
  const jars = ensureJars(l);
  writeServerConfig(l);
  const formatStarted = Date.now();
  formatStorage(l);
  const formatMs = Date.now() - formatStarted;

  const started = Date.now();
  let pid = before.pid;
  if (!before.running) {
    const out = openSync(l.logFile, 'a');
    const child = spawn(
      'java',
      ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvmArgs(l), 'kafka.Kafka', l.configFile],
      { detached: true, stdio: ['ignore', out, out], cwd: l.dataDir },
    );
    closeSync(out);
    pid = child.pid;
    if (pid === undefined) throw new RunnelError(ErrorCodes.INTERNAL, 'could not start java for Kafka');
    writeFileSync(l.pidFile, `${pid}\n`);
    // Detached and unref'd: the broker outlives this command, as `runnel kafka start` promises.
    child.unref();
  }
  const address = `${HOST}:${l.port}`;
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (!isOurKafka(pid!)) {
      rmSync(l.pidFile, { force: true });
      throw new RunnelError(
        ErrorCodes.BROKER_UNAVAILABLE,
        `Kafka exited while starting (log ${l.logFile}): ${lastErrorLine(l.logFile)}`,
        { value: l.logFile },
      );
    }
    if ((await portOpen(l.port)) && (await kafkaAnswers(address, 2000))) {
      const status = await kafkaStatus(o);
      return {
        ...status,
        alreadyRunning: false,
        timings: { jarsMs: jars.ms, jarsFetched: jars.fetched, formatMs, readyMs: Date.now() - started },
      };
    }
    await sleep(250);
  }
  throw new RunnelError(
    ErrorCodes.BROKER_UNAVAILABLE,
    `Kafka did not answer on ${address} within ${READY_TIMEOUT_MS / 1000}s (log ${l.logFile})`,
    { retriable: true, value: address },
  );
}

/** SIGTERM (Kafka shuts down cleanly in a few seconds), SIGKILL only if it hangs. */
export async function stopKafka(o: KafkaServerOptions = {}): Promise<{ stopped: boolean; pid?: number; ms: number }> {
  const l = layout(o);
  const started = Date.now();
  const pid = livePid(l);
  if (pid === undefined) {
    rmSync(l.pidFile, { force: true });
    return { stopped: false, ms: 0 };
  }
  process.kill(pid, 'SIGTERM');
  while (Date.now() - started < STOP_TIMEOUT_MS && isOurKafka(pid)) await sleep(100);
  if (isOurKafka(pid)) process.kill(pid, 'SIGKILL');
  while (isOurKafka(pid)) await sleep(50);
  rmSync(l.pidFile, { force: true });
  return { stopped: true, pid, ms: Date.now() - started };
}
