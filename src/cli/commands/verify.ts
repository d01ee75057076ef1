import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { apps, loadApp } from '../../apps/index.ts';
import type { Broker } from '../../core/broker.ts';
import type { Sink } from '../../core/connector.ts';
import { ErrorCodes, formatError, isRunnelError, RunnelError } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { checkPlaces } from '../../core/places.ts';
import { type TopicPartitionOffset, tpKey } from '../../core/record.ts';
import { sinkGroup } from '../../core/runners/sink-runner.ts';
import { taskGroup } from '../../core/runners/task-runner.ts';
import { FRESH_START, foreignOutput } from '../../core/stored-output.ts';
import { appOptions, loadEnv, openBroker, type PipelineFlags } from '../context.ts';

/** The flags that say where a pipeline runs, as typed words, so a suggested command uses the same ones. */
function pipelineFlagWords(flags: PipelineFlags): string[] {
  const out: string[] = [];
  if (flags.broker) out.push('--broker', flags.broker);
  if (flags.dataDir) out.push('--data-dir', flags.dataDir);
  if (flags.dotenv) out.push('--dotenv', flags.dotenv);
  return out;
}

const FOLDER_FIX = 'give --data-dir a folder you can write';

/** The sink's own check, or an open and close. */
async function writable(sink: Sink): Promise<void> {
  if (sink.verify) return sink.verify();
  await sink.open({ signal: new AbortController().signal, log: silentLogger });
  await sink.close();
}

/** The pid of the process holding the output (RUNNEL_OUTPUT_IN_USE), or undefined once `fn` has passed. */
async function inUseBy(fn: () => Promise<void>): Promise<number | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    if (isRunnelError(err) && err.code === ErrorCodes.OUTPUT_IN_USE) return err.value as number;
    throw err;
  }
}

/** Read without writing when the sink can; else opened (verify checked it is not in use). */
async function positions(sink: Sink): Promise<TopicPartitionOffset[] | undefined> {
  if (sink.peekPositions) return sink.peekPositions();
  await sink.open({ signal: new AbortController().signal, log: silentLogger });
  try {
    return await sink.storedPositions!();
  } finally {
    await sink.close();
  }
}

/** Offsets past a sink's position looked into for records (see progress): more is lag as it stands. */
const MARKER_GAP = 64;

/**
 * How far a sink's output is against its topic, from the positions it keeps with its output: up to
 * date, behind (and how to catch up), or ahead of the log (written from another broker).
 */
