import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { apps, isAppFile, loadApp } from '../../apps/index.ts';
import { type Env, envNumber } from '../../apps/settings.ts';
import type { AppDefinition, AppOptions, PipelineSpec } from '../../core/app.ts';
import type { Broker } from '../../core/broker.ts';
import { WINDOW_STORE_SUFFIX } from '../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { isInternalTopic } from '../../core/internal-topics.ts';
import { type InputEnd, outputPlaces, runPipeline } from '../../core/pipeline.ts';
import { checkPlaces } from '../../core/places.ts';
import { retrying } from '../../core/retry.ts';
import { lateTopic } from '../../processing/engine/task.ts';
import { otherRunningPids } from '../already-running.ts';
import { addAppFlags, appEnv, withFlagNames } from '../app-flags.ts';
import {
  appOptions,
  brokerPlaces,
  checkFromLoop,
  DEFAULT_SINKS,
  loadEnv,
  logger,
  numberFlag,
  openBroker,
  type PipelineFlags,
  SINK_KINDS,
} from '../context.ts';
import { dashboardHint } from '../dashboard-hint.ts';
import { printBinding } from '../print-sink.ts';
import { Progress } from '../progress.ts';
import { stopOnSignals } from '../signals.ts';
import { SinkThreads } from '../sink-threads/host.ts';
import { sayMisspeltTopics, sayUnfedTopics } from '../unfed-topics.ts';

type Mode = 'run' | 'produce' | 'consume';

