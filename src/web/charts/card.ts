import type { PanelSpec } from '../../core/app.ts';
import type { PanelData, PanelDelta } from '../../server/protocol.ts';
import { h } from '../dom.ts';

/** What every panel renderer gives the app page: its element, and how to take a snapshot or a delta. */
export interface PanelView {
  el: HTMLElement;
  apply(data: PanelData): void;
  delta(d: PanelDelta): void;
  destroy(): void;
}

export interface Card {
  el: HTMLElement;
  summary: HTMLElement;
  body: HTMLElement;
  setEmpty(empty: boolean): void;
}

/** The frame every chart sits in: title, a one-line live summary, the chart, and a waiting message. */
export function card(spec: PanelSpec, extraClass = ''): Card {
  const summary = h('div', { class: 'summary' });
  const body = h('div', { class: 'chart' });
  const empty = h('div', { class: 'empty', text: `No records on “${spec.topic}” yet` });
  const el = h(
    'section',
    { class: `panel ${extraClass}`.trim(), 'data-panel': spec.id, 'data-type': spec.type, 'data-empty': 'true' },
    h('header', {}, h('h3', { text: spec.title }), summary),
    h('div', { class: 'chart-wrap' }, body, empty),
  );
  return {
    el,
    summary,
    body,
    setEmpty: (isEmpty) => el.setAttribute('data-empty', String(isEmpty)),
  };
}

export function option<T>(spec: PanelSpec, key: string, check: (v: unknown) => v is T): T | undefined {
  const v = spec.options?.[key];
  return check(v) ? v : undefined;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
