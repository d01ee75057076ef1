import type { AppPrint, SinkBinding } from '../core/app.ts';
import type { Sink } from '../core/connector.ts';
import type { StreamRecord } from '../core/record.ts';

const printSinks = new WeakSet<Sink>();

/** Whether a sink is `consume`'s printer: the CLI's own, not one of the app's (a sink thread has no such). */
export const isPrintSink = (sink: Sink): boolean => printSinks.has(sink);

/**
 * What `runnel consume` prints (an app's `prints`): a sink of its own consumer group, so each record is
 * printed by the worker that owns its partition, once per group as the other sinks write theirs (a kill
 * between the print and the commit prints that batch again: at least once, as a terminal can only be).
 * The first run prints the topic from its start, as the seed's Consumer.py (`auto_offset_reset='earliest'`).
 */
export function printBinding(
  print: AppPrint,
  write: (text: string) => void = (t) => process.stdout.write(t),
): SinkBinding {
  const sink: Sink = {
    name: 'print',
    target: 'stdout',
    async open() {},
    async write(records: StreamRecord[]) {
      let text = '';
      for (const r of records) {
        const line = print.line(r.value);
        if (line !== undefined) text += `${line}\n`;
      }
      if (text) write(text);
      return undefined;
    },
    async close() {},
  };
  printSinks.add(sink);
  return { topic: print.topic, sink };
}
