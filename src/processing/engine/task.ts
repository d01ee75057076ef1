import type { StoreChanges } from '../../core/broker.ts';
import { deadLetterForRecord, dlqTopic, misfit, warnDeadLetter } from '../../core/dlq.ts';
import { ErrorCodes, type RunnelError, toRunnelError } from '../../core/errors.ts';
import { parseTimestamp } from '../../core/event-time.ts';
import { type Logger, silentLogger } from '../../core/log.ts';
import { type OutgoingRecord, type StreamRecord, WATERMARK_HEADER } from '../../core/record.ts';
import { userError } from '../../core/user-code.ts';
import { StoreState } from '../state/store-state.ts';
import { parsesFreshCached } from './fresh-parse.ts';
import { idleTimeoutOf, type Node, type SourceDecoding, type Subtopology, streamInputs } from './graph.ts';
import type { Emit, EngineRecord, Operator, TaskContext } from './operator.ts';
import { WatermarkTracker } from './watermark.ts';

/** Why a record that reaches windows or timers after the input's end is late (see process). */
const ENDED_REASON =
  'the input ended (a bounded run: --limit, a file read to its end, or consume --final): every window and timer has fired for good';

/** Headers that carry an upstream task's watermark through a repartition topic. */
export { WATERMARK_HEADER };

const FROM_HEADER = 'runnel.from';
/** An upstream task's watermark as it stood before the record that carries it (repartition topics). */
const CARRIED_HEADER = 'runnel.upstream-watermark';
/** The user-facing topic a repartitioned record was first read from. */
const SOURCE_TOPIC_HEADER = 'runnel.source-topic';
const OF_HEADER = 'runnel.of';

export const lateTopic = (topic: string): string => `${topic}.late`;

/** The store a task keeps its watermark in, committed with everything else. */
export const taskClockStore = (sub: Subtopology): string => `sub-${sub.index}.clock`;

export interface TaskOptions {
  app: string;
  /** The processor's name, in the lines it logs. */
  name?: string;
  sub: Subtopology;
  partition: number;
  /** Partitions of every topic the task writes, so watermark markers reach each one. */
  partitionsOf(topic: string): number;
  /** Partitions of the task's inputs (how many upstream tasks write each repartition topic). */
  inputPartitions: number;
  now(): number;
  /** Where operators' messages go; default: nowhere. */
  log?: Logger;
  /** Full store name: `<operator>.<store>`. */
  storeName(node: Node, local: string): string;
  /**
   * The task reads decoded batches this process's sinks share (TaskProcessor.readsCopies): every value is
   * deep-copied, so a step that changes its input (or keeps it in state and changes it later) never changes
   * what a sink writes. A schema's output may share nested parts with its input (z.any(), loose objects);
   * one that builds every part anew (parsesFresh) is not copied again.
   */
  copyInputs?: boolean;
}

/** An input topic as Task.process sees it (see #inputOf). */
interface InputInfo {
  topic: string;
  repartition: boolean;
  /** Its watermark input id for this task's own partition. */
  ownId: string;
  delay: number;
  /** The sources reading it, each with its decoding and the emit that starts its dataflow. */
  sources: Array<{ decoding: SourceDecoding; emit: Emit }>;
}

interface Counters {
  records: number;
  late: number;
  dlq: number;
  unjoined: number;
}

/**
 * One subtopology running for one input partition: its operators, this partition's stores, its
 * watermark. A batch goes in through `process`; `takeCommit` hands out what the batch produced (outputs
 * and the keys its stores changed) for the backend to commit atomically with the input positions.
 */
