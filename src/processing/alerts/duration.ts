/** Units a duration is told in, largest first, each a whole number of the next. */
const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
] as const;

/**
 * A duration for reasons, short and right for what it shows: at most two adjacent units, the last one
 * rounded ("1m 30s", "2h 5m", "3d 4h", "45s"); under 10 s tenths of a second ("1.5s"), under 1 s whole
 * milliseconds ("250ms"). The text is never off by more than half its smallest unit: 90 s is "1m 30s", not
 * the "2m" that `ms()` gives; 59m 59.6s is "1h" (not "60m"), 59m 59s is "59m 59s".
 */
export function formatDuration(durationMs: number): string {
  if (!Number.isFinite(durationMs)) return String(durationMs);
  if (durationMs < 0) return `-${formatDuration(-durationMs)}`;
  if (Math.round(durationMs) < 1000) return `${Math.round(durationMs)}ms`;
  const tenths = Math.round(durationMs / 100);
  if (tenths < 100) return `${tenths / 10}s`;
  // The largest unit the duration reaches (10 s or more: seconds at least), rounded to the unit below it.
  const i = UNITS.findIndex(([, size]) => durationMs >= size);
  const [name, size] = UNITS[i]!;
  const next = UNITS[i + 1];
  const step = next ? next[1] : size;
  const rounded = Math.round(durationMs / step) * step;
  // Rounding may carry into the unit above: 59m 59.6s is 1h, not 60m.
  const above = UNITS[i - 1];
  if (above && rounded >= above[1]) return `1${above[0]}`;
  const whole = Math.floor(rounded / size);
  const rest = next ? (rounded - whole * size) / step : 0;
  return rest === 0 ? `${whole}${name}` : `${whole}${name} ${rest}${next![0]}`;
}
