import type { PanelSpec } from '../../core/app.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { actionFormType } from '../../panels/action-form/server.ts';
import { alertType } from '../../panels/alert/server.ts';
import { barType } from '../../panels/bar/server.ts';
import { cumulativeType } from '../../panels/cumulative/server.ts';
import { dayBarsType } from '../../panels/day-bars/server.ts';
import { histogramType } from '../../panels/histogram/server.ts';
import { lineType } from '../../panels/line/server.ts';
import { linesType } from '../../panels/lines/server.ts';
import { pointMapType } from '../../panels/point-map/server.ts';
import { recordTableType } from '../../panels/record-table/server.ts';
import { statType } from '../../panels/stat/server.ts';
import { tableType } from '../../panels/table/server.ts';
import { tickCountsType } from '../../panels/tick-counts/server.ts';
import { tickSpeedType } from '../../panels/tick-speed/server.ts';
import type { ServerPanelType } from '../../panels/types.ts';
import type { Aggregator } from './types.ts';

export type { Aggregator } from './types.ts';

/**
 * The panel types (src/panels/<name>: options schema, aggregator, renderer), by name: the only list on the
 * server. A new type is a folder there and one entry here (and one in src/web/charts/index.ts).
 */
// biome-ignore lint/suspicious/noExplicitAny: each type checks its own options with its schema
const MODULES = new Map<string, ServerPanelType<any>>(
  [
    lineType,
    cumulativeType,
    barType,
    histogramType,
    alertType,
    tableType,
    statType,
    dayBarsType,
    linesType,
    recordTableType,
    actionFormType,
    pointMapType,
    tickCountsType,
    tickSpeedType,
  ].map((t) => [t.name, t]),
);

export const panelTypeNames = (): string[] => [...MODULES.keys()];

/** A panel's aggregator, its options checked by its type's schema first (one line naming app and panel). */
export function createAggregator(spec: PanelSpec): Aggregator {
  const type = MODULES.get(spec.type);
  if (!type) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `panel "${spec.id}": unknown panel type "${spec.type}" (known: ${panelTypeNames().join(', ')})`,
      { value: spec.type },
    );
  }
  const parsed = type.options.safeParse(spec.options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `panel "${spec.id}" (${spec.type}): options.${issue.path.join('.')}: ${issue.message}`,
      { value: spec.options },
    );
  }
  return type.aggregator(spec, parsed.data);
}
