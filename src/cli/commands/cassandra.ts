import type { Command } from 'commander';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { CassandraServerOptions } from '../../services/cassandra/provision.ts';

interface CassandraFlags {
  port?: string;
  dataDir?: string;
  heap?: string;
}

function serverOptions(flags: CassandraFlags): CassandraServerOptions {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && !Number.isInteger(port)) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `--port must be an integer (got ${flags.port})`, {
      value: flags.port,
    });
  }
  return {
    ...(port === undefined ? {} : { port }),
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
    ...(flags.heap === undefined ? {} : { heap: flags.heap }),
    log: (line: string) => process.stderr.write(`runnel cassandra: ${line}\n`),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * `runnel cassandra start|stop|status`: a single-node Apache Cassandra 5.0 on 127.0.0.1 from Maven Central
 * jars, for development and CI. The server module is imported lazily so other commands never load it.
 */
export function registerCassandraCommand(program: Command): void {
  const cassandra = program.command('cassandra').description('run a local Apache Cassandra node (single node)');
  const common = (c: Command) =>
    c
      .option('--port <n>', 'CQL port; the storage port is port+1 (default 9042)')
      .option('--data-dir <dir>', 'config, log and data (default ~/.cache/runnel/cassandra-run-<port>)');

  common(
    cassandra.command('start').description('fetch Cassandra if needed, start it in the background, wait until ready'),
  )
    .option('--heap <size>', 'JVM heap, e.g. 512m or 1g (default RUNNEL_CASSANDRA_HEAP or 768m)')
    .action(async (flags: CassandraFlags) => {
      const { startCassandra } = await import('../../services/cassandra/server.ts');
      const r = await startCassandra(serverOptions(flags));
      if (r.alreadyRunning) {
        process.stdout.write(`cassandra already running on ${r.address} (pid ${r.pid}; data ${r.dataDir})\n`);
        return;
      }
      const t = r.timings;
      const jars = t.jarsFetched ? `jars fetched in ${seconds(t.jarsMs)}, ` : '';
      process.stdout.write(
        `cassandra ${r.version} ready on ${r.address} (pid ${r.pid}; ${jars}ready in ${seconds(t.readyMs)}; data ${r.dataDir}; log ${r.logFile})\n` +
          `use it with: --sinks cassandra (RUNNEL_CASSANDRA=${r.address})\n`,
      );
    });

  common(cassandra.command('stop').description('stop the node started by `runnel cassandra start`')).action(
    async (flags: CassandraFlags) => {
      const { stopCassandra, cassandraStatus } = await import('../../services/cassandra/server.ts');
      const o = serverOptions(flags);
      const r = await stopCassandra(o);
      if (!r.stopped) {
        // A node still answering there must not be reported as "not running".
        const s = await cassandraStatus(o);
        if (s.ready) {
          throw new RunnelError(
            ErrorCodes.CONFIG_INVALID,
            `a Cassandra node answers on ${s.address} but runnel has no record of starting it (no live pid in ${s.dataDir}): pass the --data-dir it was started with, or stop it the way it was started`,
            { value: s.address },
          );
        }
      }
      process.stdout.write(
        r.stopped ? `cassandra stopped (pid ${r.pid}, ${seconds(r.ms)})\n` : 'cassandra was not running\n',
      );
    },
  );

  common(cassandra.command('status').description('is the node running and answering?')).action(
    async (flags: CassandraFlags) => {
      const { cassandraStatus } = await import('../../services/cassandra/server.ts');
      const s = await cassandraStatus(serverOptions(flags));
      const state = s.running
        ? `running (pid ${s.pid})`
        : s.ready
          ? 'answering (not started by runnel)'
          : 'not running';
      process.stdout.write(
        `cassandra ${state} on ${s.address}; ready: ${s.ready ? 'yes' : 'no'}; data ${s.dataDir}; log ${s.logFile}\n`,
      );
      if (!s.ready) process.exitCode = 1;
    },
  );
}
