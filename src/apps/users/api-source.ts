import { ErrorCodes, RunnelError, type Source, type SourceItem, source } from '../../index.ts';
import { flattenUser, missingUserFields } from './flatten.ts';
import type { RandomUser } from './randomuser.ts';

export interface ApiSourceOptions {
  url: string;
  pageSize: number;
  nat?: string;
  seed?: string;
  /** Users per second; 0: pages back to back. */
  rate: number;
  stateDir: string;
  /** ms one request may take before it is retried. */
  timeout: number;
}

/**
 * Polls a randomuser-shaped API (`--api`, RANDOMUSER_URL) with the generic http source: `results=N`,
 * one `seed` for the whole run (drawn and kept when not given) and `page=1,2,3…`, so page P is always the
 * same users and the kept position makes a restart neither repeat nor skip. Retries, Retry-After, the
 * timeout, and the backoff and dead letter for a malformed body are the http source's. Each user is
 * flattened as the seed's Spark job does; one that cannot be is a dead letter naming its request. A page
 * none of whose users could be flattened (or fit the topic's schema) is backed off by the http source too.
 */
export function apiSource(o: ApiSourceOptions): Source {
  const http = source('http', {
    url: o.url,
    query: { results: o.pageSize, ...(o.nat ? { nat: o.nat } : {}) },
    recordsPath: 'results',
    paging: { type: 'page', ...(o.seed === undefined ? {} : { seed: o.seed }) },
    key: 'login.uuid',
    // One page of `pageSize` users per interval is `rate` users a second.
    interval: o.rate > 0 ? (o.pageSize / o.rate) * 1000 : 0,
    stateDir: o.stateDir,
    timeout: o.timeout,
  });
  return flattening(http);
}

/** The same source with each randomuser record flattened (FlatUser, keyed by its id). */
export function flattening(inner: Source): Source {
  const flat = (item: SourceItem): SourceItem => {
    if (item.kind !== 'record') return item;
    const refused = (why: string): SourceItem => {
      const where = item.position ?? inner.name;
      return {
        kind: 'invalid',
        error: new RunnelError(ErrorCodes.INPUT_MALFORMED, `${where}: not a randomuser user (${why})`),
        raw: JSON.stringify(item.record.value).slice(0, 10_000),
        position: where,
      };
    };
    const v = item.record.value;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return refused(`${describe(v)}, not an object`);
    const missing = missingUserFields(v);
    if (missing.length > 0) return refused(`it has no ${missing.join(', ')}`);
    try {
      const value = flattenUser(v as RandomUser);
      return { ...item, record: { ...item.record, key: value.id, value } };
    } catch (err) {
      return refused((err as Error).message);
    }
  };
  return {
    name: inner.name,
    async *read(ctx) {
      for await (const batch of inner.read(ctx)) yield batch.map(flat);
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
    // With how many were good: a page of users none of which could be flattened is backed off by the http
    // source as an unreadable body is (the runtime counts these refusals, and the schema's, as not good).
    ...(inner.committed ? { committed: (n: number, good?: number) => inner.committed!(n, good) } : {}),
    // The inner source's position travels with its batches (see Source.runMark): a kill -9 repeats no page.
    ...(inner.runMark ? { runMark: (n: number) => inner.runMark!(n) } : {}),
    ...(inner.pacing ? { pacing: () => inner.pacing!() } : {}),
  };
}

/** What a record that is not an object is, for the dead letter's reason. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
