import type { PanelSpec } from '../../core/app.ts';
import type { StreamRecord } from '../../core/record.ts';
import { LatestAggregator } from '../../server/panels/latest.ts';
import type { RecordView } from '../../server/protocol.ts';
import { toView } from '../../server/records.ts';
import type { ServerPanelType } from '../types.ts';
import { type TableData, type TableOptions, tableOptions } from './options.ts';

class TablePanel extends LatestAggregator {
  readonly #max: number;
  #rows: RecordView[] = [];

  constructor(spec: PanelSpec, o: TableOptions) {
    super(spec);
    this.#max = o.rows;
  }

  protected take(r: StreamRecord): void {
    this.#rows.push(toView(r, 2048));
    if (this.#rows.length > this.#max) this.#rows.splice(0, this.#rows.length - this.#max);
  }

  snapshot(): TableData {
    return { kind: 'table', rows: this.#rows };
  }
}

export const tableType: ServerPanelType<TableOptions> = {
  name: 'table',
  options: tableOptions,
  fields: { accepts: { columns: 'the fields shown (default the whole value)' } },
  aggregator: (spec, o) => new TablePanel(spec, o),
};
