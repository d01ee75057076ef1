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
  SINK_UNAVAILABLE: 'RUNNEL_SINK_UNAVAILABLE',
  SINK_WRITE_FAILED: 'RUNNEL_SINK_WRITE_FAILED',
  OUTPUT_FROM_OTHER_BROKER: 'RUNNEL_OUTPUT_FROM_OTHER_BROKER',
  TOPIC_RECREATED: 'RUNNEL_TOPIC_RECREATED',
  DISK_FULL: 'RUNNEL_DISK_FULL',
  PROCESSING_FAILED: 'RUNNEL_PROCESSING_FAILED',
  UNKNOWN_APP: 'RUNNEL_UNKNOWN_APP',
  UNKNOWN_CONNECTOR: 'RUNNEL_UNKNOWN_CONNECTOR',
  DEPENDENCY_MISSING: 'RUNNEL_DEPENDENCY_MISSING',
  AUTH_REQUIRED: 'RUNNEL_AUTH_REQUIRED',
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
      return new RunnelError(ErrorCodes.SINK_WRITE_FAILED, message, { retriable: true, cause: err });
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
      return new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, message, { retriable: true, cause: err });
    default:
      return new RunnelError(fallback, message, { cause: err, retriable: fallback === ErrorCodes.SINK_WRITE_FAILED });
  }
}

/** One line for humans: `RUNNEL_CONFIG_INVALID: rate must be >= 0 (got -1)`. */
export function formatError(err: unknown): string {
  const e = toRunnelError(err);
  return `${e.code}: ${e.message.split('\n')[0]}`;
}
