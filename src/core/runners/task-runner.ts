import { type AtomicCommit, type Consumer, type StateBackend, type StatefulBroker, sinceOf } from '../broker.ts';
import type { ProcessorTask, TaskProcessor } from '../connector.ts';
import { Yielder } from '../cooperative.ts';
import { ErrorCodes, isRunnelError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type TopicPartitionOffset, tpKey } from '../record.ts';
import { retrying } from '../retry.ts';
import type { StatusCell } from '../status-cell.ts';
import { raiseToGroup } from './consumer-loop.ts';
import { HeldStream } from './table-first.ts';

/** How long one commit may gather polls (Kafka Streams' commit interval under exactly-once). */
const COMMIT_INTERVAL_MS = 100;
/** And how many records at most, so a fast local broker still commits in bounded batches. */
const COMMIT_MAX_RECORDS = 20_000;
/** A joining task's tables that have not moved for this long stop holding its stream back (see HeldStream). */
const TABLE_STALL_MS = 1000;
/** Nor does the stream wait with more than this many records held (memory), per task. */
const HOLD_MAX_RECORDS = 50_000;
/** How often the tables' ends are looked up again while a stream waits for them. */
const ENDS_REFRESH_MS = 100;

/** What ending the input did here (see endOfInput). */
export interface EndedHere {
  /** The partitions whose tasks ended with a commit that landed. */
  partitions: number[];
  /** Tasks this end closed (0 when every one had ended before). */
  closed: number;
  /** Whether one of them keeps windows or timers. */
  timed: boolean;
}

/** One group per stateful processor of an app: every process running it shares its partitions. */
export const taskGroup = (app: string, name: string): string => `runnel.${app}.task.${name}`;

export interface TaskRunnerOptions {
  broker: StatefulBroker;
  app: string;
  processor: TaskProcessor;
  status: StatusCell;
  log: Logger;
  signal: AbortSignal;
  /** Partitions of each topic the processor reads and writes. */
  partitionsOf(topic: string): number;
  now?: () => number;
}

/**
 * Runs a stateful processor: one task per input partition this process owns. After each batch the
 * tasks' outputs, the keys their stores changed and the input positions are committed atomically by the
 * broker's state backend, so nothing is repeated after a crash. A partition that moves here is restored
 * from its committed state (never by re-reading the input); one that moves away is dropped, and a commit
 * for it that races the move is fenced, writing nothing.
 */
export class TaskRunner {
  readonly positions = new Map<string, number>();
  readonly #o: TaskRunnerOptions;
  readonly #tasks = new Map<number, ProcessorTask>();
  /** The ownership each task was built under (Ownership.since; -1 where the broker does not tell). */
  readonly #since = new WeakMap<ProcessorTask, number>();
  readonly #backend: StateBackend;
  readonly #ready = Promise.withResolvers<void>();
  readonly ready = this.#ready.promise;
  #ended = false;
  /** Tasks restored with their input ended by an earlier bounded run, and their late count then. */
  readonly #endedTasks = new Map<ProcessorTask, number>();
  #groupRead = 0;
  #endCommitted: PromiseWithResolvers<EndedHere> | undefined;
  /** The partitions an end asked once must find here (see endOfInput). */
  #whole: number[] | undefined;
  /** Ends a poll waiting for input when the input has ended: the drain waited out a whole poll (250 ms). */
  #wake = new AbortController();
  /** Next offset to read per input partition, as processed here (committed with the batch). */
  readonly #consumed = new Map<string, number>();
  /** Per repartition partition, the committed offset it was last purged up to. */
  readonly #purged = new Map<string, number>();
  /** The inputs read as tables, when the processor also reads a stream: its stream waits for them. */
  readonly #tables: Set<string>;
  /** Per joining task, the stream records read and not processed yet (see HeldStream). */
  readonly #held = new Map<ProcessorTask, HeldStream>();
  /** The tables' partitions' bounds (first offset held, end), looked up at `#endsAt`. */
  readonly #ends = new Map<string, Array<{ start: number; end: number }>>();
  #endsAt = Number.NEGATIVE_INFINITY;
  #saidStall = false;

  constructor(o: TaskRunnerOptions) {
    this.#o = o;
    this.#backend = o.broker.stateBackend(o.app, taskGroup(o.app, o.processor.name));
    const tables = o.processor.tableInputs ?? [];
    this.#tables = new Set(tables.length < o.processor.inputs.length ? tables : []);
    this.ready.catch(() => {});
  }

