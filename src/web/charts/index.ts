import type { PanelSpec } from '../../core/app.ts';
import { actionFormRenderer } from '../../panels/action-form/web.ts';
import { alertRenderer } from '../../panels/alert/web.ts';
import { barRenderer } from '../../panels/bar/web.ts';
import { cumulativeRenderer } from '../../panels/cumulative/web.ts';
import { dayBarsRenderer } from '../../panels/day-bars/web.ts';
import { histogramRenderer } from '../../panels/histogram/web.ts';
import { lineRenderer } from '../../panels/line/web.ts';
import { linesRenderer } from '../../panels/lines/web.ts';
import { pointMapRenderer } from '../../panels/point-map/web.ts';
import { recordTableRenderer } from '../../panels/record-table/web.ts';
import { statRenderer } from '../../panels/stat/web.ts';
import { tableRenderer } from '../../panels/table/web.ts';
import { tickCountsRenderer } from '../../panels/tick-counts/web.ts';
import { tickSpeedRenderer } from '../../panels/tick-speed/web.ts';
import type { WebPanelType } from '../../panels/web.ts';
import type { PanelView } from './card.ts';

export type { PanelView } from './card.ts';

/**
 * The panel types' renderers (src/panels/<name>/web.ts), by name: the only list in the page. An app's
 * PanelSpec picks one; no app-specific code lives in the dashboard.
 */
const MODULES = new Map<string, WebPanelType>(
  [
    lineRenderer,
    cumulativeRenderer,
    barRenderer,
    histogramRenderer,
    alertRenderer,
    tableRenderer,
    statRenderer,
    dayBarsRenderer,
    linesRenderer,
    recordTableRenderer,
    actionFormRenderer,
    pointMapRenderer,
    tickCountsRenderer,
    tickSpeedRenderer,
  ].map((t) => [t.name, t]),
);

/** Panel type → renderer. */
export function createPanel(spec: PanelSpec): PanelView {
  const type = MODULES.get(spec.type);
  // The server refuses an unknown type before a page asks; an older page meeting a newer server says so.
  if (!type) throw new Error(`no renderer for panel type "${spec.type}"`);
  return type.create(spec);
}
