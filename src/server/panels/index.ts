import type { z } from 'zod';
import type { PanelSpec } from '../../core/app.ts';
import { slipOf } from '../../core/closest-names.ts';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import { keysAt } from '../../core/schema-keys.ts';
import { actionFormType } from '../../panels/action-form/server.ts';
import { alertType } from '../../panels/alert/server.ts';
import { barType } from '../../panels/bar/server.ts';
import { cumulativeType } from '../../panels/cumulative/server.ts';
import { dayBarsType } from '../../panels/day-bars/server.ts';
import { histogramType } from '../../panels/histogram/server.ts';
import { lineType } from '../../panels/line/server.ts';
import { linesType } from '../../panels/lines/server.ts';
import { pointMapType } from '../../panels/point-map/server.ts';
import { recordTableType } from '../../panels/record-table/server.ts';
import { statType } from '../../panels/stat/server.ts';
import { tableType } from '../../panels/table/server.ts';
import { tickCountsType } from '../../panels/tick-counts/server.ts';
import { tickSpeedType } from '../../panels/tick-speed/server.ts';
import { FIELD_NAMES, type FieldName, type ServerPanelType } from '../../panels/types.ts';
import type { Aggregator } from './types.ts';

export type { Aggregator } from './types.ts';

/**
 * The panel types (src/panels/<name>: options schema, aggregator, renderer), by name: the only list on the
 * server. A new type is a folder there and one entry here (and one in src/web/charts/index.ts).
 */
// biome-ignore lint/suspicious/noExplicitAny: each type checks its own options with its schema
const MODULES = new Map<string, ServerPanelType<any>>(
  [
    lineType,
    cumulativeType,
    barType,
    histogramType,
    alertType,
    tableType,
    statType,
    dayBarsType,
    linesType,
    recordTableType,
    actionFormType,
    pointMapType,
    tickCountsType,
    tickSpeedType,
  ].map((t) => [t.name, t]),
);

export const panelTypeNames = (): string[] => [...MODULES.keys()];

/** A registered panel type by name (its options schema and the fields it reads), or undefined. */
// biome-ignore lint/suspicious/noExplicitAny: each type checks its own options with its schema
export const panelType = (name: string): ServerPanelType<any> | undefined => MODULES.get(name);

/** `app "sensors", panel "mean" (line)`: where a problem is, as every panel error starts. */
function where(app: string | undefined, spec: PanelSpec, withType = true): string {
  const panel = `panel ${JSON.stringify(spec.id)}${withType ? ` (${spec.type})` : ''}`;
  return app === undefined ? panel : `app ${JSON.stringify(app)}, ${panel}`;
}

function refuse(app: string | undefined, spec: PanelSpec, problem: string, value?: unknown): RunnelError {
  return new RunnelError(ErrorCodes.CONFIG_INVALID, `${where(app, spec)}: ${problem}`, { value });
}

/** `options`, `options.marks.topic`, `options.zones[0].from`: a zod issue's path as the app writes it. */
export function optionPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : `${out}.${String(k)}`), 'options');
}

/** One line for the first problem zod found in the options (and how many more there are). */
function optionsProblem(schema: z.ZodType, issues: z.core.$ZodIssue[]): string {
  const issue = issues[0]!;
  let text = `${optionPath(issue.path)}: ${issue.message}`;
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path);
    const close = issue.keys.flatMap((k) => slipOf(k, known) ?? []);
    if (close.length > 0) text += ` (did you mean ${close.map((k) => JSON.stringify(k)).join(', ')}?)`;
    else if (known.length > 0) text += ` (the options here: ${known.join(', ')})`;
  }
  return issues.length > 1 ? `${text} (and ${issues.length - 1} more)` : text;
}

/** `y (the number drawn), x (…)`: what a type reads, for a message refusing a field. */
function reads(type: ServerPanelType<unknown>): string {
  const names = Object.entries(type.fields.accepts);
  return names.length === 0
    ? `a ${type.name} panel reads no fields (leave fields empty: its options say what it shows)`
    : `a ${type.name} panel reads ${names.map(([n, about]) => `${n} (${about})`).join(', ')}`;
}

