import type { Command } from 'commander';
import { findApp } from '../../apps/index.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { runPipeline } from '../../core/pipeline.ts';
import {
  appOptions,
  checkFromLoop,
  loadEnv,
  logger,
  numberFlag,
  openBroker,
  type PipelineFlags,
  stateDir,
} from '../context.ts';
import { Progress } from '../progress.ts';
import { stopOnSignals } from '../signals.ts';

type Mode = 'run' | 'produce' | 'consume';

export function addPipelineFlags(cmd: Command): Command {
  return cmd
    .option(
      '--limit <n>',
      'stop the source after N records (run: exit 0 once every sink has committed them)',
      numberFlag('--limit', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'),
    )
    .option(
      '--rate <n>',
      'records per second, 0 = as fast as possible',
      numberFlag('--rate', (n) => n >= 0, 'a number >= 0'),
    )
    .option(
      '--speed <x>',
      'replay by event time, x times faster (csv)',
      numberFlag('--speed', (n) => n > 0, 'a number > 0'),
    )
    .option('--sinks <list>', 'sinks to write: jsonl,sqlite,duckdb,kafka (default jsonl,sqlite,duckdb)')
    .option('--csv <file>', 'input file for apps that replay a CSV (smoker)')
    .option('--from <input>', "the app's input from a Kafka topic (kafka://host:port/topic) or a .json/.jsonl file")
    .option('--follow', 'with --from <file>: keep reading as the file grows (survives truncation and rotation)')
    .option('--seed <n>', 'random seed for generated data', numberFlag('--seed', Number.isInteger, 'an integer'));
}

/** Source flags mean nothing to `consume`, sink flags nothing to `produce`: say so rather than ignore them. */
const SOURCE_FLAGS = ['limit', 'rate', 'speed', 'csv', 'from', 'follow', 'seed'] as const;
function checkMode(mode: Mode, flags: PipelineFlags): void {
  const given = (names: readonly string[]) =>
    names.filter((n) => flags[n as keyof PipelineFlags] !== undefined).map((n) => `--${n}`);
  const misplaced =
    mode === 'consume'
      ? { flags: given(SOURCE_FLAGS), why: 'consume runs no source: give them to `runnel produce` (or `run`)' }
      : mode === 'produce'
        ? { flags: given(['sinks']), why: 'produce runs no sink: give it to `runnel consume` (or `run`)' }
        : { flags: [], why: '' };
  if (misplaced.flags.length === 0) return;
  throw new RunnelError(ErrorCodes.USAGE, `${misplaced.flags.join(', ')}: ${misplaced.why}`, {
    value: misplaced.flags,
  });
}

/** `run` = everything in one process; `produce` / `consume` = the same app split across terminals. */
export async function runApp(appName: string, mode: Mode, flags: PipelineFlags & { drain?: boolean }): Promise<void> {
  checkMode(mode, flags);
  const env = loadEnv(flags.envFile);
  const app = findApp(appName);
  const log = logger(flags, app.name);
  const spec = await app.build(appOptions(flags, env));
  checkFromLoop(flags, env, Object.keys(spec.topics));
  const broker = await openBroker(flags, env);
  const roles = { sources: mode !== 'consume', consumers: mode !== 'produce' };
  const total = flags.limit !== undefined && roles.consumers && roles.sources ? flags.limit : undefined;
  const progress = new Progress({ ...(total === undefined ? {} : { total }), quiet: flags.quiet ?? false });
  const controller = new AbortController();
  const release = stopOnSignals(controller, log);
  log.info(
    `${mode} ${app.name} on ${broker.url}${roles.consumers ? ` → sinks in ${appOptions(flags, env).dataDir}` : ''}`,
  );
  try {
    const pipeline = runPipeline({
      broker,
      spec,
      log,
      roles,
      stateDir: stateDir(flags),
      signal: controller.signal,
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      ...(flags.drain ? { drain: true } : {}),
      onStatus: (s) => progress.update(s),
    });
    await pipeline.done;
    progress.update(pipeline.statuses());
    progress.stop();
    summarize(pipeline.statuses(), log);
  } finally {
    progress.stop();
    release();
    await broker.close();
  }
}

function summarize(statuses: ReturnType<ReturnType<typeof runPipeline>['statuses']>, log: ReturnType<typeof logger>) {
  for (const s of statuses) {
    const extra = s.dlq ? `, ${s.dlq} dead-lettered` : '';
    log.info(
      `${s.component} ${s.name}: ${s.records} record${s.records === 1 ? '' : 's'}${extra}${s.target ? ` → ${s.target}` : ''}`,
    );
  }
}

export function registerPipelineCommands(program: Command): void {
  addPipelineFlags(
    program
      .command('run')
      .argument('<app>', 'buzz | smoker')
      .description('run an app: sources, processors and sinks in one process'),
  ).action((app: string, flags: PipelineFlags) => runApp(app, 'run', flags));
  addPipelineFlags(
    program
      .command('produce')
      .argument('<app>')
      .description("run only an app's sources (pair with `runnel consume` in another terminal)"),
  ).action((app: string, flags: PipelineFlags) => runApp(app, 'produce', flags));
  addPipelineFlags(
    program
      .command('consume')
      .argument('<app>')
      .description("run only an app's processors and sinks, reading what `runnel produce` wrote")
      .option('--drain', 'exit once everything already on the topics is processed and committed'),
  ).action((app: string, flags: PipelineFlags & { drain?: boolean }) => runApp(app, 'consume', flags));
}
