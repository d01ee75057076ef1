import type { PanelSpec } from '../../core/app.ts';
import { barPanel, histogramPanel } from './bars.ts';
import type { PanelView } from './card.ts';
import { alertPanel, statPanel, tablePanel } from './simple.ts';
import { timeSeriesPanel } from './timeseries.ts';

export type { PanelView } from './card.ts';

/** Panel type → renderer. An app's PanelSpec picks one; no app-specific code lives in the dashboard. */
export function createPanel(spec: PanelSpec): PanelView {
  switch (spec.type) {
    case 'line':
    case 'cumulative':
      return timeSeriesPanel(spec);
    case 'bar':
      return barPanel(spec);
    case 'histogram':
      return histogramPanel(spec);
    case 'alert':
      return alertPanel(spec);
    case 'stat':
      return statPanel(spec);
    case 'table':
      return tablePanel(spec);
  }
}
