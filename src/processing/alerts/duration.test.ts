import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatDuration } from './duration.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The unit below each, and how many of it make one. */
const BELOW: Record<string, [string, number]> = { d: ['h', 24], h: ['m', 60], m: ['s', 60] };

/**
 * A text back to milliseconds, with the precision of its smallest unit (tenths of a second under 10 s), and
 * checked for shape on the way: one or two tokens, two only of adjacent units, no token that should have
 * carried into the unit above ("60m", "1m 60s").
 */
function parse(text: string): { ms: number; step: number } {
  const m = /^(\d+(?:\.\d)?)(ms|s|m|h|d)(?: (\d+)(s|m|h))?$/.exec(text);
  assert.ok(m, `"${text}" is not one or two duration tokens`);
  const [, a, ua, b, ub] = m as unknown as [string, string, string, string | undefined, string | undefined];
  const first = Number(a);
  assert.ok(first > 0 || text === '0ms', `"${text}" starts with a zero`);
  if (a.includes('.')) assert.equal(ua, 's', `"${text}": only seconds have decimals`);
  if (ua === 'ms') assert.ok(first < 1000, `"${text}": a second or more is not told in ms`);
  if (ua === 's') assert.ok(first < 60, `"${text}": a minute or more is not told in s`);
  if (ua === 's' && a.includes('.')) assert.ok(first < 10, `"${text}": tenths only under 10 s`);
  if (ua === 'm' || ua === 'h') assert.ok(first < BELOW[ua === 'm' ? 'h' : 'd']![1], `"${text}" should carry`);
  let ms = first * UNIT_MS[ua]!;
  let step = ua === 's' && first < 10 ? 100 : UNIT_MS[ua]!;
  if (b !== undefined && ub !== undefined) {
    const [below, per] = BELOW[ua] ?? [];
    assert.equal(ub, below, `"${text}": the second unit is the one below the first`);
    const second = Number(b);
    assert.ok(second > 0 && second < per!, `"${text}": ${second}${ub} out of range`);
    ms += second * UNIT_MS[ub]!;
    step = UNIT_MS[ub]!;
  }
  return { ms, step };
}

test('durations read short and exact to what they show', () => {
  const cases: [number, string][] = [
    [0, '0ms'],
    [250, '250ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [9_940, '9.9s'],
    [9_960, '10s'],
    [45_000, '45s'],
    [59_600, '1m'],
    [60_000, '1m'],
    [90_000, '1m 30s'],
    [125_000, '2m 5s'],
    [3_599_000, '59m 59s'],
    [3_599_600, '1h'],
    [7_500_000, '2h 5m'],
    [7_529_999, '2h 5m'],
    [7_530_000, '2h 6m'],
    [90_000_000, '1d 1h'],
    [-90_000, '-1m 30s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
});

test('any duration: its text parses back to within half of its smallest unit, and whole seconds under 1h exactly', () => {
  const duration = fc.oneof(
    fc.integer({ min: 0, max: 20_000 }),
    fc.integer({ min: 0, max: 4 * 3_600_000 }),
    fc.integer({ min: 0, max: 400 * 86_400_000 }),
    fc.double({ min: 0, max: 1e8, noNaN: true }),
    // Near the edges where rounding carries into the next unit.
    fc
      .tuple(fc.constantFrom(1000, 10_000, 60_000, 3_600_000, 86_400_000), fc.integer({ min: -1000, max: 1000 }))
      .map(([edge, d]) => Math.max(0, edge + d)),
  );
  fc.assert(
    fc.property(duration, (ms) => {
      const text = formatDuration(ms);
      const back = parse(text);
      assert.ok(Math.abs(back.ms - ms) <= back.step / 2 + 1e-6, `${ms} ms read as "${text}"`);
      if (Number.isInteger(ms / 1000) && ms >= 10_000 && ms < 3_600_000) assert.equal(back.ms, ms, `"${text}"`);
    }),
    { numRuns: 3000 },
  );
});
