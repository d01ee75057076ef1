import {
  closeSync,
  existsSync,
  fstatSync,
  fsync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  write,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { Sink, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, RunnelError, toRunnelError } from '../../../core/errors.ts';
import { checkPlaces, makeFolder, permanentOutputError } from '../../../core/places.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../../core/record.ts';
import { releaseLock, takeLock } from './lock.ts';

export interface JsonlSinkConfig {
  path: string;
  fsync: boolean;
}

/**
 * What is kept beside the file: the positions its content reaches, the file's length at that point and its
 * lines (the SQL page's row count: a JSONL file's rows are otherwise only known by reading it whole).
 */
export interface Checkpoint {
  positions: TopicPartitionOffset[];
  length: number;
  lines: number;
}

/** Where the checkpoint of a JSONL output is kept (see JsonlSink). */
export function checkpointPathOf(path: string): string {
  return `${path}.offsets.json`;
}

/**
 * One record value per line, as the seeds' JSONL files. Exactly-once without a database: after the lines
 * are appended (and fsynced), `<path>.offsets.json` records the positions and the file length, replaced
 * atomically by rename. On open, anything past that length — a torn half line from a kill -9, or whole
 * lines whose positions never got recorded — is cut, and the runtime resumes from the recorded positions.
 * One process writes a file at a time (`<path>.lock`, its pid): workers sharing a data folder each wait
 * for it (RUNNEL_OUTPUT_IN_USE, retried) instead of clobbering each other's lines and checkpoint.
 */
export class JsonlSink implements Sink {
  name = 'jsonl';
  readonly target: string;
  readonly file: string;
  readonly #c: JsonlSinkConfig;
  #fd: number | undefined;
  #checkpoint: Checkpoint = { positions: [], length: 0, lines: 0 };

  constructor(config: JsonlSinkConfig) {
    this.#c = config;
    this.target = config.path;
    this.file = config.path;
  }

  get checkpointPath(): string {
    return checkpointPathOf(this.#c.path);
  }

  async open(): Promise<void> {
    let holder: number | undefined;
    try {
      makeFolder(dirname(this.#c.path));
      holder = takeLock(this.#c.path);
    } catch (err) {
      throw this.#error(err);
    }
    if (holder !== undefined) {
      throw new RunnelError(
        ErrorCodes.OUTPUT_IN_USE,
        `${this.#c.path} is in use by ${holder > 0 ? `pid ${holder}` : 'another process'}: it is written when that process stops (or give each worker its own --data-dir)`,
        { retriable: true, value: holder },
      );
    }
    try {
      const fd = openSync(this.#c.path, 'a+');
      this.#fd = fd;
      const size = fstatSync(fd).size;
      const saved = readCheckpoint(this.#c.path);
      if (saved) {
        this.#checkpoint = saved;
        if (size > saved.length) ftruncateSync(fd, saved.length);
        else if (size < saved.length) {
          // Someone shortened the file behind our back: believe the file, keep the positions.
          this.#checkpoint.length = size;
          this.#checkpoint.lines = -1;
        }
        // Made before checkpoints counted lines (or the file was shortened): counted once, here.
        if (!(saved.lines >= 0)) this.#checkpoint.lines = countLines(fd, this.#checkpoint.length);
      } else {
        // A file we did not write (or whose checkpoint is gone): keep its whole lines, cut a torn tail.
        const length = this.#wholeLinesLength(fd, size);
        this.#checkpoint = { positions: [], length, lines: countLines(fd, length) };
        if (this.#checkpoint.length < size) ftruncateSync(fd, this.#checkpoint.length);
        // Recorded before the first write: a kill -9 after that write but before its checkpoint must cut
        // those lines on the next open, not keep them as a file we did not write (they would come twice).
        await this.#saveCheckpoint(this.#checkpoint);
      }
    } catch (err) {
      releaseLock(this.#c.path);
      throw this.#error(err);
    }
  }

  /**
   * Replaces the checkpoint file atomically (rename), fsynced first when the sink fsyncs, beside the lines it
   * counts (`dataFd`): the two fsyncs run side by side, and the rename waits for both, so a checkpoint on
   * disk never counts lines that are not. One after the other, they were most of a batch's time (an fsync
   * here takes 10-20 ms) and made jsonl the sink that set the pace of a three-sink run. The small writes
   * and the rename are page-cache work, done here; only the fsyncs go to the thread pool.
   */
  async #saveCheckpoint(next: Checkpoint, dataFd?: number): Promise<void> {
    const tmp = `${this.checkpointPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, JSON.stringify(next));
      if (this.#c.fsync) {
        // Settled both before the descriptor closes: a failed one must not close it under the other.
        const synced = await Promise.allSettled([fsyncOf(fd), ...(dataFd === undefined ? [] : [fsyncOf(dataFd)])]);
        const failed = synced.find((s) => s.status === 'rejected');
        if (failed) throw failed.reason;
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.checkpointPath);
  }

  #wholeLinesLength(fd: number, size: number): number {
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) return start + nl + 1;
      end = start;
    }
    return 0;
  }

  async storedPositions(): Promise<TopicPartitionOffset[]> {
    return this.#checkpoint.positions;
  }

  async write(records: StreamRecord[], positions: TopicPartitionOffset[]): Promise<SinkWriteResult> {
    const fd = this.#fd!;
    let text = '';
    for (const r of records) text += `${JSON.stringify(r.value === undefined ? null : r.value)}\n`;
    const bytes = Buffer.from(text);
    try {
      // The write in the thread pool: the main thread meanwhile serves the other sinks and the sources (it
      // was a tenth of its time with three). Its fsync goes with the checkpoint's (see #saveCheckpoint).
      await appendAll(fd, bytes);
      const merged = new Map(this.#checkpoint.positions.map((p) => [`${p.topic}\u0000${p.partition}`, p]));
      for (const p of positions) merged.set(`${p.topic}\u0000${p.partition}`, p);
      const next: Checkpoint = {
        positions: [...merged.values()],
        length: this.#checkpoint.length + bytes.length,
        lines: this.#checkpoint.lines + records.length,
      };
      await this.#saveCheckpoint(next, fd);
      this.#checkpoint = next;
    } catch (err) {
      // Leave the file as the checkpoint describes it, so a retry does not duplicate the partial write.
      try {
        ftruncateSync(fd, this.#checkpoint.length);
      } catch {}
      throw this.#error(err);
    }
    return {};
  }

  /** Without opening: open() cuts a tail past the checkpoint, which a running pipeline may be writing. */
  async verify(): Promise<void> {
    checkPlaces([
      { path: this.#c.path, kind: 'file', what: 'jsonl output', fix: 'give --data-dir a folder you can write' },
    ]);
    if (existsSync(this.#c.path)) closeSync(openSync(this.#c.path, 'a'));
  }

  async peekPositions(): Promise<TopicPartitionOffset[]> {
    return readCheckpoint(this.#c.path)?.positions ?? [];
  }

  async close(): Promise<void> {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      releaseLock(this.#c.path);
    }
    this.#fd = undefined;
  }

  #error(err: unknown): RunnelError {
    const permanent = permanentOutputError(this.#c.path, err);
    if (permanent) return permanent;
    const e = toRunnelError(err, ErrorCodes.SINK_WRITE_FAILED);
    if (e.code === ErrorCodes.DISK_FULL) return e;
    return new RunnelError(ErrorCodes.SINK_WRITE_FAILED, `cannot write ${this.#c.path}: ${e.message}`, {
      retriable: true,
      cause: err,
    });
  }
}

/**
 * The lines a JSONL output holds by its checkpoint (what its sink last made durable), or undefined when it has
 * no checkpoint that counts them (not a sink's output, or one made before checkpoints counted lines).
 */
export function checkpointLines(path: string): number | undefined {
  const lines = readCheckpoint(path)?.lines;
  return Number.isInteger(lines) && lines! >= 0 ? lines : undefined;
}

/** The checkpoint beside a JSONL output, or undefined when there is none that reads as one. */
function readCheckpoint(path: string): Checkpoint | undefined {
  try {
    const c = JSON.parse(readFileSync(checkpointPathOf(path), 'utf8')) as Checkpoint;
    if (Array.isArray(c.positions) && Number.isInteger(c.length)) return c;
  } catch {}
  return undefined;
}

/** Newlines in the file's first `length` bytes. */
function countLines(fd: number, length: number): number {
  const chunk = Buffer.alloc(1 << 20);
  let lines = 0;
  for (let at = 0; at < length; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, length - at), at);
    if (n <= 0) break;
    for (let i = chunk.indexOf(10, 0); i >= 0 && i < n; i = chunk.indexOf(10, i + 1)) lines++;
    at += n;
  }
  return lines;
}

const fsyncOf = (fd: number): Promise<void> =>
  new Promise<void>((done, fail) => fsync(fd, (e) => (e ? fail(e) : done())));

/** Appends all of `bytes` (the file is opened to append; a write may take fewer bytes than it was given). */
function appendAll(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((done, fail) => {
    const from = (at: number) => {
      if (at >= bytes.length) return done();
      write(fd, bytes, at, bytes.length - at, null, (err, n) => {
        if (err) fail(err);
        // Nothing written and no error: the disk is not taking more (asking again would loop for ever).
        else if (n === 0) fail(Object.assign(new Error('no bytes written'), { code: 'ENOSPC' }));
        else from(at + n);
      });
    };
    from(0);
  });
}
