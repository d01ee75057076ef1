/**
 * Alert rules: pure, JSON-serialisable state machines over one key's readings, each turning an ongoing
 * condition into one episode (started / updated / ended). The engine keeps each rule's state per key.
 */
export { close, fmt, lessOrClose } from './compare.ts';
export { formatDuration } from './duration.ts';
export {
  type CommonOptions,
  type DescribeContext,
  type Direction,
  type EpisodeConfig,
  type EpisodeState,
  makeRule,
  moreExtreme,
  type RuleSpec,
  type RuleState,
  stepEpisode,
} from './episode.ts';
export { type Level, type LevelOptions, resolveLevel } from './level.ts';
export { type RateOfChangeOptions, type RateWindow, rateOfChange } from './rate-of-change.ts';
export { emptyStats, pushStats, type RollingStats, stdOf } from './rolling-stats.ts';
export { describeSpan, durationMs, type ResolvedSpan, resolveSpan, type Span } from './span.ts';
export { type StallOptions, type StallWindow, stall } from './stall.ts';
export { type ThresholdOptions, threshold } from './threshold.ts';
export type { AlertEvent, AlertRule, Verdict } from './types.ts';
export { type ZScoreOptions, zScore } from './z-score.ts';
