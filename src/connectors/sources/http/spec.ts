import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A dotted path into a JSON body (`results`, `data`, `payload.items`); empty: the body itself. */
const jsonPath = z.string().regex(/^$|^[^.]+(\.[^.]+)*$/, 'a dotted path such as data or payload.items');

/**
 * Header values are secrets (an `Authorization: Bearer …`): an invalid one is reported by name only, and
 * the source never prints any header value (see validateConfig's `params.secret`).
 */
const headers = z
  .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name'), z.unknown())
  .superRefine((h, ctx) => {
    for (const [name, v] of Object.entries(h)) {
      if (typeof v !== 'string' || /[\r\n\0]/.test(v)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'a header value must be text without line breaks',
          params: { secret: true },
        });
      }
    }
  }) as unknown as z.ZodType<Record<string, string>>;

/** Keep to the Oura API: the cursor is `next_token` in the body, sent back as `?next_token=`. */
const cursorPaging = z.strictObject({
  type: z.literal('cursor'),
  /** Where the next cursor is in the body; absent, null or "" ends the input. */
  cursorPath: jsonPath.default('next_token'),
  /** The query parameter that carries it back. */
  cursorParam: z.string().min(1).default('next_token'),
});

/** randomuser's `?results=N&seed=S&page=P`: a page counter and a fixed seed, so page P is always the same. */
const pagePaging = z.strictObject({
  type: z.literal('page'),
  pageParam: z.string().min(1).default('page'),
  firstPage: z.number().int().min(0).default(1),
  seedParam: z.string().min(1).default('seed'),
  /** Omitted: one is drawn at the first start and kept with the position, so a restart continues it. */
  seed: z.union([z.string().min(1), z.number()]).optional(),
});

/**
 * Polls a JSON HTTP API. `url` + `query` make each request; the records are the array at `recordsPath`.
 * `interval`: ms from one poll to the next (a page, or the same URL again without paging); `rateLimit`:
 * at most this many requests a second, retries included. `stateDir` (an app passes its data folder):
 * where the position is kept; without it every start begins at the first page.
 */
export const httpSourceSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  query: z.record(z.string(), scalar).default({}),
  headers: headers.default({}),
  recordsPath: jsonPath.default(''),
  interval: z.number().min(0).default(1000),
  timeout: z.number().positive().default(10_000),
  rateLimit: z.number().positive().optional(),
  paging: z.discriminatedUnion('type', [cursorPaging, pagePaging]).optional(),
  /** Field path of a record that becomes its key. */
  key: jsonPath.min(1).optional(),
  /** Field path holding event time (ISO, `YYYY-MM-DD HH:MM:SS` as UTC, epoch s/ms); default: when it was fetched. */
  timestampField: jsonPath.min(1).optional(),
  stateDir: z.string().min(1).optional(),
  /** Query parameters whose values are secrets (an `api_key`): shown as `***` in logs, errors and dead letters. */
  secretParams: z
    .array(z.string())
    .default(['access_token', 'api_key', 'apikey', 'key', 'token', 'secret', 'password', 'signature']),
  /** Backoff on a 5xx, a timeout or a lost connection: exponential from `baseMs` to `maxMs`, with jitter. */
  backoff: z
    .strictObject({ baseMs: z.number().positive().default(500), maxMs: z.number().positive().default(60_000) })
    .default({ baseMs: 500, maxMs: 60_000 }),
  /** A `Retry-After` longer than this is cut to it, so a bad header cannot stall the source for a day. */
  maxRetryAfterMs: z.number().positive().default(600_000),
});
export type HttpSourceConfig = z.infer<typeof httpSourceSchema>;
