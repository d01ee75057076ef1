import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PanelSpec } from '../../core/app.ts';
import { ErrorCodes, isRunnelError } from '../../core/errors.ts';
import { checkPanels, createAggregator, optionPath } from './index.ts';

/** The user's report: a sensors app whose mean line was meant to be one line per key. */
const mean: PanelSpec = {
  id: 'mean',
  title: 'Mean per key',
  type: 'line',
  topic: 'sensors.mean',
  fields: { y: 'mean' },
};

/** The error `checkPanels` throws for one panel of the `sensors` app, or fails the test. */
function refusal(spec: unknown): { code: string; message: string } {
  try {
    checkPanels('sensors', [spec as PanelSpec]);
  } catch (e) {
    assert.ok(isRunnelError(e), String(e));
    return { code: e.code, message: e.message };
  }
  assert.fail(`accepted ${JSON.stringify(spec)}`);
}

test('fields: a name the type does not read is refused, naming the app, the panel and what the type reads', () => {
  const typo = refusal({ ...mean, fields: { y: 'mean', grup: 'key' } });
  assert.equal(typo.code, ErrorCodes.CONFIG_INVALID);
  assert.match(
    typo.message,
    /^app "sensors", panel "mean" \(line\): fields\.grup: no such field \(did you mean group\?\); /,
  );
  assert.match(
    typo.message,
    /a line panel reads y \(the number drawn\), x \(.*\), group \(one line per value of this field\)$/,
  );

  // A real field name on a type that does not read it: which types do.
  const stat = refusal({ ...mean, type: 'stat', fields: { y: 'mean', group: 'key' } });
  assert.match(
    stat.message,
    /^app "sensors", panel "mean" \(stat\): fields\.group: not read by a stat panel, so it would be ignored; a stat panel reads y \(the value shown\); group is read by line, bar, day-bars, point-map$/,
  );
  assert.match(
    refusal({ ...mean, type: 'record-table', options: { columns: [{ field: 'a' }] } }).message,
    /fields\.y: not read by a record-table panel.*reads no fields/,
  );
  // Nothing close: no guess.
  assert.doesNotMatch(refusal({ ...mean, fields: { y: 'mean', colour: 'red' } }).message, /did you mean/);
});

test('fields: what a type needs, one of a pair, and names as values', () => {
  assert.match(
    refusal({ ...mean, fields: {} }).message,
    /panel "mean" \(line\): fields\.y is required; a line panel reads/,
  );
  assert.match(
    refusal({ ...mean, type: 'alert', fields: { label: 'why' } }).message,
    /\(alert\): fields\.active is required/,
  );
  const bar = { ...mean, type: 'bar', options: {} };
  assert.match(refusal({ ...bar, fields: {} }).message, /\(bar\): needs one of fields\.y, fields\.group/);
  assert.match(
    refusal({ ...bar, fields: { y: 'byKey', group: 'key' } }).message,
    /\(bar\): takes only one of fields\.y, fields\.group/,
  );
  assert.match(
    refusal({ ...mean, fields: { y: 3 } }).message,
    /fields\.y: a field name \(a dot path: `a\.b`\), not 3$/,
  );
  assert.match(
    refusal({ ...mean, type: 'table', fields: { columns: 'a' } }).message,
    /fields\.columns: a list of field names/,
  );
  assert.match(refusal({ ...mean, fields: undefined }).message, /fields must be an object/);
  assert.match(refusal({ ...mean, topic: '' }).message, /panel "mean" \(line\): topic must be a topic name/);
  // The panels the report's own fields now describe are fine.
  assert.doesNotThrow(() => checkPanels('sensors', [{ ...mean, fields: { y: 'mean', group: 'key' } }]));
  assert.doesNotThrow(() => checkPanels('sensors', [{ ...bar, fields: { group: 'key' } }]));
});

test('options are checked with the app, before any page asks: one line, no stray "options.:", a guess at the key', () => {
  const typo = refusal({ ...mean, options: { unt: '°C' } });
  assert.equal(typo.code, ErrorCodes.CONFIG_INVALID);
  assert.equal(
    typo.message,
    'app "sensors", panel "mean" (line): options: Unrecognized key: "unt" (did you mean "unit"?)',
  );
  // Nested keys are named by their path, and guessed from the object they are in.
  assert.equal(
    refusal({ ...mean, options: { marks: { topic: 'alerts', tpic: 'x' } } }).message,
    'app "sensors", panel "mean" (line): options.marks: Unrecognized key: "tpic" (did you mean "topic"?)',
  );
  assert.match(
    refusal({ ...mean, options: { zones: [{ from: 0, to: 'hot' }] } }).message,
    /: options\.zones\[0\]\.to: Invalid input: expected number, received string$/,
  );
  // No guess nearby: the keys it takes.
  assert.match(
    refusal({ ...mean, options: { fahrenheit: true } }).message,
    /Unrecognized key: "fahrenheit" \(the options here: unit, yLabel, min, max, /,
  );
  assert.match(refusal({ ...mean, options: { unit: 3, min: 'a' } }).message, /options\.unit: .* \(and 1 more\)$/);
  // Options that do nothing with the fields given are refused, not ignored.
  assert.match(
    refusal({ ...mean, fields: { y: 'mean', group: 'key' }, options: { marks: { topic: 'alerts' } } }).message,
    /options\.marks: marks are drawn on a single line, not with fields\.group/,
  );
  assert.match(
    refusal({ ...mean, options: { colors: { a: 'red' } } }).message,
    /options\.colors: only with fields\.group/,
  );
});

test('checkPanels: an unknown type (with a guess), a missing id, two panels with one id', () => {
  assert.match(
    refusal({ ...mean, type: 'lnie' }).message,
    /^app "sensors", panel "mean": unknown panel type "lnie" \(did you mean line\?\) \(known: line, /,
  );
  assert.match(refusal({ ...mean, id: '' }).message, /^app "sensors": panels\[0\] \(line\) needs an id/);
  assert.throws(
    () => checkPanels('sensors', [mean, { ...mean, title: 'again' }]),
    (e) =>
      isRunnelError(e) && /^app "sensors", panel "mean" \(line\): another panel of the app has this id/.test(e.message),
  );
});

test('createAggregator names the app when told it', () => {
  assert.throws(
    () => createAggregator({ ...mean, options: { unt: '°C' } }, 'sensors'),
    (e) => isRunnelError(e) && e.message.startsWith('app "sensors", panel "mean" (line): options: '),
  );
});

test('optionPath', () => {
  assert.equal(optionPath([]), 'options');
  assert.equal(optionPath(['marks', 'topic']), 'options.marks.topic');
  assert.equal(optionPath(['zones', 2, 'from']), 'options.zones[2].from');
});
