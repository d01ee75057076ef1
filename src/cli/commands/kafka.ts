import type { Command } from 'commander';
import type { KafkaServerOptions } from '../../brokers/kafka/provision.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';

interface KafkaFlags {
  port?: string;
  dataDir?: string;
}

function serverOptions(flags: KafkaFlags) {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && !Number.isInteger(port)) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `--port must be an integer (got ${flags.port})`, {
      value: flags.port,
    });
  }
  return {
    ...(port === undefined ? {} : { port }),
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
    log: (line: string) => process.stderr.write(`runnel kafka: ${line}\n`),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** Server options with the data dir of the broker runnel started on the port, when --data-dir was left out. */
async function located(flags: KafkaFlags): Promise<KafkaServerOptions & { log: (line: string) => void }> {
  const o = serverOptions(flags);
  if (flags.dataDir !== undefined) return o;
  const { locateDataDir } = await import('../../brokers/kafka/provision.ts');
  const dataDir = locateDataDir(o);
  return dataDir === undefined ? o : { ...o, dataDir };
}

/** Stop found nothing of ours: a broker still answering there must not be reported as "not running". */
async function refuseForeign(o: KafkaServerOptions): Promise<void> {
  const { kafkaStatus } = await import('../../brokers/kafka/server.ts');
  const s = await kafkaStatus(o);
  if (!s.ready) return;
  throw new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `a Kafka broker answers on ${s.address} but runnel has no record of starting it (no live pid in ${s.dataDir}): pass the --data-dir it was started with, or stop it the way it was started`,
    { value: s.address },
  );
}

/**
 * `runnel kafka start|stop|status`: a single-node KRaft broker on 127.0.0.1 from Maven Central jars (or
 * KAFKA_HOME), for development and CI. The server module is imported lazily so other commands never load it.
 */
export function registerKafkaCommand(program: Command): void {
  const kafka = program.command('kafka').description('run a local Apache Kafka broker (KRaft, single node)');
  const common = (c: Command) =>
    c
      .option('--port <n>', 'client port; the controller uses port+1 (default 9092)')
      .option('--data-dir <dir>', 'broker config, log and data (default ~/.cache/runnel/kafka-run-<port>)');

  common(
    kafka.command('start').description('fetch Kafka if needed, start it in the background, wait until ready'),
  ).action(async (flags: KafkaFlags) => {
    const { startKafka } = await import('../../brokers/kafka/server.ts');
    const { layout, recordDataDir } = await import('../../brokers/kafka/provision.ts');
    const o = await located(flags);
    const r = await startKafka(o);
    recordDataDir(layout(o));
    if (r.alreadyRunning) {
      process.stdout.write(`kafka already running on ${r.address} (pid ${r.pid})\n`);
      return;
    }
    const t = r.timings;
    const jars = t.jarsFetched ? `jars fetched in ${seconds(t.jarsMs)}, ` : '';
    process.stdout.write(
      `kafka ${r.version} ready on ${r.address} (pid ${r.pid}; ${jars}ready in ${seconds(t.readyMs)}; log ${r.logFile})\n` +
        `use it with: --broker kafka://${r.address}\n`,
    );
  });

  common(kafka.command('stop').description('stop the broker started by `runnel kafka start`')).action(
    async (flags: KafkaFlags) => {
      const { stopKafka } = await import('../../brokers/kafka/server.ts');
      const o = await located(flags);
      const r = await stopKafka(o);
      if (!r.stopped) await refuseForeign(o);
      process.stdout.write(r.stopped ? `kafka stopped (pid ${r.pid}, ${seconds(r.ms)})\n` : 'kafka was not running\n');
    },
  );

  common(kafka.command('status').description('is the broker running and answering?')).action(
    async (flags: KafkaFlags) => {
      const { kafkaStatus } = await import('../../brokers/kafka/server.ts');
      const s = await kafkaStatus(await located(flags));
      const state = s.running
        ? `running (pid ${s.pid})`
        : s.ready
          ? 'answering (not started by runnel)'
          : 'not running';
      process.stdout.write(
        `kafka ${state} on ${s.address}; ready: ${s.ready ? 'yes' : 'no'}; data ${s.dataDir}; log ${s.dataDir}/server.log\n`,
      );
      if (!s.ready) process.exitCode = 1;
    },
  );
}
