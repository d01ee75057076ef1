import type { PanelSpec } from '../../core/app.ts';
import { BarPanel, HistogramPanel } from './counts.ts';
import { AlertPanel, StatPanel, TablePanel } from './latest.ts';
import { SeriesPanel } from './series.ts';
import type { Aggregator } from './types.ts';

export type { Aggregator } from './types.ts';

/**
 * One aggregator per panel type; a new type is one class and one line here (and a renderer in src/web).
 *
 * What each type reads from a PanelSpec (`fields` are dot paths into the record value; all `options` optional):
 * - `line`: `fields.y` over event time (`fields.x` if numeric, else the record timestamp). Options: `unit`,
 *   `yLabel`, `min`/`max`, `color`, `zones: [{ from, to, label, color }]`, `average: true` (mean of the
 *   values) or `average: 'path'` (read from `averageTopic`, default `<topic>.stats`), `smooth: N` (dots
 *   plus a rolling mean; by default chosen from the data), `marks: { topic, field='type', start, end,
 *   label }` (start/end events shaded on the line).
 * - `cumulative`: records so far over event time, from offsets. Options: `yLabel`, `color`.
 * - `bar`: `fields.y` a `{ name: count }` object in the latest record, or `fields.group` to count raw
 *   records by a field. Options: `top` (default 12, the rest summed), `xLabel`, `yLabel`.
 * - `histogram`: `fields.y` a `{ value: count }` object in the latest record, or a number per record.
 *   Options: `marks: ['length.mean', …]` (dashed lines; mean/median computed when counting raw), `bins`
 *   (default 16), `unit`, `xLabel`, `yLabel`.
 * - `alert`: active while `fields.active` of the latest record equals `options.activeWhen` (or is truthy);
 *   `fields.label` is shown. Options: `message`, `okMessage`.
 * - `table`: the latest records, `fields.columns`. Options: `rows` (default 10).
 * - `stat`: the latest `fields.y`. Options: `unit`.
 */
export function createAggregator(spec: PanelSpec): Aggregator {
  switch (spec.type) {
    case 'line':
    case 'cumulative':
      return new SeriesPanel(spec);
    case 'bar':
      return new BarPanel(spec);
    case 'histogram':
      return new HistogramPanel(spec);
    case 'alert':
      return new AlertPanel(spec);
    case 'table':
      return new TablePanel(spec);
    case 'stat':
      return new StatPanel(spec);
  }
}
