import type { Broker, BrokerFactory } from './broker.ts';
import { ErrorCodes, RunnelError } from './errors.ts';

const factories = new Map<string, BrokerFactory>();

/** Brokers register by URL scheme (`local`, `kafka`) so core never imports them. */
export function registerBroker(scheme: string, factory: BrokerFactory): void {
  factories.set(scheme, factory);
}

export const DEFAULT_BROKER_URL = 'local:.runnel/broker.db';

export async function createBroker(url: string = DEFAULT_BROKER_URL): Promise<Broker> {
  // A Windows path (C:\…) is no scheme.
  const match = /^[a-z]:[\\/]/i.test(url) ? null : /^([a-z][a-z0-9+.-]*):/i.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  const factory = scheme ? factories.get(scheme) : undefined;
  if (!factory) {
    const known = [...factories.keys()].map((s) => `${s}:`).join(', ');
    // A bare path or host:port is the commonest slip: the URL it was meant to be, spelt out. Only where the
    // value plainly is one (a hint of local: for "localhost" would make a broker file of that name).
    const meant = brokerUrlMeant(url, (s) => factories.has(s));
    throw new RunnelError(
      ErrorCodes.BROKER_URL_INVALID,
      `broker URL "${url}" has no known scheme (use one of ${known}${meant ? `; for this, ${meant}` : ''})`,
      { value: url },
    );
  }
  return factory(url);
}

/** What a URL without a known scheme was likely meant to be: a file path or a Kafka address; else undefined. */
export function brokerUrlMeant(url: string, known: (scheme: string) => boolean): string | undefined {
  const v = url.trim();
  // kafka//host:9092, KAFKA:host:9092: an address under a misspelt scheme.
  const kafkaSlip = /^kafka[:/]+(.+)$/i.exec(v);
  if (kafkaSlip) return known('kafka') ? brokerUrlMeant(kafkaSlip[1]!, (s) => s === 'kafka') : undefined;
  // Another scheme (mqtt://…) is not a path.
  if (/^[a-z][\w+.-]*:\/\//i.test(v)) return undefined;
  if (known('kafka') && /^(\[[0-9a-f:.]+\]|[\w.-]+):\d+(,(\[[0-9a-f:.]+\]|[\w.-]+):\d+)*$/i.test(v))
    return `kafka://${v}`;
  if (known('local') && (/[/\\]/.test(v) || /\.(db|sqlite3?)$/i.test(v))) return `local:${v}`;
  return undefined;
}
