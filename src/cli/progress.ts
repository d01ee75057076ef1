import cliProgress from 'cli-progress';
import type { ComponentStatus } from '../core/status.ts';

/** The time left goes by the pace over about this long... */
const PACE_WINDOW_MS = 5000;
/** ...and is said only once that pace was measured over this long. */
const MIN_PACE_MS = 2000;
/** How often a plain progress line with nothing new is repeated. */
const SAME_LINE_MS = 60_000;

/**
 * Shows pipeline progress: a bar on a terminal, a plain line every few seconds otherwise (CI logs,
 * pipes), and nothing when quiet. Progress is what the slowest sink has committed, since that is what
 * `--limit` waits for.
 */
export class Progress {
  #bar: cliProgress.SingleBar | undefined;
  #lastLine = 0;
  #lastCounts: string | undefined;
  readonly #total: number | undefined;
  readonly #quiet: boolean;
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #lineMs: number;
  readonly #started = Date.now();
  /** [time, records committed] over about the last PACE_WINDOW_MS, for the time left. */
  readonly #samples: Array<[number, number]> = [];

  /** `lineSeconds`: between plain lines (default 1 on a terminal without a bar, 5 otherwise). */
  constructor(options: { total?: number; quiet?: boolean; lineSeconds?: number }) {
    this.#total = options.total;
    this.#quiet = options.quiet ?? false;
    this.#lineMs = (options.lineSeconds ?? (this.#tty ? 1 : 5)) * 1000;
    if (!this.#quiet && this.#tty && this.#total) {
      this.#bar = new cliProgress.SingleBar(
        {
          format: '{bar} {percentage}% | {value}/{total} committed | {pace} | {detail}',
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(this.#total, 0, { detail: '', pace: '' });
    }
  }

  update(statuses: ComponentStatus[]): void {
    if (this.#quiet) return;
    const sources = statuses.filter((s) => s.component === 'source');
    const produced = sources.reduce((n, s) => n + s.records, 0);
    const sinks = statuses.filter((s) => s.component === 'sink');
    const dlq = statuses.reduce((n, s) => n + s.dlq, 0);
    const committed = committedOf(statuses);
    const retrying = retryingText(statuses);
    // `consume` runs no source: 'produced 0' would read as if nothing were coming.
    const detail = [sources.length ? `produced ${produced}` : '', dlq ? `dead letters ${dlq}` : '', ...retrying]
      .filter(Boolean)
      .join(' | ');
    const pace = this.#pace(committed);
    if (this.#bar) {
      this.#bar.update(Math.min(committed, this.#total ?? committed), { detail, pace });
      return;
    }
    const now = Date.now();
    if (now - this.#lastLine < this.#lineMs) return;
    const sinkText = sinks.map((s) => `${s.name} ${s.records}`).join(', ');
    const counts = [detail, sinkText ? `sinks: ${sinkText}` : ''].filter(Boolean).join(' | ');
    // The same counts again (an idle consume) are said once a minute, not at every line's time: a
    // waiting worker filled its terminal with the same line every 5 s.
    if (counts === this.#lastCounts && now - this.#lastLine < SAME_LINE_MS) return;
    const line = [counts, pace].filter(Boolean).join(' | ');
    // Nothing counted yet (a run refused as it starts): a bare "progress: " came before its one-line error.
    if (line === '') return;
    this.#lastLine = now;
    this.#lastCounts = counts;
    process.stderr.write(`progress: ${line}\n`);
  }

  /**
   * Records committed a second since the start and, with a --limit, the time left at that pace: a newcomer
   * running `--limit 2000` at buzz's default 10/s sees "about 3m left" rather than wondering (see --rate 0).
   */
  #pace(committed: number): string {
    const now = Date.now();
    const seconds = (now - this.#started) / 1000;
    if (seconds < 1 || committed === 0) return '';
    const rate = committed / seconds;
    // The time left goes by the last PACE_WINDOW_MS, not the whole run: its first second (start-up, the
    // first batches) made a 3 s run say "4.0/s, about 12m30s left".
    this.#samples.push([now, committed]);
    while (this.#samples.length > 2 && now - this.#samples[1]![0] >= PACE_WINDOW_MS) this.#samples.shift();
    const [since, from] = this.#samples[0]!;
    const recent = now - since >= MIN_PACE_MS ? ((committed - from) * 1000) / (now - since) : 0;
    const left = this.#total === undefined || recent <= 0 ? undefined : Math.max(0, this.#total - committed) / recent;
    const shown = rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(1);
    return left === undefined || left === 0 ? `${shown}/s` : `${shown}/s, about ${duration(left)} left`;
  }

  stop(): void {
    this.#bar?.stop();
  }
}

/**
 * What the bar and the pace count: the records the slowest sink of a produced topic has committed. Sinks
 * of derived topics (buzz.stats: a record per flush, not per message) hold far fewer records and would
 * stall the bar and read as a pace of a few a second; `consume`, with no source, counts every sink.
 */
export function committedOf(statuses: ComponentStatus[]): number {
  const own = producedSinks(statuses);
  const counted = own.length > 0 ? own : statuses.filter((s) => s.component === 'sink');
  if (counted.length > 0) return Math.min(...counted.map((s) => s.records));
  return statuses.filter((s) => s.component === 'source').reduce((n, s) => n + s.records, 0);
}

/** The sinks of topics a source of this run writes, not of derived topics (stats, alerts). */
export function producedSinks(statuses: ComponentStatus[]): ComponentStatus[] {
  const produced = new Set(statuses.filter((s) => s.component === 'source').flatMap((s) => s.topics));
  return statuses.filter((s) => s.component === 'sink' && s.topics.some((t) => produced.has(t)));
}

/**
 * Components retrying, grouped by error: a broker outage stops every component with the same line, and
 * six copies of it made each progress line ~1.7 KB.
 */
export function retryingText(statuses: ComponentStatus[]): string[] {
  const byError = new Map<string, string[]>();
  for (const s of statuses) {
    if (s.state !== 'retrying') continue;
    const error = s.lastError ?? '';
    byError.set(error, [...(byError.get(error) ?? []), s.name]);
  }
  return [...byError].map(([error, names]) => `${names.join(', ')} retrying: ${error}`);
}

/** 42s, 3m20s, 1h05m: how long, to the second below an hour. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
