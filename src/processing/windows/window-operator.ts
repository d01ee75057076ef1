import { WINDOW_STORE_SUFFIX } from '../../core/connector.ts';
import { isRunnelError } from '../../core/errors.ts';
import type { Aggregator } from '../aggregations/aggregator.ts';
import type { EngineRecord, Operator, OperatorSpec, TaskContext } from '../engine/operator.ts';
import { countWindows } from './count-windows.ts';
import { fixedWindows } from './fixed-windows.ts';
import type { WindowLogic, WindowResult } from './logic.ts';
import { sessionWindows } from './session-windows.ts';
import { slidingWindows } from './sliding-windows.ts';
import { validateWindow, type WindowSpec } from './window-spec.ts';

export interface WindowOperatorOptions<V, A, R> {
  /** The operator's name; its store is `<name>.windows`. */
  name: string;
  window: WindowSpec;
  aggregate: Aggregator<V, A, R>;
  /** ms a time window stays open after its end (by the watermark); default 0. Ignored by count windows. */
  allowedLateness?: number;
  /** 'final' (default): one result per window, when it closes. 'updates': also the updated result of every window a batch touched, at the end of the batch. */
  emit?: 'final' | 'updates';
}

/**
 * The value of a window's output record. `key`, `start`, `end` and `final` come first and the
 * aggregate's fields after, so a result field of the same name wins; a result that is not an object
 * (an aggregator used alone) is under `value`. Count windows add `count`, and their start/end are the
 * smallest and largest event time in the window.
 */
export type WindowOutput<R> = {
  key: string | null;
  start: number;
  end: number;
  final: boolean;
  count?: number;
} & (R extends Record<string, unknown> ? R : { value: R });

export const windowStoreName = (name: string): string => `${name}${WINDOW_STORE_SUFFIX}`;

/**
 * Groups KEYED records (record.key is the group key) into windows and aggregates each. Emits one
 * record per window result: key = the group key, timestamp = end − 1 for time windows (so a result sorts
 * inside its own window), the largest event time for count windows.
 *
 * A time window closes when the task's watermark reaches end + allowedLateness: its final result goes
 * out and its state is deleted. A record whose windows are all closed goes to ctx.late with the reason;
 * a value the aggregator rejects goes to ctx.deadLetter. Results are the same however the input is
 * batched and across a restore: state lives only in the store, the timers are rebuilt from it in
 * init, and results closed by one watermark step go out sorted by (end, start, key).
 */
export function windowOperator<V, A, R>(options: WindowOperatorOptions<V, A, R>): OperatorSpec {
  const lateness = options.allowedLateness ?? 0;
  const window = options.window;
  validateWindow(`window operator "${options.name}"`, window, lateness);
  const storeName = windowStoreName(options.name);
  const updates = options.emit === 'updates';
  const aggregator = options.aggregate;

  return {
    name: options.name,
    stores: [{ name: storeName }],
    create(): Operator {
      let logic: WindowLogic<V> | undefined;
      let closedUpTo = Number.NEGATIVE_INFINITY;

      const logicFor = (ctx: TaskContext): WindowLogic<V> => {
        if (logic) return logic;
        const env = { store: ctx.store(storeName), aggregator, lateness, updates, now: () => ctx.now() };
        logic = makeLogic(env, window);
        logic.rebuild();
        return logic;
      };
      // Results are gathered in one array per task and handed on in a copy only when there are some:
      // every record and every watermark step (each record moves it) would otherwise allocate one.
      const scratch: WindowResult[] = [];
      const sendGathered = (emit: (r: EngineRecord) => void): void => {
        if (scratch.length === 0) return;
        const out = scratch.slice();
        scratch.length = 0;
        send(out, emit);
      };
      let current: EngineRecord | undefined;
      let currentCtx: TaskContext | undefined;
      const late = (reason: string): void => currentCtx!.late(current!, reason);
      const closeUpTo = (watermark: number, ctx: TaskContext, emit: (r: EngineRecord) => void): void => {
        if (!(watermark > closedUpTo)) return;
        closedUpTo = watermark;
        try {
          logicFor(ctx).close(watermark, scratch);
        } catch (err) {
          scratch.length = 0;
          throw err;
        }
        sendGathered(emit);
      };

      return {
        init(ctx) {
          logic = undefined;
          closedUpTo = Number.NEGATIVE_INFINITY;
          logicFor(ctx);
        },
        process(record, ctx, emit) {
          // A task that advanced its watermark without telling us yet: close first, so a record can
          // never join a window that is due to close.
          closeUpTo(ctx.watermark, ctx, emit);
          const rec = record as EngineRecord<V>;
          try {
            aggregator.validate?.(rec.value);
          } catch (err) {
            if (!isRunnelError(err)) throw err;
            ctx.deadLetter(record, err);
            return;
          }
          current = record;
          currentCtx = ctx;
          try {
            logicFor(ctx).process(rec, ctx.watermark, scratch, late);
          } catch (err) {
            // What a failed record gathered is not handed on (it goes to the dead letters).
            scratch.length = 0;
            throw err;
          } finally {
            current = undefined;
            currentCtx = undefined;
          }
          sendGathered(emit);
        },
        onWatermark(watermark, ctx, emit) {
          closeUpTo(watermark, ctx, emit);
        },
        flush(ctx, emit) {
          if (!updates) return;
          try {
            logicFor(ctx).updates(scratch);
          } catch (err) {
            scratch.length = 0;
            throw err;
          }
          sendGathered(emit);
        },
      };
    },
  };
}

function makeLogic<V, A, R>(env: Parameters<typeof fixedWindows<V, A, R>>[0], window: WindowSpec): WindowLogic<V> {
  switch (window.type) {
    case 'tumbling':
      return fixedWindows(env, window.size, window.size, window.offset ?? 0);
    case 'hopping':
      return fixedWindows(env, window.size, window.advance, window.offset ?? 0);
    case 'sliding':
      return slidingWindows(env, window.size);
    case 'session':
      return sessionWindows(env, window.gap);
    case 'tumbling-count':
      return countWindows(env, window.size, window.size);
    case 'hopping-count':
      return countWindows(env, window.size, window.advance);
    case 'sliding-count':
      return countWindows(env, window.size, 1);
  }
}

const keyOrder = (k: string | null): string => (k === null ? '' : `\u0001${k}`);

function send(out: WindowResult[], emit: (r: EngineRecord) => void): void {
  if (out.length === 0) return;
  if (out.length > 1) {
    out.sort((a, b) => a.end - b.end || a.start - b.start || (keyOrder(a.key) < keyOrder(b.key) ? -1 : 1));
  }
  for (const w of out) emit(toRecord(w));
}

function toRecord(w: WindowResult): EngineRecord {
  const fields =
    w.result !== null && typeof w.result === 'object' && !Array.isArray(w.result) ? w.result : { value: w.result };
  const value: Record<string, unknown> = { key: w.key, start: w.start, end: w.end, final: w.final };
  if (w.count !== undefined) value.count = w.count;
  Object.assign(value, fields);
  return { key: w.key, value, timestamp: w.timestamp, headers: {}, origin: w.origin };
}
