/**
 * Where in a user's own code an error arose, for the one line the CLI prints: a pipeline file that does not
 * parse, or that throws while it loads or builds, named the error and nothing else, so a newcomer hunted
 * for the line blind (even `--verbose` showed only runnel's frames for a syntax error).
 */

import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ErrorCode, ErrorCodes, isRunnelError, RunnelError } from './errors.ts';

/** runnel's own folders: a frame in one of them is runnel's (or a dependency's), not the user's. */
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const OWN = ['src', 'dist', 'node_modules'].map((d) => `${ROOT}${sep}${d}${sep}`);

export interface UserLocation {
  /** `path:line:col`, the path relative to the working folder when it is inside it. */
  where: string;
  /** The file, absolute. */
  file: string;
  line: number;
  col: number;
  /** The source line, trimmed, when the error carries it (a syntax error does). */
  excerpt?: string;
}

/**
 * The user's place in `err`: for a syntax error in a TypeScript or JavaScript file, the line Node quotes
 * (with the caret's column); otherwise the first stack frame outside runnel and Node. Undefined when the
 * error has no such frame.
 */
export function userLocation(err: unknown, cwd = process.cwd()): UserLocation | undefined {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : undefined;
  if (stack === undefined) return undefined;
  return syntaxLocation(stack, cwd) ?? frameLocation(stack, cwd);
}

/**
 * The place a parse error names in what `node --check <file>` printed: V8's own syntax errors (a .js
 * pipeline) keep their place out of the error's stack, in a field no code can read, so it is asked for again.
 */
export function checkedLocation(stderr: string, cwd = process.cwd()): UserLocation | undefined {
  return syntaxLocation(stderr, cwd);
}

/**
 * Node starts a parse error's stack with `file:line`, then the source around it, the caret under the
 * column on the line after the faulty one (TypeScript's stripper quotes a line before it too).
 */
function syntaxLocation(stack: string, cwd: string): UserLocation | undefined {
  const lines = stack.split('\n');
  const m = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  const at = lines.findIndex((l, i) => i >= 2 && i <= 4 && /^\s*\^+\s*$/.test(l));
  if (!m || at < 0) return undefined;
  const line = lines[at - 1]!;
  const caret = lines[at]!;
  const file = toPath(m[1]!);
  if (file === undefined || own(file)) return undefined;
  const col = caret.indexOf('^') + 1;
  return { where: `${shown(file, cwd)}:${m[2]}:${col}`, file, line: Number(m[2]), col, excerpt: line.trim() };
}

function frameLocation(stack: string, cwd: string): UserLocation | undefined {
  for (const frame of stack.split('\n').slice(1)) {
    // `at fn (file:///a/b.ts:2:7)` or `at file:///a/b.ts:3:1`
    const m = /\bat (?:.*? \()?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/.exec(frame);
    if (!m) continue;
    const file = toPath(m[1]!);
    if (file === undefined || own(file)) continue;
    return { where: `${shown(file, cwd)}:${m[2]}:${m[3]}`, file, line: Number(m[2]), col: Number(m[3]) };
  }
  return undefined;
}

function toPath(s: string): string | undefined {
  try {
    return s.startsWith('file://') ? fileURLToPath(s) : s.startsWith('/') ? s : undefined;
  } catch {
    return undefined;
  }
}

/** runnel's frames, and any package's: the place to show is in the user's own files. */
const own = (file: string): boolean => OWN.some((d) => file.startsWith(d)) || file.includes(`${sep}node_modules${sep}`);

function shown(file: string, cwd: string): string {
  const r = relative(cwd, file);
  return r.startsWith('..') || r === '' ? file : r;
}

/**
 * `fn`, a part of a user's app definition (its pipeline, its sources): what it throws, unless runnel's own
 * error, says it came from there and where (`buzz: pipeline(t, options) threw: … (at my-app.ts:12:5)`). As
 * RUNNEL_INTERNAL with no place, a slip in the user's code read as a bug of runnel's.
 */
export function inUserCode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isRunnelError(err)) throw err;
    const at = userLocation(err);
    const message = err instanceof Error ? err.message : String(err);
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${what} threw: ${message}${at ? ` (at ${at.where})` : ''}`, {
      cause: err,
    });
  }
}

/**
 * What a user's function (a map, a filter, a process step) threw while it handled a record, for its dead
 * letter: runnel's own errors as they are; anything else as `code`, its message followed by the user's place
 * (`… (at my-pipeline.ts:12:5)`), or a newcomer had a message and no line.
 */
export function userError(err: unknown, code: ErrorCode): RunnelError {
  if (isRunnelError(err)) return err;
  const at = userLocation(err);
  const message = err instanceof Error ? err.message : String(err);
  return new RunnelError(code, `${message}${at ? ` (at ${at.where})` : ''}`, { cause: err });
}
