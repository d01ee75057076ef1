import { Command, CommanderError, Option } from 'commander';
import { apps } from '../apps/index.ts';
import { ErrorCodes, formatError } from '../core/errors.ts';
import { registerCassandraCommand } from './commands/cassandra.ts';
import { registerDashboardCommand } from './commands/dashboard.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerKafkaCommand } from './commands/kafka.ts';
import { offerFileAppFlags, registerPipelineCommands } from './commands/pipeline.ts';
import { registerSqlCommand } from './commands/sql.ts';
import { registerVerifyCommand } from './commands/verify.ts';
import { type CommonFlags, openBroker } from './context.ts';

import './stdout.ts'; // a closed stdout (`runnel topics | head -3`) ends the process with 0

const program = new Command('runnel')
  .description('real-time streaming data: sources → topics → processors → sinks → live dashboard')
  .version('0.1.0')
  .option('--broker <url>', 'local:<file> (default local:.runnel/broker.db) or kafka://host:port; env RUNNEL_BROKER')
  .option('--data-dir <dir>', 'where sinks write (default ./data; env BASE_DATA_DIR)')
  // Processors keep their state in the broker now (it goes wherever the broker goes). The flag is still
  // accepted, and ignored, so the command lines and scripts written for the old state files keep running.
  .option('--state-dir <dir>', 'unused: processor state lives in the broker (accepted for old scripts)')
  .option('--dotenv <file>', 'settings file (default ./.env if present)')
  // The old spelling, hidden: Node itself scans every argument for --env-file and, when the file is
  // missing, exits 9 with its own "not found" before runnel runs (nodejs/node#54232). A file that exists
  // gets through, so scripts that used it keep working.
  .addOption(new Option('--env-file <file>').hideHelp())
  .option('-v, --verbose', 'print stack traces and debug lines')
  .option('-q, --quiet', 'no progress output')
  // Every command's --help lists these too: a trial looked for --broker in `run --help` and did not find it.
  .configureHelp({ showGlobalOptions: true })
  .exitOverride();

// Global flags are merged into every command's own so handlers see one object.
program.hook('preAction', (_root, action) => {
  const global = program.opts();
  const dotenv = global.dotenv ?? global.envFile;
  Object.assign(action.opts(), { ...global, ...action.opts(), ...(dotenv === undefined ? {} : { dotenv }) });
});

registerPipelineCommands(program);
registerInspectCommands(program);
registerVerifyCommand(program);
registerSqlCommand(program);
registerDemoCommand(program);
registerDashboardCommand(program, { resolveBroker: (flags) => openBroker(flags as CommonFlags), apps: () => apps });
registerKafkaCommand(program);
registerCassandraCommand(program);
oneLineUsageErrors(program);

/**
 * Commander's own errors (unknown command or option, missing argument) in runnel's one-line form, with its
 * suggestion kept and a pointer to the help of the command at fault, instead of the whole help text.
 */
function oneLineUsageErrors(cmd: Command, path = 'runnel'): void {
  cmd.configureOutput({
    outputError: (text, write) => {
      let line = text
        .trim()
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean/, ' (did you mean')
        .replace(/\s*\n\s*/g, ' ')
        .replace(/\.$/, '');
      // `topics --speed 2`: a flag of other commands, given to one that has none such, says where it goes.
      const flag = /^unknown option '(--[^'=]+)/.exec(line)?.[1];
      const owners = flag && !line.includes('did you mean') ? commandsWith(program, flag) : [];
      if (owners.length > 0) line += ` (${flag} is a flag of ${owners.map((o) => `\`runnel ${o}\``).join(', ')})`;
      write(`runnel: ${ErrorCodes.USAGE}: ${line}; see: ${path} --help\n`);
    },
  });
  for (const sub of cmd.commands) oneLineUsageErrors(sub, `${path} ${sub.name()}`);
}

/** The commands whose --help lists `flag` (its long name). */
function commandsWith(root: Command, flag: string): string[] {
  return root.commands.filter((c) => c.options.some((o) => o.long === flag && !o.hidden)).map((c) => c.name());
}

try {
  await offerFileAppFlags(program, process.argv);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`runnel: ${formatError(err)}\n`);
  if (program.opts().verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

// The command is done. A handle some library leaked (a heartbeat timer of a late group join, a socket)
// must not keep the process alive after its work and its stop are over: a stopped worker that stayed up
// for ten minutes held a whole test run. Unref'd, so a process that ends by itself ends as it would.
setTimeout(() => process.exit(), 3000).unref();
