import type { StreamRecord } from '../record.ts';

/**
 * Where records are on their topic, for a person to find them again: `partition 0 offsets 5, 9, 12 and 40
 * more; partition 2 offset 7`. A few offsets per partition, in order; the rest counted.
 */
export function placesOf(records: Pick<StreamRecord, 'partition' | 'offset'>[], shown = 5): string {
  const by = new Map<number, number[]>();
  for (const r of records) {
    const offsets = by.get(r.partition) ?? [];
    by.set(r.partition, offsets);
    offsets.push(r.offset);
  }
  return [...by]
    .sort((a, b) => a[0] - b[0])
    .map(([partition, offsets]) => {
      offsets.sort((a, b) => a - b);
      const more = offsets.length - shown;
      const list = offsets.slice(0, shown).join(', ') + (more > 0 ? ` and ${more} more` : '');
      return `partition ${partition} ${offsets.length === 1 ? 'offset' : 'offsets'} ${list}`;
    })
    .join('; ');
}
