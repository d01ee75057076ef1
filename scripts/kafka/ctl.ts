/**
 * `node scripts/kafka/ctl.ts start|stop|status [--port N] [--data-dir D]`: the same as `runnel kafka …`,
 * callable from CI before (or without) the CLI build.
 */
import { Command, CommanderError } from 'commander';
import { registerKafkaCommand } from '../../src/cli/commands/kafka.ts';
import { formatError } from '../../src/core/errors.ts';

const program = new Command('kafka-ctl').exitOverride();
registerKafkaCommand(program);
try {
  await program.parseAsync(['node', 'ctl', 'kafka', ...process.argv.slice(2)]);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`runnel kafka: ${formatError(err)}\n`);
  process.exit(1);
}