/** What a source takes. `consume` runs none: it accepts these hidden, only to say where they belong. */
function sourceOptions(): Option[] {
  return [
    new Option(
      '--limit <n>',
      'stop the source after N records (run: exit 0 once every sink has committed them)',
    ).argParser(numberFlag('--limit', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1')),
    new Option('--rate <n>', 'records per second, 0 = as fast as possible').argParser(
      numberFlag('--rate', (n) => n >= 0, 'a number >= 0'),
    ),
    new Option('--speed <x>', 'replay by event time, x times faster (csv)').argParser(
      numberFlag('--speed', (n) => n > 0, 'a number > 0'),
    ),
    // From the registry, not written out: the text said "(smoker)" after oura took a CSV too.
    new Option(
      '--csv <file>',
      `input file for apps that replay a CSV (${apps
        .filter((a) => a.csvInput !== undefined)
        .map((a) => a.name)
        .join(', ')})`,
    ),
    new Option(
      '--from <input>',
      "the app's input from a Kafka topic (kafka://host:port/topic) or a .json/.jsonl file (users: also the seed's .csv export)",
    ),
    new Option('--follow', 'with --from <file>: keep reading as the file grows (survives truncation and rotation)'),
    new Option(
      '--from-start',
      'replay the input file from its start, even where an earlier run replayed it (default: go on after that)',
    ),
    new Option('--api <url>', 'poll this HTTP API instead of the offline default (users: a randomuser-shaped URL)'),
    new Option('--seed <n>', 'random seed for generated data').argParser(
      numberFlag('--seed', Number.isInteger, 'an integer'),
    ),
  ];
}

/** What sinks take. `produce` runs none: hidden there, as above. */
function sinkOptions(): Option[] {
  return [
    new Option('--sinks <list>', `sinks to write: ${SINK_KINDS.join(',')} (default ${DEFAULT_SINKS.join(',')})`),
    new Option(
      '--sink-threads <n>',
      'run the sinks in up to N worker threads, each with its own broker connection (default 0: in this thread)',
    ).argParser(numberFlag('--sink-threads', (n) => Number.isInteger(n) && n >= 0 && n <= 64, 'an integer 0..64')),
  ];
}

/**
 * Each command's --help lists only what it takes. The other side's flags are still parsed, hidden, so
 * `consume --rate 5` says where --rate belongs (checkMode) instead of commander's bare "unknown option".
 */
function addPipelineFlags(cmd: Command, mode: Mode): Command {
  const hidden = (options: Option[]) => options.map((o) => o.hideHelp());
  const options =
    mode === 'run'
      ? [...sourceOptions(), ...sinkOptions()]
      : mode === 'produce'
        ? [...sourceOptions(), ...hidden(sinkOptions())]
        : [...hidden(sourceOptions()), ...sinkOptions()];
  for (const option of options) cmd.addOption(option);
  addAppFlags(cmd, apps);
  return cmd;
}

/** Source flags mean nothing to `consume`, sink flags nothing to `produce`: say so rather than ignore them. */
const SOURCE_FLAGS = ['limit', 'rate', 'speed', 'csv', 'from', 'follow', 'fromStart', 'seed', 'api'] as const;
function checkMode(mode: Mode, flags: PipelineFlags): void {
  const given = (names: readonly string[]) =>
    names
      .filter((n) => flags[n as keyof PipelineFlags] !== undefined)
      .map((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  const misplaced =
    mode === 'consume'
      ? { flags: given(SOURCE_FLAGS), why: 'consume runs no source: give % to `runnel produce` (or `run`)' }
      : mode === 'produce'
        ? {
            flags: given(['sinks', 'sinkThreads']),
            why: 'produce runs no sink: give % to `runnel consume` (or `run`)',
          }
        : { flags: [], why: '' };
  if (misplaced.flags.length === 0) return;
  const why = misplaced.why.replace('%', misplaced.flags.length === 1 ? 'it' : 'them');
  throw new RunnelError(ErrorCodes.USAGE, `${misplaced.flags.join(', ')}: ${why}`, {
    value: misplaced.flags,
  });
}

/** The AppOptions field each source flag sets (see appOptions). */
const FLAG_OF_OPTION = {
  rate: '--rate',
  speed: '--speed',
  input: '--csv',
  from: '--from',
  follow: '--follow',
  seed: '--seed',
  api: '--api',
} as const;

/** `options` as the app sees them, noting which fields it reads while it is built. */
function watched(options: AppOptions): { options: AppOptions; read: Set<string | symbol> } {
  const read = new Set<string | symbol>();
  const proxy = new Proxy(options, {
    get(target, key, receiver) {
      read.add(key);
      return Reflect.get(target, key, receiver);
    },
    // `'from' in o` and a descriptor read are looks at it too.
    has(target, key) {
      read.add(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      read.add(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      // A spread (`{ ...o }`) copies every field: each counts as read.
      for (const key of Reflect.ownKeys(target)) read.add(key);
      return Reflect.ownKeys(target);
    },
  });
  return { options: proxy, read };
}

/** Flags that choose the input: ignored, the run would process other data than the user named. */
const INPUT_FLAGS: ReadonlySet<string> = new Set(['--csv', '--from', '--follow', '--api']);

/**
 * A source flag the app never looked at while it was built (apps read their options in `sources(options)`,
 * not later) changes nothing: a pipeline of the user's own that does not call `sourceFrom(options)`
 * replayed its own file under `--from other.jsonl`, exit 0. One that names the input is refused; one that
 * paces or seeds it (--rate, --speed, --seed: a habit, `--rate 0` on every bounded run) is said once, and
 * the run goes on. `--follow` with a Kafka topic is no flag to look at: a topic is followed anyway.
 */
function checkFlagsRead(
  app: AppDefinition,
  read: Set<string | symbol>,
  flags: PipelineFlags,
  log: { warn(message: string): void },
): void {
  const kafkaFrom = flags.from !== undefined && /^kafka:\/\//i.test(flags.from);
  const unread = Object.entries(FLAG_OF_OPTION)
    .filter(([field, flag]) => flags[flagAttribute(flag)] !== undefined && !read.has(field))
    .filter(({ 1: flag }) => !(flag === '--follow' && kafkaFrom))
    .map(([field, flag]) => ({ field, flag }));
  const builtIn = apps.some((a) => a === app);
  if (builtIn)
    refuseForBuiltIn(
      app,
      unread.map((u) => u.flag),
      flags,
    );
  const say = (list: typeof unread) => {
    const names = list.map((u) => u.flag);
    const it = names.length === 1 ? 'it' : 'they';
    // A built-in app may read the flag with another input (smoker's --rate, not with --from a.jsonl).
    return builtIn
      ? `${names.join(', ')}: ${app.name} does not read ${it === 'it' ? 'it' : 'them'} with this input: ${it} would change nothing`
      : `${names.join(', ')}: ${app.name} never reads ${list.map((u) => `options.${u.field}`).join(', ')}, so ` +
          `${it} would change nothing (a pipeline takes them in sources(options): --from through ` +
          'sourceFrom(options), --rate, --speed, --csv, --seed as options.rate, .speed, .input, .seed)';
  };
  const input = unread.filter((u) => INPUT_FLAGS.has(u.flag));
  if (input.length > 0) throw new RunnelError(ErrorCodes.USAGE, say(input), { value: input.map((u) => u.flag) });
  if (unread.length > 0) log.warn(say(unread));
}

/**
 * A built-in app given `--api`, `--csv` or `--speed` it did not read, and without that input at all, says
 * which apps have it. (A pipeline of the user's own that reads them takes them, whatever it declares: a
 * JSON replay paced by `options.speed`; one that does not is told in terms of its options.)
 */
function refuseForBuiltIn(app: AppDefinition, unread: string[], flags: PipelineFlags): void {
  if (unread.includes('--api') && app.apiInput === undefined) {
    const polling = apps.filter((a) => a.apiInput !== undefined).map((a) => a.name);
    throw new RunnelError(
      ErrorCodes.USAGE,
      `--api: ${app.name} polls no HTTP API (apps that do: ${polling.join(', ') || 'none'})`,
      { value: flags.api },
    );
  }
  if (app.csvInput !== undefined) return;
  const given = ['--csv', '--speed'].filter((f) => unread.includes(f));
  if (given.length === 0) return;
  const replaying = apps.filter((a) => a.csvInput !== undefined).map((a) => a.name);
  throw new RunnelError(
    ErrorCodes.USAGE,
    `${given.join(', ')}: ${app.name} has no CSV input (apps that replay a CSV: ${replaying.join(', ') || 'none'}); ` +
      'read a JSON or JSONL file with --from <file>',
    { value: given },
  );
}

/** `--csv` → `csv`, `--from` → `from`: the PipelineFlags attribute of a flag. */
const flagAttribute = (flag: string) =>
  flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof PipelineFlags;

/** `--from-start` restarts a file replay: an app whose input is none (a generator, Kafka) would ignore it. */
function checkFromStart(app: AppDefinition, flags: PipelineFlags, spec: PipelineSpec): void {
  if (!flags.fromStart || spec.sources.some(({ source }) => source.replay?.() !== undefined)) return;
  throw new RunnelError(
    ErrorCodes.USAGE,
    `--from-start: ${app.name} replays no file here (its input: ${spec.sources.map((s) => s.source.name).join(', ') || 'none'}); ` +
      'it restarts a file replay (--csv <file>, --from <file.json[l]>)',
    { value: app.name },
  );
}

/** `run` = everything in one process; `produce` / `consume` = the same app split across terminals. */
export async function runApp(
  appName: string,
  mode: Mode,
  flags: PipelineFlags & { drain?: boolean; final?: boolean },
): Promise<void> {
  checkMode(mode, flags);
  const app = await loadApp(appName);
  const known = apps.includes(app) ? apps : [...apps, app];
  const env = appEnv(app, flags as Record<string, unknown>, known, loadEnv(flags.dotenv));
  const log = logger(flags, app.name);
  const options = watched(appOptions(flags, env));
  const spec = await withFlagNames(app, flags as Record<string, unknown>, () => app.build(options.options));
  checkFlagsRead(app, options.read, flags, log);
  const misspelt = mode === 'produce' ? new Set<string>() : sayMisspeltTopics(spec, log);
  checkFromLoop(flags, env, Object.keys(spec.topics));
  checkFromStart(app, flags, spec);
  const roles = { sources: mode !== 'consume', consumers: mode !== 'produce' };
  // `consume` prints what the app says it prints (stopcovid: the notifications, as the seed's consumer).
  if (mode === 'consume' && spec.prints) spec.sinks.push(printBinding(spec.prints));
  // Every place this run writes, before the broker file is even opened: nothing is written on failure.
  checkPlaces([...brokerPlaces(flags, env), ...outputPlaces(spec, roles)]);
  const broker = await openBroker(flags, env);
  const total = flags.limit !== undefined && roles.consumers && roles.sources ? flags.limit : undefined;
  const progress = new Progress({
    ...(total === undefined ? {} : { total }),
    quiet: flags.quiet ?? false,
    ...progressLineSeconds(env),
  });
  const controller = new AbortController();
  const release = stopOnSignals(controller, log, { roles });
  log.info(
    `${mode} ${app.name} on ${broker.url}${roles.consumers ? ` → sinks in ${appOptions(flags, env).dataDir}` : ''}`,
  );
  // What runs the sinks is what the dashboard shows; a `produce` alone has only its sources to show.
  if (roles.consumers)
    log.info(dashboardHint(broker.url, appOptions(flags, env).dataDir, isAppFile(appName) ? appName : undefined));
  if (roles.consumers) {
    // Only consumers share groups: a `produce` beside this `consume` is the usual split, not a scale-out.
    const others = await otherRunningPids(broker, app.name, Date.now(), ['processor', 'sink']);
    if (others.length > 0) {
      log.info(
        `${app.name} is already running on this broker (pid ${others.join(', ')}): this ${mode} joins it as a ` +
          'scale-out (shared partitions, state and positions; its sinks read every record). To run apart: ' +
          'another --broker and --data-dir',
      );
    }
  }
  let sinkThreads: SinkThreads | undefined;
  try {
    const threads = roles.consumers ? sinkThreadsOf(flags) : 0;
    if (threads > 0 && broker.url.includes(':memory:')) {
      // Each thread would open an empty broker of its own and wait forever for records.
      throw new RunnelError(
        ErrorCodes.USAGE,
        `--sink-threads: ${broker.url} lives in this thread only; use a broker file (local:<path>) or Kafka`,
        { value: broker.url },
      );
    }
    if (threads > 0) sinkThreads = new SinkThreads({ app: appName, flags: plainFlags(flags), env }, threads);
    const pipeline = runPipeline({
      broker,
      spec,
      log,
      roles,
      ...(sinkThreads ? { sinkHost: sinkThreads.host } : {}),
      signal: controller.signal,
      ...(flags.limit === undefined ? {} : { limit: flags.limit }),
      ...(flags.fromStart ? { fromStart: true } : {}),
      // --final is a drain that ends the input: alone it would mean waiting for ever for an end.
      ...(flags.drain || flags.final ? { drain: true } : {}),
      ...(flags.final
        ? { final: true, finalGuard: () => notTheEnd(broker, spec, { signal: controller.signal, log }) }
        : {}),
      onStatus: (s) => progress.update(s),
    });
    await pipeline.done;
    progress.update(pipeline.statuses());
    progress.stop();
    summarize(pipeline.statuses(), spec, log);
    if (roles.consumers && !controller.signal.aborted)
      await sayUnfedTopics(broker, spec, pipeline.statuses(), log, misspelt);
    const end = pipeline.inputEnd();
    // A --final that did not end the input says why itself (an empty input among the reasons).
    if (mode === 'consume' && (flags.drain || flags.final) && !controller.signal.aborted && end?.ended !== false)
      await saySinceNothingCame(broker, spec, pipeline.statuses(), log, flags.final === true);
    if (end) sayInputEnd(end, spec, log);
    if (flags.limit !== undefined && controller.signal.aborted && roles.sources) {
      // A stopped `--limit` run exits 0 like any stopped run: say it did not get there.
      const produced = pipeline
        .statuses()
        .filter((x) => x.component === 'source')
        .reduce((n, x) => n + x.records, 0);
      const wanted = flags.limit * spec.sources.length;
      if (produced < wanted) {
        log.info(
          `stopped at ${produced.toLocaleString('en-US')} of ${wanted.toLocaleString('en-US')} records ` +
            `(--limit ${flags.limit}, stopped by a signal); what was produced is kept`,
        );
      }
    }
  } finally {
    progress.stop();
    release();
    await sinkThreads?.close();
    await broker.close();
  }
}

/**
 * Opt-in: on this 2-core machine threads made `run buzz` 1.19× faster into sqlite and 1.04× into all three
 * sinks, for 25% more CPU and 65% more memory (each thread loads the app and decodes the topic itself), so
 * the default stays in this thread; with more cores than sinks they have room to pay off.
 */
function sinkThreadsOf(flags: PipelineFlags & { sinkThreads?: number }): number {
  return flags.sinkThreads ?? 0;
}

/** The flags as plain data for a thread (commander adds nothing else, but be sure: no functions cross). */
function plainFlags(flags: PipelineFlags): PipelineFlags {
  return JSON.parse(JSON.stringify(flags)) as PipelineFlags;
}

/** RUNNEL_PROGRESS_SECONDS: how often the plain progress line is written (CI logs, tests). */
function progressLineSeconds(env: Env): { lineSeconds?: number } {
  const seconds = envNumber(env, 'RUNNEL_PROGRESS_SECONDS', 0, (n) => n > 0, 'a number of seconds > 0');
  return seconds > 0 ? { lineSeconds: seconds } : {};
}

/**
 * A drained `consume` that handled no record says why in one line: its input holds nothing yet (run
 * `produce` first), or everything on it was handled by an earlier run of the same group.
 */
async function saySinceNothingCame(
  broker: Broker,
  spec: PipelineSpec,
  statuses: ReturnType<ReturnType<typeof runPipeline>['statuses']>,
  log: ReturnType<typeof logger>,
  final: boolean,
): Promise<void> {
  if (statuses.some((s) => s.records > 0)) return;
  const inputs = appInputs(spec);
  if (inputs.length > 0 && (await recordsOn(broker, inputs)) === 0)
    log.info(
      `nothing to consume: ${inputs.join(', ')} holds no records yet (run \`runnel produce ${spec.app}\` first)`,
    );
  else {
    // A drain is not bounded input: the newest windows stay open (README, Time), which a trial read as lost.
    // Not said where they are known closed (an earlier bounded run, --final), nor by a --final, which says
    // what it did itself.
    const windowed = windowedSteps(spec);
    const open = statuses.some((s) => s.component === 'processor' && windowed.has(s.name) && s.inputEnded !== true);
    log.info(
      'nothing new to consume: every record on the topics was handled by an earlier run of this group' +
        (open && !final
          ? '; windows that event time has not passed yet stay open until later input moves it (--final closes them)'
          : ''),
    );
  }
}

/** The names of the app's steps that keep windows. */
function windowedSteps(spec: PipelineSpec): Set<string> {
  return new Set(
    spec.processors.filter((p) => p.stores.some((s) => s.endsWith(WINDOW_STORE_SUFFIX))).map((p) => p.name),
  );
}

/** What the app is fed: its sources' topics, or (a pipeline without sources) what its steps read and none writes. */
function appInputs(spec: PipelineSpec): string[] {
  const written = new Set(spec.processors.flatMap((p) => p.outputs));
  return [
    ...new Set(
      spec.sources.length > 0
        ? spec.sources.map((s) => s.topic)
        : spec.processors.flatMap((p) => p.inputs).filter((t) => !written.has(t)),
    ),
  ];
}

async function recordsOn(broker: Broker, topics: string[]): Promise<number> {
  let held = 0;
  for (const topic of topics)
    for (const p of (await broker.describeTopic(topic))?.partitions ?? []) held += p.endOffset - p.startOffset;
  return held;
}

/**
 * `consume --final`'s reason not to end the input, asked once the drain caught up: the input is empty (the
 * producer has not run yet: ended now, all it writes later would be late), or a producer of the app is
 * still running (what it writes next would come after the end).
 */
async function notTheEnd(
  broker: Broker,
  spec: PipelineSpec,
  retry: { signal: AbortSignal; log: ReturnType<typeof logger> },
): Promise<string | undefined> {
  const inputs = appInputs(spec);
  // Asked of the broker like the drain's own reads: a blip is waited out, not the end of the run.
  const held = await retrying('--final: records on the input', () => recordsOn(broker, inputs), retry);
  if (inputs.length > 0 && held === 0)
    return `${inputs.join(', ')} ${inputs.length === 1 ? 'holds' : 'hold'} no records yet (run \`runnel produce ${spec.app}\` first)`;
  const producers = await retrying(
    '--final: running producers',
    () => otherRunningPids(broker, spec.app, Date.now(), ['source']),
    retry,
  );
  if (producers.length > 0)
    return `a producer of ${spec.app} is running (pid ${producers.join(', ')}): what it writes next would come after the end; run this once it has finished`;
  return undefined;
}

/** What `consume --final` did: ended the input (and what that means), or why not, as an error (exit 1). */
function sayInputEnd(end: InputEnd, spec: PipelineSpec, log: ReturnType<typeof logger>): void {
  const windows = windowedSteps(spec).size > 0;
  if (!end.ended)
    throw new RunnelError(
      ErrorCodes.INPUT_NOT_ENDED,
      end.partial
        ? `--final: the input ended only in part: ${end.reason}; run \`consume --final\` again once this is the only worker, to end the rest`
        : `--final: the input was not ended${windows ? ', its windows stay open' : ''}: ${end.reason ?? 'stopped'}; ` +
            'what the drain processed is committed',
    );
  if (end.steps === 0) log.info(`--final: ${spec.app} has no stateful steps: there was no input to end`);
  else if (end.closed === 0)
    log.info('--final: the input had ended already (an earlier bounded run or --final): no window was open');
  else if (!end.timed)
    log.info(`--final: the input ended; ${spec.app} keeps no windows or timers, so nothing else changes`);
  else
    log.info(
      '--final: the input ended: every window closed and emitted its final result; what comes later to ' +
        `${appInputs(spec).join(', ')} goes to .late (to go on afresh: another --broker and --data-dir, or RUNNEL_APP_ID)`,
    );
}

/**
 * Where a step's late records went: `<input>.late`, named after the topic a record was read from before
 * any repartition (as the engine names it), so a window behind a keyBy names the app's input topic, not
 * its repartition topic.
 */
function lateTopicsOf(spec: PipelineSpec, inputs: string[]): string[] {
  const late = new Set<string>();
  const seen = new Set<string>();
  const walk = (topic: string) => {
    if (seen.has(topic)) return;
    seen.add(topic);
    const writers = isInternalTopic(topic) ? spec.processors.filter((p) => p.outputs.includes(topic)) : [];
    if (writers.length === 0) late.add(lateTopic(topic));
    for (const w of writers) for (const t of w.inputs) walk(t);
  };
  for (const t of inputs) walk(t);
  return [...late];
}

function summarize(
  statuses: ReturnType<ReturnType<typeof runPipeline>['statuses']>,
  spec: PipelineSpec,
  log: ReturnType<typeof logger>,
) {
  for (const s of statuses) {
    const unjoined = s.unjoined ? `, ${s.unjoined} not joined (no table value for their key)` : '';
    // A windowed run whose records all came after their windows closed read as "N records" and an empty
    // sink, with nothing to say where they went (the dashboard counted them).
    const late = s.late
      ? `, ${s.late} late (their window had closed: on ${lateTopicsOf(spec, s.topics).join(', ')})`
      : '';
    const extra = `${s.dlq ? `, ${s.dlq} dead-lettered` : ''}${late}${unjoined}`;
    log.info(
      `${s.component} ${s.name}: ${s.records} record${s.records === 1 ? '' : 's'}${extra}${s.target ? ` → ${s.target}` : ''}`,
    );
  }
}

export function registerPipelineCommands(program: Command): void {
  addPipelineFlags(
    program
      .command('run')
      .argument('<app>', `${apps.map((a) => a.name).join(' | ')}, or a pipeline file (./my-pipeline.ts)`)
      .description('run an app: sources, processors and sinks in one process'),
    'run',
  ).action((app: string, flags: PipelineFlags) => runApp(app, 'run', flags));
  addPipelineFlags(
    program
      .command('produce')
      .argument('<app>')
      .description("run only an app's sources (pair with `runnel consume` in another terminal)"),
    'produce',
  ).action((app: string, flags: PipelineFlags) => runApp(app, 'produce', flags));
  addPipelineFlags(
    program
      .command('consume')
      .argument('<app>')
      .description("run only an app's processors and sinks, reading what `runnel produce` wrote"),
    'consume',
  )
    .option('--drain', 'exit once everything already on the topics is processed and committed')
    .option(
      '--final',
      'drain, then end the input: every window closes and emits its final result (later input goes to .late)',
    )
    .action((app: string, flags: PipelineFlags & { drain?: boolean; final?: boolean }) =>
      runApp(app, 'consume', flags),
    );
}

/**
 * A pipeline file's own flags (`flags` in its defineApp), offered like a built-in app's: the file is only
 * known from the arguments, so it is loaded before they are parsed. `runnel produce ./shop.ts --feed orders`
 * was refused as an unknown option though the README says the CLI offers them. A file that does not load
 * is left to the command, which says why.
 */
export async function offerFileAppFlags(program: Command, argv: string[]): Promise<void> {
  const at = argv.findIndex((a) => a === 'run' || a === 'produce' || a === 'consume');
  if (at < 0) return;
  const cmd = program.commands.find((c) => c.name() === argv[at]);
  // The app operand: a file name (`.ts`, `.js`, `.mjs`) that exists; flag values (a data folder) are not.
  const file = argv.slice(at + 1).find((a) => !a.startsWith('-') && /\.(m?[jt]s)$/.test(a) && existsSync(a));
  if (!cmd || file === undefined) return;
  const app = await loadApp(file).catch(() => undefined);
  if (app?.flags?.length) addAppFlags(cmd, [...apps, app]);
}
