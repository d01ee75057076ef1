/**
 * Pluggable panel types. A panel type is one folder here with three parts, registered by name:
 * - `options.ts`: the zod schema of its `options` (checked when the dashboard builds the panel, so a
 *   misspelt option fails in one line naming the app and panel, not as a blank chart);
 * - `server.ts`: its aggregator, folding records into what the chart needs (a `ServerPanelType`);
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

export interface ServerPanelType<O> {
  name: string;
  options: z.ZodType<O>;
  aggregator(spec: PanelSpec, options: O): Aggregator;
}
