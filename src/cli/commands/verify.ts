import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { apps } from '../../apps/index.ts';
import type { Broker } from '../../core/broker.ts';
import { ErrorCodes, formatError, RunnelError } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { type TopicPartitionOffset, tpKey } from '../../core/record.ts';
import { processorStateKey } from '../../core/runners/processor-runner.ts';
import { StateStore } from '../../core/state-store.ts';
import { FRESH_START, foreignOutput } from '../../core/stored-output.ts';
import { appOptions, loadEnv, openBroker, type PipelineFlags, stateDir } from '../context.ts';

/** The flags that say where a pipeline runs, as typed words, so a suggested command uses the same ones. */
function pipelineFlagWords(flags: PipelineFlags): string[] {
  const out: string[] = [];
  if (flags.broker) out.push('--broker', flags.broker);
  if (flags.dataDir) out.push('--data-dir', flags.dataDir);
  if (flags.stateDir) out.push('--state-dir', flags.stateDir);
  if (flags.envFile) out.push('--env-file', flags.envFile);
  return out;
}

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
): Promise<string> {
  const info = await broker.describeTopic(topic);
  const foreign = foreignOutput(topic, info, held, broker.url);
  if (foreign) throw new RunnelError(ErrorCodes.OUTPUT_FROM_OTHER_BROKER, `${target} ${foreign}; ${FRESH_START}`);
  if (!info) return `topic ${topic} not on the broker yet`;
  const stored = new Map(held.map((p) => [tpKey(p.topic, p.partition), p.offset]));
  let behind = 0;
  let total = 0;
  for (const p of info.partitions) {
    const at = stored.get(tpKey(topic, p.partition)) ?? p.startOffset;
    behind += p.endOffset - Math.max(at, p.startOffset);
    total += p.endOffset - p.startOffset;
  }
  const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;
  return behind === 0
    ? `up to date with ${topic} (${records(total)})`
    : `${behind} of ${records(total)} of ${topic} not written yet; catch up with: ${catchUp}`;
}

/**
 * Checks what a run would need, like the seeds' verify_emitters: the broker answers and round-trips a
 * record, every configured sink's target can be opened and written, and (for sinks that keep their
 * positions with their output, and for processors' saved state) how much of their topics they hold.
 * Exits 1 if anything fails.
 */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('check the broker and every configured sink')
    .option('--sinks <list>', 'sinks to check: jsonl,sqlite,duckdb (default all)')
    .action(async (flags: PipelineFlags) => {
      const env = loadEnv(flags.envFile);
      const results: Array<{ what: string; ok: boolean; detail: string }> = [];
      const check = async (what: string, fn: () => Promise<string>) => {
        try {
          results.push({ what, ok: true, detail: await fn() });
        } catch (err) {
          results.push({ what, ok: false, detail: formatError(err) });
        }
      };
      // The command that catches a sink up, with the flags this check ran with (not the defaults).
      const catchUp = (app: string) => ['runnel consume', app, '--drain', ...pipelineFlagWords(flags)].join(' ');
      let broker: Broker | undefined;
      await check('broker', async () => {
        broker = await openBroker(flags, env);
        const [pos] = await broker.produce('_runnel.verify', [{ key: 'verify', value: { at: Date.now() } }]);
        const back = await broker.read('_runnel.verify', pos!.partition, pos!.offset, 1);
        if (back.length !== 1) throw new Error('a record produced could not be read back');
        return `${broker.url} (produce + read ok)`;
      });
      try {
        for (const app of apps) {
          let spec: Awaited<ReturnType<typeof app.build>>;
          try {
            spec = await app.build(appOptions(flags, env));
          } catch (err) {
            results.push({ what: `app ${app.name}`, ok: false, detail: formatError(err) });
            continue;
          }
          // Processors keep their input positions with their state: the same question as for sinks.
          const statePath = join(stateDir(flags), `${app.name}.state.db`);
          if (broker && spec.processors.length > 0 && existsSync(statePath)) {
            // Opened inside the first check, so a state file that will not open is that check's FAIL line.
            let store: StateStore | undefined;
            const where = `state in ${statePath}`;
            try {
              for (const p of spec.processors) {
                await check(`${app.name} ${p.name}`, async () => {
                  store ??= new StateStore(statePath);
                  const held = store.load(processorStateKey(app.name, p))?.positions ?? [];
                  const lines = [];
                  for (const topic of p.inputs)
                    lines.push(await progress(broker!, catchUp(app.name), where, topic, held));
                  return `${where}: ${lines.join('; ')}`;
                });
              }
            } finally {
              store?.close();
            }
          }
          for (const { sink, topic } of spec.sinks) {
            await check(`${app.name} ${sink.name}`, async () => {
              if (sink.verify) await sink.verify();
              else {
                await sink.open({ signal: new AbortController().signal, log: silentLogger });
                await sink.close();
              }
              // Sinks that keep their positions with their output can say how complete it is.
              if (!broker || !sink.storedPositions) return sink.target;
              await sink.open({ signal: new AbortController().signal, log: silentLogger });
              try {
                const held = await sink.storedPositions();
                return `${sink.target}: ${await progress(broker, catchUp(app.name), sink.target, topic, held)}`;
              } finally {
                await sink.close();
              }
            });
          }
        }
      } finally {
        await broker?.close();
      }
      for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.what}: ${r.detail}\n`);
      const failed = results.filter((r) => !r.ok).length;
      process.stdout.write(failed ? `${failed} check(s) failed\n` : 'all checks passed\n');
      if (failed) process.exitCode = 1;
    });
}
