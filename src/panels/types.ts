/**
 * Pluggable panel types. A panel type is one folder here with three parts, registered by name:
 * - `options.ts`: the zod schema of its `options` (checked when the dashboard starts, with the `fields`
 *   the type reads, so a misspelt option or field fails in one line naming the app and panel, not as a
 *   blank chart or a field silently ignored);
 * - `server.ts`: its aggregator, folding records into what the chart needs, and the `fields` it reads
 *   (a `ServerPanelType`);
 * - `web.ts`: its renderer in the browser (a `WebPanelType`; imports only types from the other two, so
 *   zod never reaches the page).
 * The registries are `src/server/panels/index.ts` and `src/web/charts/index.ts`: one entry each, the only
 * lists of panel types. Shared pieces: the server bases in src/server/panels (counts, latest), the card,
 * theme and gaps in src/web/charts.
 * Its data is its own shape with a `kind` (as `series`, `counts`), or `{ kind: 'module', type, data }`;
 * src/server/protocol.ts passes either through.
 */
import type { z } from 'zod';
import type { PanelSpec } from '../core/app.ts';
import type { Aggregator } from '../server/panels/types.ts';

export type FieldName = keyof PanelSpec['fields'];

/** Every name `fields` may hold, for any type (a name outside these is a typo, whatever the type). */
export const FIELD_NAMES: readonly FieldName[] = ['x', 'y', 'group', 'label', 'active', 'columns'];

/**
 * The `fields` a panel type reads. A name it does not read is refused when the dashboard starts: a
 * `group` on a type that draws no groups was silently one mixed series.
 */
export interface PanelFields {
  /** Each field the type reads, with what it is for (said when a name is refused). */
  accepts: Partial<Record<FieldName, string>>;
  /** Fields it cannot do without. */
  requires?: FieldName[];
  /** Exactly one of these: it reads one or the other, and with both one would be ignored. */
  oneOf?: FieldName[];
}

export interface ServerPanelType<O> {
  name: string;
  options: z.ZodType<O>;
  fields: PanelFields;
  /**
   * What the options and fields cannot say apart (an option that does nothing with some field): a problem
   * as `options.<key>: why` or `fields.<name>: why`, or undefined.
   */
  check?(spec: PanelSpec, options: O): string | undefined;
  aggregator(spec: PanelSpec, options: O): Aggregator;
}
