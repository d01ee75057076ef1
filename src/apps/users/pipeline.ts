import type { TopologyBuilder, ValueStore, ValueStoreSpec } from '../../index.ts';
import { valueStore } from '../../index.ts';
import { type FlatUser, FlatUserSchema } from './flatten.ts';
import {
  type Learner,
  type LearnerState,
  learnerFromState,
  learnerState,
  metricsOf,
  newLearner,
  type PredictedUser,
  step,
} from './learner.ts';
import type { UsersSettings } from './settings.ts';

/** The one key the model lives under: the app's topics have one partition, so one task holds it. */
export const MODEL_KEY = 'model';
/** How long a user id is remembered for the dedupe: far longer than a restart after a crash takes. */
const SEEN_TTL_MS = 24 * 3_600_000;
/** A quiet stream still gets a fresh snapshot for the predict endpoint this often (ms, wall clock). */
const SNAPSHOT_QUIET_MS = 2000;

/** A snapshot of the model for the dashboard's predict endpoint. */
export interface ModelSnapshot {
  seen: number;
  model: LearnerState['model'];
}

/**
 * users_created (USERS_TOPIC) → dedupe by id → prequential predict-then-learn → `<topic>.predicted`,
 * `<topic>.metrics`, `<topic>.model`.
 *
 * Exactly-once learning: the engine commits the stores with the outputs and the input positions, so a
 * kill -9 replays uncommitted input against the state of the last commit. What it cannot undo is a source
 * that put a user on the topic twice (the http source repeats at most one page after a crash, a file may
 * hold a user twice): the `ids` store drops a user id seen before, so the model learns each user once.
 *
 * Scale-out: the app's topics have one partition (AppConfig.partitions 1), so there is one model, in one
 * task; a second consumer process stands by and takes the partition, restoring the model, when the first
 * dies. Both keyBys keep records in their partition (`repartition: false`), which the engine allows only
 * on one partition, so a change to more partitions fails at start instead of splitting the model.
 */
export function usersPipeline(t: TopologyBuilder, s: UsersSettings): void {
  // Live model objects by the state object they were last saved as, so a batch does not rebuild the model
  // from JSON. The batch's learner is used only while the store still holds the state it started from: a
  // task restored after a crash, a fence or a rebalance (even one dropped mid-batch, before its flush) holds
  // another object, and rebuilds from what was committed, so no aborted batch leaks in.
  const live = new WeakMap<object, Learner>();
  let lastSnapshot = 0;
  let lastMetrics = 0;
  /** The learner of the batch in progress and the stored state it started from (cleared by flush). */
  let batch: { base: LearnerState; learner: Learner } | undefined;
  const learnerOf = (store: ValueStore<LearnerState>): Learner => {
    let state = store.get();
    if (state === undefined) {
      // A fresh object even for a fresh model: a task that restores nothing must not match a dropped batch.
      state = learnerState(newLearner());
      store.set(state);
    }
    if (batch?.base !== state) batch = { base: state, learner: live.get(state) ?? learnerFromState(state) };
    return batch.learner;
  };

  const { users, predicted, metrics, model } = s.topics;
  // State keys carry the input topic: the engine names an app's state after the app, so on a shared Kafka
  // a run reading another USERS_TOPIC would otherwise restore (and dedupe against) that topic's users.
  const stateKey = (k: string) => `${users}\u0000${k}`;
  t.stream(users, { schema: FlatUserSchema })
    .keyBy((u) => stateKey(u.id), { name: 'by-id', repartition: false })
    .process<FlatUser, { ids: ValueStoreSpec<1> }>(
      { name: 'dedupe', stores: { ids: valueStore<1>({ ttlMs: SEEN_TTL_MS }) } },
      (u, ctx) => {
        if (ctx.stores.ids.get() !== undefined) return;
        ctx.stores.ids.set(1);
        ctx.emit(u);
      },
    )
    .keyBy(() => stateKey(MODEL_KEY), { name: 'one-model', repartition: false })
    .process<PredictedUser, { learner: ValueStoreSpec<LearnerState> }>(
      {
        name: 'gender-model',
        stores: { learner: valueStore<LearnerState>() },
        outputs: [metrics, model],
        flush: (ctx) => {
          const current = batch;
          batch = undefined;
          if (!current || current.base !== ctx.stores.learner.get()) return;
          const l = current.learner;
          // A row of the learning curve for the users since the last one, when the last is 2 s old: a run of
          // fewer than USERS_METRICS_EVERY users (or its last few) has its figures too.
          if (l.model.seen > l.metricsAt && Date.now() - lastMetrics >= SNAPSHOT_QUIET_MS) {
            ctx.emitTo(metrics, metricsOf(l), { key: MODEL_KEY });
            l.metricsAt = l.model.seen;
            lastMetrics = Date.now();
          }
          const state = learnerState(l);
          const quiet = Date.now() - lastSnapshot >= SNAPSHOT_QUIET_MS;
          if (l.model.seen - l.snapshotAt >= s.snapshotEvery || (quiet && l.model.seen > l.snapshotAt)) {
            l.snapshotAt = l.model.seen;
            state.snapshotAt = l.snapshotAt;
            lastSnapshot = Date.now();
            const snap: ModelSnapshot = { seen: l.model.seen, model: state.model };
            ctx.emitTo(model, snap, { key: MODEL_KEY });
          }
          ctx.stores.learner.set(state);
          live.set(state, l);
        },
      },
      (u, ctx) => {
        const l = learnerOf(ctx.stores.learner);
        const out = step(l, u, ctx.timestamp);
        ctx.emit(out, { key: u.id });
        if (l.model.seen % s.metricsEvery === 0) {
          ctx.emitTo(metrics, metricsOf(l), { key: MODEL_KEY });
          l.metricsAt = l.model.seen;
          lastMetrics = Date.now();
        }
      },
    )
    .to(predicted);
}
