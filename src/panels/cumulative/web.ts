import { timeSeriesPanel } from '../line/web.ts';
import type { WebPanelType } from '../web.ts';

/** The line's renderer, drawing the running count filled from zero with its rate in the summary. */
export const cumulativeRenderer: WebPanelType = { name: 'cumulative', create: (spec) => timeSeriesPanel(spec, true) };
