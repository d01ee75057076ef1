import cliProgress from 'cli-progress';
import type { ComponentStatus } from '../core/status.ts';

/**
 * Shows pipeline progress: a bar on a terminal, a plain line every few seconds otherwise (CI logs,
 * pipes), and nothing when quiet. Progress is what the slowest sink has committed, since that is what
 * `--limit` waits for.
 */
export class Progress {
  #bar: cliProgress.SingleBar | undefined;
  #lastLine = 0;
  readonly #total: number | undefined;
  readonly #quiet: boolean;
  readonly #tty = Boolean(process.stderr.isTTY);

  constructor(options: { total?: number; quiet?: boolean }) {
    this.#total = options.total;
    this.#quiet = options.quiet ?? false;
    if (!this.#quiet && this.#tty && this.#total) {
      this.#bar = new cliProgress.SingleBar(
        {
          format: '{bar} {percentage}% | {value}/{total} committed | {detail}',
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(this.#total, 0, { detail: '' });
    }
  }

  update(statuses: ComponentStatus[]): void {
    if (this.#quiet) return;
    const sources = statuses.filter((s) => s.component === 'source');
    const produced = sources.reduce((n, s) => n + s.records, 0);
    const sinks = statuses.filter((s) => s.component === 'sink');
    const dlq = statuses.reduce((n, s) => n + s.dlq, 0);
    const committed = sinks.length ? Math.min(...sinks.map((s) => s.records)) : produced;
    const retrying = retryingText(statuses);
    // `consume` runs no source: 'produced 0' would read as if nothing were coming.
    const detail = [sources.length ? `produced ${produced}` : '', dlq ? `dead letters ${dlq}` : '', ...retrying]
      .filter(Boolean)
      .join(' | ');
    if (this.#bar) {
      this.#bar.update(Math.min(committed, this.#total ?? committed), { detail });
      return;
    }
    const now = Date.now();
    if (now - this.#lastLine < (this.#tty ? 1000 : 5000)) return;
    this.#lastLine = now;
    const sinkText = sinks.map((s) => `${s.name} ${s.records}`).join(', ');
    process.stderr.write(`progress: ${[detail, sinkText ? `sinks: ${sinkText}` : ''].filter(Boolean).join(' | ')}\n`);
  }

  stop(): void {
    this.#bar?.stop();
  }
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
