import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { backoffMs, sleep } from '../../../core/backoff.ts';
import type { Source, SourceContext, SourceItem } from '../../../core/connector.ts';
import { dlqTopic } from '../../../core/dlq.ts';
import { ErrorCodes, isRunnelError, RunnelError } from '../../../core/errors.ts';
import { parseTimestamp } from '../../../core/event-time.ts';
import { shortId } from '../../../core/runners/place-id.ts';
import { valueAt } from '../../../core/value-path.ts';
import type { HttpSourceConfig } from './spec.ts';

/**
 * Where the source is in the API: the request to make next (a page number or a cursor; none without
 * paging), how many records of its answer are already out (`skip`, after `--limit` cut a page), the seed
 * of a page/seed API, and the records emitted so far. `done`: a cursor API said there is no more.
 */
export interface HttpPosition {
  page?: number;
  cursor?: string;
  skip: number;
  seed?: string;
  emitted: number;
  done?: boolean;
}

/** The batch in the runtime's hands: where it started, where the source is once all of it is out. */
interface PendingBatch {
  from: HttpPosition;
  next: HttpPosition;
  items: number;
}

/** A 2xx answer: its parsed body, or why it could not be parsed (the text kept for the dead letter). */
type Answer = { ok: true; body: unknown; text: string } | { ok: false; reason: string; text: string };

/**
 * Offsets looked back from each partition's end for this source's newest run mark: past records others put
 * on the topic after it (a user added from the dashboard's form).
 */
const MARKS_WITHIN = 10_000;

/** The longest raw body a dead letter carries (the reason and the URL are always whole). */
const RAW_LIMIT = 10_000;

/**
 * Polls a JSON HTTP API (randomuser, Oura's v2 API, …) into a topic, page by page or by cursor.
 *
 * Failures: a 5xx, a timeout or a lost connection is retried with exponential backoff and jitter (one
 * `retrying` line per streak); 429 and 503 wait as long as `Retry-After` says; any other 4xx stops the
 * source at once (RUNNEL_SOURCE_REFUSED). A 2xx whose body cannot be read (not JSON, no records array) is
 * the API failing too: the same request is made again with the same backoff, so nothing is skipped and
 * an API answering an error page with 200 is not polled in a tight loop (at `interval` 0 that was two
 * hundred requests a second, and as many dead letters). Each distinct bad body of a streak goes to
 * `<topic>.dlq` once, for inspection; repeats of it are counted in the log, not copied. A readable page
 * none of whose records is usable (each a dead letter, see `committed`) is the API failing as well: the
 * next request waits the same backoff, while a page with any good record goes on at `interval`.
 *
 * Position: kept in `<stateDir>/http-source.<destination>.<request>.json`, written once the runtime says
 * the batch is durable (`committed`), and carried on the topic with each batch (its run mark, produced once
 * the rest of the batch is, see Source.runMark): a crash between the produce and that write leaves the file a
 * page behind the topic, and the
 * next run goes on from the mark. A stop (Ctrl-C, `--limit`, even mid-page) or a kill -9 repeats and skips
 * nothing, as long as the API answers a page the same when asked again (a page of one seed does).
 */
export class HttpSource implements Source {
  readonly name: string;
  /** Each record's value is parsed from its response (see Source.handsOver). */
  readonly handsOver = true;
  readonly #c: HttpSourceConfig;
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  #pos: HttpPosition = { skip: 0, emitted: 0 };
  #pending: PendingBatch | undefined;
  #file: string | undefined;
  /** Which request shape this is (the file's name part), in the run marks: another API's marks are not ours. */
  #request: string | undefined;
  #nextRequestAt = 0;
  /** The current streak of unreadable bodies: how many, and which (reason and body) went to the DLQ. */
  #bad = { streak: 0, sent: new Set<string>() };
  /** The current streak of answers whose records were all dead letters. */
  #useless = 0;
  /** The current streak of answers with no record at all (see #paceEmpty). */
  #empty = 0;
  /** What the runtime said of the last batch of records (see `committed`): some good, none, or not said. */
  #verdict: 'good' | 'none good' | undefined;