export class Task {
  readonly partition: number;
  readonly stores = new Map<string, StoreState>();
  readonly counters: Counters = { records: 0, late: 0, dlq: 0, unjoined: 0 };
  readonly #o: TaskOptions;
  readonly #wm: WatermarkTracker;
  readonly #ops = new Map<number, Operator>();
  readonly #emit = new Map<number, Emit>();
  /** Each node's children, as one function (built once: a watermark step runs for every record). */
  readonly #forward = new Map<number, Emit>();
  /** Watermark input ids of this task's own partition of each source topic, built once. */
  readonly #inputIds = new Map<string, string>();
  readonly #ctx = new Map<number, TaskContext>();
  /** The operators that react to the watermark, in #ops order, looked up once: it moves at most records. */
  readonly #watchers: Array<{ op: Operator; ctx: TaskContext; emit: Emit }> = [];
  readonly #sources = new Map<string, Array<Node & { kind: 'source' }>>();
  #outputs = new Map<string, OutgoingRecord[]>();
  #watermark = Number.NEGATIVE_INFINITY;
  #markedWatermark = Number.NEGATIVE_INFINITY;
  /** When this task last sent its watermark downstream, and whether input came since (see #markWatermark). */
  #markedAt = Number.NEGATIVE_INFINITY;
  #inputSinceMark = false;
  readonly #heartbeatMs: number;
  #current: EngineRecord | undefined;
  /** The watermark records written now carry: the one before an advance while operators react to it. */
  #carried = Number.NEGATIVE_INFINITY;
  /** Per input topic: how far ahead its watermark counts, and where it starts (StreamOptions). */
  readonly #delay = new Map<string, number>();
  readonly #initial = new Map<string, number>();
  readonly #upstreams = new Map<string, number>();
  readonly #clockStore: string;
  readonly #inputInfo = new Map<string, InputInfo>();
  #lastInput: InputInfo | undefined;

