import { resolve } from 'node:path';
import { parseLocalUrl } from '../brokers/local/index.ts';

/** A word as a POSIX shell reads it back: as is when plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The one line `run` and `consume` print at start so a user can watch the run (trials never found the
 * dashboard): the `runnel dashboard` command for this run's broker, its data folder (the SQL page reads it)
 * unless it is the default there, and the pipeline file of an app that is one (its pages and panels).
 * It starts with a `cd` to where this runs: `npx runnel` anywhere else is not this install (npx then looked
 * up an unrelated `runnel` on the npm registry). A local broker's file is named absolute; `:memory:` cannot be
 * watched from another process, and the line says so instead of a command that would show an empty broker.
 */
export function dashboardHint(brokerUrl: string, dataDir: string, appFile?: string, cwd = process.cwd()): string {
  let broker = brokerUrl;
  if (brokerUrl.startsWith('local:')) {
    const { path } = parseLocalUrl(brokerUrl);
    if (path === ':memory:')
      return `no live view: ${brokerUrl} lives in this process only (give --broker local:<file> to watch a run with \`npx runnel dashboard\`)`;
    broker = `local:${resolve(cwd, path)}`;
  }
  const words = ['npx', 'runnel', 'dashboard', '--broker', broker];
  if (resolve(cwd, dataDir) !== resolve(cwd, 'data')) words.push('--data-dir', resolve(cwd, dataDir));
  if (appFile !== undefined) words.push('--app', resolve(cwd, appFile));
  return `see it live (in another terminal): cd ${shellWord(cwd)} && ${words.map(shellWord).join(' ')}`;
}
