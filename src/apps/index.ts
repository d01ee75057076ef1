import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppDefinition } from '../core/app.ts';
import { slipOf } from '../core/closest-names.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import { checkedLocation, type UserLocation, userLocation } from '../core/user-code.ts';
import { buzzApp } from './buzz/index.ts';
import { ouraApp } from './oura/index.ts';
import { smokerApp } from './smoker/index.ts';
import { stopcovidApp } from './stopcovid/index.ts';
import { usersApp } from './users/index.ts';

/** Every app, found by its name. A new app is one folder plus one line here. */
export const apps: AppDefinition[] = [buzzApp, smokerApp, ouraApp, stopcovidApp, usersApp];

export function findApp(name: string): AppDefinition {
  const app = apps.find((a) => a.name === name);
  if (!app) {
    const names = apps.map((a) => a.name);
    // A slip is named first: `stopcovd` is stopcovid.
    const best = slipOf(name, names);
    const slip = best !== undefined ? `did you mean "${best}"? ` : '';
    throw new RunnelError(ErrorCodes.UNKNOWN_APP, `unknown app "${name}" (${slip}known: ${names.join(', ')})`, {
      value: name,
    });
  }
  return app;
}

/** A user's pipeline file: a path, or a name ending in .ts/.js/.mjs. */
export const isAppFile = (name: string): boolean => /[\\/]/.test(name) || /\.(m?[jt]s)$/.test(name);

/**
 * The load error's line: `file:line:col: cannot load it: …` where it arose in the pipeline file itself (the
 * form editors and terminals make clickable), `file: cannot load it: place: …` when it arose in a file it
 * imports, and the faulty source line quoted after a syntax error.
 */
function loadFailure(name: string, path: string, err: unknown): string {
  const message = (err as Error).message;
  const at = userLocation(err) ?? (err instanceof SyntaxError ? syntaxCheck(path) : undefined);
  const quoted = at?.excerpt ? ` in \`${at.excerpt}\`` : '';
  const what = `${message}${quoted}${loadHint(message)}`;
  if (at === undefined) return `${name}: cannot load it: ${what}`;
  if (at.file === path) return `${name}:${at.line}:${at.col}: cannot load it: ${what}`;
  return `${name}: cannot load it: ${at.where}: ${what}`;
}

/** Where `node --check` puts a syntax error of `path` (see checkedLocation): only on this failure's path. */
function syntaxCheck(path: string): UserLocation | undefined {
  const r = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? undefined : checkedLocation(r.stderr ?? '');
}

/** The way out of the two failures a pipeline file outside this package meets first. */
function loadHint(message: string): string {
  if (/Cannot use import statement outside a module/.test(message))
    return ' (a pipeline file is an ES module: set "type": "module" in the package.json beside it, or name it .mts)';
  if (/Cannot find package 'runnel'/.test(message))
    return ' (install runnel where the file is: npm install runnel, or npm install <path to a runnel clone>)';
  return '';
}

/**
 * An app by name, or a user's pipeline file (`runnel run ./my-pipeline.ts`) whose default export (or
 * export `app`) is a `defineApp(...)`. Node 24 runs TypeScript files as they are.
 */
export async function loadApp(name: string): Promise<AppDefinition> {
  if (!isAppFile(name)) return findApp(name);
  const path = resolve(name);
  if (!existsSync(path)) {
    throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `pipeline file not found: ${path}`, { value: name });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, loadFailure(name, path, err), { cause: err });
  }
  const app = (mod.default ?? mod.app) as Partial<AppDefinition> | undefined;
  if (!app || typeof app.build !== 'function' || typeof app.name !== 'string') {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `${name}: its default export is not an app (export default defineApp({ name, pipeline(t) { ... } }))`,
    );
  }
  return app as AppDefinition;
}
