import { type AppOptions, type Column, defineApp, type Source } from '../../index.ts';
import { usersActions } from './actions.ts';
import { apiSource } from './api-source.ts';
import { FlatUserSchema } from './flatten.ts';
import { UsersGeneratorSource } from './generator-source.ts';
import { flatFileSource } from './input.ts';
import { usersPanels } from './panels.ts';
import { usersPipeline } from './pipeline.ts';
import { usersSettings, usersTopics } from './settings.ts';

const text = (name: string): Column => ({ name, type: 'text' });

/** The seed's Cassandra table `spark_streams.created_users`, plus the `dob` its Spark job dropped. */
const USER_COLUMNS: Column[] = [
  'id',
  'first_name',
  'last_name',
  'gender',
  'address',
  'post_code',
  'email',
  'username',
  'dob',
  'registered_date',
  'phone',
  'picture',
].map((name) => (name === 'id' ? { name, type: 'uuid' } : text(name)));

const PREDICTED_COLUMNS: Column[] = [
  ...USER_COLUMNS,
  text('country'),
  { name: 'age', type: 'integer' },
  text('predicted_gender'),
  { name: 'p_female', type: 'real' },
  { name: 'probability', type: 'real' },
  { name: 'correct', type: 'boolean' },
  { name: 'seen', type: 'integer' },
];

const METRIC_COLUMNS: Column[] = [
  { name: 'seen', type: 'integer' },
  { name: 'n', type: 'integer' },
  { name: 'accuracy', type: 'real' },
  { name: 'logLoss', type: 'real' },
  { name: 'baselineAccuracy', type: 'real' },
  { name: 'baselineLogLoss', type: 'real' },
  { name: 'windowAccuracy', type: 'real' },
  { name: 'windowBaselineAccuracy', type: 'real' },
  { name: 'countries', type: 'json' },
  { name: 'ages', type: 'json' },
];

/** Where users come from: `--from` (a file or topic), `--api`/RANDOMUSER_URL, else the offline generator. */
function usersSource(o: AppOptions): Source {
  const s = usersSettings(o);
  if (o.from !== undefined) return flatFileSource(o, s.rate);
  const seed = o.seed === undefined ? undefined : String(o.seed);
  const common = {
    pageSize: s.pageSize,
    rate: s.rate,
    stateDir: o.dataDir,
    ...(s.nat ? { nat: s.nat } : {}),
    ...(seed ? { seed } : {}),
  };
  if (s.api) return apiSource({ url: s.api, timeout: s.timeout, ...common });
  return new UsersGeneratorSource({ ...common, ...(s.count === undefined ? {} : { count: s.count }) });
}

export const usersApp = defineApp({
  name: 'users',
  title: 'Users: a gender-from-name model trained live',
  description:
    'randomuser.me users (offline generator by default, --api for the real service) flattened onto users_created; a model predicts each gender from the first name before learning from it, measured against the majority baseline',
  apiInput: 'a randomuser-shaped API (https://randomuser.me/api/)',
  // Only the newest snapshot is ever read: keep about a hundred (each well under a MiB).
  topics: (o) => ({ [usersTopics(o.env).model]: { partitions: 1, retentionBytes: 64 * 1024 * 1024 } }),
  sources: (o) => [{ topic: usersTopics(o.env).users, source: usersSource(o), schema: FlatUserSchema }],
  pipeline: (t, o) => usersPipeline(t, usersSettings(o)),
  sinks: (o) => {
    const t = usersTopics(o.env);
    return [
      // The seed's table, keyed by the user's id: a user delivered twice is one row (idempotent upserts).
      { topic: t.users, table: 'created_users', columns: USER_COLUMNS, key: 'id', namespace: 'spark_streams' },
      { topic: t.predicted, table: 'users_predicted', columns: PREDICTED_COLUMNS, key: 'id' },
      { topic: t.metrics, table: 'users_metrics', columns: METRIC_COLUMNS, key: 'seen' },
    ];
  },
  panels: usersPanels,
  actions: usersActions,
});
