import type { TestContext } from 'node:test';

/**
 * Outside CI a test that needs a real service (Kafka, Chromium, Postgres) may skip with a one-line
 * reason; with CI=true it must run, so a missing service fails the run instead of hiding.
 */
export function needService(t: TestContext, name: string, available: boolean, howToGet: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is required when CI=true but is not available: ${howToGet}`);
  t.skip(`${name} not available (${howToGet})`);
  return false;
}
