import type { PanelSpec } from '../../core/app.ts';
import type { Aggregator } from '../../server/panels/types.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import type { ServerPanelType } from '../types.ts';
import { type ActionFormOptions, actionFormOptions } from './options.ts';

/** A form has no data of its own: its answers come from the action it posts to. */
class ActionForm implements Aggregator {
  readonly topics: string[];

  constructor(spec: PanelSpec) {
    this.topics = [spec.topic];
  }

  add(): void {}
  commitHistory(): void {}
  snapshot(): PanelData {
    return { kind: 'module', type: 'action-form', data: null };
  }
  flush(): PanelDelta | undefined {
    return undefined;
  }
}

export const actionFormType: ServerPanelType<ActionFormOptions> = {
  name: 'action-form',
  options: actionFormOptions,
  fields: { accepts: {} },
  aggregator: (spec) => new ActionForm(spec),
};
