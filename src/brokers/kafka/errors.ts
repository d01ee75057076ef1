import { ErrorCodes, isRunnelError, RunnelError } from '../../core/errors.ts';

/** @platformatic/kafka nests errors (MultipleErrors → ResponseError → ProtocolError): walk them all. */
export function leafErrors(err: unknown, out: Array<Record<string, unknown>> = [], depth = 0): typeof out {
  if (typeof err !== 'object' || err === null || depth > 8) return out;
  const e = err as Record<string, unknown>;
  const children = Array.isArray(e.errors) ? (e.errors as unknown[]) : [];
  if (children.length === 0 && e.cause === undefined) out.push(e);
  for (const child of children) leafErrors(child, out, depth + 1);
  if (e.cause !== undefined) leafErrors(e.cause, out, depth + 1);
  if (children.length === 0 && e.cause !== undefined) out.push(e);
  return out;
}

/** The Kafka protocol error names (e.g. TOPIC_ALREADY_EXISTS) anywhere in an error tree. */
export function apiIds(err: unknown): Set<string> {
  return new Set(leafErrors(err).flatMap((e) => (typeof e.apiId === 'string' ? [e.apiId] : [])));
}

/** The client reports a missing topic as a UserError "Unknown topic X." after metadata, or as a protocol error. */
export function isUnknownTopic(err: unknown): boolean {
  const ids = apiIds(err);
  if (ids.has('UNKNOWN_TOPIC_OR_PARTITION') || ids.has('UNKNOWN_TOPIC_ID')) return true;
  return leafErrors(err).some((e) => /^Unknown topic /.test(String(e.message ?? '')));
}

const NETWORK_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);
const OS_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Whether backing off and trying again can help: the broker is away, moving leaders, or rebalancing. */
export function isRetriable(err: unknown): boolean {
  return leafErrors(err).some(
    (e) =>
      NETWORK_CODES.has(String(e.code)) ||
      OS_CODES.has(String(e.code)) ||
      e.canRetry === true ||
      e.needsRejoin === true ||
      e.hasStaleMetadata === true,
  );
}

/**
 * What to do about a broker that is not there: on this machine, start one (on its port); elsewhere,
 * `runnel kafka start` would start a broker here, not there, so the hint says to check that host.
 */
export function startHint(address: string): string {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address.split(',')[0]!.trim());
  const host = (m?.[1] ?? address).toLowerCase();
  const port = m?.[2];
  const local = host === 'localhost' || host === '::1' || /^127\./.test(host);
  if (!local) return `check that the broker at ${address} is up and reachable from this machine`;
  return `start one with: runnel kafka start${port && port !== '9092' ? ` --port ${port}` : ''}`;
}

/**
 * Topic settings the cluster refuses (more replicas than brokers, a partition count it will not take), and
 * the knob that changes each. These are the user's configuration, not a runnel bug.
 */
const SETTING_HINTS: Record<string, string> = {
  INVALID_REPLICATION_FACTOR:
    'set ?replicationFactor= in the kafka:// URL to at most the number of brokers (1 for `runnel kafka start`)',
  INVALID_PARTITIONS: "change the topic's partitions (?partitions= in the kafka:// URL, or the app's topic settings)",
  POLICY_VIOLATION:
    "change the topic's partitions or ?replicationFactor= in the kafka:// URL to what the cluster allows",
};

/** Kafka's own explanation (e.g. "only 1 broker(s) are registered"), else the client's generic one. */
function settingRefusal(err: unknown, address: string, what: string): RunnelError | undefined {
  const leaf = leafErrors(err).find((e) => typeof e.apiId === 'string' && e.apiId in SETTING_HINTS);
  if (!leaf) return undefined;
  const why = String(leaf.serverErrorMessage || leaf.message || leaf.apiId).replace(/\.$/, '');
  return new RunnelError(
    ErrorCodes.CONFIG_INVALID,
    `${what}: Kafka at ${address} refused it: ${why}; ${SETTING_HINTS[leaf.apiId as string]}`,
    { cause: err, value: leaf.apiId },
  );
}

/**
 * Maps a client error to one runnel line. Unreachable brokers become BROKER_UNAVAILABLE naming the address
 * (retriable, so pipelines back off and resume); anything else keeps Kafka's own words.
 */
export function toKafkaError(err: unknown, address: string, what: string): RunnelError {
  if (isRunnelError(err)) return err;
  const leaves = leafErrors(err);
  const detail =
    leaves
      .map((e) => String(e.message ?? ''))
      .filter(Boolean)
      .pop() ?? String(err);
  if (isUnknownTopic(err)) {
    return new RunnelError(ErrorCodes.TOPIC_NOT_FOUND, `${what}: topic not found on Kafka at ${address}`, {
      retriable: true,
      cause: err,
    });
  }
  const refused = settingRefusal(err, address, what);
  if (refused) return refused;
  if (isRetriable(err)) {
    const network = leaves.some((e) => NETWORK_CODES.has(String(e.code)) || OS_CODES.has(String(e.code)));
    const message = network
      ? `${what}: Kafka at ${address} is not reachable (${detail.replace(/\.$/, '')}); ${startHint(address)}`
      : `${what}: Kafka at ${address}: ${detail}`;
    return new RunnelError(ErrorCodes.BROKER_UNAVAILABLE, message, { retriable: true, cause: err, value: address });
  }
  return new RunnelError(ErrorCodes.INTERNAL, `${what}: Kafka at ${address}: ${detail}`, { cause: err });
}
