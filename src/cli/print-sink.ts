import type { AppPrint, SinkBinding } from '../core/app.ts';
import type { Sink, SinkWriteResult } from '../core/connector.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import type { StreamRecord } from '../core/record.ts';
import { whenStdoutCloses } from './stdout.ts';

/** Writes text and resolves once it is handed to the OS (a pipe takes it later than `write` returns). */
type Output = (text: string) => Promise<void>;
const stdout: Output = (text) => new Promise((resolve) => process.stdout.write(text, () => resolve()));

/**
 * What `runnel consume` prints (an app's `prints`): a sink of its own consumer group, so each record is
 * printed by the worker that owns its partition, once per group as the other sinks write theirs; a batch is
 * committed once its lines are out of the process (a kill between the two prints it again: at least once).
 * The first run prints the topic from its start, as the seed's Consumer.py (`auto_offset_reset='earliest'`).
 * A `line` that throws dead-letters that record, named; a reader that closes the pipe (`| head`) ends the
 * printing, not the consume.
 */
export function printBinding(print: AppPrint, out: Output = stdout): SinkBinding {
  let closed = false;
  let restore: (() => void) | undefined;
  const sink: Sink = {
    name: 'print',
    // Not a path: the group is the same from any folder or host.
    target: 'stdout://',
    async open(ctx) {
      if (out !== stdout) return;
      restore = whenStdoutCloses(() => {
        if (closed) return;
        closed = true;
        ctx.log.warn(`print: stdout was closed; ${print.topic} is no longer printed, the rest goes on`);
      });
    },
    async write(records: StreamRecord[]): Promise<SinkWriteResult> {
      const rejected: NonNullable<SinkWriteResult['rejected']> = [];
      let text = '';
      for (const r of records) {
        try {
          const line = print.line(r.value);
          if (line !== undefined) text += `${line}\n`;
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          const where = `${r.topic} partition ${r.partition} offset ${r.offset}`;
          rejected.push({
            record: r,
            error: new RunnelError(ErrorCodes.PROCESSING_FAILED, `prints.line failed on ${where}: ${why}`, {
              cause: err,
            }),
          });
        }
      }
      if (text && !closed) await out(text);
      return { rejected };
    },
    async close() {
      restore?.();
      restore = undefined;
    },
  };
  // Here, not in a sink thread: the app has no such sink, and the text is for this process's stdout.
  return { topic: print.topic, sink, here: true };
}
