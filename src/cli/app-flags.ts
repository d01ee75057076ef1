import { type Command, Option } from 'commander';
import type { AppDefinition, AppFlag } from '../core/app.ts';
import { slipOf } from '../core/closest-names.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';

type Env = Record<string, string | undefined>;

/** The attribute commander stores `--tick-rate` under. */
const attribute = (f: AppFlag) => f.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Offers every registered app's own flags on a pipeline command, once per name (apps may share one).
 * The app is only known once the arguments are parsed, so which app takes a flag is checked later
 * (appEnv); a flag a command already has (--seed) stays the command's.
 */
export function addAppFlags(cmd: Command, apps: AppDefinition[]): void {
  const taken = new Set(cmd.options.map((o) => o.long));
  const byName = new Map<string, { flag: AppFlag; apps: string[] }>();
  for (const app of apps)
    for (const flag of app.flags ?? []) {
      const entry = byName.get(flag.name) ?? { flag, apps: [] };
      entry.apps.push(app.name);
      byName.set(flag.name, entry);
    }
  for (const { flag, apps: owners } of byName.values()) {
    if (taken.has(`--${flag.name}`)) continue;
    cmd.addOption(
      new Option(
        `--${flag.name} <${flag.value ?? 'value'}>`,
        `${owners.join(', ')}: ${flag.description} (${flag.env})`,
      ),
    );
  }
  suggestOwnFlags(cmd, byName);
}

/**
 * Commander suggests the closest of every flag the command holds, other apps' too: `run smoker --file`
 * got "did you mean --tile?", a stopcovid flag smoker then refuses. The suggestion comes from the command's
 * own flags and the named app's (the first operand), or none when nothing is close.
 */
function suggestOwnFlags(cmd: Command, byName: Map<string, { flag: AppFlag; apps: string[] }>): void {
  // unknownOption is Commander's hook for this error, not in its typings.
  const hooked = cmd as unknown as { unknownOption(flag: string): void };
  hooked.unknownOption = (flag: string) => {
    const app = cmd.args.find((a) => !a.startsWith('-'));
    const others = new Set(
      [...byName.values()].filter((e) => app === undefined || !e.apps.includes(app)).map((e) => `--${e.flag.name}`),
    );
    const candidates = [...cmd.options, ...(cmd.parent?.options ?? [])]
      .map((o) => o.long)
      .filter((l): l is string => l !== undefined && !others.has(l));
    const best = flag.startsWith('--') ? closestFlag(flag, candidates) : undefined;
    cmd.error(`error: unknown option '${flag}'${best ? `\n(Did you mean ${best}?)` : ''}`, {
      code: 'commander.unknownOption',
    });
  };
}

/** The flag `flag` is a slip of (see slipOf), judged by the names after `--`: a slip, not another flag. */
function closestFlag(flag: string, candidates: string[]): string | undefined {
  const best = slipOf(
    flag.replace(/^-+/, ''),
    candidates.map((c) => c.replace(/^-+/, '')),
  );
  return best === undefined ? undefined : candidates.find((c) => c.replace(/^-+/, '') === best);
}

/** The app flags given on the command line, by their AppFlag, from every app's declarations. */
function given(flags: Record<string, unknown>, apps: AppDefinition[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const app of apps)
    for (const f of app.flags ?? []) {
      const v = flags[attribute(f)];
      if (typeof v === 'string') out.set(f.name, v);
    }
  return out;
}

/**
 * The environment the app is built with: its flags set their keys over `.env` and the environment. A
 * flag of another app is refused, rather than silently ignored.
 */
export function appEnv(app: AppDefinition, flags: Record<string, unknown>, apps: AppDefinition[], env: Env): Env {
  const values = given(flags, apps);
  const own = new Map((app.flags ?? []).map((f) => [f.name, f]));
  const foreign = [...values.keys()].filter((n) => !own.has(n)).map((n) => `--${n}`);
  if (foreign.length > 0) {
    const mine = [...own.keys()].map((n) => `--${n}`).join(', ') || 'none';
    throw new RunnelError(ErrorCodes.USAGE, `${foreign.join(', ')}: not a flag of ${app.name} (its own: ${mine})`, {
      value: foreign,
    });
  }
  const out = { ...env };
  for (const [name, v] of values) out[own.get(name)!.env] = v;
  return out;
}

/**
 * Builds with the flags' values in the environment: a refusal that names an environment key a flag set
 * names the flag too, as the user typed it.
 */
export async function withFlagNames<T>(app: AppDefinition, flags: Record<string, unknown>, build: () => T): Promise<T> {
  try {
    return await build();
  } catch (err) {
    if (!(err instanceof RunnelError)) throw err;
    for (const f of app.flags ?? []) {
      if (typeof flags[attribute(f)] === 'string' && err.message.startsWith(`${f.env} `)) {
        throw new RunnelError(err.code, `--${f.name} (${err.message}`.replace(` must `, `) must `), {
          value: err.value,
          cause: err,
        });
      }
    }
    throw err;
  }
}
