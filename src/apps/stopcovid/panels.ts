import type { PanelSpec } from '../../index.ts';
import type { StopcovidSettings } from './index.ts';
import type { StopcovidTopics } from './pipeline.ts';

const STATUSES = [
  { value: 0, label: '0 no problem', color: 'green', field: 'no_problem' },
  { value: 1, label: '1 suspicious', color: 'orange', field: 'suspicious' },
  { value: 2, label: '2 infected', color: 'red', field: 'infected' },
];

/**
 * The stopcovid page: the map (points, or a heatmap per status above 50k people), the status counts per
 * tick, contacts and new notifications per tick, the latest notifications, and the speed: the map from
 * the people table's topic (one row per person per tick), the counts from the contact stage's per-tick
 * summaries, the feed from the notifications.
 */
export function stopcovidPanels(
  s: Pick<StopcovidSettings, 'sim'>,
  topics: StopcovidTopics,
  /** Above this many people the map is a heatmap per status (STOPCOVID_MAP_POINTS). */
  maxPoints = 50_000,
): PanelSpec[] {
  return [
    {
      id: 'map',
      title: 'People on the grid, by status (the latest tick)',
      type: 'point-map',
      topic: topics.people,
      fields: { x: 'pos_x', y: 'pos_y', group: 'health_status' },
      options: {
        width: s.sim.width,
        height: s.sim.height,
        id: 'people_id',
        order: 'tick',
        groups: STATUSES.map(({ value, label, color }) => ({ value, label, color })),
        maxPoints,
      },
    },
    {
      id: 'statuses',
      title: 'People by status, per tick',
      type: 'tick-counts',
      // The contact stage's per-tick summaries (a record per partition and tick), added up per tick: the
      // people topic (a record per person and tick) gave the page's history only the last tick or two.
      topic: topics.ticks,
      fields: { x: 'tick' },
      options: {
        stacked: true,
        yLabel: 'people',
        series: STATUSES.map((x) => ({ label: x.label, color: x.color, sum: x.field })),
      },
    },
    {
      id: 'contacts',
      title: 'Contacts and new notifications, per tick',
      type: 'tick-counts',
      topic: topics.ticks,
      fields: { x: 'tick' },
      options: {
        series: [
          { label: 'contacts', color: 'blue', sum: 'contacts' },
          { label: 'new notifications', color: 'orange', sum: 'notifications' },
        ],
      },
    },
    {
      id: 'speed',
      title: 'Speed',
      type: 'tick-speed',
      topic: topics.people,
      fields: { x: 'tick' },
      // The end marker after a bounded run's last tick is not a tick of its own.
      options: { source: topics.positions, skip: 'end' },
    },
    {
      id: 'notifications',
      title: 'Latest notifications',
      type: 'table',
      topic: topics.notifications,
      fields: { columns: ['tick', 'id', 'phone', 'message'] },
      // Its event time is the tick (a second each from 1970): the tick column says when, a clock would not.
      options: { rows: 12, time: false },
    },
  ];
}
