import type { Broker } from '../broker.ts';
import type { Source } from '../connector.ts';
import { deadLetterForInput, dlqTopic } from '../dlq.ts';
import type { Logger } from '../log.ts';
import type { OutgoingRecord } from '../record.ts';
import type { StatusCell } from '../status.ts';

export interface SourceRunOptions {
  broker: Broker;
  source: Source;
  topic: string;
  status: StatusCell;
  log: Logger;
  signal: AbortSignal;
  /** Stop after this many good records. */
  limit?: number;
}

/**
 * Drives one source: produces each batch durably before asking for the next (so memory stays bounded
 * by one batch), sends unparseable input to `<topic>.dlq`, and stops at `limit` or end of input.
 */
export async function runSource(o: SourceRunOptions): Promise<void> {
  const { broker, source, topic, status, log, signal } = o;
  let produced = 0;
  status.set('ok');
  const iterator = source.read({ signal, log })[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      const next = await iterator.next();
      if (next.done) break;
      const good: OutgoingRecord[] = [];
      const bad: OutgoingRecord[] = [];
      for (const item of next.value) {
        if (item.kind === 'record') {
          if (o.limit !== undefined && produced + good.length >= o.limit) continue;
          good.push(item.record);
        } else {
          // Sources usually name the position in the message already (file:line): say it once.
          const where = item.error.message.startsWith(item.position) ? '' : `${item.position}: `;
          log.warn(`${source.name}: ${where}${item.error.message} (sent to ${dlqTopic(topic)})`);
          bad.push(deadLetterForInput(topic, item.error, item.raw, item.position));
        }
      }
      if (good.length > 0) await broker.produce(topic, good);
      if (bad.length > 0) await broker.produce(dlqTopic(topic), bad);
      produced += good.length;
      status.status.records = produced;
      status.status.dlq += bad.length;
      status.status.ts = Date.now();
      if (o.limit !== undefined && produced >= o.limit) break;
    }
    status.set('done');
  } catch (err) {
    status.set('failed', (err as Error).message);
    throw err;
  } finally {
    await iterator.return?.();
    await source.close?.();
  }
}
