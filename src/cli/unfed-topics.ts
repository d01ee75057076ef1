import type { PipelineSpec } from '../core/app.ts';
import type { Broker } from '../core/broker.ts';
import { slipOf } from '../core/closest-names.ts';
import { isInternalTopic } from '../core/internal-topics.ts';
import type { Logger } from '../core/log.ts';
import type { ComponentStatus } from '../core/status.ts';

/** `<topic>.dlq` and `<topic>.late`: written by the runtime, not by a step, and often rightly empty. */
const RUNTIME_SUFFIXES = ['.dlq', '.late'];

/** Topics the app's sources and steps write by name (a process step's declared `outputs` included). */
function writtenBy(spec: PipelineSpec): Set<string> {
  const written = new Set([...spec.sources.map((s) => s.topic), ...spec.processors.flatMap((p) => [...p.outputs])]);
  // An app without sources reads what others write: its inputs are not misspelt for being empty (a drain of
  // one says "run produce first" itself).
  if (spec.sources.length === 0) for (const p of spec.processors) for (const t of p.inputs) written.add(t);
  return written;
}

/** Whether `topic` is one nobody of the app is expected to write: the runtime's, runnel's own, or written. */
const expected = (topic: string, written: Set<string>) =>
  written.has(topic) || isInternalTopic(topic) || RUNTIME_SUFFIXES.some((x) => topic.endsWith(x));

/**
 * Before a run: a sink or step reading a topic no source or step of the app writes, a slip away from one
 * that is written (`sensors.per-minut`), is most likely misspelt. Said at start, not after a run that may
 * last for hours; the topics told are returned, so the end of the run does not tell them again.
 */
export function sayMisspeltTopics(spec: PipelineSpec, log: Logger): Set<string> {
  const written = writtenBy(spec);
  const told = new Set<string>();
  const readers = [
    ...spec.sinks.map((s) => ({ what: `sink ${s.sink.name}`, topic: s.topic })),
    ...spec.processors.flatMap((p) => p.inputs.map((topic) => ({ what: `processor ${p.name}`, topic }))),
  ];
  for (const { what, topic } of readers) {
    if (told.has(topic) || expected(topic, written)) continue;
    const meant = slipOf(topic, written, { contained: true });
    if (!meant) continue;
    told.add(topic);
    log.warn(`${what} reads ${topic}, which no source or step of ${spec.app} writes: did you mean ${meant}?`);
  }
  return told;
}

/**
 * After a run: a sink or step that read nothing from a topic that holds nothing and that no source or step
 * of the app writes by name may have been given a misspelt topic: the run ended with exit 0 and an empty
 * output, in silence. Only empty topics are named: a step's undeclared `emitTo` topics are known only once
 * written.
 */
export async function sayUnfedTopics(
  broker: Broker,
  spec: PipelineSpec,
  statuses: ComponentStatus[],
  log: Logger,
  toldAtStart: Set<string> = new Set(),
): Promise<void> {
  const written = writtenBy(spec);
  const told = new Set(toldAtStart);
  for (const s of statuses) {
    if (s.records > 0 || (s.component !== 'sink' && s.component !== 'processor')) continue;
    for (const topic of s.topics) {
      if (told.has(topic) || expected(topic, written)) continue;
      const held = await broker.describeTopic(topic).catch(() => undefined);
      if ((held?.partitions ?? []).some((p) => p.endOffset > p.startOffset)) continue;
      told.add(topic);
      log.warn(
        `${s.component} ${s.name} read nothing: ${topic} holds no records, and no source or step of ${spec.app} ` +
          'writes it by name (a process step names its emitTo topics in outputs)',
      );
    }
  }
}

/**
 * At a dashboard's start: a panel of the user's own app reading a topic that is not on the broker, a slip
 * away from one that is, would wait for records for ever ("No records on clicks.peruser yet"), in
 * silence. A topic merely not made yet (the app has not run) is no slip of another, and is not named.
 */
export async function sayPanelTopicSlips(
  broker: Broker,
  apps: Array<{ name: string; panels: Array<{ id: string; topic: string }> }>,
  log: Logger,
): Promise<void> {
  const onBroker = new Set((await broker.listTopics().catch(() => [])).map((t) => t.name));
  for (const app of apps) {
    for (const panel of app.panels) {
      if (onBroker.has(panel.topic)) continue;
      const meant = slipOf(panel.topic, onBroker, { contained: true });
      if (meant)
        log.warn(
          `app ${JSON.stringify(app.name)}, panel ${JSON.stringify(panel.id)} reads ${panel.topic}, which is not on ` +
            `this broker: did you mean ${meant}?`,
        );
    }
  }
}