  constructor(config: HttpSourceConfig) {
    this.#c = config;
    const url = new URL(config.url);
    this.#headers = { accept: 'application/json', ...config.headers };
    // fetch refuses a URL with credentials in it: they become Basic auth, and never show in a message.
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      this.#headers.authorization ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    for (const [k, v] of Object.entries(config.query)) url.searchParams.set(k, String(v));
    this.#url = url;
    this.name = `http ${this.#shown(url)}`;
  }

  /** The URL for humans: credentials dropped, secret query parameters as `***`. */
  #shown(url: URL): string {
    const u = new URL(url);
    const secret = new Set(this.#c.secretParams.map((p) => p.toLowerCase()));
    for (const k of [...u.searchParams.keys()]) if (secret.has(k.toLowerCase())) u.searchParams.set(k, '***');
    return u.toString();
  }

  /** The current position (a copy), for tests and status. */
  get position(): HttpPosition {
    return { ...this.#pos };
  }

  async *read(ctx: SourceContext): AsyncIterable<SourceItem[]> {
    const c = this.#c;
    await this.#load(ctx);
    let lastPoll = Number.NEGATIVE_INFINITY;
    while (!ctx.signal.aborted && !this.#pos.done) {
      const due = lastPoll + c.interval - performance.now();
      if (due > 0) await sleep(due, ctx.signal);
      if (ctx.signal.aborted) return;
      lastPoll = performance.now();
      const url = this.#requestUrl(this.#pos);
      const fetchedAt = Date.now();
      const answer = await this.#get(url, ctx);
      if (answer === undefined) return;
      const shown = this.#shown(url);
      const records = answer.ok ? valueAt(answer.body, c.recordsPath) : undefined;
      if (!answer.ok || !Array.isArray(records)) {
        const reason = answer.ok
          ? `${c.recordsPath === '' ? 'the body' : `"${c.recordsPath}"`} is not an array (got ${kindOf(records)})`
          : answer.reason;
        const letter = this.#badBody(shown, reason, answer.text, ctx);
        if (letter) {
          // Nothing moves: the same request is made again, so its records are not skipped.
          this.#pending = { from: this.#pos, next: this.#pos, items: 0 };
          yield [letter];
          await this.#resumed();
        }
        // Backed off as a 5xx is: the poll interval alone (0 at --rate 0) would hammer the API.
        await sleep(backoffMs(this.#bad.streak - 1, c.backoff.baseMs, c.backoff.maxMs), ctx.signal);
        continue;
      }
      if (this.#bad.streak > 0) {
        const n = this.#bad.streak;
        ctx.log.info(`${this.name}: readable answers again after ${n} unreadable ${n === 1 ? 'body' : 'bodies'}`);
        this.#bad = { streak: 0, sent: new Set() };
      }
      const next = this.#after(this.#pos, answer.body, records.length);
      const skip = this.#pos.skip;
      const batch: SourceItem[] = records.slice(skip).map((value, i) => ({
        kind: 'record',
        record: { key: keyOf(value, c.key), value, timestamp: timeOf(value, c.timestampField, fetchedAt) },
        position: `${shown} #${skip + i}`,
      }));
      if (batch.length > 0 && this.#empty > 0) {
        // Said before the batch goes out: a reader may stop at it.
        if (this.#empty > 1) ctx.log.info(`${this.name}: new records after ${this.#empty} answers with none`);
        this.#empty = 0;
      }
      this.#pending = { from: this.#pos, next, items: batch.length };
      yield batch;
      await this.#resumed();
      await this.#paceUseless(shown, batch.length, ctx);
      if (batch.length === 0 && !this.#pos.done) await this.#paceEmpty(shown, ctx);
    }
  }

  /**
   * An answer with nothing new (an empty page, asked again as a paged API may grow) is followed by the
   * backoff's wait, growing while answers stay empty, beyond the `interval` the next poll waits anyway: at
   * `--rate 0` (interval 0) the same empty page was asked for 7,693 times in 3 s. A poll slower than the
   * backoff is not slowed. One line per streak.
   */
  async #paceEmpty(shown: string, ctx: SourceContext): Promise<void> {
    this.#empty++;
    const { baseMs, maxMs } = this.#c.backoff;
    if (this.#empty === 1)
      ctx.log.info(
        `${this.name}: GET ${shown}: nothing new; asking again, backing off up to ${maxMs} ms while it stays so`,
      );
    const wait = backoffMs(this.#empty - 1, baseMs, maxMs) - this.#c.interval;
    if (wait > 0) await sleep(wait, ctx.signal);
  }

  /**
   * After a page of records none of which was usable (a trial's API answered 200 with malformed users: 3,222
   * requests in 8 s at `--rate 0`, 9,666 dead letters, and `--limit`, which counts good records, never came):
   * the next request waits as after an unreadable body, one warning per streak, its end said. The source
   * cannot see why its records were refused (the users app's flattening wraps it; the binding's schema is
   * checked by the runtime): the runtime, which sees both, says how many were good (Source.committed). A
   * wrapper backing off on its own refusals would miss the schema's and copy this streak and its backoff.
   */
  async #paceUseless(shown: string, records: number, ctx: SourceContext): Promise<void> {
    const verdict = this.#verdict;
    this.#verdict = undefined;
    if (verdict === 'good' && this.#useless > 0) {
      const n = this.#useless;
      ctx.log.info(`${this.name}: usable records again after ${n} ${n === 1 ? 'answer' : 'answers'} with none`);
      this.#useless = 0;
    }
    if (verdict !== 'none good') return;
    this.#useless++;
    const all = records === 1 ? 'its one record is a dead letter' : `all ${records} of its records are dead letters`;
    if (this.#useless === 1) {
      const dlq = ctx.destination ? ` (in ${dlqTopic(ctx.destination.topic)})` : '';
      ctx.log.warn(`${this.name}: GET ${shown}: ${all}${dlq}; going on with backoff until an answer has a usable one`);
    } else ctx.log.debug(`${this.name}: GET ${shown}: ${all} (answer ${this.#useless} with none)`);
    const { baseMs, maxMs } = this.#c.backoff;
    await sleep(backoffMs(this.#useless - 1, baseMs, maxMs), ctx.signal);
  }

  /**
   * The runtime made the first `handled` items of the last batch durable, `good` of them as records: the
   * position moves past them and is written. Fewer than the batch (`--limit` cut it): the rest of that page
   * is asked for again. None good: the next request is backed off (see #paceUseless).
   */
  async committed(handled: number, good?: number): Promise<void> {
    const p = this.#pending;
    if (p === undefined) return;
    this.#pending = undefined;
    // Only a page's records count: an unreadable body's dead letter (items 0) has a backoff of its own.
    if (p.items > 0 && good !== undefined) this.#verdict = good > 0 ? 'good' : 'none good';
    this.#pos = this.#moved(p, handled);
    await this.#save();
  }

  /**
   * The position once the first `handled` items of the batch are out, with the request it belongs to: put on
   * the topic with the batch (see Source.runMark), so a crash before `committed` saved it loses nothing.
   */
  runMark(handled: number): string | undefined {
    const p = this.#pending;
    if (p === undefined || this.#request === undefined) return undefined;
    return JSON.stringify({ http: this.#request, position: this.#moved(p, handled) });
  }

  /** Where the source is once the first `handled` items of the pending batch are out. */
  #moved(p: PendingBatch, handled: number): HttpPosition {
    // Without paging the next poll is a new answer: a part of this one cannot be asked for again.
    const all = handled >= p.items || this.#c.paging === undefined;
    const moved = all ? { ...p.next } : { ...p.from, skip: p.from.skip + handled };
    moved.emitted = p.from.emitted + Math.min(handled, p.items);
    return moved;
  }

  /** A driver that resumes without calling `committed` means, by the Source contract, the batch is durable. */
  async #resumed(): Promise<void> {
    if (this.#pending) await this.committed(this.#pending.items);
  }

  /**
   * Counts an unreadable body into the streak and says so (a warning at its start, then debug lines); the
   * dead letter for it, unless this very body (and reason) was dead-lettered earlier in the streak: an API
   * that answers the same error page for an hour needs it kept once, not once a minute.
   */
  #badBody(shown: string, reason: string, text: string, ctx: SourceContext): SourceItem | undefined {
    const bad = this.#bad;
    bad.streak++;
    if (bad.streak === 1) ctx.log.warn(`${this.name}: GET ${shown}: ${reason} (retrying with backoff)`);
    else ctx.log.debug(`${this.name}: GET ${shown}: ${reason} (unreadable body ${bad.streak})`);
    const raw = text.slice(0, RAW_LIMIT);
    const seen = createHash('sha256').update(reason).update('\0').update(raw).digest('hex');
    if (bad.sent.has(seen)) return undefined;
    bad.sent.add(seen);
    // Starting with the position, as file sources' `file:line:` does: the runtime then names it once.
    const error = new RunnelError(ErrorCodes.INPUT_MALFORMED, `${shown}: ${reason}`, { value: shown });
    return { kind: 'invalid', error, raw, position: shown };
  }

  /** Where the source is once every record of this answer is out. */
  #after(pos: HttpPosition, body: unknown, count: number): HttpPosition {
    const paging = this.#c.paging;
    const base = { ...pos, skip: 0 };
    if (paging?.type === 'page') {
      // An empty page is asked for again at the next poll: a paged API may grow.
      return count === 0 ? { ...pos } : { ...base, page: (pos.page ?? paging.firstPage) + 1 };
    }
    if (paging?.type === 'cursor') {
      const next = valueAt(body, paging.cursorPath);
      if (typeof next === 'string' && next !== '') return { ...base, cursor: next };
      if (typeof next === 'number') return { ...base, cursor: String(next) };
      delete base.cursor;
      return { ...base, done: true };
    }
    return base;
  }

  #requestUrl(pos: HttpPosition): URL {
    const url = new URL(this.#url);
    const paging = this.#c.paging;
    if (paging?.type === 'page') {
      if (pos.seed !== undefined) url.searchParams.set(paging.seedParam, pos.seed);
      url.searchParams.set(paging.pageParam, String(pos.page ?? paging.firstPage));
    } else if (paging?.type === 'cursor' && pos.cursor !== undefined) {
      url.searchParams.set(paging.cursorParam, pos.cursor);
    }
    return url;
  }

  /**
   * One GET, retried until it answers 2xx: undefined when the source is stopping. Waits out the rate
   * limit first, before every try, so retries count against it too.
   */
  async #get(url: URL, ctx: SourceContext): Promise<Answer | undefined> {
    const c = this.#c;
    const shown = this.#shown(url);
    let failures = 0;
    const since = performance.now();
    for (;;) {
      await this.#rateGate(ctx.signal);
      if (ctx.signal.aborted) return undefined;
      const timeout = AbortSignal.timeout(c.timeout);
      let wait: number;
      let reason: string;
      try {
        const res = await fetch(url, { headers: this.#headers, signal: AbortSignal.any([ctx.signal, timeout]) });
        if (res.ok) {
          const text = await res.text();
          if (failures > 0)
            ctx.log.info(`${this.name}: recovered after ${failures} ${failures === 1 ? 'retry' : 'retries'}`);
          try {
            return { ok: true, body: JSON.parse(text), text };
          } catch (err) {
            return { ok: false, reason: `not JSON (${(err as Error).message})`, text };
          }
        }
        await res.body?.cancel().catch(() => {});
        const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        const after = retryAfterMs(res.headers.get('retry-after'));
        if ((res.status === 429 || res.status === 503) && after !== undefined) {
          wait = Math.min(after, c.maxRetryAfterMs);
          reason = `${status}; waiting ${(wait / 1000).toFixed(wait < 10_000 ? 1 : 0)} s as Retry-After asks`;
        } else if (res.status >= 500 || res.status === 429 || res.status === 408) {
          wait = backoffMs(failures, c.backoff.baseMs, c.backoff.maxMs);
          reason = status;
        } else {
          // The body is not quoted: an API may echo the request (and its token) in an error page.
          throw new RunnelError(
            ErrorCodes.SOURCE_REFUSED,
            `GET ${shown} answered ${status}; retrying cannot fix that (check the URL, the query and the token)`,
            { value: shown },
          );
        }
      } catch (err) {
        if (isRunnelError(err)) throw err;
        if (ctx.signal.aborted) return undefined;
        wait = backoffMs(failures, c.backoff.baseMs, c.backoff.maxMs);
        reason = timeout.aborted ? `no answer within ${c.timeout} ms` : networkReason(err);
      }
      // One line per streak of failures: the first says why; the recovery is logged when it ends. A long
      // streak is said again at its 5th, 10th, 20th, … try: after one line, an API that never answered (a
      // mistyped port) looked like a hung run, and `--limit` never came.
      if (failures === 0) ctx.log.warn(`${this.name}: GET ${shown}: ${reason} (retrying)`);
      else if (failures >= 4 && Number.isInteger(Math.log2((failures + 1) / 5)))
        ctx.log.warn(
          `${this.name}: GET ${shown}: still ${reason} after ${failures + 1} tries in ${Math.round((performance.now() - since) / 1000)} s; retrying with backoff until it answers (check the URL; Ctrl-C stops)`,
        );
      else ctx.log.debug(`${this.name}: GET ${shown}: ${reason} (retry ${failures})`);
      failures++;
      await sleep(wait, ctx.signal);
    }
  }

  /** At most `rateLimit` requests a second: each request waits for its slot. */
  async #rateGate(signal: AbortSignal): Promise<void> {
    if (this.#c.rateLimit === undefined) return;
    const now = performance.now();
    const at = Math.max(now, this.#nextRequestAt);
    this.#nextRequestAt = at + 1000 / this.#c.rateLimit;
    if (at > now) await sleep(at - now, signal);
  }

  /** The file is per destination topic and per request shape: another API, query or seed starts afresh. */
  async #load(ctx: SourceContext): Promise<void> {
    const c = this.#c;
    const paging = c.paging;
    const fresh: HttpPosition = { skip: 0, emitted: 0 };
    if (paging?.type === 'page') {
      fresh.page = paging.firstPage;
      fresh.seed = paging.seed === undefined ? randomBytes(8).toString('hex') : String(paging.seed);
    }
    this.#pos = fresh;
    if (c.stateDir === undefined) return;
    const into = ctx.destination?.id ?? ctx.destination?.topic ?? '';
    this.#request = shortId(JSON.stringify([this.#url.toString(), paging ?? null]));
    this.#file = join(c.stateDir, `http-source.${shortId(into)}.${this.#request}.json`);
    const saved = await this.#saved(this.#file);
    const marked = await this.#marked(ctx, this.#request);
    // The mark is written with the records, the file just after them: a mark ahead of the file is a run
    // that stopped in between (kill -9). The file ahead is a batch whose records were all dead letters.
    if (marked !== undefined && marked.emitted > (saved?.emitted ?? -1)) {
      this.#pos = marked;
      ctx.log.info(
        `${this.name}: resuming ${describe(marked)} (from ${ctx.destination?.topic ?? 'the topic'}: the last run stopped before it saved its position)`,
      );
    } else if (saved !== undefined) {
      this.#pos = saved;
      ctx.log.info(`${this.name}: resuming ${describe(saved)}`);
    }
  }

  async #saved(file: string): Promise<HttpPosition | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const saved = parseSaved(text);
    if (saved === undefined) {
      // Guessing could repeat everything already produced: say so rather than guess. Without the file, the
      // next run goes on from the position its pages carry on the topic (the first page if they carry none).
      throw new RunnelError(
        ErrorCodes.INPUT_MALFORMED,
        `${file}: not a position of the http source; remove it to go on from the position kept on the topic (the first page if there is none)`,
        { value: file },
      );
    }
    return saved;
  }

  /** The furthest position this request's marks on the topic name (see runMark); undefined: none. */
  async #marked(ctx: SourceContext, request: string): Promise<HttpPosition | undefined> {
    let furthest: HttpPosition | undefined;
    for (const text of (await ctx.runMarks?.(MARKS_WITHIN)) ?? []) {
      const mark = parseMark(text);
      if (mark?.http !== request) continue;
      if (furthest === undefined || mark.position.emitted > furthest.emitted) furthest = mark.position;
    }
    return furthest;
  }

  /** Written to a temporary file, flushed and renamed over the old one: a crash leaves one or the other. */
  async #save(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return;
    await mkdir(this.#c.stateDir!, { recursive: true });
    const tmp = `${file}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(this.#pos)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }
}

/** Seconds (`120`) or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const date = Date.parse(s);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function keyOf(value: unknown, path: string | undefined): string | null {
  if (path === undefined) return null;
  const k = valueAt(value, path);
  if (k === undefined || k === null) return null;
  return typeof k === 'object' ? JSON.stringify(k) : String(k);
}

function timeOf(value: unknown, path: string | undefined, fallback: number): number {
  if (path === undefined) return fallback;
  const t = valueAt(value, path);
  const parsed = typeof t === 'string' || typeof t === 'number' ? parseTimestamp(String(t)) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : fallback;
}

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  return typeof v;
}

/** undici's `fetch failed` hides the reason in `cause` (ECONNREFUSED, a reset, a DNS failure). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

/** A run mark of an http source (see HttpSource.runMark), or undefined for anything else. */
function parseMark(text: string): { http: string; position: HttpPosition } | undefined {
  try {
    const m = JSON.parse(text) as { http?: unknown; position?: unknown };
    if (typeof m !== 'object' || m === null || typeof m.http !== 'string') return undefined;
    const position = isPosition(m.position) ? m.position : undefined;
    return position === undefined ? undefined : { http: m.http, position };
  } catch {
    return undefined;
  }
}

function parseSaved(text: string): HttpPosition | undefined {
  try {
    const p = JSON.parse(text) as unknown;
    return isPosition(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function isPosition(p: unknown): p is HttpPosition {
  const q = p as HttpPosition;
  return (
    typeof q === 'object' &&
    q !== null &&
    Number.isInteger(q.skip) &&
    Number.isInteger(q.emitted) &&
    (q.page === undefined || Number.isInteger(q.page)) &&
    (q.cursor === undefined || typeof q.cursor === 'string') &&
    (q.seed === undefined || typeof q.seed === 'string')
  );
}

function describe(p: HttpPosition): string {
  const where = p.done
    ? 'after the last page'
    : p.page !== undefined
      ? `at page ${p.page}${p.seed === undefined ? '' : ` (seed ${p.seed})`}`
      : p.cursor !== undefined
        ? 'at the saved cursor'
        : 'at the first page';
  return `${where}${p.skip > 0 ? `, record ${p.skip}` : ''}; ${p.emitted} records emitted before`;
}
