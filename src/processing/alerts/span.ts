import ms from 'ms';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { formatDuration } from './duration.ts';

/**
 * A length of series: a number counts readings; a string ('90s', '10m', '1h') or `{ ms }` is event time.
 * One rule for every option (`window`, `minDuration`), so `10` and `'10m'` never mean the same thing.
 */
export type Span = number | string | { ms: number };

export type ResolvedSpan = { readings: number } | { ms: number };

export function resolveSpan(option: string, span: Span): ResolvedSpan {
  if (typeof span === 'number') {
    if (!Number.isInteger(span) || span < 1) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${option} must be a whole number of readings >= 1`, {
        value: span,
      });
    }
    return { readings: span };
  }
  return { ms: durationMs(option, span) };
}

/** `'1m'` → 60000; `{ ms: 500 }` → 500. */
export function durationMs(option: string, span: string | { ms: number }): number {
  const v = typeof span === 'string' ? ms(span as ms.StringValue) : span.ms;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${option} must be a duration such as '30s', '10m' or { ms }`, {
      value: span,
    });
  }
  return v;
}

/** How a span reads in a reason: "10 readings", "10m" or "1m 30s". */
export function describeSpan(span: ResolvedSpan): string {
  return 'readings' in span ? `${span.readings} reading${span.readings === 1 ? '' : 's'}` : formatDuration(span.ms);
}
