import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import type { AppDefinition } from '../core/app.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { addAppFlags, appEnv, withFlagNames } from './app-flags.ts';

const app = (name: string, flags: AppDefinition['flags']): AppDefinition =>
  ({ name, title: name, description: '', flags, panels: [], build: () => ({}) as never }) as AppDefinition;
const a = app('a', [
  { name: 'people', env: 'A_PEOPLE', description: 'n' },
  { name: 'tick-rate', env: 'A_RATE', description: 'r' },
]);
const b = app('b', [{ name: 'people', env: 'B_PEOPLE', description: 'n' }]);

function parse(args: string[]): Record<string, unknown> {
  const cmd = new Command('run').argument('<app>').option('--seed <n>').exitOverride();
  addAppFlags(cmd, [a, b]);
  cmd.action(() => {});
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

test('app flags: each declared once, set their environment key over the environment, for their app only', () => {
  const flags = parse(['a', '--people', '5', '--tick-rate', '0']);
  assert.deepEqual(appEnv(a, flags, [a, b], { A_PEOPLE: '9', OTHER: 'x' }), { A_PEOPLE: '5', A_RATE: '0', OTHER: 'x' });
  // A flag two apps share sets each app's own key.
  assert.deepEqual(appEnv(b, parse(['b', '--people', '7']), [a, b], {}), { B_PEOPLE: '7' });
  // Not given: the environment stays as it is.
  assert.deepEqual(appEnv(a, parse(['a']), [a, b], { A_PEOPLE: '9' }), { A_PEOPLE: '9' });
  assert.throws(
    () => appEnv(b, parse(['b', '--tick-rate', '1']), [a, b], {}),
    (e: RunnelError) => e.code === ErrorCodes.USAGE && /--tick-rate: not a flag of b/.test(e.message),
  );
});

test('app flags: a refusal naming the environment key a flag set names the flag', async () => {
  const flags = parse(['a', '--people', 'x']);
  const bad = () => {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'A_PEOPLE must be a number (got "x")');
  };
  await assert.rejects(withFlagNames(a, flags, bad), { message: '--people (A_PEOPLE) must be a number (got "x")' });
  // Set in the environment, not by the flag: the message stays as it was.
  await assert.rejects(withFlagNames(a, parse(['a']), bad), { message: 'A_PEOPLE must be a number (got "x")' });
});

test("app flags: a mistyped flag is matched against the named app's flags and the command's, never another app's", () => {
  const suggestion = (args: string[]): string | undefined => {
    let said = '';
    const cmd = new Command('run')
      .argument('<app>')
      .option('--seed <n>')
      .exitOverride()
      .configureOutput({ writeErr: (t) => (said += t) });
    addAppFlags(cmd, [a, b]);
    cmd.action(() => {});
    assert.throws(() => cmd.parse(args, { from: 'user' }), { code: 'commander.unknownOption' });
    assert.match(said, new RegExp(`unknown option '${args[1]}'`));
    return /Did you mean (--[a-z-]+)\?/.exec(said)?.[1];
  };
  assert.equal(suggestion(['a', '--tick-rat', '1']), '--tick-rate');
  // b has no --tick-rate: nothing close of its own, so no suggestion that b would then refuse.
  assert.equal(suggestion(['b', '--tick-rat', '1']), undefined);
  assert.equal(suggestion(['b', '--peple', '1']), '--people');
  assert.equal(suggestion(['b', '--sed', '1']), '--seed');
  assert.equal(suggestion(['a', '--zzzzzz', '1']), undefined);
});
