import { type AppOptions, ErrorCodes, RunnelError, type Source, source, sourceFrom } from '../../index.ts';

/** The seed's Cassandra export `created_users.csv`: every column text (post codes and phones keep their zeros). */
const CSV_COLUMNS = [
  'id',
  'address',
  'email',
  'first_name',
  'gender',
  'last_name',
  'phone',
  'picture',
  'post_code',
  'registered_date',
  'username',
  'dob',
] as const;

/**
 * `--from`: flat users (the seed's `created_users.csv`, or JSONL of the topic's records) or a Kafka topic
 * (the seed producer's `users_created`). Keyed by `id`; a CSV row's event time is its `registered_date`.
 */
export function flatFileSource(o: AppOptions, rate: number): Source {
  const from = o.from!;
  if (/\.csv$/i.test(from) && !/^[a-z][a-z0-9+.-]*:/i.test(from)) {
    return source('csv', {
      path: from,
      key: 'id',
      timestampColumn: 'registered_date',
      // The seed's created_users.csv has no dob: typed when a file has it, not required.
      columns: Object.fromEntries(CSV_COLUMNS.map((c) => [c, c === 'dob' ? 'string?' : 'string'])),
      ...(rate > 0 ? { rate } : {}),
    });
  }
  const s = sourceFrom(o, { key: 'id' });
  if (!s) throw new RunnelError(ErrorCodes.CONFIG_INVALID, `--from ${from}: not a file or topic the users app reads`);
  return s;
}
