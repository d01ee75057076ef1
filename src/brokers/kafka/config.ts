import { ErrorCodes, RunnelError } from '../../core/errors.ts';

export interface KafkaUrl {
  /** host:port list, as Kafka's bootstrap.servers. */
  brokers: string[];
  /** Partitions for topics created on demand (produce to a missing topic). */
  partitions: number;
  replicationFactor: number;
  clientId: string;
}

function positiveInt(url: string, name: string, raw: string | null, fallback: number): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RunnelError(ErrorCodes.BROKER_URL_INVALID, `kafka URL "${url}": ${name} must be an integer >= 1`, {
      value: raw,
    });
  }
  return n;
}

/** `kafka://host:port[,host:port][?partitions=3&replicationFactor=1&clientId=x]` */
export function parseKafkaUrl(url: string): KafkaUrl {
  const m = /^kafka:(?:\/\/)?([^?/]*)\/?(?:\?(.*))?$/i.exec(url.trim());
  const hosts = (m?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!m || hosts.length === 0) {
    throw new RunnelError(
      ErrorCodes.BROKER_URL_INVALID,
      `kafka URL "${url}" names no broker (use kafka://host:port[,host:port])`,
      { value: url },
    );
  }
  const brokers = hosts.map((h) => {
    const [host, port = '9092', extra] = h.split(':');
    if (!host || extra !== undefined || !/^\d+$/.test(port)) {
      throw new RunnelError(ErrorCodes.BROKER_URL_INVALID, `kafka URL "${url}": "${h}" is not host:port`, { value: h });
    }
    return `${host}:${port}`;
  });
  const q = new URLSearchParams(m[2] ?? '');
  return {
    brokers,
    partitions: positiveInt(url, 'partitions', q.get('partitions'), 1),
    replicationFactor: positiveInt(url, 'replicationFactor', q.get('replicationFactor'), 1),
    clientId: q.get('clientId') ?? 'runnel',
  };
}
