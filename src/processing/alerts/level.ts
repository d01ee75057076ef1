import { configError, type Direction } from './episode.ts';

/** A measure against one level, with hysteresis: shared by threshold and rateOfChange. */
export interface LevelOptions {
  /** Starts when the measure is strictly above this. */
  above?: number;
  /** Starts when the measure is strictly below this. */
  below?: number;
  /**
   * Hysteresis: the episode ends only once the measure is at or below `clearAt` (for `above`; at or above, for
   * `below`). Default: the start level itself, so it ends as soon as the condition stops holding.
   */
  clearAt?: number;
}

export interface Level {
  side: 'above' | 'below';
  level: number;
  clearAt: number;
  direction: Direction;
  trigger(x: number): boolean;
  clear(x: number): boolean;
}

export function resolveLevel(o: LevelOptions): Level {
  const hasAbove = o.above !== undefined;
  if (hasAbove === (o.below !== undefined)) throw configError('above/below', 'takes exactly one of the two', o);
  const side = hasAbove ? 'above' : 'below';
  const level = (hasAbove ? o.above : o.below) as number;
  if (!Number.isFinite(level)) throw configError(side, 'must be a finite number', level);
  const clearAt = o.clearAt ?? level;
  if (!Number.isFinite(clearAt) || (side === 'above' ? clearAt > level : clearAt < level)) {
    throw configError('clearAt', `must be a finite number on the far side of ${side} (${level})`, o.clearAt);
  }
  return side === 'above'
    ? { side, level, clearAt, direction: 'up', trigger: (x) => x > level, clear: (x) => x <= clearAt }
    : { side, level, clearAt, direction: 'down', trigger: (x) => x < level, clear: (x) => x >= clearAt };
}
