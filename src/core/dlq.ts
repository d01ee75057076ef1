import type { z } from 'zod';
import { ErrorCodes, RunnelError } from './errors.ts';
import type { OutgoingRecord, StreamRecord } from './record.ts';

export const dlqTopic = (topic: string): string => `${topic}.dlq`;

/** What a dead-letter record holds: why it failed, where it came from, and the payload as received. */
export interface DeadLetter {
  error: { code: string; message: string };
  source: { topic?: string; partition?: number; offset?: number; position?: string };
  raw: string;
  ts: number;
}

function deadLetter(error: RunnelError, source: DeadLetter['source'], raw: string, key: string | null): OutgoingRecord {
  const value: DeadLetter = { error: { code: error.code, message: error.message }, source, raw, ts: Date.now() };
  const headers: Record<string, string> = { 'error.code': error.code, 'error.message': error.message.slice(0, 500) };
  if (source.topic !== undefined) headers['source.topic'] = source.topic;
  if (source.partition !== undefined) headers['source.partition'] = String(source.partition);
  if (source.offset !== undefined) headers['source.offset'] = String(source.offset);
  if (source.position !== undefined) headers['source.position'] = source.position;
  return { key, value, headers };
}

/** A value as the dead letter's `raw` text: strings as they are, anything else as its JSON. */
export function rawOf(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

/** A record consumed from a topic that a processor or sink could not handle. */
export function deadLetterForRecord(record: StreamRecord, error: RunnelError): OutgoingRecord {
  return deadLetter(
    error,
    { topic: record.topic, partition: record.partition, offset: record.offset },
    rawOf(record.value),
    record.key,
  );
}

/** Input a source could not parse (a bad CSV row, a line that is not JSON). */
export function deadLetterForInput(topic: string, error: RunnelError, raw: string, position: string): OutgoingRecord {
  return deadLetter(error, { topic, position }, raw, null);
}

/** A value that does not fit its app's input shape, named by where it was read and zod's first complaint. */
export function misfit(topic: string, position: string, error: z.ZodError, value: unknown): RunnelError {
  const issue = error.issues[0];
  const why = issue ? `${issue.path.length > 0 ? issue.path.join('.') : 'value'}: ${issue.message}` : 'does not fit';
  // "a valid": an article picked by the topic's first letter read "not an users_created record" (a topic
  // name is not a word: "u" may sound as "you", "h" may be silent); "valid" takes "a" whatever follows.
  return new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `${position}: not a valid ${topic} record (${why})`, { value });
}

/** Dead letters told in full per component before the rest are counted (each one is in `<topic>.dlq`). */
export const DEAD_LETTERS_TOLD = 10;
/** How often the count of the untold ones is said, at most (ms). */
const UNTOLD_EVERY_MS = 10_000;

interface Told {
  told: number;
  untold: number;
  latest: string;
  at: number;
}
/** Per logger (one per process or run), per component: shared by the tasks of one step. */
const toldBy = new WeakMap<object, Map<string, Told>>();

/**
 * Says a dead letter on `log`: the first DEAD_LETTERS_TOLD of a component in full, then one line at most
 * every 10 s counting those since, with the latest reason. A file with the wrong event-time field wrote
 * 1,214 warnings, one per row, and the summary line that said what happened scrolled away.
 */
export function warnDeadLetter(
  log: { warn(message: string): void },
  component: string,
  message: string,
  now = Date.now(),
): void {
  const byComponent = toldBy.get(log) ?? new Map<string, Told>();
  toldBy.set(log, byComponent);
  const t = byComponent.get(component) ?? { told: 0, untold: 0, latest: '', at: now };
  byComponent.set(component, t);
  if (t.told < DEAD_LETTERS_TOLD) {
    t.told++;
    log.warn(message);
    if (t.told === DEAD_LETTERS_TOLD)
      log.warn(
        `${component}: further dead letters are counted here, a line every 10 s (each one is kept in its .dlq topic)`,
      );
    t.at = now;
    return;
  }
  t.untold++;
  t.latest = message;
  if (now - t.at < UNTOLD_EVERY_MS) return;
  log.warn(`${component}: ${t.untold} more dead-lettered; the latest: ${t.latest}`);
  t.untold = 0;
  t.at = now;
}
