/**
 * Talking to the dashboard server. The token arrives once in the page URL (`?token=…`, printed by the
 * CLI), moves to sessionStorage and out of the address bar, and is sent with every call: as a header
 * for fetch, as a query parameter for EventSource (which cannot send headers).
 */
const KEY = 'runnel.token';

export function initToken(): void {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem(KEY, t);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
}

const token = (): string | null => sessionStorage.getItem(KEY);

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const t = token();
  const res = await fetch(path, { headers: t ? { authorization: `Bearer ${t}` } : {} });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(res.status, body.error ?? res.statusText);
  }
  return (await res.json()) as T;
}

/** The one write the page makes (replay control): a JSON body, which the server requires (see server/control.ts). */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const t = token();
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const answer = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(res.status, answer.error ?? res.statusText);
  }
  return (await res.json()) as T;
}

/** `idle`: the server answers, and this page holds no live stream (the SQL page, a page not found). */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'idle';
type Listener = (state: LiveState) => void;
const stateListeners = new Set<Listener>();

export function onLiveState(fn: Listener): void {
  stateListeners.add(fn);
}

function setState(s: LiveState): void {
  for (const fn of stateListeners) fn(s);
}

/** Live streams open now: when the last closes, the badge says the server answers instead of "connecting…". */
let streams = 0;

/** The server answered: unless a live stream speaks for the page, the badge says so. */
export function markReachable(): void {
  if (streams === 0) setState('idle');
}

/**
 * A live stream that survives server restarts. EventSource retries by itself after a dropped
 * connection, but gives up for good on an HTTP error (a restart can answer 502 from a proxy), so a
 * closed stream is reopened here too. Every (re)connect starts with a fresh snapshot.
 */
export function live(
  path: string,
  params: Record<string, string>,
  handlers: Record<string, (data: never) => void>,
): { close(): void } {
  let es: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const open = () => {
    const q = new URLSearchParams(params);
    const t = token();
    if (t) q.set('token', t);
    const qs = q.toString();
    es = new EventSource(qs ? `${path}?${qs}` : path);
    setState('connecting');
    es.onopen = () => setState('live');
    es.onerror = () => {
      if (closed) return;
      setState('reconnecting');
      if (es?.readyState === EventSource.CLOSED) {
        es = undefined;
        timer = setTimeout(open, 2000);
      }
    };
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => fn(JSON.parse((e as MessageEvent<string>).data) as never));
    }
  };
  streams++;
  open();
  return {
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      es?.close();
      streams--;
      markReachable();
    },
  };
}
