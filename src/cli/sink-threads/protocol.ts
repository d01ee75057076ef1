import type { ComponentStatus } from '../../core/status.ts';
import type { PipelineFlags } from '../context.ts';

/** What a sink thread is started with: enough to build the app's spec exactly as the main thread did. */
export interface ThreadData {
  /** The app's name, or the pipeline file as given on the command line. */
  app: string;
  flags: PipelineFlags;
  /** The app's environment after its flags were applied (appEnv). */
  env: Record<string, string | undefined>;
}

/** A RunnelError (or any error) across the thread boundary: structured clone keeps no code. */
export interface WireError {
  code?: string;
  message: string;
  retriable?: boolean;
}

export type ToThread =
  /**
   * Run the app's sink `i` (its place in spec.sinks), which the main thread knows as `name` on `topic`;
   * `status` is the identity its reports carry; `stopped`: the pipeline was stopped already.
   */
  | {
      t: 'add';
      i: number;
      name: string;
      topic: string;
      status: ComponentStatus;
      reports?: string[];
      stopped: boolean;
    }
  /** Stop sink `i` as a stopped pipeline does: finish and commit the batch in hand. */
  | { t: 'stop'; i: number }
  /** The pipeline is over: close the broker connection once every sink has ended, and end the thread. */
  | { t: 'close' };

export type FromThread =
  | { t: 'ready'; i: number }
  /** The sink's status and committed positions ([tpKey, offset]), as often as they change. */
  | {
      t: 'state';
      i: number;
      status: ComponentStatus;
      positions: Array<[string, number]>;
      /** The partitions its consumer reads, when known (see ConsumerLoop.assigned). */
      assigned?: Array<{ topic: string; partition: number }>;
    }
  | { t: 'done'; i: number }
  | { t: 'failed'; i: number; error: WireError }
  /** The thread could not even build the app: every sink it was given fails with this. */
  | { t: 'fatal'; error: WireError };