/** What is wrong with a panel's `fields` for its type, or undefined. */
function fieldsProblem(spec: PanelSpec, type: ServerPanelType<unknown>): string | undefined {
  const fields: unknown = spec.fields;
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
    return 'fields must be an object of field names ({} when the type reads none)';
  const accepted = Object.keys(type.fields.accepts);
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (!accepted.includes(name)) {
      if ((FIELD_NAMES as readonly string[]).includes(name)) {
        const others = [...MODULES.values()].filter((t) => name in t.fields.accepts).map((t) => t.name);
        return `fields.${name}: not read by a ${type.name} panel, so it would be ignored; ${reads(type)}${
          others.length > 0 ? `; ${name} is read by ${others.join(', ')}` : ''
        }`;
      }
      const close = slipOf(name, accepted) ?? slipOf(name, FIELD_NAMES);
      return `fields.${name}: no such field${close ? ` (did you mean ${close}?)` : ''}; ${reads(type)}`;
    }
    const ok =
      name === 'columns'
        ? Array.isArray(value) && value.length > 0 && value.every((c) => typeof c === 'string' && c !== '')
        : typeof value === 'string' && value !== '';
    if (!ok)
      return `fields.${name}: ${name === 'columns' ? 'a list of field names' : 'a field name (a dot path: `a.b`)'}, not ${JSON.stringify(value)}`;
  }
  const given = (n: FieldName) => (fields as Record<string, unknown>)[n] !== undefined;
  for (const n of type.fields.requires ?? []) if (!given(n)) return `fields.${n} is required; ${reads(type)}`;
  const oneOf = type.fields.oneOf;
  if (oneOf) {
    const set = oneOf.filter(given);
    if (set.length !== 1)
      return `${set.length === 0 ? 'needs' : 'takes only'} one of ${oneOf.map((n) => `fields.${n}`).join(', ')}; ${reads(type)}`;
  }
  return undefined;
}

/**
 * Checks one panel against its type: the type exists, the topic is named, `fields` holds only names the
 * type reads (and those it needs), the options fit its schema and each other. A problem is a
 * RUNNEL_CONFIG_INVALID in one line naming the app (when given) and the panel.
 */
// biome-ignore lint/suspicious/noExplicitAny: each type checks its own options with its schema
export function checkPanel(spec: PanelSpec, app?: string): { type: ServerPanelType<any>; options: unknown } {
  const type = MODULES.get(spec.type);
  if (!type) {
    const close = slipOf(String(spec.type), panelTypeNames());
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `${where(app, spec, false)}: unknown panel type ${JSON.stringify(spec.type)}${
        close ? ` (did you mean ${close}?)` : ''
      } (known: ${panelTypeNames().join(', ')})`,
      { value: spec.type },
    );
  }
  if (typeof spec.topic !== 'string' || spec.topic === '')
    throw refuse(app, spec, `topic must be a topic name, not ${JSON.stringify(spec.topic)}`, spec.topic);
  const fields = fieldsProblem(spec, type);
  if (fields) throw refuse(app, spec, fields, spec.fields);
  const parsed = type.options.safeParse(spec.options ?? {});
  if (!parsed.success) throw refuse(app, spec, optionsProblem(type.options, parsed.error.issues), spec.options);
  const crossed = type.check?.(spec, parsed.data);
  if (crossed) throw refuse(app, spec, crossed, spec.options);
  return { type, options: parsed.data };
}

/**
 * Checks an app's panels before the dashboard serves them (the dashboard calls it for each app as it
 * starts), so a misspelt option or field stops `runnel dashboard` in one line instead of failing each
 * request for the page. Also refuses a panel without an id and two panels with one id (one would be lost).
 */
export function checkPanels(app: string, panels: readonly PanelSpec[]): void {
  const seen = new Set<string>();
  panels.forEach((spec, i) => {
    if (spec === null || typeof spec !== 'object')
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, `app ${JSON.stringify(app)}: panels[${i}] is not a panel`);
    if (typeof spec.id !== 'string' || spec.id === '') {
      throw new RunnelError(
        ErrorCodes.CONFIG_INVALID,
        `app ${JSON.stringify(app)}: panels[${i}] (${spec.type}) needs an id (a non-empty string)`,
        { value: spec.id },
      );
    }
    if (seen.has(spec.id)) throw refuse(app, spec, 'another panel of the app has this id (ids must differ)', spec.id);
    seen.add(spec.id);
    checkPanel(spec, app);
  });
}

/**
 * A panel's aggregator, the panel checked first (`checkPanel`: one line naming the app, when given, and
 * the panel).
 */
export function createAggregator(spec: PanelSpec, app?: string): Aggregator {
  const { type, options } = checkPanel(spec, app);
  return type.aggregator(spec, options);
}
