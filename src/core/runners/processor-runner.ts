import { type Broker, endOffsets } from '../broker.ts';
import type { Processor, ProcessorContext } from '../connector.ts';
import { deadLetterForRecord, dlqTopic } from '../dlq.ts';
import { ErrorCodes, toRunnelError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type OutgoingRecord, type StreamRecord, type TopicPartitionOffset, tpKey } from '../record.ts';
import type { StateStore } from '../state-store.ts';
import type { StatusCell } from '../status.ts';
import { ConsumerLoop, type InputShape } from './consumer-loop.ts';
import { placeId } from './place-id.ts';

/**
 * One group per processor *and state file*: two folders running the same app on one broker are two
 * deployments (each keeps its own state), not two members splitting the partitions of one. Processes
 * sharing a state folder share the group, as scaling out wants.
 */
export const processorGroup = (app: string, name: string, statePath: string): string =>
  `runnel.${app}.proc.${name}.${placeId(statePath)}`;

/** A processor's entry in the state store: its state belongs to the topics it was built from. */
export const processorStateKey = (app: string, p: Pick<Processor, 'name' | 'inputs'>): string =>
  `${app}/${p.name}/${[...p.inputs].sort().join(',')}`;

export interface ProcessorRunOptions {
  broker: Broker;
  app: string;
  processor: Processor;
  store: StateStore;
  status: StatusCell;
  log: Logger;
  signal: AbortSignal;
  inputShape?: InputShape;
}

interface Computed {
  batch: StreamRecord[];
  outputs: Map<string, OutgoingRecord[]>;
}

/**
 * Runs a processor: outputs are produced before the state snapshot and input positions are saved
 * together, so a crash repeats at most the outputs of one batch and never double-counts state.
 */
export class ProcessorRunner {
  readonly loop: ConsumerLoop;
  readonly #positions = new Map<string, TopicPartitionOffset>();
  #computed: Computed | undefined;

  constructor(o: ProcessorRunOptions) {
    const { processor: p, store } = o;
    // State belongs to the topics it was built from: an app pointed at another topic (SMOKER_TOPIC=…)
    // starts fresh instead of carrying a stall window over from the old one.
    const key = processorStateKey(o.app, p);
    const saved = store.load(key);
    if (saved) {
      p.restore(saved.state as never);
      for (const pos of saved.positions) this.#positions.set(tpKey(pos.topic, pos.partition), pos);
    }
    this.loop = new ConsumerLoop({
      broker: o.broker,
      group: processorGroup(o.app, p.name, store.path),
      topics: p.inputs,
      status: o.status,
      log: o.log,
      signal: o.signal,
      storedPositions: async () => {
        if (!saved) await this.#startFresh(o, key);
        return [...this.#positions.values()];
      },
      holder: `state in ${store.path}`,
      ...(o.inputShape ? { inputShape: o.inputShape } : {}),
      handle: async (records, positions) => {
        // Compute once per batch: a retried produce must not feed the same records to the state twice. An
        // empty batch (only misfits) moves the positions and nothing else: no flush, no stats snapshot.
        if (this.#computed?.batch !== records) {
          this.#computed = { batch: records, outputs: records.length > 0 ? this.#compute(o, records) : new Map() };
        }
        for (const [topic, out] of this.#computed.outputs) await o.broker.produce(topic, out);
        for (const pos of positions) this.#positions.set(tpKey(pos.topic, pos.partition), pos);
        store.save(key, p.snapshot(), [...this.#positions.values()]);
        this.#computed = undefined;
      },
    });
  }

  /**
   * A processor with no saved state reads its inputs from the start and writes every output again. Over
   * outputs already there (another state folder's on a shared broker, or a state folder since removed)
   * that doubles them for every consumer: said once, with what avoids it. An empty state is saved at once,
   * so a crash before the first batch is saved restarts as a resume, not as another fresh start.
   */
  async #startFresh(o: ProcessorRunOptions, key: string): Promise<void> {
    const { processor: p, broker, store } = o;
    const written = async (topics: string[]) => (await endOffsets(broker, topics)).reduce((n, p) => n + p.offset, 0);
    const outputs = await written(p.outputs);
    if (outputs > 0 && (await written(p.inputs)) > 0) {
      o.log.warn(
        `${p.name}: its state (${store.path}) is new, but ${p.outputs.join(', ')} on ${broker.url} already holds ` +
          `${outputs} record(s) computed from ${p.inputs.join(', ')} with other state: they will be written again ` +
          '(use the --state-dir that made them to avoid it)',
      );
    }
    store.save(key, p.snapshot(), []);
  }

  #compute(o: ProcessorRunOptions, records: StreamRecord[]): Map<string, OutgoingRecord[]> {
    const outputs = new Map<string, OutgoingRecord[]>();
    const ctx: ProcessorContext = {
      emit: (topic, record) => {
        const list = outputs.get(topic);
        if (list) list.push(record);
        else outputs.set(topic, [record]);
      },
      log: o.log,
    };
    let dead = 0;
    for (const r of records) {
      try {
        o.processor.process(r, ctx);
      } catch (err) {
        const e = toRunnelError(err, ErrorCodes.PROCESSING_FAILED);
        ctx.emit(dlqTopic(r.topic), deadLetterForRecord(r, e));
        if (dead++ === 0)
          o.log.warn(
            `${o.processor.name}: ${r.topic}@${r.partition}:${r.offset}: ${e.message} (sent to ${dlqTopic(r.topic)})`,
          );
      }
    }
    o.status.status.dlq += dead;
    o.processor.flush?.(ctx);
    return outputs;
  }
}
