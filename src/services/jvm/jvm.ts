/**
 * What the Kafka and Cassandra launchers (`runnel kafka|cassandra start`) share: both are JVM servers whose
 * jars Maven fetches from Maven Central once, both listen on loopback and log to a file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';

/** The Java on PATH's major version (0 when `java -version` does not say); `missing` when there is none. */
export function javaMajor(missing: string): number {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new RunnelError(ErrorCodes.DEPENDENCY_MISSING, missing);
  return Number(/version "(?:1\.)?(\d+)/.exec(r.stderr)?.[1] ?? 0);
}

/** Written last into a fetched jar folder: a folder without it is a half-finished fetch. */
const MARKER = '.runnel-complete';

export interface MavenJars {
  /** Where the jars live once fetched. */
  libsDir: string;
  /** The POM whose runtime dependencies are the server, and the property that pins its version. */
  pom: string;
  versionProperty: string;
  version: string;
  /** 'Apache Kafka', 'Apache Cassandra': how the log line and the errors name it. */
  product: string;
  /** The error when Maven is not on PATH. */
  noMaven: string;
  log: (line: string) => void;
}

/**
 * The jar folder, fetched with Maven on first use into a temporary folder renamed into place: a concurrent
 * or interrupted start sees either no folder or a complete one, never a half-finished fetch.
 */
export function fetchJars(o: MavenJars): { fetched: boolean; ms: number } {
  const started = Date.now();
  if (existsSync(join(o.libsDir, MARKER))) return { fetched: false, ms: 0 };
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) throw new RunnelError(ErrorCodes.DEPENDENCY_MISSING, o.noMaven);
  const tmp = `${o.libsDir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  o.log(`fetching ${o.product} ${o.version} jars from Maven Central into ${o.libsDir}`);
  const r = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      o.pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
      `-D${o.versionProperty}=${o.version}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const why = `${r.stdout}\n${r.stderr}`.split('\n').find((s) => s.includes('ERROR')) ?? r.error?.message ?? '';
    const name = o.product.replace(/^Apache /, '');
    throw new RunnelError(
      ErrorCodes.DEPENDENCY_MISSING,
      `could not fetch ${name} ${o.version} with Maven: ${why.trim()}`,
      {
        retriable: true,
        value: o.version,
      },
    );
  }
  writeFileSync(join(tmp, MARKER), `${o.version}\n`);
  rmSync(o.libsDir, { recursive: true, force: true });
  mkdirSync(join(o.libsDir, '..'), { recursive: true });
  renameSync(tmp, o.libsDir);
  return { fetched: true, ms: Date.now() - started };
}

/** Whether something accepts connections on `host:port` within `timeoutMs`. */
export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The server log's last error line (or its last line), for a start that failed. */
export function lastErrorLine(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    return (lines.findLast((s) => /ERROR|Exception|Error:/.test(s)) ?? lines.at(-1) ?? '').slice(0, 300);
  } catch {
    return '';
  }
}
