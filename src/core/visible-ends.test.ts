import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Broker, visibleEndOffsets } from './broker.ts';

/** A broker whose topic `t` grows by one record each time a pending write becomes visible. */
function brokerWithPending(pendingRounds: number, withMethod = true): Broker & { asked: number } {
  let end = 10;
  let pending = pendingRounds;
  const b = {
    asked: 0,
    async describeTopic(name: string) {
      return name === 't' ? { name, partitions: [{ partition: 0, startOffset: 0, endOffset: end }] } : undefined;
    },
    ...(withMethod
      ? {
          async pendingWrites(topics: string[]) {
            b.asked++;
            assert.deepEqual(topics, ['t']);
            if (pending === 0) return false;
            if (--pending === 0) end++; // its markers landed: the record shows
            return true;
          },
        }
      : {}),
  };
  return b as unknown as Broker & { asked: number };
}

test('visibleEndOffsets waits out writes not visible yet, then reads the ends past them', async () => {
  for (const rounds of [0, 1, 4]) {
    const b = brokerWithPending(rounds);
    assert.deepEqual(await visibleEndOffsets(b, ['t']), [{ topic: 't', partition: 0, offset: rounds > 0 ? 11 : 10 }]);
    assert.equal(b.asked, rounds + 1);
  }
  // A broker whose writes show once acknowledged has no such method: the ends as they are.
  assert.deepEqual(await visibleEndOffsets(brokerWithPending(3, false), ['t']), [
    { topic: 't', partition: 0, offset: 10 },
  ]);
});

test('visibleEndOffsets stops waiting when its signal aborts', async () => {
  const b = brokerWithPending(Number.POSITIVE_INFINITY);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 100);
  const ends = await visibleEndOffsets(b, ['t'], stop.signal);
  assert.equal(ends.length, 1);
});
