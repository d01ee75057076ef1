import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { fetchJars, javaMajor } from '../jvm/jvm.ts';

/**
 * The newest 5.0 patch. 5.0 is the first line that runs on Java 17 (4.1 supports only 8 and 11), and Java
 * 24+ removed the SecurityManager Cassandra installs, so the JVM must be 11–23 (17 is what is tested).
 */
export const CASSANDRA_VERSION = '5.0.8';
export const DEFAULT_PORT = 9042;
export const HOST = '127.0.0.1';
/** SimpleSnitch puts the one node in this data centre; the driver must name it. */
export const DATA_CENTER = 'datacenter1';

/** scripts/cassandra sits three levels up from both src/services/cassandra and dist/services/cassandra. */
export const SCRIPTS_DIR = fileURLToPath(new URL('../../../scripts/cassandra/', import.meta.url));

export interface CassandraServerOptions {
  /** The CQL (native protocol) port; the storage (gossip) port is port+1. */
  port?: number;
  /** Where cassandra.yaml, the log, the pid file and the data live. */
  dataDir?: string;
  /** Where fetched jars are cached (default RUNNEL_CASSANDRA_CACHE or ~/.cache/runnel). */
  cacheDir?: string;
  version?: string;
  /** Heap size, e.g. 768m (default RUNNEL_CASSANDRA_HEAP or 768m). */
  heap?: string;
  log?: (line: string) => void;
}

export interface CassandraLayout {
  port: number;
  storagePort: number;
  version: string;
  heap: string;
  libsDir: string;
  dataDir: string;
  storageDir: string;
  configFile: string;
  logbackFile: string;
  logFile: string;
  pidFile: string;
  log: (line: string) => void;
}

export function cacheRoot(cacheDir?: string): string {
  return resolve(cacheDir ?? process.env.RUNNEL_CASSANDRA_CACHE ?? join(homedir(), '.cache', 'runnel'));
}

export function layout(o: CassandraServerOptions = {}): CassandraLayout {
  const port = o.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `cassandra port must be an integer 1-65534 (got ${port})`, {
      value: port,
    });
  }
  const heap = o.heap ?? process.env.RUNNEL_CASSANDRA_HEAP ?? '768m';
  if (!/^\d+[mMgG]$/.test(heap)) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `cassandra heap must look like 768m or 1g (got ${heap})`, {
      value: heap,
    });
  }
  const root = cacheRoot(o.cacheDir);
  const version = o.version ?? CASSANDRA_VERSION;
  const dataDir = resolve(o.dataDir ?? join(root, `cassandra-run-${port}`));
  return {
    port,
    storagePort: port + 1,
    version,
    heap,
    libsDir: join(root, `cassandra-${version}`, 'libs'),
    dataDir,
    storageDir: join(dataDir, 'data'),
    configFile: join(dataDir, 'cassandra.yaml'),
    logbackFile: join(dataDir, 'logback.xml'),
    logFile: join(dataDir, 'server.log'),
    pidFile: join(dataDir, 'cassandra.pid'),
    log: o.log ?? (() => {}),
  };
}

/** The Java major version, or a one-line DEPENDENCY_MISSING instead of a spawn ENOENT stack. */
export function requireJava(): number {
  const major = javaMajor(
    'Java not found: Cassandra 5.0 needs Java 17 (install it, e.g. apt-get install openjdk-17-jre-headless)',
  );
  if (major > 0 && (major < 11 || major >= 24)) {
    throw new RunnelError(
      ErrorCodes.DEPENDENCY_MISSING,
      `Java ${major} found but Cassandra 5.0 runs on Java 11 or 17 (Java 24+ has no SecurityManager): put a Java 17 first on PATH`,
      { value: major },
    );
  }
  return major;
}

