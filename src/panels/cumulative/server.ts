import { SeriesPanel } from '../line/server.ts';
import type { ServerPanelType } from '../types.ts';
import { type CumulativeOptions, cumulativeOptions } from './options.ts';

/** The line's aggregator counting offsets instead of reading a field: its data is a `series` too. */
export const cumulativeType: ServerPanelType<CumulativeOptions> = {
  name: 'cumulative',
  options: cumulativeOptions,
  fields: { accepts: { x: 'a numeric event time in ms; default the record time' } },
  aggregator: (spec) => new SeriesPanel(spec, {}, true),
};
