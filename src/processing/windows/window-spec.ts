import { ErrorCodes, RunnelError } from '../../core/errors.ts';

/**
 * What a window is. Time windows are by event time, [start, end) in ms; tumbling and hopping ones are
 * aligned to the epoch plus `offset`. Count windows are per key, in arrival order, and know no lateness.
 */
export type WindowSpec =
  | { type: 'tumbling'; size: number; offset?: number }
  | { type: 'hopping'; size: number; advance: number; offset?: number }
  /** A window of `size` ms ending at each record: [t − size + 1, t + 1), holding the records in (t − size, t]. */
  | { type: 'sliding'; size: number }
  /** Records less than `gap` ms apart share a session: [first, last + gap). */
  | { type: 'session'; gap: number }
  | { type: 'tumbling-count'; size: number }
  | { type: 'hopping-count'; size: number; advance: number }
  /** The last `size` records of a key, at each record from the size-th one on. */
  | { type: 'sliding-count'; size: number };

export const tumbling = (size: number, options: { offset?: number } = {}): WindowSpec => ({
  type: 'tumbling',
  size,
  ...options,
});
export const hopping = (size: number, advance: number, options: { offset?: number } = {}): WindowSpec => ({
  type: 'hopping',
  size,
  advance,
  ...options,
});
export const sliding = (size: number): WindowSpec => ({ type: 'sliding', size });
export const session = (gap: number): WindowSpec => ({ type: 'session', gap });
export const tumblingCount = (size: number): WindowSpec => ({ type: 'tumbling-count', size });
export const hoppingCount = (size: number, advance: number): WindowSpec => ({ type: 'hopping-count', size, advance });
export const slidingCount = (size: number): WindowSpec => ({ type: 'sliding-count', size });

export const isCountWindow = (w: WindowSpec): boolean => w.type.endsWith('-count');

function positiveInt(where: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${where}: ${name} must be a whole number >= 1 (got ${v})`, {
      value: v,
    });
  }
}

/** Fails fast on a window that could not work, naming the option. */
export function validateWindow(where: string, w: WindowSpec, allowedLateness: number): void {
  if (!(Number.isSafeInteger(allowedLateness) && allowedLateness >= 0)) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `${where}: allowedLateness must be a whole number of ms >= 0 (got ${allowedLateness})`,
      { value: allowedLateness },
    );
  }
  switch (w.type) {
    case 'session':
      positiveInt(where, 'gap', w.gap);
      return;
    case 'hopping':
    case 'hopping-count':
      positiveInt(where, 'size', w.size);
      positiveInt(where, 'advance', w.advance);
      // A larger advance would leave gaps whose records belong to no window: dropped without a word.
      if (w.advance > w.size) {
        throw new RunnelError(
          ErrorCodes.CONFIG_INVALID,
          `${where}: advance (${w.advance}) must not exceed size (${w.size})`,
        );
      }
      break;
    default:
      positiveInt(where, 'size', w.size);
  }
  if ((w.type === 'tumbling' || w.type === 'hopping') && w.offset !== undefined && !Number.isSafeInteger(w.offset)) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, `${where}: offset must be a whole number of ms (got ${w.offset})`);
  }
}

export const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/** The starts of the aligned windows [start, start + size) that hold time t, earliest first. */
export function alignedStarts(t: number, size: number, advance: number, offset: number): number[] {
  const last = floorDiv(t - offset, advance) * advance + offset;
  const out: number[] = [];
  for (let s = last - Math.floor((size - 1) / advance) * advance; s <= last; s += advance) {
    if (s + size > t) out.push(s);
  }
  return out;
}