async function progress(
  broker: Broker,
  catchUp: string,
  target: string,
  topic: string,
  held: TopicPartitionOffset[],
  /** What the component does with a record: a sink writes it, a processor processes it. */
  done: 'written' | 'processed' = 'written',
): Promise<Detail> {
  const info = await broker.describeTopic(topic);
  const foreign = foreignOutput(topic, info, held, broker.url);
  if (foreign) throw new RunnelError(ErrorCodes.OUTPUT_FROM_OTHER_BROKER, `${target} ${foreign}; ${FRESH_START}`);
  if (!info) return { text: `topic ${topic} not on the broker yet` };
  const stored = new Map(held.map((p) => [tpKey(p.topic, p.partition), p.offset]));
  let behind = 0;
  let total = 0;
  let removed = 0;
  for (const p of info.partitions) {
    const at = Math.max(stored.get(tpKey(topic, p.partition)) ?? p.startOffset, p.startOffset);
    total += p.endOffset - p.startOffset;
    removed += p.startOffset;
    if (at >= p.endOffset) continue;
    // On Kafka a transaction's commit marker takes an offset and holds no record (nor do an aborted
    // transaction's records): a gap of only those is no lag, and no drain could close it. Only a small
    // gap is looked into (a finished run's is a marker or two); a big one is lag whatever it holds.
    if (p.endOffset - at > MARKER_GAP) {
      behind += p.endOffset - at;
      continue;
    }
    const [next] = await broker.read(topic, p.partition, at, 1);
    if (next && next.offset < p.endOffset) behind += p.endOffset - next.offset;
  }
  // On Kafka offsets held are not records: each transaction's commit marker takes one (1,375 offsets held
  // 1,210 records in a trial). Said as what it is.
  const records = !broker.offsetsAreRecords
    ? (n: number) => `${n} offset${n === 1 ? '' : 's'}, transaction markers included`
    : (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  // A repartition topic is emptied as it is read: "(0 records)" after 2000 read looked like nothing was.
  const counted = removed > 0 ? `${records(total)} now; ${removed} earlier ones removed` : records(total);
  return behind === 0
    ? { text: `up to date with ${topic} (${counted})` }
    : {
        text: `${behind} of ${records(total)} of ${topic} not ${done} yet; catch up with: ${catchUp}`,
        behind: true,
        waiting: records(behind),
      };
}

/** One check's answer: `behind` when it works but has not written everything yet (shown as `lag`). */
interface Detail {
  text: string;
  behind?: boolean;
  /** Behind: what is still to write, counted (`20 records`; on Kafka, offsets). */
  waiting?: string;
}

/**
 * Checks what a run would need, like the seeds' verify_emitters: the broker answers and round-trips a
 * record, every configured sink's target can be opened and written, and (for sinks that keep their
 * positions with their output, and for processors' consumer groups) how much of their topics they hold.
 * Exits 1 if anything fails.
 */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .argument('[app]', 'one app, or a pipeline file (./my-pipeline.ts); default: every built-in app')
    .description('check the broker and every configured sink')
    .option(
      '--sinks <list>',
      'sinks to check: jsonl,sqlite,duckdb,postgres,cassandra,kafka (default jsonl,sqlite,duckdb)',
    )
    .action(async (only: string | undefined, flags: PipelineFlags) => {
      const env = loadEnv(flags.dotenv);
      // Loaded first: a name that is no app (or a file that is not there) is one line, before any check.
      const checked = only === undefined ? apps : [await loadApp(only)];
      const results: Array<{ what: string; ok: boolean; behind?: boolean; detail: string }> = [];
      const check = async (what: string, fn: () => Promise<string | Detail>) => {
        try {
          const d = await fn();
          results.push(
            typeof d === 'string' ? { what, ok: true, detail: d } : { what, ok: true, ...d, detail: d.text },
          );
        } catch (err) {
          results.push({ what, ok: false, detail: formatError(err) });
        }
      };
      // The command that catches a sink up, with the flags this check ran with (not the defaults).
      const catchUp = (app: string) => ['runnel consume', app, '--drain', ...pipelineFlagWords(flags)].join(' ');
      let broker: Broker | undefined;
      await check('broker', async () => {
        broker = await openBroker(flags, env);
        // A topic of its own, deleted again: a check leaves nothing behind (it showed on the dashboard),
        // and two checks at once do not delete each other's record.
        const topic = `_runnel.verify.${randomUUID().slice(0, 8)}`;
        try {
          const [pos] = await broker.produce(topic, [{ key: 'verify', value: { at: Date.now() } }]);
          const back = await broker.read(topic, pos!.partition, pos!.offset, 1);
          if (back.length !== 1) throw new Error('a record produced could not be read back');
        } finally {
          await broker.deleteTopic(topic);
        }
        return `${broker.url} (produce + read ok)`;
      });
      // Whether any checked app has a topic on the broker: checks that all pass where nothing ever ran
      // ("not on the broker yet" throughout) said "all checks passed" and nothing more.
      let anyRan = false;
      const opened = broker as Broker | undefined;
      const onBroker = new Set(opened ? (await opened.listTopics().catch(() => [])).map((t) => t.name) : []);
      try {
        for (const app of checked) {
          // What the catch-up command names: the file as given, for a pipeline of one's own.
          const runAs = only ?? app.name;
          let spec: Awaited<ReturnType<typeof app.build>>;
          try {
            // Without its sources: verify writes nothing (making smoker's or oura's wrote their samples).
            spec = await app.build(appOptions(flags, env), { sources: false });
          } catch (err) {
            results.push({ what: `app ${app.name}`, ok: false, detail: formatError(err) });
            continue;
          }
          if (Object.keys(spec.topics).some((t) => onBroker.has(t))) anyRan = true;
          // Processors commit their input positions with their state, in their consumer group on the broker:
          // the same question as for sinks, asked of the group.
          for (const p of spec.processors) {
            if (!broker) break;
            await check(`${app.name} ${p.name}`, async () => {
              const group = taskGroup(spec.id ?? app.name, p.name);
              const held = (await broker!.listGroups(group))
                .filter((g) => g.group === group)
                .map((g) => ({ topic: g.topic, partition: g.partition, offset: g.committed }));
              const where = `group ${group}`;
              const lines: Detail[] = [];
              if (held.length === 0) {
                // Its input may be waiting for it all the same (records produced, no consume run yet).
                for (const topic of p.inputs)
                  lines.push(await progress(broker!, catchUp(runAs), where, topic, [], 'processed'));
                const text = `${where}: not started on ${broker!.url} (no committed positions); ${lines.map((l) => l.text).join('; ')}`;
                return { text, behind: lines.some((l) => l.behind) };
              }
              for (const topic of p.inputs)
                lines.push(await progress(broker!, catchUp(runAs), where, topic, held, 'processed'));
              return { text: `${where}: ${lines.map((l) => l.text).join('; ')}`, behind: lines.some((l) => l.behind) };
            });
          }
          for (const { sink, topic } of spec.sinks) {
            await check(`${app.name} ${sink.name}`, async () => {
              // A running pipeline holding the file (DuckDB locks it) is not a fault: nothing to fix.
              const inUse = (pid: number) =>
                `${sink.target}: in use by pid ${pid} (a running pipeline); write check skipped, positions unknown`;
              // Opening a file sink creates its file: a verify before any run must leave the folder as it was.
              if (sink.file !== undefined && !existsSync(sink.file)) {
                checkPlaces([{ path: sink.file, kind: 'file', what: `${sink.name} output`, fix: FOLDER_FIX }]);
                // It holds nothing yet: what its topic holds is all still to write.
                if (!broker || !sink.storedPositions) return `${sink.target}: not written yet`;
                // Left out, not behind: the app's consume side has run (another of its groups committed), this
                // sink's never (--sinks, or an app's flag: the demo turns stopcovid's 5-million-line people file
                // off). Telling to catch it up had a trial write 483 MB in 20 s; what it would write is said instead.
                const group = sinkGroup(spec.app, sink.name, sink.target);
                const groups = new Set((await broker.listGroups()).map((g) => g.group));
                const leftOut = !groups.has(group) && [...groups].some((g) => g.startsWith(`runnel.${spec.app}.`));
                const d = await progress(broker, catchUp(runAs), sink.target, topic, []);
                if (!leftOut || !d.behind) return { ...d, text: `${sink.target}: ${d.text}` };
                return (
                  `${sink.target}: never written: no run so far included this sink (--sinks, or a flag of the app, ` +
                  `left it out); a \`runnel consume ${runAs}\` that includes it would write ${d.waiting} of ${topic}`
                );
              }
              const pid = await inUseBy(() => writable(sink));
              if (pid !== undefined) return inUse(pid);
              // Sinks that keep their positions with their output can say how complete it is.
              if (!broker || !sink.storedPositions) return sink.target;
              let held: TopicPartitionOffset[] | undefined;
              const since = await inUseBy(async () => {
                held = await positions(sink);
              });
              if (since !== undefined) return inUse(since);
              if (!held) return `${sink.target}: positions unknown`;
              const d = await progress(broker, catchUp(runAs), sink.target, topic, held);
              return { ...d, text: `${sink.target}: ${d.text}` };
            });
          }
        }
      } finally {
        await broker?.close();
      }
      // `lag`: works, and has not written everything on the broker yet (a run still going, or one to catch up).
      for (const r of results)
        process.stdout.write(`${r.ok ? (r.behind ? 'lag ' : 'ok  ') : 'FAIL'}  ${r.what}: ${r.detail}\n`);
      const failed = results.filter((r) => !r.ok).length;
      const lagging = results.filter((r) => r.ok && r.behind).length;
      process.stdout.write(
        failed
          ? `${failed} check(s) failed\n`
          : lagging
            ? `all checks passed; ${lagging} output(s) not caught up yet\n`
            : anyRan || !opened
              ? 'all checks passed\n'
              : `all checks passed; nothing has run on ${opened.url} yet (none of ${only ? 'the app' : 'the apps'}' topics is there): run ${only ?? 'an app'} first, or give the --broker it ran on\n`,
      );
      if (failed) process.exitCode = 1;
    });
}
