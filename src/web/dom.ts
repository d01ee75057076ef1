/**
 * The one way this page makes elements. Text only ever goes in through `textContent`, never innerHTML:
 * record keys and values come from the network and must not become markup.
 */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/**
 * `text` with a line-break opportunity after each `/`, `.` and `_` (a `<wbr>`), so a path, a file or a
 * topic name that must wrap breaks between its parts (`stopcovid.` / `interactions.jsonl`), not mid-word.
 */
export function breakable(text: string): Node[] {
  return text
    .split(/(?<=[/._])(?=.)/)
    .flatMap((part, i) => (i === 0 ? [part] : [document.createElement('wbr'), part]))
    .map((x) => (typeof x === 'string' ? document.createTextNode(x) : x));
}

const intFmt = new Intl.NumberFormat('en-US');
const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export function fmtInt(n: number): string {
  return intFmt.format(Math.round(n));
}

/** 12.3k, 1.2M: for tight spots (axis ticks, tiles). */
export function fmtCompact(n: number): string {
  return Math.abs(n) < 10_000 ? fmtInt(n) : compactFmt.format(n);
}

export function fmtRate(n: number): string {
  if (n === 0) return '0/s';
  if (n < 10) return `${n.toFixed(1)}/s`;
  return `${fmtCompact(n)}/s`;
}

export function fmtNum(n: number, digits = 2): string {
  return Number.isInteger(n) ? fmtInt(n) : String(+n.toFixed(digits));
}

export function fmtTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export function fmtDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${fmtTime(ms)}`;
}

export function fmtAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

/** One line of JSON for a table cell; the cell's CSS ellipsis does the rest. */
export function preview(value: unknown, max = 400): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
