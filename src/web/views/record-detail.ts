import type { RecordView } from '../../server/protocol.ts';
import { getJson } from '../api.ts';
import { clear, fmtDateTime, h } from '../dom.ts';

export interface DeadLetterView {
  reason: string;
  source: string;
  raw: string;
}

/** The dead-letter shape (`{ error, source, raw }`), or undefined for anything else on a .dlq topic. */
export function deadLetterOf(value: unknown): DeadLetterView | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as { error?: { code?: unknown; message?: unknown }; source?: Record<string, unknown>; raw?: unknown };
  if (!v.error || typeof v.error !== 'object') return undefined;
  const s = v.source ?? {};
  const where =
    s.position !== undefined
      ? `${s.topic ? `${s.topic} · ` : ''}${String(s.position)}`
      : `${s.topic ?? '?'} · partition ${s.partition ?? '?'} · offset ${s.offset ?? '?'}`;
  return {
    reason: `${String(v.error.code ?? 'ERROR')}: ${String(v.error.message ?? '')}`,
    source: where.trim(),
    raw: typeof v.raw === 'string' ? v.raw : JSON.stringify(v.raw),
  };
}

/** Raw payloads are often JSON: shown pretty when they parse, verbatim otherwise. */
function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Fills the side panel with one whole record (fetched again when the row only held a preview). */
export async function recordDetail(topic: string, r: RecordView, box: HTMLElement): Promise<void> {
  box.hidden = false;
  clear(box);
  let value = r.value;
  if (r.truncated) {
    const path = `/api/topics/${encodeURIComponent(topic)}/records/${r.partition}/${r.offset}`;
    value = (await getJson<{ value: unknown }>(path).catch(() => ({ value: r.value }))).value;
  }
  const close = h('button', { type: 'button', class: 'btn small', text: 'Close', 'aria-label': 'close record' });
  close.addEventListener('click', () => {
    box.hidden = true;
  });
  const meta = h(
    'dl',
    { class: 'meta' },
    ...[
      ['partition', String(r.partition)],
      ['offset', String(r.offset)],
      ['key', r.key ?? '(none)'],
      ['event time', fmtDateTime(r.timestamp)],
    ].flatMap(([k, v]) => [h('dt', { text: k! }), h('dd', { text: v! })]),
  );
  box.append(h('header', {}, h('h3', { text: `Record ${r.partition}:${r.offset}` }), close), meta);
  const dl = deadLetterOf(value);
  if (dl) {
    box.append(
      h('h4', { text: 'Reason' }),
      h('p', { class: 'reason bad-text', text: dl.reason }),
      h('h4', { text: 'Source' }),
      h('p', { class: 'mono', text: dl.source }),
      h('h4', { text: 'Raw payload' }),
      h('pre', { class: 'raw', text: pretty(dl.raw) }),
    );
  }
  box.append(
    h('h4', { text: dl ? 'Dead-letter record' : 'Value' }),
    h('pre', { text: JSON.stringify(value, null, 2) }),
  );
  if (Object.keys(r.headers).length > 0)
    box.append(h('h4', { text: 'Headers' }), h('pre', { text: JSON.stringify(r.headers, null, 2) }));
}
