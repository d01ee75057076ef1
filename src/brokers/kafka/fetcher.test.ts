import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KafkaClient, partitionBounds } from './fetcher.ts';

/** A ListOffsets answer as the client nests it: a MultipleErrors around the broker's protocol error. */
function refusal(apiId: string, canRetry: boolean): Error {
  const leaf = Object.assign(new Error(`protocol ${apiId}`), { apiId, canRetry });
  return Object.assign(new Error('Listing offsets failed.'), { code: 'PLT_KFK_MULTIPLE', errors: [leaf] });
}

/** Just the parts partitionBounds uses: ListOffsets refusing `failures` times, metadata refreshes counted. */
function fakeClient(failures: Error[]) {
  const calls = { listOffsets: 0, forcedMetadata: 0 };
  const tracked = new Set<string>();
  const client = {
    topics: { has: (t: string) => tracked.has(t), track: (t: string) => tracked.add(t) },
    async listOffsets(o: { topics: string[]; partitions: Record<string, number[]>; timestamp: bigint }) {
      calls.listOffsets++;
      const failure = failures.shift();
      if (failure) throw failure;
      const answer = new Map<string, bigint[]>();
      // Indexed by partition, as the client answers.
      for (const t of o.topics) {
        const offsets: bigint[] = [];
        for (const p of o.partitions[t]!) offsets[p] = o.timestamp === -2n ? 0n : BigInt(10 + p);
        answer.set(t, offsets);
      }
      return answer;
    },
    async metadata(o: { forceUpdate?: boolean }) {
      if (o.forceUpdate) calls.forcedMetadata++;
      return {};
    },
  };
  return { client: client as unknown as KafkaClient, calls };
}

test('partitionBounds asks again, with fresh metadata, while the broker answers that the leader epoch moved', async () => {
  const { client, calls } = fakeClient([
    refusal('UNKNOWN_LEADER_EPOCH', true),
    refusal('FENCED_LEADER_EPOCH', true),
    refusal('UNKNOWN_LEADER_EPOCH', true),
  ]);
  const bounds = await partitionBounds(client, [
    { topic: 't', partition: 0 },
    { topic: 't', partition: 3 },
  ]);
  assert.deepEqual(Object.fromEntries(bounds), { 't:0': { start: 0, end: 10 }, 't:3': { start: 0, end: 13 } });
  // Two ListOffsets (earliest, latest) that succeed, plus one per refusal; each refusal refreshed metadata.
  assert.equal(calls.listOffsets, 2 + 3);
  assert.equal(calls.forcedMetadata, 3);
});

test('partitionBounds gives up at once on what asking again cannot mend', async () => {
  for (const failure of [refusal('TOPIC_AUTHORIZATION_FAILED', false), refusal('UNKNOWN_TOPIC_OR_PARTITION', true)]) {
    const { client, calls } = fakeClient([failure]);
    await assert.rejects(partitionBounds(client, [{ topic: 't', partition: 0 }]), (err) => err === failure);
    assert.equal(calls.forcedMetadata, 0);
    assert.ok(calls.listOffsets <= 2);
  }
});
