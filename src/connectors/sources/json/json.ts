import {
  closeSync,
  existsSync,
  type FSWatcher,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  watch,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { sleep } from '../../../core/backoff.ts';
import type { ReplayInput, Source, SourceContext, SourceItem } from '../../../core/connector.ts';
import { ErrorCodes, RunnelError } from '../../../core/errors.ts';
import { eventTime } from '../../../core/event-time.ts';
import type { Pacing } from '../../../core/replay-control.ts';
import { fileReplay } from '../../../core/runners/replay-resume.ts';
import { batchSizeFor, paced } from '../pacing.ts';
import type { JsonConfig } from './spec.ts';

const BATCH = 1000;

/**
 * Reads JSON records from a file once, or follows a JSONL file as it grows. Following tracks the inode
 * and size: a shrinking file was truncated (read it again from the top), a new inode was rotated in
 * (finish the old one, then start the new one at 0), and a last line without its newline waits for it.
 * The seeds' file consumers skipped lines after truncation and re-read whole files every poll.
 */
export class JsonSource implements Source {
  readonly name = 'json';
  /** Each record's value is parsed from its line (see Source.handsOver). */
  readonly handsOver = true;
  readonly #c: JsonConfig;

  constructor(config: JsonConfig) {
    this.#c = config;
    // Checked when the app is built, so a mistyped --from is one line before anything starts. A file to
    // follow may appear later, like tail -F.
    if (!config.follow) this.#mustExist();
  }

  #mustExist(): void {
    if (!existsSync(this.#c.path)) {
      throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `JSON file not found: ${this.#c.path}`, {
        value: this.#c.path,
      });
    }
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    const { path } = this.#c;
    if (!this.#c.follow) {
      this.#mustExist();
      const text = readFileSync(path, 'utf8');
      // The first ctx.skip items an earlier run made durable are left out (see Source.replay).
      const skip = ctx.skip ?? 0;
      if (text.trimStart().startsWith('[')) {
        yield* paced(this.#array(text).slice(skip), ctx, this.pacing(), BATCH);
        return;
      }
      const lines = text.split('\n');
      if (!text.endsWith('\n') && lines[lines.length - 1] === '') lines.pop();
      const items = lines.map((l, i) => this.#line(l, i + 1)).filter((x): x is SourceItem => x !== undefined);
      const size = this.#c.rate || this.#c.speed ? batchSizeFor(this.#c.rate ?? 20) : BATCH;
      yield* paced(items.slice(skip), ctx, this.pacing(), size);
      return;
    }
    yield* this.#follow(ctx);
  }

  /** A file read whole goes on where an earlier run stopped; a followed one is a feed (tail -F). */
  replay(): ReplayInput | undefined {
    return this.#c.follow ? undefined : fileReplay(this.#c.path);
  }

  /** A replay of a whole file paces like the csv source (by rate, or by event time × speed); following does not. */
  pacing(): Pacing | undefined {
    if (this.#c.follow) return undefined;
    if (this.#c.rate) return { by: 'rate', rate: this.#c.rate };
    if (this.#c.speed) return { by: 'event-time', speed: this.#c.speed };
    return undefined;
  }

  #array(text: string): SourceItem[] {
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch (err) {
      throw new RunnelError(
        ErrorCodes.INPUT_MALFORMED,
        `${this.#c.path} is not a valid JSON array: ${(err as Error).message}`,
      );
    }
    if (!Array.isArray(values))
      throw new RunnelError(ErrorCodes.INPUT_MALFORMED, `${this.#c.path} must hold a JSON array`);
    return values.map((v, i) => this.#record(v, `${this.#c.path}[${i}]`));
  }

  #line(text: string, n: number): SourceItem | undefined {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') return undefined;
    const position = `${this.#c.path}:${n}`;
    try {
      return this.#record(JSON.parse(line), position);
    } catch (err) {
      return {
        kind: 'invalid',
        error: new RunnelError(ErrorCodes.INPUT_MALFORMED, `${position}: not JSON (${(err as Error).message})`),
        raw: line,
        position,
      };
    }
  }

  #record(value: unknown, position: string): SourceItem {
    const obj = value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    const k = this.#c.key ? obj?.[this.#c.key] : undefined;
    return {
      kind: 'record',
      record: {
        key: k === undefined || k === null ? null : String(k),
        value,
        timestamp: eventTime(value, this.#c.timestampField, Date.now()),
      },
      position,
    };
  }

  async *#follow(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    const { path, pollMs } = this.#c;
    let fd: number | undefined;
    let ino = -1;
    let pos = 0;
    let lineNo = 0;
    let partial = '';
    let warned = false;
    let wake: (() => void) | undefined;
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(path), { persistent: false }, (_e, f) => {
        if (f === null || String(f) === basename(path)) wake?.();
      });
    } catch {}
    const buf = Buffer.alloc(1 << 20);
    const drain = function* (this: JsonSource): Generator<SourceItem[]> {
      for (;;) {
        const n = readSync(fd!, buf, 0, buf.length, pos);
        if (n <= 0) return;
        pos += n;
        const parts = (partial + buf.toString('utf8', 0, n)).split('\n');
        partial = parts.pop()!;
        const items = parts.map((l) => this.#line(l, ++lineNo)).filter((x): x is SourceItem => x !== undefined);
        if (items.length > 0) yield* chunks(items);
      }
    }.bind(this);
    try {
      while (!ctx.signal.aborted) {
        let st: ReturnType<typeof statSync> | undefined;
        try {
          st = statSync(path);
        } catch {
          if (!warned) ctx.log.info(`${path} does not exist yet; waiting for it`);
          warned = true;
        }
        if (st && st.ino !== ino) {
          // Rotated (or first open): finish what the old file still had, then start the new one at 0.
          if (fd !== undefined) {
            yield* drain();
            closeSync(fd);
          }
          fd = openSync(path, 'r');
          ino = fstatSync(fd).ino;
          pos = 0;
          lineNo = 0;
          partial = '';
        } else if (st && fd !== undefined && st.size < pos) {
          pos = 0; // truncated in place
          lineNo = 0;
          partial = '';
        }
        if (fd !== undefined) yield* drain();
        await Promise.race([sleep(pollMs, ctx.signal), new Promise<void>((r) => (wake = r))]);
        wake = undefined;
      }
    } finally {
      watcher?.close();
      if (fd !== undefined) closeSync(fd);
    }
  }
}

function* chunks(items: SourceItem[]): Generator<SourceItem[]> {
  for (let i = 0; i < items.length; i += BATCH) yield items.slice(i, i + BATCH);
}
