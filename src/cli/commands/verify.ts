import type { Command } from 'commander';
import { apps } from '../../apps/index.ts';
import { formatError } from '../../core/errors.ts';
import { appOptions, loadEnv, openBroker, type PipelineFlags } from '../context.ts';

/**
 * Checks what a run would need, like the seeds' verify_emitters: the broker answers and round-trips a
 * record, and every configured sink's target can be opened and written. Exits 1 if anything fails.
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
      await check('broker', async () => {
        const broker = await openBroker(flags, env);
        try {
          const [pos] = await broker.produce('_runnel.verify', [{ key: 'verify', value: { at: Date.now() } }]);
          const back = await broker.read('_runnel.verify', pos!.partition, pos!.offset, 1);
          if (back.length !== 1) throw new Error('a record produced could not be read back');
          return `${broker.url} (produce + read ok)`;
        } finally {
          await broker.close();
        }
      });
      for (const app of apps) {
        let spec: Awaited<ReturnType<typeof app.build>>;
        try {
          spec = await app.build(appOptions(flags, env));
        } catch (err) {
          results.push({ what: `app ${app.name}`, ok: false, detail: formatError(err) });
          continue;
        }
        for (const { sink } of spec.sinks) {
          await check(`${app.name} ${sink.name}`, async () => {
            if (sink.verify) await sink.verify();
            else {
              await sink.open({
                signal: new AbortController().signal,
                log: { info() {}, warn() {}, error() {}, debug() {} },
              });
              await sink.close();
            }
            return sink.target;
          });
        }
      }
      for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.what}: ${r.detail}\n`);
      const failed = results.filter((r) => !r.ok).length;
      process.stdout.write(failed ? `${failed} check(s) failed\n` : 'all checks passed\n');
      if (failed) process.exitCode = 1;
    });
}
