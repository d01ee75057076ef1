import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import cassandra from 'cassandra-driver';
import { needService } from './services.ts';

/** The node the tests use: RUNNEL_TEST_CASSANDRA, else `runnel cassandra start`'s 127.0.0.1:9042. */
export const CASSANDRA = process.env.RUNNEL_TEST_CASSANDRA ?? '127.0.0.1:9042';

export function client(contactPoint = CASSANDRA): cassandra.Client {
  return new cassandra.Client({
    contactPoints: [contactPoint],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: 3000 },
  });
}

let reachable: Promise<boolean> | undefined;
function answers(): Promise<boolean> {
  reachable ??= (async () => {
    const c = client();
    try {
      await c.connect();
    } catch {
      void c.shutdown().catch(() => {}); // a client that never connected may never settle its shutdown
      return false;
    }
    try {
      await c.execute('SELECT release_version FROM system.local');
      return true;
    } catch {
      return false;
    } finally {
      await c.shutdown().catch(() => {});
    }
  })();
  return reachable;
}

/** One statement on a short-lived connection: the tests read what the sink wrote, as a user would. */
export async function cql(query: string, params: unknown[] = []): Promise<cassandra.types.Row[]> {
  const c = client();
  try {
    await c.connect();
    // Paged through: a table of 30,000 rows is more than the default page of 5,000.
    const out: cassandra.types.Row[] = [];
    let pageState: string | undefined;
    do {
      const rs = await c.execute(query, params, {
        prepare: true,
        fetchSize: 5000,
        ...(pageState ? { pageState } : {}),
      });
      out.push(...(rs.rows ?? []));
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return out;
  } finally {
    await c.shutdown();
  }
}

/**
 * A keyspace name of its own for one test (dropped after it), or undefined when Cassandra is not there and
 * CI is not set (needService: with CI=true a missing node fails the test). The sink creates it.
 */
export async function testKeyspace(t: TestContext): Promise<string | undefined> {
  const ok = needService(
    t,
    'Cassandra',
    await answers(),
    `a node at ${CASSANDRA} (npm run cassandra:start, or RUNNEL_TEST_CASSANDRA)`,
  );
  if (!ok) return undefined;
  const name = `runnel_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  t.after(() => cql(`DROP KEYSPACE IF EXISTS ${name}`));
  return name;
}
