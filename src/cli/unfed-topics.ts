import type { PipelineSpec } from '../core/app.ts';
import type { Broker } from '../core/broker.ts';
import { slipDistance } from '../core/closest-names.ts';
import { isInternalTopic } from '../core/internal-topics.ts';
import type { Logger } from '../core/log.ts';
import type { ComponentStatus } from '../core/status.ts';

/** `<topic>.dlq` and `<topic>.late`: written by the runtime, not by a step, and often rightly empty. */
const RUNTIME_SUFFIXES = ['.dlq', '.late'];

/**
 * After a run: a sink or step that read nothing from a topic that holds nothing and that no source or step
 * of the app writes by name was most likely given a misspelt topic (`sensors.per-minut`): the run ended
 * with exit 0 and an empty output, in silence. Said once per topic, with the written topic it is closest to.
 * Only empty topics are named: a step's `emitTo` side outputs are known only once written.
 */
export async function sayUnfedTopics(
  broker: Broker,
  spec: PipelineSpec,
  statuses: ComponentStatus[],
  log: Logger,
): Promise<void> {
  const written = new Set([...spec.sources.map((s) => s.topic), ...spec.processors.flatMap((p) => [...p.outputs])]);
  const told = new Set<string>();
  for (const s of statuses) {
    if (s.records > 0 || (s.component !== 'sink' && s.component !== 'processor')) continue;
    for (const topic of s.topics) {
      if (told.has(topic) || written.has(topic) || isInternalTopic(topic)) continue;
      if (RUNTIME_SUFFIXES.some((x) => topic.endsWith(x))) continue;
      const held = await broker.describeTopic(topic).catch(() => undefined);
      if ((held?.partitions ?? []).some((p) => p.endOffset > p.startOffset)) continue;
      told.add(topic);
      const meant = closestWritten(topic, written);
      log.warn(
        `${s.component} ${s.name} read nothing: ${topic} holds no records, and no source or step of ${spec.app} ` +
          `writes it by name${meant ? ` (did you mean ${meant}?)` : ' (a process step names its emitTo topics in outputs)'}`,
      );
    }
  }
}

/** The written topic a slip of a few letters away (or one containing the other), if any. */
function closestWritten(topic: string, written: Set<string>): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of written) {
    const d = name.includes(topic) || topic.includes(name) ? 1 : slipDistance(topic, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}
