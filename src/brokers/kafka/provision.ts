/**
 * Finds or fetches a runnable Apache Kafka (jars from Maven Central, or KAFKA_HOME) and writes the
 * single-node KRaft config. Starting and stopping the server live in server.ts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { fetchJars, javaMajor } from '../../services/jvm/jvm.ts';

/**
 * The newest 4.1 patch on Maven Central (4.1.3 does not exist yet). @platformatic/kafka is tested against
 * 3.5–4.2; 4.1 is a mature 4.x line, KRaft only, and its POM resolves with only log4j 2 added.
 */
export const KAFKA_VERSION = '4.1.2';
export const DEFAULT_PORT = 9092;
export const HOST = '127.0.0.1';

/** scripts/kafka sits three levels up from both src/brokers/kafka and dist/brokers/kafka. */
export const SCRIPTS_DIR = fileURLToPath(new URL('../../../scripts/kafka/', import.meta.url));

export interface KafkaServerOptions {
  port?: number;
  /** Where server.properties, the log, the pid file and the topic data live. */
  dataDir?: string;
  /** Where fetched jars are cached (default RUNNEL_KAFKA_CACHE or ~/.cache/runnel). */
  cacheDir?: string;
  /** A Kafka distribution to use instead of fetching jars (default KAFKA_HOME). */
  kafkaHome?: string;
  version?: string;
  log?: (line: string) => void;
}

export interface KafkaLayout {
  port: number;
  controllerPort: number;
  version: string;
  libsDir: string;
  dataDir: string;
  logDirs: string;
  configFile: string;
  logFile: string;
  pidFile: string;
  fromKafkaHome: boolean;
  log: (line: string) => void;
}

export function cacheRoot(cacheDir?: string): string {
  return resolve(cacheDir ?? process.env.RUNNEL_KAFKA_CACHE ?? join(homedir(), '.cache', 'runnel'));
}

export function layout(o: KafkaServerOptions = {}): KafkaLayout {
  const port = o.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `kafka port must be an integer 1-65534 (got ${port})`, {
      value: port,
    });
  }
  const root = cacheRoot(o.cacheDir);
  const version = o.version ?? KAFKA_VERSION;
  const home = o.kafkaHome ?? process.env.KAFKA_HOME;
  const dataDir = resolve(o.dataDir ?? join(root, `kafka-run-${port}`));
  return {
    port,
    controllerPort: port + 1,
    version,
    libsDir: home ? join(resolve(home), 'libs') : join(root, `kafka-${version}`, 'libs'),
    dataDir,
    logDirs: join(dataDir, 'kraft-logs'),
    configFile: join(dataDir, 'server.properties'),
    logFile: join(dataDir, 'server.log'),
    pidFile: join(dataDir, 'kafka.pid'),
    fromKafkaHome: Boolean(home),
    log: o.log ?? (() => {}),
  };
}

/** One line telling the user what to install, instead of a spawn ENOENT stack. */
export function requireJava(): void {
  const major = javaMajor(
    'Java not found: Kafka needs Java 17+ (install it, e.g. apt-get install openjdk-17-jre-headless)',
  );
  if (major > 0 && major < 17) {
    throw new RunnelError(ErrorCodes.DEPENDENCY_MISSING, `Java ${major} found but Kafka 4 needs Java 17+`, {
      value: major,
    });
  }
}

/** The jar folder: KAFKA_HOME's, or fetched with Maven on first use (see fetchJars). */
export function ensureJars(l: KafkaLayout): { fetched: boolean; ms: number } {
  if (l.fromKafkaHome) {
    if (!existsSync(l.libsDir) || !readdirSync(l.libsDir).some((f) => /^kafka_2\.1\d-.*\.jar$/.test(f))) {
      throw new RunnelError(ErrorCodes.DEPENDENCY_MISSING, `KAFKA_HOME has no Kafka jars in ${l.libsDir}`, {
        value: l.libsDir,
      });
    }
    return { fetched: false, ms: 0 };
  }
  return fetchJars({
    libsDir: l.libsDir,
    pom: join(SCRIPTS_DIR, 'pom.xml'),
    versionProperty: 'kafka.version',
    version: l.version,
    product: 'Apache Kafka',
    noMaven:
      'neither KAFKA_HOME nor Maven found: install Maven (apt-get install maven) to fetch Kafka from Maven Central, or set KAFKA_HOME to a Kafka distribution',
    log: l.log,
  });
}

