import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { type ErrorCode, ErrorCodes, isPermanent, isRunnelError, RunnelError } from './errors.ts';

/** A place a command will write, checked at start-up so one that can never work fails before a source writes. */
export interface OutputPlace {
  path: string;
  /** `file`: the file itself (it need not exist yet); `folder`: a folder that will be created. */
  kind: 'file' | 'folder';
  /** What goes there, for the message: "jsonl output", "the smoker sample". */
  what: string;
  /** What the user can do about it: "give --data-dir a folder you can write". */
  fix: string;
}

/**
 * Kernel file systems: never a place for data, and Node's recursive mkdir loops forever on /proc (it
 * answers ENOENT for the parent it just "made"), at full CPU and deaf to signals.
 */
const VIRTUAL = ['/proc', '/sys'];
const isVirtual = (path: string) => VIRTUAL.some((v) => path === v || path.startsWith(`${v}${sep}`));

function describe(err: unknown, path: string): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return `no permission to write ${path}`;
    case 'EROFS':
      return `${path} is on a read-only file system`;
    case 'ELOOP':
      return `${path} is a loop of symbolic links`;
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return e.message;
  }
}

/** The stats of `path`, following a symbolic link; a dangling or looping link is a problem, not "absent". */
function statOf(path: string): { st?: Stats; problem?: string } {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? {} : { problem: describe(err, path) };
  }
  if (!st.isSymbolicLink()) return { st };
  try {
    return { st: statSync(path) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { problem: `${path} is a symbolic link to ${readlinkSync(path)}, which does not exist` };
    return { problem: describe(err, path) };
  }
}

/**
 * Why `path` can never be written, or undefined when it can as far as can be told without writing:
 * walks up to the nearest part of the path that exists and checks that it is a writable folder (or, for
 * an existing file, a writable file). Only stats: nothing is created.
 */
export function placeProblem(path: string, kind: 'file' | 'folder'): string | undefined {
  const full = resolve(path);
  if (isVirtual(full)) return `${full} is under ${VIRTUAL.join(' or ')} (kernel files, not a place for data)`;
  for (let p = full; ; ) {
    const { st, problem } = statOf(p);
    if (problem) return problem;
    if (!st) {
      const parent = dirname(p);
      if (parent === p) return undefined;
      p = parent;
      continue;
    }
    const real = realpathSync(p);
    if (isVirtual(real)) return `${p} leads to ${real} (kernel files, not a place for data)`;
    if (p === full && kind === 'file') {
      if (st.isDirectory()) return `${p} is a folder, not a file`;
    } else if (!st.isDirectory()) return `${p} is a file, not a folder`;
    try {
      accessSync(p, st.isDirectory() ? constants.W_OK | constants.X_OK : constants.W_OK);
    } catch (err) {
      return describe(err, p);
    }
    return undefined;
  }
}

/** Throws the first place that can never be written, as one line: the path, why, and what to do. */
export function checkPlaces(places: Iterable<OutputPlace>): void {
  for (const place of places) {
    const problem = placeProblem(place.path, place.kind);
    if (problem === undefined) continue;
    throw new RunnelError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write ${place.what} ${resolve(place.path)}: ${problem}; ${place.fix}`,
      { value: place.path },
    );
  }
}

/**
 * mkdir -p, refusing up front what can never work (a file in the path, a dangling link, /proc or /sys)
 * with a permanent error instead of an OS error that reads as retriable, or a loop that never returns.
 */
export function makeFolder(path: string, code: ErrorCode = ErrorCodes.OUTPUT_UNWRITABLE): void {
  const problem = placeProblem(path, 'folder');
  if (problem !== undefined)
    throw new RunnelError(code, `cannot create folder ${resolve(path)}: ${problem}`, { value: path });
  mkdirSync(path, { recursive: true });
}

/** What to do about an output place that cannot be written, for a sink that finds out mid-run. */
const OUTPUT_FIX = 'fix that, or write elsewhere (--data-dir)';

/**
 * A sink's failure in its permanent form, or undefined when retrying may help: permanent when the error
 * says so (isPermanent) or when the file's place can no longer be written at all (its folder deleted and
 * replaced by a file mid-run). Drivers word the same OS problem differently; the place check does not.
 */
export function permanentOutputError(
  path: string,
  err: unknown,
  permanent = isPermanent(err),
): RunnelError | undefined {
  const problem = placeProblem(path, 'file');
  if (problem === undefined && !permanent) return undefined;
  if (problem === undefined && isRunnelError(err) && err.code === ErrorCodes.OUTPUT_UNWRITABLE) return err;
  const reason = problem ?? (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new RunnelError(ErrorCodes.OUTPUT_UNWRITABLE, `cannot write ${resolve(path)}: ${reason}; ${OUTPUT_FIX}`, {
    cause: err,
    value: path,
  });
}
