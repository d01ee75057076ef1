/**
 * The record on topic `users_created`: a randomuser.me user flattened as seed 003's producer does (and its
 * Spark job reads), keeping the `dob` its Spark schema dropped.
 */
import { valueAt, z } from '../../index.ts';
import type { RandomUser } from './randomuser.ts';

/** Text fields are bounded: records also come from files and from the dashboard's form. */
const text = (max = 1000) => z.string().max(max);

/**
 * The flat user. Also the shape `--from` reads from CSV or JSONL: the seed's Cassandra export
 * `created_users.csv` has every column but `dob`, hence optional; its producer's JSON gives `post_code` as a
 * number when randomuser did, hence the coercion to text (the seed's Cassandra column is TEXT).
 */
export const FlatUserSchema = z.object({
  id: z.guid(),
  // The one field the model reads: a row without it (a CSV row's empty cell) would be predicted and
  // learned from as a name, so it is a dead letter that says why.
  first_name: text(200).regex(/\S/, 'empty, and a gender cannot be learned from no first name'),
  last_name: text(200),
  gender: z.enum(['male', 'female']),
  address: text(),
  post_code: z.union([text(100), z.number().transform(String)]),
  email: text(),
  username: text(200),
  dob: text(100).optional(),
  registered_date: text(100),
  phone: text(100),
  picture: text(),
});

export type FlatUser = z.infer<typeof FlatUserSchema>;

/** Where flattenUser reads a randomuser user: every one of these must be there. */
const USER_FIELDS = [
  'login.uuid',
  'login.username',
  'name.first',
  'name.last',
  'gender',
  'email',
  'phone',
  'location.street.number',
  'location.street.name',
  'location.city',
  'location.state',
  'location.country',
  'location.postcode',
  'dob.date',
  'registered.date',
  'picture.medium',
] as const;

/**
 * The fields of USER_FIELDS a value lacks (all of them for a value that is not an object), so a user the
 * API sent without its `login` is refused for that, not for `Cannot read properties of undefined`.
 */
export function missingUserFields(value: unknown): string[] {
  return USER_FIELDS.filter((path) => {
    const v = valueAt(value, path);
    return v === undefined || v === null;
  });
}

/**
 * One user as the seed's producer flattens it. The id is the user's `login.uuid` where the seed drew a fresh
 * uuid4: the same user then keeps the same key when a page is fetched again after a crash, so the sinks'
 * upserts by key stay exactly-once.
 */
export function flattenUser(u: RandomUser): FlatUser {
  const l = u.location;
  return {
    id: u.login.uuid,
    first_name: u.name.first,
    last_name: u.name.last,
    gender: u.gender,
    address: `${l.street.number} ${l.street.name}, ${l.city}, ${l.state}, ${l.country}`,
    post_code: String(l.postcode),
    email: u.email,
    username: u.login.username,
    dob: u.dob.date,
    registered_date: u.registered.date,
    phone: u.phone,
    picture: u.picture.medium,
  };
}