/** Kafka's cluster id: base64url of 16 random bytes, and Kafka's tools reject ids starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function writeServerConfig(l: KafkaLayout): void {
  mkdirSync(l.dataDir, { recursive: true });
  const template = readFileSync(join(SCRIPTS_DIR, 'server.properties.template'), 'utf8');
  const text = template
    .replaceAll('{{HOST}}', HOST)
    .replaceAll('{{PORT}}', String(l.port))
    .replaceAll('{{CONTROLLER_PORT}}', String(l.controllerPort))
    // Java properties treat backslashes as escapes; forward slashes work on every OS.
    .replaceAll('{{LOG_DIRS}}', l.logDirs.replaceAll('\\', '/'));
  writeFileSync(l.configFile, text);
}

/** JVM flags shared by the storage tool and the server: both logging configs, so 3.x and 4.x jars log. */
export function jvmArgs(l: KafkaLayout): string[] {
  return [
    `-Dlog4j2.configurationFile=${join(SCRIPTS_DIR, 'log4j2.properties')}`,
    `-Dlog4j.configuration=file:${join(SCRIPTS_DIR, 'log4j.properties')}`,
    '-cp',
    // Passed unexpanded: the JVM expands the wildcard itself, and no shell is involved.
    `${l.libsDir}/*`,
  ];
}

/** Formats the storage once; a formatted directory is kept, so topics survive stop/start. */
export function formatStorage(l: KafkaLayout): boolean {
  if (existsSync(join(l.logDirs, 'meta.properties'))) return false;
  const r = spawnSync(
    'java',
    [
      ...jvmArgs(l),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      newClusterId(),
      '-c',
      l.configFile,
      '--ignore-formatted',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    const why = `${r.stderr}\n${r.stdout}`
      .split('\n')
      .filter((s) => s.trim())
      .pop();
    throw new RunnelError(ErrorCodes.INTERNAL, `formatting Kafka storage in ${l.logDirs} failed: ${why ?? r.error}`, {
      value: l.logDirs,
    });
  }
  return true;
}

/**
 * Where `runnel kafka start` records the data dir it used for a port, so `stop`/`status --port N` without
 * the --data-dir the broker was started with still find it.
 */
export function portRecordFile(port: number, cacheDir?: string): string {
  return join(cacheRoot(cacheDir), 'kafka-ports', String(port));
}

export function recordDataDir(l: KafkaLayout, cacheDir?: string): void {
  const file = portRecordFile(l.port, cacheDir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${l.dataDir}\n`);
}

export function recordedDataDir(port: number, cacheDir?: string): string | undefined {
  try {
    return readFileSync(portRecordFile(port, cacheDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Alive and still our Kafka: a recycled pid must never be signalled. */
export function isOurKafka(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return true; // no /proc (macOS): signal 0 succeeded, trust the pid file
  }
}

/** The pid in the data dir's pid file, if that process is alive and still a Kafka (pids get recycled). */
export function livePid(l: KafkaLayout): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(l.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  // Pid 0 would signal our own process group and "succeed".
  return Number.isInteger(pid) && pid > 0 && isOurKafka(pid) ? pid : undefined;
}

/** The config file a running `java … kafka.Kafka <config>` was given. */
function kafkaConfigOf(pid: string): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const at = args.indexOf('kafka.Kafka');
    return at >= 0 ? args[at + 1] : undefined;
  } catch {
    return undefined;
  }
}

function listensOn(configFile: string, port: number): boolean {
  try {
    return new RegExp(`^listeners=(.*,)?PLAINTEXT://[^,]*:${port}(,|\\s*$)`, 'm').test(
      readFileSync(configFile, 'utf8'),
    );
  } catch {
    return false;
  }
}

/** Linux: data dirs of running Kafka processes whose config listens on the port (brokers started unrecorded). */
function runningDataDirs(port: number): string[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  return pids.flatMap((pid) => {
    const config = kafkaConfigOf(pid);
    return config && listensOn(config, port) ? [dirname(config)] : [];
  });
}

/**
 * The data dir of the broker runnel started on this port, when --data-dir was not given: the recorded one
 * or one a running Kafka on the port was configured from, whichever names a live Kafka; else the recorded
 * one (stopped: `status` shows its folder, and `start` brings back the same broker and data).
 */
export function locateDataDir(o: KafkaServerOptions): string | undefined {
  const port = o.port ?? DEFAULT_PORT;
  const recorded = recordedDataDir(port, o.cacheDir);
  const candidates = [recorded, ...runningDataDirs(port)];
  return (
    candidates.find((dataDir) => dataDir !== undefined && livePid(layout({ ...o, dataDir })) !== undefined) ?? recorded
  );
}
