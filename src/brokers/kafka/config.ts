import { ErrorCodes, RunnelError } from '../../core/errors.ts';

export interface KafkaUrl {
  /** host:port list, as Kafka's bootstrap.servers. */
  brokers: string[];
  /** Partitions for topics created on demand (produce to a missing topic). */
  partitions: number;
  replicationFactor: number;
  clientId: string;
}

/** Every query parameter a kafka:// URL understands; anything else is a typo that would be silently ignored. */
const KNOWN_PARAMS = ['partitions', 'replicationFactor', 'clientId'];

function invalid(message: string, value: unknown): RunnelError {
  return new RunnelError(ErrorCodes.BROKER_URL_INVALID, message, { value });
}

function positiveInt(url: string, name: string, raw: string | null, fallback: number): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalid(`kafka URL "${url}": ${name} must be an integer >= 1`, raw);
  return n;
}

/** `kafka://host:port/topic` is the `--from` form; as a cluster URL it would otherwise read as "no broker". */
function rejectTopicPath(url: string): void {
  const m = /^kafka:\/\/([^/?#]+)\/([^?#]+)/i.exec(url.trim());
  if (!m) return;
  throw invalid(
    `kafka URL "${url}" names a topic ("${m[2]}"), but a broker URL names a cluster, not a topic: ` +
      `use kafka://${m[1]} (--from kafka://host:port/topic reads a topic)`,
    url,
  );
}

function parseHost(url: string, h: string): string {
  const [host, port = '9092', extra] = h.split(':');
  if (!host || extra !== undefined || !/^\d+$/.test(port))
    throw invalid(`kafka URL "${url}": "${h}" is not host:port`, h);
  const n = Number(port);
  if (n < 1 || n > 65535) throw invalid(`kafka URL "${url}": port ${port} of "${h}" is not in 1-65535`, port);
  return `${host}:${n}`;
}

function rejectUnknownParams(url: string, q: URLSearchParams): void {
  const unknown = [...new Set(q.keys())].filter((k) => !KNOWN_PARAMS.includes(k));
  if (unknown.length === 0) return;
  throw invalid(
    `kafka URL "${url}": unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${KNOWN_PARAMS.join(', ')})`,
    unknown.join(','),
  );
}

/** `kafka://host:port[,host:port][?partitions=3&replicationFactor=1&clientId=x]` */
export function parseKafkaUrl(url: string): KafkaUrl {
  rejectTopicPath(url);
  const m = /^kafka:(?:\/\/)?([^?/]*)\/?(?:\?(.*))?$/i.exec(url.trim());
  const hosts = (m?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!m || hosts.length === 0)
    throw invalid(`kafka URL "${url}" names no broker (use kafka://host:port[,host:port])`, url);
  const brokers = hosts.map((h) => parseHost(url, h));
  const q = new URLSearchParams(m[2] ?? '');
  rejectUnknownParams(url, q);
  return {
    brokers,
    partitions: positiveInt(url, 'partitions', q.get('partitions'), 1),
    replicationFactor: positiveInt(url, 'replicationFactor', q.get('replicationFactor'), 1),
    clientId: q.get('clientId') ?? 'runnel',
  };
}
