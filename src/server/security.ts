import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';

/** True for addresses only this machine can reach; anything else needs a token. */
export function isLoopback(host: string): boolean {
  const h = stripBrackets(host).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

const isWildcard = (host: string): boolean => ['0.0.0.0', '::', ''].includes(stripBrackets(host));

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Constant-time token check. Hashing both sides first gives equal-length buffers, so a token of another
 * length is rejected by the same comparison instead of an early length check that leaks the length.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** Splits a Host header (`localhost:8080`, `[::1]:8080`, `example.org`) into name and port. */
export function parseHostHeader(header: string): { name: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return undefined;
  return { name: stripBrackets(m[1]!).toLowerCase(), ...(m[2] ? { port: Number(m[2]) } : {}) };
}

/**
 * The names a browser may use to reach us. A DNS-rebinding page reaches our socket under its own name
 * (`evil.example` resolving to 127.0.0.1), so anything not listed here is refused.
 */
export class HostAllowlist {
  readonly #names = new Set<string>(['localhost', '127.0.0.1', '::1']);
  /** Entries given with a port (`dash.example:443` behind a proxy) match only that port. */
  readonly #withPort = new Set<string>();

  constructor(boundHost: string, extra: string[] = []) {
    if (isWildcard(boundHost)) {
      // Bound to every interface: the machine's own addresses and name are legitimate; the token guards them.
      for (const list of Object.values(networkInterfaces())) {
        for (const i of list ?? []) this.#names.add(i.address.toLowerCase());
      }
      this.#names.add(hostname().toLowerCase());
    } else {
      this.#names.add(stripBrackets(boundHost).toLowerCase());
    }
    for (const entry of extra) {
      const parsed = parseHostHeader(entry);
      if (!parsed) continue;
      if (parsed.port === undefined) this.#names.add(parsed.name);
      else this.#withPort.add(`${parsed.name}:${parsed.port}`);
    }
  }

  /** `port` is the port we listen on; a Host without one means 80. */
  allowsHost(header: string | undefined, port: number): boolean {
    const parsed = header ? parseHostHeader(header) : undefined;
    return parsed !== undefined && this.#allows(parsed.name, parsed.port ?? 80, port);
  }

  /** An Origin is `scheme://host[:port]`; `null` (sandboxed frames, file://) is never ours. */
  allowsOrigin(origin: string, port: number): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const originPort = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return this.#allows(stripBrackets(url.hostname).toLowerCase(), originPort, port);
  }

  #allows(name: string, port: number, listenPort: number): boolean {
    return this.#withPort.has(`${name}:${port}`) || (this.#names.has(name) && port === listenPort);
  }
}
