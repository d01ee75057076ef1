import { Command, CommanderError } from 'commander';
import { apps } from '../apps/index.ts';
import { ErrorCodes, formatError } from '../core/errors.ts';
import { registerDashboardCommand } from './commands/dashboard.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerInspectCommands } from './commands/inspect.ts';
import { registerKafkaCommand } from './commands/kafka.ts';
import { registerPipelineCommands } from './commands/pipeline.ts';
import { registerVerifyCommand } from './commands/verify.ts';
import { type CommonFlags, openBroker } from './context.ts';

// `runnel topics | head -3`: a reader that closed the pipe has all it wanted; that is not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('runnel')
  .description('real-time streaming data: sources → topics → processors → sinks → live dashboard')
  .version('0.1.0')
  .option('--broker <url>', 'local:<file> (default local:.runnel/broker.db) or kafka://host:port; env RUNNEL_BROKER')
  .option('--data-dir <dir>', 'where sinks write (default ./data; env BASE_DATA_DIR)')
  .option('--state-dir <dir>', 'where processors keep state (default ./.runnel/state)')
  .option('--env-file <file>', 'settings file (default ./.env if present)')
  .option('-v, --verbose', 'print stack traces and debug lines')
  .option('-q, --quiet', 'no progress output')
  .exitOverride();

// Global flags are merged into every command's own so handlers see one object.
program.hook('preAction', (_root, action) => {
  Object.assign(action.opts(), { ...program.opts(), ...action.opts() });
});

registerPipelineCommands(program);
registerInspectCommands(program);
registerVerifyCommand(program);
registerDemoCommand(program);
registerDashboardCommand(program, { resolveBroker: (flags) => openBroker(flags as CommonFlags), apps: () => apps });
registerKafkaCommand(program);
oneLineUsageErrors(program);

/**
 * Commander's own errors (unknown command or option, missing argument) in runnel's one-line form, with its
 * suggestion kept and a pointer to the help of the command at fault, instead of the whole help text.
 */
function oneLineUsageErrors(cmd: Command, path = 'runnel'): void {
  cmd.configureOutput({
    outputError: (text, write) => {
      const line = text
        .trim()
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean/, ' (did you mean')
        .replace(/\s*\n\s*/g, ' ')
        .replace(/\.$/, '');
      write(`runnel: ${ErrorCodes.USAGE}: ${line}; see: ${path} --help\n`);
    },
  });
  for (const sub of cmd.commands) oneLineUsageErrors(sub, `${path} ${sub.name()}`);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`runnel: ${formatError(err)}\n`);
  if (program.opts().verbose && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
