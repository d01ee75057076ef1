import type { PanelSpec } from '../core/app.ts';
import type { PanelData } from '../server/protocol.ts';
import type { PanelView } from '../web/charts/card.ts';

/** The browser half of a pluggable panel type (see ./types.ts): its renderer, by the type's name. */
export interface WebPanelType {
  name: string;
  create(spec: PanelSpec): PanelView;
}

/** A panel's data as its type's own shape, or undefined when the kind is not the one it draws. */
export function dataOf<T extends { kind: string }>(d: PanelData, kind: T['kind']): T | undefined {
  return d.kind === kind ? (d as unknown as T) : undefined;
}
