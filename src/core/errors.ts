/**
 * Typed errors with stable codes. The CLI prints `code: message` in one line; `retriable`
 * tells the runtime whether backing off and trying again can help.
 */
export const ErrorCodes = {
  USAGE: 'RUNNEL_USAGE',
  CONFIG_INVALID: 'RUNNEL_CONFIG_INVALID',
  FILE_NOT_FOUND: 'RUNNEL_FILE_NOT_FOUND',
  INPUT_MALFORMED: 'RUNNEL_INPUT_MALFORMED',
  SCHEMA_MISMATCH: 'RUNNEL_SCHEMA_MISMATCH',
  BROKER_UNAVAILABLE: 'RUNNEL_BROKER_UNAVAILABLE',
  BROKER_URL_INVALID: 'RUNNEL_BROKER_URL_INVALID',
  TOPIC_NOT_FOUND: 'RUNNEL_TOPIC_NOT_FOUND',
  GROUP_NOT_FOUND: 'RUNNEL_GROUP_NOT_FOUND',
  SINK_UNAVAILABLE: 'RUNNEL_SINK_UNAVAILABLE',
  SINK_WRITE_FAILED: 'RUNNEL_SINK_WRITE_FAILED',
  /** A data folder, sink file or broker file that can never be written (a file in the path, /proc, no permission). */
  OUTPUT_UNWRITABLE: 'RUNNEL_OUTPUT_UNWRITABLE',
  /** Another process holds the output file (DuckDB's lock): it passes when that process exits. */
  OUTPUT_IN_USE: 'RUNNEL_OUTPUT_IN_USE',
  /** The processor-state folder or file can never be written. */
  OUTPUT_FROM_OTHER_BROKER: 'RUNNEL_OUTPUT_FROM_OTHER_BROKER',
  TOPIC_RECREATED: 'RUNNEL_TOPIC_RECREATED',
  DISK_FULL: 'RUNNEL_DISK_FULL',
  PROCESSING_FAILED: 'RUNNEL_PROCESSING_FAILED',
  UNKNOWN_APP: 'RUNNEL_UNKNOWN_APP',
  UNKNOWN_CONNECTOR: 'RUNNEL_UNKNOWN_CONNECTOR',
  DEPENDENCY_MISSING: 'RUNNEL_DEPENDENCY_MISSING',
  AUTH_REQUIRED: 'RUNNEL_AUTH_REQUIRED',
  /** An HTTP API answered a 4xx that retrying cannot fix (401, 403, 404): the source stops, naming the URL. */
  SOURCE_REFUSED: 'RUNNEL_SOURCE_REFUSED',
  /** A rebalance moved a partition away while its batch was in hand: nothing was written; the new owner redoes it. */
  FENCED: 'RUNNEL_FENCED',
  /** A record's event time is older than its window's end plus the allowed lateness (it goes to `<topic>.late`). */
  LATE_RECORD: 'RUNNEL_LATE_RECORD',
  /** `runnel sql` / the SQL page: not one read-only query (a second statement, a write, ATTACH, COPY, SET, a file read). */
  SQL_REFUSED: 'RUNNEL_SQL_REFUSED',
  /** A read-only query DuckDB cannot run: a syntax error, an unknown table or column. */
  SQL_INVALID: 'RUNNEL_SQL_INVALID',
  /** A query ran past its time limit and was interrupted. */
  SQL_TIMEOUT: 'RUNNEL_SQL_TIMEOUT',
  /** An app action has nothing to answer with yet (the users app's predict before any model snapshot). */
  NOT_READY: 'RUNNEL_NOT_READY',
  /** `consume --final` drained but could not end the input (another worker, a producer running, no input). */
  INPUT_NOT_ENDED: 'RUNNEL_INPUT_NOT_ENDED',
  /** A restart asks for other settings than the run its topic holds, which it would go on with (stopcovid's). */
  RUN_SETTINGS_CHANGED: 'RUNNEL_RUN_SETTINGS_CHANGED',
  INTERNAL: 'RUNNEL_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const kRunnelError = Symbol.for('runnel.error');

export interface RunnelErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** The offending value (a field's value, a path, a line), shown in messages. */
  value?: unknown;
}

export class RunnelError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly value: unknown;
  readonly [kRunnelError] = true;

  constructor(code: ErrorCode, message: string, options: RunnelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RunnelError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.value = options.value;
  }
}

/** Works across duplicate installs of runnel, where `instanceof` would not. */
export function isRunnelError(err: unknown): err is RunnelError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kRunnelError] === true;
}

/** Maps OS errors to runnel codes so every layer reports disk and file problems the same way. */
export function toRunnelError(err: unknown, fallback: ErrorCode = ErrorCodes.INTERNAL): RunnelError {
  if (isRunnelError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : String(err);
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new RunnelError(ErrorCodes.DISK_FULL, `disk full: ${message}`, { retriable: true, cause: err });
    case 'ENOENT':
      return new RunnelError(ErrorCodes.FILE_NOT_FOUND, message, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return new RunnelError(ErrorCodes.OUTPUT_UNWRITABLE, message, { cause: err });
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
      return new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, message, { retriable: true, cause: err });
    default:
      return new RunnelError(fallback, message, { cause: err, retriable: fallback === ErrorCodes.SINK_WRITE_FAILED });
  }
}

/** OS errors no retry can fix: the path itself is wrong, or nobody may write it. */
const PERMANENT_ERRNO = new Set(['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);
const PERMANENT_CODES = new Set<ErrorCode>([ErrorCodes.OUTPUT_UNWRITABLE]);
/**
 * node:sqlite primary result codes no retry can fix: SQL or schema errors (a table that cannot be created),
 * permission, read-only, corrupt, cannot open, not a database. BUSY, LOCKED, FULL and IOERR are not here:
 * another process's lock ends, and space can be freed.
 */
const PERMANENT_SQLITE = new Set([1, 3, 8, 11, 14, 23, 26]);

/**
 * Permanent (retrying cannot help: fail now, in one line) or not (a lock, a full disk, a broker or
 * network that is down: back off and retry). Looks through `cause`, so a wrapped OS error still counts.
 */
export function isPermanent(err: unknown): boolean {
  let e = err as (NodeJS.ErrnoException & { errcode?: unknown }) | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++, e = e.cause as typeof e) {
    if (isRunnelError(e)) {
      if (PERMANENT_CODES.has(e.code)) return true;
      continue;
    }
    if (typeof e.code === 'string' && PERMANENT_ERRNO.has(e.code)) return true;
    if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') return PERMANENT_SQLITE.has(e.errcode & 0xff);
  }
  return false;
}

/** One line for humans: `RUNNEL_CONFIG_INVALID: rate must be >= 0 (got -1)`. */
export function formatError(err: unknown): string {
  const e = toRunnelError(err);
  return `${e.code}: ${e.message.split('\n')[0]}`;
}
