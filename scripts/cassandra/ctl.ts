/**
 * `node scripts/cassandra/ctl.ts start|stop|status [--port N] [--data-dir D]`: the same as `runnel cassandra …`,
 * callable from CI before (or without) the CLI build.
 */
import { Command, CommanderError } from 'commander';
import { registerCassandraCommand } from '../../src/cli/commands/cassandra.ts';
import { formatError } from '../../src/core/errors.ts';

const program = new Command('cassandra-ctl').exitOverride();
registerCassandraCommand(program);
try {
  await program.parseAsync(['node', 'ctl', 'cassandra', ...process.argv.slice(2)]);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`runnel cassandra: ${formatError(err)}\n`);
  process.exit(1);
}
