/**
 * The record on topic `users_created`: a randomuser.me user flattened as seed 003's producer does (and its
 * Spark job reads), keeping the `dob` its Spark schema dropped.
 */
import { z } from '../../index.ts';
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
  first_name: text(200),
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