  constructor(o: TaskOptions) {
    this.#o = o;
    this.partition = o.partition;
    const decodings = o.sub.nodes.flatMap((n) => (n.kind === 'source' ? [n.decoding] : []));
    const idleTimeoutMs = idleTimeoutOf(decodings);
    this.#wm = new WatermarkTracker({
      maxOutOfOrderMs: Math.max(0, ...streamInputs(decodings).map((d) => d.maxOutOfOrderMs ?? 0)),
      idleTimeoutMs,
    });
    this.#heartbeatMs = idleTimeoutMs / 3;
    this.#clockStore = taskClockStore(o.sub);
    this.stores.set(this.#clockStore, new StoreState(this.#clockStore, o.partition));
    for (const n of o.sub.nodes) {
      if (n.kind === 'source') {
        if (n.decoding.watermarkDelayMs) this.#delay.set(n.topic, n.decoding.watermarkDelayMs);
        if (n.decoding.initialWatermark !== undefined) this.#initial.set(n.topic, n.decoding.initialWatermark);
        const list = this.#sources.get(n.topic) ?? [];
        list.push(n);
        this.#sources.set(n.topic, list);
      }
      if (n.kind === 'op')
        for (const s of n.spec.stores ?? []) {
          const name = o.storeName(n, s.name);
          this.stores.set(name, new StoreState(name, o.partition, s.ttlMs));
        }
    }
    const now = o.now();
    for (const topic of o.sub.inputs) {
      if (this.#tableOnly(topic)) continue;
      if (o.sub.repartitionInputs.includes(topic))
        for (let p = 0; p < o.inputPartitions; p++) this.#wm.expect(`${topic}<${p}`, now, this.#initialOf(topic));
      else this.#wm.expect(`${topic}/${o.partition}`, now, this.#initialOf(topic));
    }
  }

  /** A topic read only as a table: it holds no watermark back (see SourceDecoding.table). */
  #tableOnly(topic: string): boolean {
    return this.#sources.get(topic)?.every((n) => n.decoding.table) ?? false;
  }

  /** Where an input's watermark starts, counted ahead by its delay (-Infinity: nowhere yet). */
  #initialOf(topic: string): number {
    return (this.#initial.get(topic) ?? Number.NEGATIVE_INFINITY) + (this.#delay.get(topic) ?? 0);
  }

  /** Builds the operators once the stores hold their restored state. */
  start(): void {
    const o = this.#o;
    // What process looked up per input holds the emits built below.
    this.#inputInfo.clear();
    this.#lastInput = undefined;
    // State restored after a while down may hold entries whose TTL ran out meanwhile: gone before anything
    // reads them (commits expire entries, but the first batch would have read them first).
    for (const s of this.stores.values()) s.expire(o.now());
    const saved = this.stores.get(this.#clockStore)?.get<ReturnType<WatermarkTracker['snapshot']>>('watermark');
    if (saved) {
      this.#wm.restore(saved, o.now());
      // State of a version whose tables held the watermark back: their inputs would hold it until idle.
      for (const input of Object.keys(saved.inputs)) {
        const topic = input.replace(/[/<]\d+$/, '');
        if (this.#tableOnly(topic)) this.#wm.forget(input);
      }
      this.#watermark = this.#wm.current;
      this.#markedWatermark = this.#watermark;
      this.#carried = this.#watermark;
    }
    const base = this.#baseContext();
    // Children before parents, so each node's emit can call its children's already built functions.
    for (const n of [...o.sub.nodes].reverse()) {
      const children = n.children.map((c) => this.#emit.get(c)!);
      const forward: Emit =
        children.length === 1
          ? children[0]!
          : (r) => {
              for (const c of children) c(r);
            };
      this.#forward.set(n.id, forward);
      if (n.kind === 'op') {
        const op = n.spec.create();
        const ctx: TaskContext = Object.create(base, {
          store: { value: this.#storesOf(n) },
        });
        this.#ops.set(n.id, op);
        this.#ctx.set(n.id, ctx);
        this.#emit.set(n.id, (r) => op.process(r, ctx, forward));
      } else if (n.kind === 'sink') {
        this.#emit.set(n.id, (r) => this.#toTopic(n, r));
      } else {
        this.#emit.set(n.id, forward);
      }
    }
    for (const [id, op] of this.#ops) op.init?.(this.#ctx.get(id)!);
    for (const [id, op] of this.#ops)
      if (op.onWatermark) this.#watchers.push({ op, ctx: this.#ctx.get(id)!, emit: this.#forwardOf(id) });
  }

  get watermark(): number {
    return this.#watermark;
  }

  /** Its operators act on the watermark (windows, timers): an ended input leaves them nothing to do. */
  get timed(): boolean {
    return this.#watchers.length > 0;
  }

  /** Runs one input record through the dataflow; a failure sends it to the dead-letter topic. */
  process(r: StreamRecord, now = this.#o.now()): void {
    this.#inputSinceMark = true;
    const marker = r.headers[WATERMARK_HEADER];
    const from = this.#inputOf(r.topic);
    const isRepartition = from.repartition;
    const input = isRepartition
      ? `${r.topic}<${r.headers[FROM_HEADER] ?? 0}`
      : r.partition === this.partition
        ? from.ownId
        : this.#inputId(r.topic, r.partition);
    if (isRepartition) this.#syncUpstreams(r.topic, Number(r.headers[OF_HEADER] ?? this.#o.inputPartitions));
    const delay = from.delay;
    if (marker !== undefined) {
      if (this.#wm.observeWatermark(input, Number(marker) + delay, now)) this.#advance();
      return;
    }
    // Behind a repartition topic, progress is the upstream task's watermark, carried on each record as it
    // stood before that record: observed first, exactly as a marker at that place would be, so the
    // results do not depend on where the upstream task's batches (and so its markers) fell.
    const carried = isRepartition ? r.headers[CARRIED_HEADER] : undefined;
    if (carried !== undefined && this.#wm.observeWatermark(input, Number(carried) + delay, now)) this.#advance();
    this.counters.records++;
    // Ended for good (a bounded run's end, maybe an earlier run's): windows and timers will never fire
    // again, so a record they would hold is late, said and kept in .late, not stored to wait for ever.
    const ended = this.#watermark === Number.POSITIVE_INFINITY && this.timed;
    for (const source of from.sources) {
      const rec = this.#decode(r, source.decoding);
      if (!rec) continue;
      if (ended) {
        this.#late(rec, ENDED_REASON);
        continue;
      }
      this.#current = rec;
      try {
        source.emit(rec);
      } catch (err) {
        this.#deadLetterCurrent(userError(err, ErrorCodes.PROCESSING_FAILED));
      }
      this.#current = undefined;
      if (!isRepartition && !source.decoding.table && this.#wm.observe(input, rec.timestamp + delay, now))
        this.#advance();
    }
  }

  /** What process needs to know of an input topic, looked up once per topic (the last one kept at hand). */
  #inputOf(topic: string): InputInfo {
    const last = this.#lastInput;
    if (last !== undefined && last.topic === topic) return last;
    let info = this.#inputInfo.get(topic);
    if (info === undefined) {
      info = {
        topic,
        repartition: this.#o.sub.repartitionInputs.includes(topic),
        ownId: this.#inputId(topic, this.partition),
        delay: this.#delay.get(topic) ?? 0,
        sources: (this.#sources.get(topic) ?? []).map((n) => ({ decoding: n.decoding, emit: this.#emit.get(n.id)! })),
      };
      this.#inputInfo.set(topic, info);
    }
    this.#lastInput = info;
    return info;
  }

  /**
   * How many upstream tasks write a repartition topic is what they say (their input's partitions), which
   * may differ from the repartition topic's own count: expected inputs beyond it would hold the watermark.
   */
  #syncUpstreams(topic: string, upstreams: number): void {
    if (this.#upstreams.get(topic) === upstreams || !Number.isInteger(upstreams) || upstreams < 1) return;
    const before = this.#upstreams.get(topic) ?? this.#o.inputPartitions;
    const now = this.#o.now();
    for (let p = upstreams; p < before; p++) this.#wm.forget(`${topic}<${p}`);
    for (let p = before; p < upstreams; p++) this.#wm.expect(`${topic}<${p}`, now, this.#initialOf(topic));
    this.#upstreams.set(topic, upstreams);
  }

  /** Processing time passed without records: idle inputs may release the watermark. */
  tick(): void {
    if (this.#wm.tick(this.#o.now())) this.#advance();
  }

  /** The input ended for good (a bounded run drained): every window closes. False if it had already. */
  endOfInput(): boolean {
    if (!this.#wm.end()) return false;
    this.#advance();
    return true;
  }

  /** Ends the batch: lets operators flush, marks the watermark downstream, and hands out the commit. */
  takeCommit(): { outputs: Map<string, OutgoingRecord[]>; state: StoreChanges[] } {
    for (const [id, op] of this.#ops) op.flush?.(this.#ctx.get(id)!, this.#forwardOf(id));
    const now = this.#o.now();
    this.#markWatermark(now);
    const clock = this.stores.get(this.#clockStore)!;
    const snap = this.#wm.snapshot();
    if (JSON.stringify(snap) !== JSON.stringify(clock.get('watermark'))) clock.set('watermark', snap, now);
    const state: StoreChanges[] = [];
    for (const s of this.stores.values()) {
      s.expire(now);
      const changes = s.takeChanges();
      if (changes.length > 0)
        state.push({ store: s.name, partition: this.partition, changes, held: s.size, latest: () => s.latest() });
    }
    const outputs = this.#outputs;
    this.#outputs = new Map();
    return { outputs, state };
  }

  #advance(): void {
    this.#watermark = this.#wm.current;
    // What operators emit as the watermark moves (a window closing at its end) is event time below the new
    // watermark: it carries the old one, or a reader downstream would find it late.
    try {
      for (const w of this.#watchers) {
        try {
          w.op.onWatermark!(this.#watermark, w.ctx, w.emit);
        } catch (err) {
          throw toRunnelError(err, ErrorCodes.PROCESSING_FAILED);
        }
      }
    } finally {
      this.#carried = this.#watermark;
    }
  }

  #inputId(topic: string, partition: number): string {
    if (partition !== this.partition) return `${topic}/${partition}`;
    let id = this.#inputIds.get(topic);
    if (id === undefined) {
      id = `${topic}/${partition}`;
      this.#inputIds.set(topic, id);
    }
    return id;
  }

  #forwardOf(id: number): Emit {
    const built = this.#forward.get(id);
    if (built) return built;
    const node = this.#o.sub.nodes.find((n) => n.id === id)!;
    const children = node.children.map((c) => this.#emit.get(c)!);
    return (r) => {
      for (const c of children) c(r);
    };
  }

  /**
   * Repartition topics carry this task's watermark to every downstream partition, once it moved, and again
   * now and then while input comes in and it stands still: a downstream partition that gets none of this
   * task's keys hears from it only by markers, and would take it for idle (a task reading records of one
   * event time on end, or waiting out another input) and let records of this task's be late.
   */
  #markWatermark(now: number): void {
    const moved = this.#watermark > this.#markedWatermark;
    // Also at -Infinity (waiting for another input): a marker of it says only that this task is alive.
    const beat =
      this.#inputSinceMark && this.#watermark !== Number.POSITIVE_INFINITY && now - this.#markedAt >= this.#heartbeatMs;
    if (!moved && !beat) return;
    this.#markedWatermark = this.#watermark;
    this.#markedAt = now;
    this.#inputSinceMark = false;
    for (const n of this.#o.sub.nodes) {
      if (n.kind !== 'sink' || !(n.repartition || n.carryWatermark)) continue;
      const wm = this.#watermark === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : this.#watermark;
      for (let p = 0; p < this.#o.partitionsOf(n.topic); p++) {
        this.#push(n.topic, {
          partition: p,
          key: null,
          value: null,
          timestamp: Math.max(0, wm),
          headers: {
            [WATERMARK_HEADER]: String(wm),
            [FROM_HEADER]: String(this.partition),
            [OF_HEADER]: String(this.#o.inputPartitions),
          },
        });
      }
    }
  }

  #toTopic(n: Node & { kind: 'sink' }, r: EngineRecord): void {
    let headers = r.headers;
    if (n.repartition || n.carryWatermark) {
      headers = { ...r.headers, [FROM_HEADER]: String(this.partition), [OF_HEADER]: String(this.#o.inputPartitions) };
      // A record handed on from another marker-carrying input must not keep that input's watermark.
      if (Number.isFinite(this.#carried)) headers[CARRIED_HEADER] = String(this.#carried);
      else delete headers[CARRIED_HEADER];
      // Late and dead-letter records name the topic the user wrote to, not the internal one.
      if (n.repartition) headers[SOURCE_TOPIC_HEADER] ??= r.origin.topic;
    }
    this.#push(n.topic, { key: r.key, value: r.value, timestamp: r.timestamp, headers });
  }

  #push(topic: string, rec: OutgoingRecord): void {
    const list = this.#outputs.get(topic);
    if (list) list.push(rec);
    else this.#outputs.set(topic, [rec]);
  }

  #decode(r: StreamRecord, d: SourceDecoding): EngineRecord | undefined {
    let value = r.value;
    if (d.schema) {
      const parsed = d.schema.safeParse(value);
      if (!parsed.success) {
        // Worded as the consumers word the misfits they dead-letter: one reason wherever a record is refused.
        this.#deadLetter(r, misfit(r.topic, `${r.topic}@${r.partition}:${r.offset}`, parsed.error, r.value));
        return undefined;
      }
      value = parsed.data;
      // A schema that builds its output anew already gave this step a copy of its own.
      if (this.#o.copyInputs && typeof value === 'object' && value !== null && !parsesFreshCached(d.schema))
        value = structuredClone(value);
    }
    let timestamp = r.timestamp;
    if (d.eventTime !== undefined) {
      const t =
        typeof d.eventTime === 'function'
          ? d.eventTime(value as never)
          : fieldTime((value as Record<string, unknown> | null)?.[d.eventTime], d.eventTimeUnit);
      if (t === undefined || !Number.isFinite(t)) {
        const what = typeof d.eventTime === 'string' ? `field "${d.eventTime}"` : 'the eventTime function';
        this.#deadLetter(
          r,
          toRunnelError(
            new Error(`${r.topic}@${r.partition}:${r.offset}: no event time in ${what}`),
            ErrorCodes.SCHEMA_MISMATCH,
          ),
        );
        return undefined;
      }
      timestamp = t;
    }
    // A plain object, as users see it (ctx.origin, late records' source): it points at nothing young.
    const origin = { topic: r.topic, partition: r.partition, offset: r.offset };
    return new SourceRecord(r.key, value, timestamp, r.headers, origin);
  }

  #deadLetter(r: StreamRecord, e: RunnelError): void {
    this.counters.dlq++;
    const topic = dlqTopic(r.headers[SOURCE_TOPIC_HEADER] ?? r.topic);
    const name = this.#o.name ?? this.#o.app;
    if (this.#o.log) warnDeadLetter(this.#o.log, name, `${name}: ${e.message} (sent to ${topic})`);
    this.#push(topic, deadLetterForRecord(r, e));
  }

  #deadLetterCurrent(e: RunnelError): void {
    const c = this.#current;
    if (!c) throw e;
    this.#deadLetter({ ...c.origin, key: c.key, value: c.value, timestamp: c.timestamp, headers: c.headers }, e);
  }

  /**
   * An operator's `ctx.store(local)`: its stores by their local names, looked up in a map of its own. A
   * process step binds its stores for each record (storesFor: for every position stopcovid's person stage
   * reads), and building the full name and hashing it anew each time was most of what that cost.
   */
  #storesOf(n: Node): (local: string) => StoreState {
    const byLocal = new Map<string, StoreState>();
    return (local) => {
      let s = byLocal.get(local);
      if (s === undefined) {
        s = this.#store(this.#o.storeName(n, local));
        byLocal.set(local, s);
      }
      return s;
    };
  }

  #store(name: string): StoreState {
    const s = this.stores.get(name);
    if (!s) throw new Error(`store ${name} was not declared by its operator`);
    return s;
  }

  #baseContext(): TaskContext {
    const task = this;
    return {
      partition: this.partition,
      get watermark() {
        return task.#watermark;
      },
      now: () => this.#o.now(),
      log: this.#o.log ?? silentLogger,
      store: (name) => this.#store(name),
      output: (topic, rec) => this.#push(topic, rec),
      deadLetter: (rec, err) => {
        this.#deadLetter(
          { ...rec.origin, key: rec.key, value: rec.value, timestamp: rec.timestamp, headers: rec.headers },
          err,
        );
      },
      late: (rec, reason) => this.#late(rec, reason),
      unjoined: () => {
        this.counters.unjoined++;
      },
    };
  }

  #late(rec: Parameters<TaskContext['late']>[0], reason: string): void {
    this.counters.late++;
    this.#push(lateTopic(rec.headers[SOURCE_TOPIC_HEADER] ?? rec.origin.topic), {
      key: rec.key,
      value: {
        reason,
        record: rec.value,
        eventTime: rec.timestamp,
        watermark: this.#watermark,
        source: rec.origin,
      },
      timestamp: rec.timestamp,
      headers: { ...rec.headers, 'late.reason': reason.slice(0, 500) },
    });
  }
}

/**
 * A record entering the dataflow, built by a constructor rather than an object literal: V8
 * tracks a literal's allocation site and, when a scavenge finds most of its objects alive, allocates the
 * rest straight into the old generation ("pretenuring"). For these that decision was wrong and costly: a
 * record dies within its batch, but an old one, dead or not, keeps the young value it points to alive
 * through every scavenge until the next full collection, so each batch's parsed input was promoted. A
 * windowed count ran 1.6x slower with it (`node --no-allocation-site-pretenuring` showed it). Its origin
 * stays a plain object (users see it), which points at nothing young.
 */
class SourceRecord implements EngineRecord {
  key: string | null;
  value: unknown;
  timestamp: number;
  headers: Record<string, string>;
  origin: EngineRecord['origin'];
  constructor(
    key: string | null,
    value: unknown,
    timestamp: number,
    headers: Record<string, string>,
    origin: EngineRecord['origin'],
  ) {
    this.key = key;
    this.value = value;
    this.timestamp = timestamp;
    this.headers = headers;
    this.origin = origin;
  }
}

function fieldTime(v: unknown, unit: SourceDecoding['eventTimeUnit']): number | undefined {
  if (typeof v === 'string' && unit !== undefined && unit !== 'auto' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) v = Number(v);
  if (typeof v === 'number') return unit === 'ms' ? v : unit === 's' ? v * 1000 : v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') {
    const t = parseTimestamp(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}
