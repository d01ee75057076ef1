import type { PanelSpec } from '../../index.ts';
import type { StopcovidSettings } from './index.ts';
import type { StopcovidTopics } from './pipeline.ts';

const STATUSES = [
  { value: 0, label: '0 no problem', color: 'green' },
  { value: 1, label: '1 suspicious', color: 'orange' },
  { value: 2, label: '2 infected', color: 'red' },
];

/**
 * The stopcovid page: the map (points, or a heatmap per status above 50k people), the status counts per
 * tick, contacts and new notifications per tick, the latest notifications, and the speed. All from the
 * people table's topic (one row per person per tick), the notifications and the interactions log.
 */
export function stopcovidPanels(
  s: Pick<StopcovidSettings, 'sim' | 'interactions'>,
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
        groups: STATUSES,
        maxPoints,
      },
    },
    {
      id: 'statuses',
      title: 'People by status, per tick',
      type: 'tick-counts',
      topic: topics.people,
      fields: { x: 'tick' },
      options: {
        stacked: true,
        yLabel: 'people',
        series: STATUSES.map((x) => ({ label: x.label, color: x.color, field: 'health_status', equals: x.value })),
      },
    },
    {
      id: 'contacts',
      title: s.interactions ? 'Contacts and new notifications, per tick' : 'New notifications, per tick',
      type: 'tick-counts',
      topic: topics.notifications,
      fields: { x: 'tick' },
      options: {
        series: [
          ...(s.interactions ? [{ label: 'contacts', color: 'blue', topic: topics.interactions }] : []),
          { label: 'new notifications', color: 'orange', topic: topics.notifications },
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
      options: { rows: 12 },
    },
  ];
}