  /** The input partitions it has tasks for now (see ConsumerLoop.assigned). */
  assigned(): Array<{ topic: string; partition: number }> {
    return [...this.#tasks.keys()].flatMap((partition) =>
      this.#o.processor.inputs.map((topic) => ({ topic, partition })),
    );
  }

  /** True when this processor has committed at least `targets` on every partition (see drain). */
  caughtUp(targets: TopicPartitionOffset[]): boolean {
    return targets.every((t) => (this.positions.get(tpKey(t.topic, t.partition)) ?? 0) >= t.offset);
  }

  /**
   * Bounded input is over: the next batch closes every window (see the pipeline's drain); resolves once
   * what that produced is committed, with the partitions it ended (none if a rebalance fenced the commit).
   * A bounded run's own end stays asked: tasks gained later end too. `whole` (consume --final): end only
   * if a task is here for each of these partitions, all in one commit, or none; asked once, so a refused
   * or fenced end is not made later behind the caller's back.
   */
  endOfInput(whole?: number[]): Promise<EndedHere> {
    this.#ended = true;
    if (whole) this.#whole = whole;
    this.#wake.abort();
    this.#endCommitted ??= Promise.withResolvers<EndedHere>();
    return this.#endCommitted.promise;
  }

  async run(): Promise<void> {
    const o = this.#o;
    const p = o.processor;
    const group = taskGroup(o.app, p.name);
    const retry = { signal: o.signal, log: o.log, status: o.status };
    try {
      await retrying(
        `${p.name}: start`,
        async () => {
          await this.#backend.prepare(p.stores.map((name) => ({ name, partitions: o.partitionsOf(p.inputs[0]!) })));
          for (const g of await o.broker.listGroups(group))
            this.positions.set(tpKey(g.topic, g.partition), g.committed);
        },
        retry,
      );
    } catch (err) {
      this.#ready.reject(err);
      throw err;
    }
    this.#ready.resolve();
    const consumer = o.broker.consumer({
      group,
      topics: p.inputs,
      clientId: group,
      ...(p.readsCopies ? { readOnly: true } : {}),
    });
    const yielder = new Yielder();
    const gatherMs = Math.min(this.#backend.gatherMs ?? COMMIT_INTERVAL_MS, COMMIT_INTERVAL_MS);
    try {
      o.status.set('ok');
      while (!o.signal.aborted) {
        // One commit gathers several polls, for up to COMMIT_INTERVAL_MS or COMMIT_MAX_RECORDS: on Kafka a
        // commit is a transaction of several round trips, and one per poll made them the bottleneck.
        const started = performance.now();
        const touched = new Set<ProcessorTask>();
        let processed = 0;
        let seen = 0;
        for (let polls = 0; ; polls++) {
          // Only the first poll waits for input; the ones gathering more for the same commit wait at most
          // what is left of the backend's gathering time: the last poll of a backlog (or of a burst) held
          // every commit, and so the results' latency and a drain, for a whole poll wait after input ran dry.
          const maxWaitMs = polls === 0 ? 250 : Math.max(0, gatherMs - (performance.now() - started));
          const signal = AbortSignal.any([o.signal, this.#wake.signal]);
          const records = await retrying(
            `${p.name}: poll`,
            () => consumer.poll({ maxRecords: 2000, maxWaitMs, signal }),
            retry,
          );
          const fresh = await this.#follow(consumer);
          // A task dropped since (its partition moved) takes its uncommitted work along: its position was
          // not committed either, so its new owner redoes that work from the committed state.
          for (const t of touched) if (this.#tasks.get(t.partition) !== t) touched.delete(t);
          // A poll hands out runs of one partition: each run's task is looked up, and its position key built
          // and set, once, not per record; the clock is read once per poll (it only dates inputs' activity).
          const now = (o.now ?? Date.now)();
          for (let i = 0; i < records.length; ) {
            const first = records[i]!;
            let end = i + 1;
            while (
              end < records.length &&
              records[end]!.partition === first.partition &&
              records[end]!.topic === first.topic
            )
              end++;
            const task = this.#tasks.get(first.partition);
            // Moved away between the poll and now (its new owner reads it), or just (re)started here, where
            // the consumer was sent back to the committed position the restored state reflects.
            if (!task || (fresh.size > 0 && fresh.has(first.partition))) {
              i = end;
              continue;
            }
            touched.add(task);
            const key = tpKey(first.topic, first.partition);
            // A joining task's stream waits for its tables (see #release); table records go in at once.
            if (this.#tables.size > 0 && !this.#tables.has(first.topic)) {
              this.#heldOf(task).hold(records, i, end);
              i = end;
              continue;
            }
            const before = task.counters.records;
            let yielded: Promise<void> | undefined;
            for (; i < end && yielded === undefined; i++) {
              task.process(records[i]!, now);
              if ((++seen & 63) === 0) yielded = yielder.turn();
            }
            // Set before the turn; after it, the rest of the run is looked at again (its task may have moved).
            this.#consumed.set(key, records[i - 1]!.offset + 1);
            processed += task.counters.records - before;
            if (yielded) await yielded;
          }
          // At most what is left of this commit's records: a long hold released is not one huge transaction.
          if (this.#held.size > 0)
            processed += await this.#release(consumer, touched, yielder, COMMIT_MAX_RECORDS - processed);
          const gathering =
            records.length > 0 &&
            fresh.size === 0 &&
            !this.#ended &&
            !o.signal.aborted &&
            processed < COMMIT_MAX_RECORDS &&
            performance.now() - started < COMMIT_INTERVAL_MS;
          if (!gathering) break;
        }
        this.#skipGaps(consumer);
        const whole = this.#whole;
        // An end asked for every partition ends nothing when one moved away since it was asked.
        const ending = this.#ended && (!whole || whole.every((p) => this.#tasks.has(p)));
        // Ending: every record read is processed before the windows close, tables caught up or not.
        if (ending && this.#held.size > 0) processed += await this.#release(consumer, touched, yielder, 'all');
        const end: EndedHere = { partitions: [], closed: 0, timed: false };
        for (const task of this.#tasks.values()) {
          if (ending) {
            if (task.endOfInput()) end.closed++;
            end.timed ||= task.timed === true;
            end.partitions.push(task.partition);
          } else task.tick();
          touched.add(task);
        }
        const landed = await this.#commit(consumer, [...touched], this.#positionsFor(touched), retry);
        if (this.#ended) {
          // A fenced end wrote nothing: its tasks were dropped, and their new owners restore them open.
          this.#endCommitted?.resolve(ending && landed ? end : { partitions: [], closed: 0, timed: false });
          if (whole && !(ending && landed)) {
            this.#ended = false;
            this.#whole = undefined;
            this.#endCommitted = undefined;
          }
          // Woken once: later polls wait for input again.
          if (this.#wake.signal.aborted) this.#wake = new AbortController();
        }
        if (Date.now() - this.#groupRead > 1000) await this.#readGroup();
        if (this.#endedTasks.size > 0) this.#sayIfEnded();
        this.#report(processed);
      }
      o.status.set('stopped');
    } catch (err) {
      o.status.set(o.signal.aborted ? 'stopped' : 'failed', o.signal.aborted ? undefined : (err as Error).message);
      if (!o.signal.aborted) throw err;
    } finally {
      await consumer.close().catch(() => {});
      await this.#backend.close().catch(() => {});
    }
  }

  /**
   * Moves the positions past what the consumer skipped without handing it out (Kafka's transaction markers
   * after an upstream step's last output): otherwise the group's offset stays one short of the partition's
   * end for good, and a drain never sees this step caught up.
   */
  #skipGaps(consumer: Consumer): void {
    if (!consumer.position) return;
    for (const [partition, task] of this.#tasks) {
      // Held stream records are read and not processed: the position is past them, the task is not.
      const holding = (this.#held.get(task)?.size ?? 0) > 0;
      for (const topic of this.#o.processor.inputs) {
        if (holding && !this.#tables.has(topic)) continue;
        const at = consumer.position(topic, partition);
        const key = tpKey(topic, partition);
        if (at !== undefined && at > (this.#consumed.get(key) ?? this.positions.get(key) ?? -1))
          this.#consumed.set(key, at);
      }
    }
  }

  /**
   * Positions of every input partition of the touched tasks: a commit names all the partitions whose
   * tasks produced something, so the backend fences a zombie's window flush as well as its input.
   */
  #positionsFor(tasks: Set<ProcessorTask>): AtomicCommit['positions'] {
    const out: AtomicCommit['positions'] = [];
    for (const t of tasks) {
      const since = this.#since.get(t);
      for (const topic of this.#o.processor.inputs) {
        const key = tpKey(topic, t.partition);
        const offset = this.#consumed.get(key) ?? this.positions.get(key);
        if (offset === undefined) continue;
        out.push(
          since === undefined || since < 0
            ? { topic, partition: t.partition, offset }
            : { topic, partition: t.partition, offset, since },
        );
      }
    }
    return out;
  }

  /** Creates tasks for partitions assigned here (restoring their state) and drops the ones moved away. */
  async #follow(consumer: Consumer): Promise<Set<number>> {
    const o = this.#o;
    // As the poll just left it: `assignment` would heartbeat and rebalance again (a write on the local
    // broker, after every poll), and a poll is where the assignment changes anyway.
    // Per partition, when this member's ownership of it began (the latest over its input topics): a task
    // built under an earlier ownership is stale, even if the partition is ours again now.
    const assigned = consumer.knownAssignment?.() ?? consumer.assignment();
    const owned = new Map<number, number>();
    for (const a of assigned) owned.set(a.partition, sinceOf(assigned, a.partition));
    const before = this.#tasks.size;
    for (const [partition, task] of [...this.#tasks]) {
      if (owned.get(partition) === this.#since.get(task)) continue;
      this.#drop(task);
    }
    const fresh = new Set<number>();
    if (before === this.#tasks.size && [...owned.keys()].every((p) => this.#tasks.has(p))) return fresh;
    // One line a processor for what it restored, not one a partition (the demo printed 17 at a restart).
    const restored = { partitions: [] as number[], entries: 0, ms: 0 };
    for (const [partition, since] of owned) {
      if (this.#tasks.has(partition)) continue;
      const task = o.processor.createTask({
        partition,
        partitionsOf: o.partitionsOf,
        inputPartitions: o.partitionsOf(o.processor.inputs[0]!),
        now: o.now ?? Date.now,
        log: o.log,
      });
      let entries = 0;
      let ms = 0;
      for (const store of o.processor.stores) {
        const r = await this.#backend.restore(
          store,
          partition,
          (k, v, e) => task.restoreEntry(store, k, v, e),
          o.processor.inputs,
        );
        // The watermark's entries are the task's own: "restored 2 key(s)" for a step that keeps none.
        if (!o.processor.bookkeepingStores?.includes(store)) entries += r.entries;
        ms += r.ms;
        consumer.keepAlive?.();
      }
      if (entries > 0) {
        restored.partitions.push(partition);
        restored.entries += entries;
        restored.ms += ms;
      }
      task.start();
      // Said when the first record arrives to one (see #sayIfEnded): a run that reads nothing new (the
      // demo started again in its folder) has nothing to be told.
      if (task.watermark === Number.POSITIVE_INFINITY && task.timed) this.#endedTasks.set(task, task.counters.late);
      this.#tasks.set(partition, task);
      this.#since.set(task, since);
      fresh.add(partition);
      // The state is as of the committed positions: read on from exactly there, whatever this consumer
      // had read before (a fenced batch, a partition that comes back). Not from a number read here: the
      // previous owner's last transaction may still be settling, and the offsets read before it lands
      // are those before its batch, whose outputs and state are committed (Kafka: the consumer waits for
      // the stable offset, as read-committed consumers do).
      for (const topic of o.processor.inputs) consumer.seek(topic, partition, 'committed');
    }
    if (restored.entries > 0) {
      const { partitions: ps, entries, ms } = restored;
      o.log.info(
        // Entries, not keys: a window store holds one per key and open window.
        `${o.processor.name}: restored ${entries} state entr${entries === 1 ? 'y' : 'ies'} of partition${ps.length === 1 ? '' : 's'} ` +
          `${ps.sort((a, b) => a - b).join(', ')} in ${Math.round(ms)} ms`,
      );
    }
    // After the restores, which waited for the previous owners' transactions: the offsets now match the
    // state restored (they are what a tick commits for a task that has read nothing yet).
    if (fresh.size > 0) await this.#readGroup();
    return fresh;
  }

  /** Forgets a task whose partition moved away, with what it read and did not commit. */
  #drop(task: ProcessorTask): void {
    this.#endedTasks.delete(task);
    this.#held.delete(task);
    this.#tasks.delete(task.partition);
    for (const topic of this.#o.processor.inputs) this.#consumed.delete(tpKey(topic, task.partition));
  }

  #heldOf(task: ProcessorTask): HeldStream {
    const held = this.#held.get(task) ?? new HeldStream();
    this.#held.set(task, held);
    return held;
  }

  /**
   * Processes the held stream records of each joining task whose tables have caught up (or stalled, or
   * whose held records passed HOLD_MAX_RECORDS), up to `budget` records in all; every task's, all of them,
   * when 'all' (an end of input). Returns how many records it processed.
   */
  async #release(
    consumer: Consumer,
    touched: Set<ProcessorTask>,
    yielder: Yielder,
    budget: number | 'all',
  ): Promise<number> {
    const force = budget === 'all';
    if (!force) {
      if (budget <= 0) return 0;
      await this.#lookUpEnds();
    }
    const now = (this.#o.now ?? Date.now)();
    let processed = 0;
    let seen = 0;
    for (const [task, held] of [...this.#held]) {
      // Emptied, or its partition moved away: nothing to wait for (nor a reason to look the ends up).
      if (held.size === 0 || this.#tasks.get(task.partition) !== task) {
        this.#held.delete(task);
        continue;
      }
      if (!force && processed >= budget) break;
      if (!force && !this.#tablesCaughtUp(consumer, task.partition)) {
        const stalled = held.stalled(this.#tablePositions(consumer, task.partition), now, TABLE_STALL_MS);
        const full = held.size >= HOLD_MAX_RECORDS;
        if (!stalled && !full) continue;
        this.#sayStall(
          stalled
            ? `have not moved for ${TABLE_STALL_MS} ms`
            : `are behind by more than ${HOLD_MAX_RECORDS} stream records`,
        );
      }
      touched.add(task);
      const before = task.counters.records;
      for (const r of held.take(force ? Number.POSITIVE_INFINITY : budget - processed)) {
        task.process(r, now);
        this.#consumed.set(tpKey(r.topic, r.partition), r.offset + 1);
        if ((++seen & 63) === 0) await yielder.turn();
      }
      processed += task.counters.records - before;
      if (held.size === 0) this.#held.delete(task);
    }
    return processed;
  }

  /** Whether every table partition of this task has been read up to its end (as last looked up). */
  #tablesCaughtUp(consumer: Consumer, partition: number): boolean {
    for (const topic of this.#tables) {
      const bounds = this.#ends.get(topic)?.[partition];
      if (bounds === undefined) return false;
      // A partition whose records are all gone (retention, a purge) has nothing to read: not a position 0.
      if (bounds.end > bounds.start && this.#tablePosition(consumer, topic, partition) < bounds.end) return false;
    }
    return true;
  }

  #tablePosition(consumer: Consumer, topic: string, partition: number): number {
    const key = tpKey(topic, partition);
    return (
      // Where the broker keeps none (local): table records are never held, so what was read is processed.
      consumer.position?.(topic, partition) ?? this.#consumed.get(key) ?? this.positions.get(key) ?? 0
    );
  }

  #tablePositions(consumer: Consumer, partition: number): string {
    return [...this.#tables].map((t) => this.#tablePosition(consumer, t, partition)).join(',');
  }

  /** The tables' end offsets, looked up again when the last look is older than ENDS_REFRESH_MS. */
  async #lookUpEnds(): Promise<void> {
    if (performance.now() - this.#endsAt < ENDS_REFRESH_MS) return;
    this.#endsAt = performance.now();
    for (const topic of this.#tables) {
      // A failed look keeps the last ends: the stream waits, and a stall releases it.
      const info = await this.#o.broker.describeTopic(topic).catch(() => undefined);
      if (info)
        this.#ends.set(
          topic,
          info.partitions.map((p) => ({ start: p.startOffset, end: p.endOffset })),
        );
    }
  }

  #sayStall(why: string): void {
    if (this.#saidStall) return;
    this.#saidStall = true;
    this.#o.log.warn(
      `${this.#o.processor.name}: joining without its table caught up: ${[...this.#tables].join(', ')} ${why}; ` +
        'records that reach the join before their key does find no value (said once)',
    );
  }

  /** Once, when records reach a task whose input an earlier bounded run ended: they all go to .late. */
  #sayIfEnded(): void {
    for (const [task, late] of this.#endedTasks) {
      if (task.counters.late === late) continue;
      this.#endedTasks.clear();
      this.#o.log.warn(
        `${this.#o.processor.name}: an earlier bounded run (--limit, a file read to its end, or consume --final) ended ` +
          'this input for good: every window has closed, so records read now go to the .late topics. To ' +
          'process more, start afresh: another --broker and --data-dir, or another RUNNEL_APP_ID',
      );
      return;
    }
  }

  /**
   * The group's committed positions, every member's: those of partitions moved here, and how far the
   * others got (a drain with several processes waits for all of them).
   */
  async #readGroup(): Promise<void> {
    this.#groupRead = Date.now();
    await raiseToGroup(this.#o.broker, taskGroup(this.#o.app, this.#o.processor.name), this.positions);
  }

  /** Commits the touched tasks' batch; false when a rebalance fenced it (nothing was written). */
  async #commit(
    consumer: Consumer,
    tasks: ProcessorTask[],
    positions: AtomicCommit['positions'],
    retry: { signal: AbortSignal; log: Logger; status: StatusCell },
  ): Promise<boolean> {
    const outputs = new Map<string, AtomicCommit['outputs'][number]>();
    const commit: AtomicCommit = { outputs: [], state: [], positions };
    for (const task of tasks) {
      const c = task.takeCommit();
      for (const [topic, records] of c.outputs) {
        const o = outputs.get(topic);
        if (o) o.records.push(...records);
        else outputs.set(topic, { topic, records: [...records] });
      }
      commit.state.push(...c.state);
    }
    commit.outputs = [...outputs.values()];
    // Nothing new (an idle tick): no transaction. Idle members committing every poll kept the group's
    // offsets pending most of the time, which a restore elsewhere waits out.
    const moved = positions.some((p) => this.positions.get(tpKey(p.topic, p.partition)) !== p.offset);
    if (commit.outputs.length === 0 && commit.state.length === 0 && !moved) return true;
    try {
      // Let go when stopping: a commit that never lands is aborted by the broker, and its batch done again.
      await retrying(`${this.#o.processor.name}: commit`, () => this.#backend.commit(consumer, commit), {
        ...retry,
        letGoOnStop: true,
      });
    } catch (err) {
      if (!isRunnelError(err) || err.code !== ErrorCodes.FENCED) throw err;
      // Nothing was written: drop the tasks; their partitions' new owner restores the committed state.
      // Said as the routine it is: workers joining one by one made a trial read it as a fault.
      this.#o.log.info(
        `${this.#o.processor.name}: rebalance: ${err.message}; nothing of it was written, and its new owner takes over from the last commit`,
      );
      for (const t of tasks) this.#drop(t);
      // The group moved partitions away since the consumer last looked (#follow reads what the poll left,
      // and a poll looks every HEARTBEAT_MS): look now, or the next #follow rebuilds the lost tasks, and
      // their commit is refused again, until the poll's next look.
      consumer.assignment();
      return false;
    }
    for (const p of positions) this.positions.set(tpKey(p.topic, p.partition), p.offset);
    this.#purge(positions);
    return true;
  }

  /**
   * The repartition topics this processor reads hold nothing another reader needs once it committed past it
   * (a restore reads the state, never them): their committed part is deleted after each commit that moved
   * it, as Kafka Streams purges its own. Stopcovid's by-tile topic otherwise grew by every person every tick.
   */
  #purge(positions: TopicPartitionOffset[]): void {
    const broker = this.#o.broker;
    if (!broker.deleteRecordsBefore) return;
    for (const p of positions) {
      if (!(p.topic in this.#o.processor.internalTopics)) continue;
      const key = tpKey(p.topic, p.partition);
      if ((this.#purged.get(key) ?? 0) >= p.offset) continue;
      this.#purged.set(key, p.offset);
      // Best effort: what is not deleted now is the next purge's, or retention's.
      broker.deleteRecordsBefore(p.topic, p.partition, p.offset).catch(() => {});
    }
  }

  #report(records: number): void {
    const s = this.#o.status.status;
    let late = 0;
    let dlq = 0;
    let unjoined = 0;
    let wm = Number.POSITIVE_INFINITY;
    for (const t of this.#tasks.values()) {
      late += t.counters.late;
      dlq += t.counters.dlq;
      unjoined += t.counters.unjoined ?? 0;
      if (t.watermark < wm) wm = t.watermark;
    }
    if (this.#tasks.size > 0) s.inputEnded = wm === Number.POSITIVE_INFINITY;
    s.records += records;
    s.late = late;
    s.dlq = dlq;
    if (unjoined > 0) s.unjoined = unjoined;
    s.partitions = [...this.#tasks.keys()].sort((a, b) => a - b);
    if (Number.isFinite(wm)) s.watermark = wm;
    s.ts = Date.now();
  }
}
