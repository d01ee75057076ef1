import type { Broker, BrokerFactory } from './broker.ts';
import { ErrorCodes, RunnelError } from './errors.ts';

const factories = new Map<string, BrokerFactory>();

/** Brokers register by URL scheme (`local`, `kafka`) so core never imports them. */
export function registerBroker(scheme: string, factory: BrokerFactory): void {
  factories.set(scheme, factory);
}

export const DEFAULT_BROKER_URL = 'local:.runnel/broker.db';

export async function createBroker(url: string = DEFAULT_BROKER_URL): Promise<Broker> {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  const factory = scheme ? factories.get(scheme) : undefined;
  if (!factory) {
    const known = [...factories.keys()].map((s) => `${s}:`).join(', ');
    // A bare path or host:port is the commonest slip: the URL it was meant to be, spelt out.
    const meant = !scheme
      ? /^[\w.-]+:\d+$/.test(url)
        ? `kafka://${url}`
        : factories.has('local') && url.trim() !== ''
          ? `local:${url}`
          : undefined
      : /^\d+$/.test(url.slice(match![0].length)) && factories.has('kafka')
        ? `kafka://${url}`
        : undefined;
    throw new RunnelError(
      ErrorCodes.BROKER_URL_INVALID,
      `broker URL "${url}" has no known scheme (use one of ${known}${meant ? `; for this, ${meant}` : ''})`,
      { value: url },
    );
  }
  return factory(url);
}