/** The jar folder, fetched with Maven on first use (see fetchJars). */
export function ensureJars(l: CassandraLayout): { fetched: boolean; ms: number } {
  return fetchJars({
    libsDir: l.libsDir,
    pom: join(SCRIPTS_DIR, 'pom.xml'),
    versionProperty: 'cassandra.version',
    version: l.version,
    product: 'Apache Cassandra',
    noMaven: 'Maven not found: install it (apt-get install maven) to fetch Cassandra from Maven Central',
    log: l.log,
  });
}

/** cassandra.yaml and logback.xml from the templates in scripts/cassandra, with this node's ports and paths. */
export function writeConfig(l: CassandraLayout): void {
  mkdirSync(l.storageDir, { recursive: true });
  // YAML double-quoted strings treat backslashes as escapes; forward slashes work on every OS.
  const dir = l.storageDir.replaceAll('\\', '/');
  const yaml = readFileSync(join(SCRIPTS_DIR, 'cassandra.yaml.template'), 'utf8')
    .replaceAll('{{HOST}}', HOST)
    .replaceAll('{{PORT}}', String(l.port))
    .replaceAll('{{STORAGE_PORT}}', String(l.storagePort))
    .replaceAll('{{DATA}}', dir);
  writeFileSync(l.configFile, yaml);
  writeFileSync(l.logbackFile, readFileSync(join(SCRIPTS_DIR, 'logback.xml'), 'utf8'));
}

/**
 * The JVM command line of conf/jvm17-server.options that Cassandra cannot start without (jamm measures
 * object sizes through an agent; the rest opens JDK internals it reaches into), a fixed small heap, and
 * the start-up tuning for a single node: no wait for gossip to settle (there is nobody to gossip with),
 * a 100 ms ring delay instead of 30 s, one token at 0. No JMX port is opened: runnel stops the node with
 * SIGTERM, which runs Cassandra's own shutdown hook (drains and flushes).
 */
export function javaArgs(l: CassandraLayout): string[] {
  const exports = [
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.management/com.sun.jmx.remote.security',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
  ];
  const opens = [
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'java.base/java.lang',
    'java.base/java.util',
    'java.base/java.nio',
  ];
  return [
    `-javaagent:${join(l.libsDir, 'jamm-0.4.0.jar')}`,
    '-Djdk.attach.allowAttachSelf=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    ...exports.flatMap((e) => ['--add-exports', `${e}=ALL-UNNAMED`]),
    ...opens.flatMap((o) => ['--add-opens', `${o}=ALL-UNNAMED`]),
    `-Xms${l.heap}`,
    `-Xmx${l.heap}`,
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    // C1 only: start-up measured 11.6–12.4 s instead of 16.7–20 s on two cores, fresh data dir. Peak
    // throughput is lower, which a development and CI node can afford; RUNNEL_CASSANDRA_JVM_OPTS=
    // -XX:TieredStopAtLevel=4 brings C2 back.
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dcassandra.config=file://${l.configFile.replaceAll('\\', '/')}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${l.storageDir}`,
    `-Dlogback.configurationFile=${l.logbackFile}`,
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.initial_token=0',
    '-Dcassandra.ring_delay_ms=100',
    // Extra JVM options last, so they override the above (e.g. -XX:ActiveProcessorCount=2).
    ...(process.env.RUNNEL_CASSANDRA_JVM_OPTS ?? '').split(/\s+/).filter(Boolean),
    '-cp',
    // Passed unexpanded: the JVM expands the wildcard itself, and no shell is involved.
    `${l.libsDir}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

/** Alive and still our Cassandra: a recycled pid must never be signalled. */
export function isOurCassandra(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('org.apache.cassandra.service.CassandraDaemon');
  } catch {
    return true; // no /proc (macOS): signal 0 succeeded, trust the pid file
  }
}

/** The pid in the data dir's pid file, if that process is alive and still a Cassandra (pids get recycled). */
export function livePid(l: CassandraLayout): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(l.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  // Pid 0 would signal our own process group and "succeed".
  return Number.isInteger(pid) && pid > 0 && isOurCassandra(pid) ? pid : undefined;
}
